"""Signals that compare an account with the others of the corpus: bios that are near duplicates of
other accounts' bios (MinHash LSH, confirmed with rapidfuzz), and accounts created in a burst.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...coordination.text import MinHasher, band_keys, char_shingles


#: LSH banding for :func:`bio_template_counts`: 10 bands of 6 MinHash values. A pair of bios with
#: Jaccard 0.8 becomes a candidate with probability 0.95 (0.9: 1.0, 0.5: 0.15); candidates are
#: then confirmed with rapidfuzz, so the bands only decide what is compared. (This signal used to
#: take datasketch's banding for 0.8 / 64 permutations, 5 x 11, which finds a pair at Jaccard 0.8
#: only with probability 0.36, so it counted fewer near duplicates.)
LSH_BANDS, LSH_ROWS = 10, 6


def _lsh_candidate_pairs(sig: np.ndarray, bands: int, rows: int, chunk: int = 1_000_000) -> np.ndarray:
    """Pairs (i < j, as an n x 2 array, each once) of signatures that agree on all values of some
    band, band by band (each pair in the first band where it agrees, in bucket order).

    The pairs grow faster than the corpus (buckets of templated bios pair quadratically), so each
    step is one pass over them: a stable sort puts a bucket's members in index order, so the
    pairs come out i < j, and a pair met again in a later band is dropped by comparing the two
    signatures' earlier band keys (``chunk`` pairs at a time), not by hashing all pairs."""
    n = sig.shape[0]
    found = []
    keys = np.ascontiguousarray(band_keys(sig, bands, rows))  # one 64-bit key per (signature, band), as coordination's LSH
    idx = np.arange(n)
    for band in range(bands):
        key = keys[:, band]
        order = np.argsort(key, kind="stable")
        ks = key[order]
        bounds = np.concatenate([[0], np.flatnonzero(ks[1:] != ks[:-1]) + 1, [n]])
        # every element pairs with the later elements of its bucket
        later = np.repeat(bounds[1:], np.diff(bounds)) - idx - 1
        has_later = later > 0
        if not has_later.any():
            continue
        pos, lat = idx[has_later], later[has_later]
        first = np.repeat(pos, lat)
        second = np.arange(len(first)) - np.repeat(np.cumsum(lat) - lat - 1, lat) + first
        a, b = order[first], order[second]
        if band:
            new = np.ones(len(a), dtype=bool)
            for s in range(0, len(a), chunk):
                new[s : s + chunk] = ~(keys[a[s : s + chunk], :band] == keys[b[s : s + chunk], :band]).any(axis=1)
            a, b = a[new], b[new]
        found.append(np.stack([a, b], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.concatenate(found).astype(np.int64)


def _shingle_codes(texts: list[str], k: int = 4) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The character ``k``-gram sets of ``texts`` (each longer than ``k``) as (distinct grams, codes
    into them set after set, set sizes): the sets of :func:`char_shingles`, found with numpy on
    the code points instead of a Python set per text."""
    lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    cp = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n_grams = lens - k + 1
    starts = np.cumsum(lens) - lens
    owner = np.repeat(np.arange(len(texts)), n_grams)
    pos = np.repeat(starts - (np.cumsum(n_grams) - n_grams), n_grams) + np.arange(int(n_grams.sum()))
    # each gram one integer (its code points as digits in base ``m``) where that fits in 63 bits,
    # then hash-factorised (pandas): no sorts
    m = int(cp.max()) + 1 if len(cp) else 1
    if m ** k < 2**63:
        key = np.zeros(len(pos), dtype=np.int64)
        for i in range(k):
            key = key * m + cp[pos + i]
        code, uniq_key = pd.factorize(key)
        uniq = np.stack([(uniq_key // m ** (k - 1 - i)) % m for i in range(k)], axis=1)
    else:
        grams = np.ascontiguousarray(np.stack([cp[pos + i] for i in range(k)], axis=1))
        uniq, code = np.unique(grams.view(np.dtype((np.void, 4 * k))).ravel(), return_inverse=True)
        uniq, code = uniq.view(np.uint32).reshape(-1, k), code.ravel()
    # each gram once per set: the distinct (set, gram) pairs, in order of appearance (set by set)
    pair = pd.unique(owner * len(uniq) + code)
    decoded = np.ascontiguousarray(uniq, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    vocab = [decoded[i : i + k] for i in range(0, len(decoded), k)]
    return vocab, pair % len(uniq), np.bincount(pair // len(uniq), minlength=len(texts))


def _shingle_signatures(texts: list[str], num_perm: int, chunk: int = 10_000, k: int = 4) -> np.ndarray:
    """MinHash signatures of the character ``k``-gram sets of ``texts`` (as
    ``minhash_signatures([char_shingles(t, k) for t in texts])``), ``chunk`` texts at a time.

    A text's signature does not depend on the others, so the chunks change nothing; the grams of
    one chunk only are held at once (at 10M posts the shingles of all distinct bios as Python
    strings took gigabytes). Texts of ``k`` characters or fewer go through :func:`char_shingles`."""
    hasher = MinHasher(num_perm)
    sig = np.empty((len(texts), num_perm), dtype=np.uint32)
    for a in range(0, len(texts), chunk):
        part = texts[a : a + chunk]
        if all(len(t) > k for t in part):
            vocab, codes, sizes = _shingle_codes(part, k)
            sig[a : a + len(part)] = hasher.signatures_from_codes(vocab, codes, sizes)
        else:
            sig[a : a + len(part)] = hasher.signatures([char_shingles(t, k) for t in part])
    return sig


def _confirmed(texts: list[str], pairs: np.ndarray, threshold: float) -> np.ndarray:
    """Which candidate ``pairs`` (indices into ``texts``) have rapidfuzz's ratio >= ``threshold``.

    The candidates grow faster than the corpus (LSH buckets of templated bios pair quadratically),
    so this step is kept lean: a pair whose lengths alone rule it out (the ratio is at most
    ``2 * min(len) / (len_a + len_b)``) is not compared, and the texts of a chunk of pairs are
    taken from an object array in one step instead of a Python loop."""
    from rapidfuzz import fuzz, process

    ok = np.zeros(len(pairs), dtype=bool)
    if not len(pairs):
        return ok
    lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    la, lb = lens[pairs[:, 0]], lens[pairs[:, 1]]
    # the bound with a margin far above rounding error: only pairs surely below the threshold go
    possible = np.nonzero(2.0 * np.minimum(la, lb) / (la + lb) >= threshold - 1e-9)[0]
    arr = np.empty(len(texts), dtype=object)
    arr[:] = texts
    for a in range(0, len(possible), 1_000_000):  # bounded memory on very large corpora
        sel = possible[a : a + 1_000_000]
        chunk = pairs[sel]
        ok[sel] = process.cpdist(arr[chunk[:, 0]].tolist(), arr[chunk[:, 1]].tolist(),
                                 scorer=fuzz.ratio, dtype=np.float64) >= threshold * 100
    return ok


def bio_template_counts(bios: pd.Series, threshold: float = 0.8, min_len: int = 20, num_perm: int = 64) -> pd.Series:
    """For each bio, how many *other* accounts have a near-duplicate bio (templated bios).

    Bios are case-folded with digits masked and white space collapsed; identical ones are one
    template group. Distinct texts are compared through MinHash over character 4-gram shingles
    (the package's one MinHash, :func:`engineroom.coordination.text.minhash_signatures`) with LSH banding (:data:`LSH_BANDS` x :data:`LSH_ROWS`), and a
    candidate pair counts when rapidfuzz's ratio is >= ``threshold``. Bios shorter than
    ``min_len`` characters count 0 (an empty bio is no template). ``num_perm`` must be at least
    ``LSH_BANDS * LSH_ROWS``.
    """
    norm = bios.fillna("").astype(str).str.lower().str.replace(r"\d+", "0", regex=True)
    norm = norm.str.replace(r"\s+", " ", regex=True).str.strip()
    result = pd.Series(0.0, index=bios.index, dtype=float)
    keep = (norm.str.len() >= max(min_len, 4)).to_numpy()
    if keep.sum() < 2:
        return result
    codes, texts = pd.factorize(norm[keep])
    texts = list(texts)
    size = np.bincount(codes, minlength=len(texts)).astype(float)
    similar = np.zeros(len(texts))
    if len(texts) >= 2:
        sig = _shingle_signatures(texts, max(num_perm, LSH_BANDS * LSH_ROWS))
        pairs = _lsh_candidate_pairs(sig, LSH_BANDS, LSH_ROWS)
        ok = _confirmed(texts, pairs, threshold)
        pi, pj = pairs[ok, 0], pairs[ok, 1]
        similar = (np.bincount(pi, weights=size[pj], minlength=len(texts))
                   + np.bincount(pj, weights=size[pi], minlength=len(texts)))
    result.loc[keep] = (similar + size - 1)[codes]
    return result


def creation_burst(created_at: pd.Series, window_days: float = 1.0) -> pd.Series:
    """How crowded the days around each account's creation are, relative to an even spread.

    (accounts created within +-``window_days`` of this one, itself excluded) divided by what the
    same number of accounts spread evenly over the corpus's creation span would give. 1 = normal,
    10 = ten times more accounts than expected were created in those days. NaN without a date.
    """
    t = pd.to_datetime(created_at, errors="coerce")
    days = (t - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86400.0
    valid = days.dropna()
    out = pd.Series(np.nan, index=created_at.index, dtype=float)
    if len(valid) < 3:
        return out
    span = max(valid.max() - valid.min(), 30.0)
    expected = (len(valid) - 1) * (2 * window_days) / span
    v = np.sort(valid.to_numpy())
    lo = np.searchsorted(v, valid.to_numpy() - window_days, side="left")
    hi = np.searchsorted(v, valid.to_numpy() + window_days, side="right")
    out.loc[valid.index] = (hi - lo - 1) / max(expected, 1e-9)
    return out
