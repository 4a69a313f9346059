"""Verified near-copy post pairs for co_similar_tweet and co_salted_tweet, with arrays.

The pairs are those of the engine query they replace (see ``Coordination._similar_pairs``): two
posts of the same platform by different accounts, at most ``window`` seconds apart, that share a
MinHash LSH band key and whose token sets have exact Jaccard similarity >= ``threshold``. The
work is arranged so that it grows with the pairs found rather than with the square of the posts
in a busy window:

* **Identical token sets** (campaign copies, templates filled alike) have Jaccard similarity 1
  and share every band, so each of their pairs would be a candidate in every band and verified
  once per band before the union. Here each post gets a set id (its token set's dictionary code);
  pairs within one set id are listed once, from the posts grouped by set, and need no
  verification. The bands then only propose pairs of *different* sets.
* **Per band**, only keys held by two or more posts are sorted (a hash pass finds them); pairs
  come from a sliding window over each key's posts sorted by time. Pairs of one account, of two
  platforms, of one set id and those failing the length bound ``min(n1, n2) / max(n1, n2) >=
  threshold`` (Jaccard never exceeds it) are dropped before the bands' pairs are made distinct.
* **Verification** of the distinct candidates counts common tokens with a hash of (pair, token)
  codes, in chunks: no per-pair Python, no string lists.

LSH after Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3; identical sets
collapsed as in near-duplicate detection practice (e.g. Broder 1997, exact duplicates removed
before resemblance is estimated).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Candidate pairs verified per chunk (bounds the working memory of the verification).
VERIFY_CHUNK = 1 << 21
#: Pairs enumerated per step of a sliding window (bounds its working memory, 16 bytes a pair).
PAIR_CHUNK = 1 << 23
_T_SPAN = np.int64(1 << 33)  # > any time span in seconds of a corpus (2**33 s = 272 years)


class TextRows(NamedTuple):
    """The posts of one LSH network as arrays (one row per post with a non-empty token set)."""

    platform: np.ndarray  #: platform code per post (int64)
    account: np.ndarray  #: account code per post (int64)
    t: np.ndarray  #: seconds since 1970 (int64)
    n: np.ndarray  #: distinct tokens per post (int64)
    set_id: np.ndarray  #: one code per distinct (platform, token set)
    codes: np.ndarray  #: each post's token codes, concatenated (int64)
    starts: np.ndarray  #: where each post's codes begin in ``codes`` (int64)


def text_rows(platform: pa.Array, account: pa.Array, t: pa.Array, token_set: pa.Array) -> TextRows:
    """Arrays of :class:`TextRows` from Arrow columns (``token_set``: tokens joined by one space)."""
    platform, account = (pc.dictionary_encode(a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a)
                         for a in (platform, account))
    sets = token_set.combine_chunks() if isinstance(token_set, pa.ChunkedArray) else token_set
    p = platform.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    set_codes = pc.dictionary_encode(sets).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    # one id per (platform, token set): sets on two platforms are different nodes
    set_id = pd.factorize(set_codes * np.int64(max(len(platform.dictionary), 1)) + p)[0].astype(np.int64)
    split = pc.split_pattern(sets, " ")
    lengths = pc.list_value_length(split).to_numpy(zero_copy_only=False).astype(np.int64)
    tokens = pc.dictionary_encode(pc.list_flatten(split)).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return TextRows(p, account.indices.to_numpy(zero_copy_only=False).astype(np.int64),
                    np.asarray(t.to_numpy(zero_copy_only=False) if hasattr(t, "to_numpy") else t, dtype=np.int64),
                    lengths, set_id, tokens, starts)


def window_pairs(group: np.ndarray, t: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i, j) of rows with the same ``group`` and ``|t_i - t_j| <= window``, each once.

    ``group`` and ``t`` are sorted by (group, t). Returns positions into them, ``i < j``.
    """
    n = len(group)
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    w = min(int(window), int(_T_SPAN) - 1)
    v = group.astype(np.int64) * _T_SPAN + (t - t.min())
    end = np.searchsorted(v, v + w, side="right")
    cnt = end - np.arange(n) - 1
    out_i, out_j = [], []
    cum = np.cumsum(cnt)
    lo = 0
    while lo < n:  # in steps of about PAIR_CHUNK pairs
        base = cum[lo - 1] if lo else 0
        hi = int(np.searchsorted(cum, base + PAIR_CHUNK, side="right"))
        hi = min(max(hi, lo + 1), n)
        c = cnt[lo:hi]
        total = int(c.sum())
        if total:
            i = np.repeat(np.arange(lo, hi, dtype=np.int64), c)
            first = np.cumsum(c) - c
            j = i + 1 + (np.arange(total, dtype=np.int64) - np.repeat(first, c))
            out_i.append(i)
            out_j.append(j)
        lo = hi
    if not out_i:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out_i), np.concatenate(out_j)


def _grouped_pairs(key: np.ndarray, rows: TextRows, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs (a < b by row, any order of time) of rows sharing ``key`` within ``window`` seconds."""
    shared = np.flatnonzero(pd.Series(key).duplicated(keep=False).to_numpy())
    if len(shared) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = shared[np.lexsort((rows.t[shared], key[shared]))]
    gid = np.concatenate(([0], np.cumsum(key[order][1:] != key[order][:-1]))).astype(np.int64)
    i, j = window_pairs(gid, rows.t[order], window)
    a, b = order[i], order[j]
    return np.minimum(a, b), np.maximum(a, b)


def same_set_pairs(rows: TextRows, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of posts with identical token sets (Jaccard 1), of different accounts, within the window."""
    a, b = _grouped_pairs(rows.set_id, rows, window)
    keep = rows.account[a] != rows.account[b]
    return a[keep], b[keep]


def band_candidates(band: np.ndarray, rows: TextRows, window: int, threshold: float) -> np.ndarray:
    """Candidate pairs of one band as ``a << 32 | b`` (rows ``a < b``): a shared band key within the
    window, same platform, different accounts, different token sets, within the length bound."""
    a, b = _grouped_pairs(band, rows, window)
    n1, n2 = rows.n[a].astype(np.float64), rows.n[b].astype(np.float64)
    keep = ((rows.platform[a] == rows.platform[b]) & (rows.account[a] != rows.account[b])
            & (rows.set_id[a] != rows.set_id[b]) & (np.minimum(n1, n2) / np.maximum(n1, n2) >= threshold))
    return (a[keep] << np.int64(32)) | b[keep]


def _gather(rows: TextRows, idx: np.ndarray) -> np.ndarray:
    """The token codes of rows ``idx``, one after the other."""
    lens = rows.n[idx]
    total = int(lens.sum())
    first = np.cumsum(lens) - lens
    pos = np.repeat(rows.starts[idx] - first, lens) + np.arange(total, dtype=np.int64)
    return rows.codes[pos]


def common_tokens(rows: TextRows, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|set(a) & set(b)| per pair: a token seen twice among a pair's (distinct-per-set) tokens."""
    out = np.zeros(len(a), dtype=np.int64)
    vocab = np.int64(int(rows.codes.max()) + 1 if len(rows.codes) else 1)
    for lo in range(0, len(a), VERIFY_CHUNK):
        aa, bb = a[lo:lo + VERIFY_CHUNK], b[lo:lo + VERIFY_CHUNK]
        pair = np.arange(len(aa), dtype=np.int64)
        owner = np.concatenate((np.repeat(pair, rows.n[aa]), np.repeat(pair, rows.n[bb])))
        keys = owner * vocab + np.concatenate((_gather(rows, aa), _gather(rows, bb)))
        dup = pd.Series(keys).duplicated().to_numpy()
        out[lo:lo + len(aa)] = np.bincount(owner[dup], minlength=len(aa))
    return out


def similar_pairs(rows: TextRows, bands: list, window: int, threshold: float) -> tuple[np.ndarray, np.ndarray, dict]:
    """The verified pairs (rows ``a``, ``b``) and counts for the summary.

    ``bands``: one int64 array of band keys per band (rows without tokens are not in ``rows``).
    Counts: ``same_set`` pairs, ``band_candidates`` per band after the cheap filters, ``distinct``
    candidates, ``verified`` near pairs (different sets), ``pairs`` in all.
    """
    sa, sb = same_set_pairs(rows, window)
    per_band, cand = [], []
    for keys in bands:
        c = band_candidates(np.asarray(keys, dtype=np.int64), rows, window, threshold)
        per_band.append(int(len(c)))
        cand.append(c)
    c = np.unique(np.concatenate(cand)) if cand else np.empty(0, np.int64)
    del cand
    a, b = c >> np.int64(32), c & np.int64(0xFFFFFFFF)
    inter = common_tokens(rows, a, b).astype(np.float64)
    # CNT: len(set_1 & set_2) / len(set_1 | set_2) >= threshold, in double precision
    ok = inter / (rows.n[a] + rows.n[b] - inter) >= threshold
    a, b = np.concatenate((sa, a[ok])), np.concatenate((sb, b[ok]))
    stats = {"same_set": int(len(sa)), "band_candidates": per_band, "distinct": int(len(c)),
             "verified": int(ok.sum()), "pairs": int(len(a))}
    return a, b, stats


__all__ = ["TextRows", "text_rows", "window_pairs", "same_set_pairs", "band_candidates", "common_tokens", "similar_pairs"]
