"""Verified near-copy post pairs for co_similar_tweet and co_salted_tweet, with arrays.

The pairs are those of the engine query they replace (see ``Coordination._similar_pairs``): two
posts of the same platform by different accounts, at most ``window`` seconds apart, that share a
MinHash LSH band key and whose token sets have exact Jaccard similarity >= ``threshold``. The
work is arranged so that it grows with the pairs found rather than with the square of the posts
in a busy window:

* **Identical token sets** (campaign copies, templates filled alike) have Jaccard similarity 1
  and share every band, so each of their pairs would be a candidate in every band and verified
  once per band before the union. Here each post gets a set id (its token set's dictionary code
  and platform); pairs within one set id are listed once, by a sliding window over the set's
  posts, and need no verification. The bands then only propose pairs of *different* sets.
* **Per band**, the posts (in time order) are sorted once by (band key, row), which puts each
  key's posts in time order: a post with a partner within the window has one next to it, so
  posts without a close neighbour of their key are dropped, and pairs come from a sliding window
  over each key's remaining posts. Pairs of one set id and those failing the length bound
  ``min(n1, n2) / max(n1, n2) >= threshold`` (Jaccard never exceeds it) are dropped there (they
  read only the band's few rows). The bands run on worker threads (NumPy releases the GIL in its
  sorts, searches and gathers) while the next band's keys are read; the bucket counts are made
  on one of them while the identical sets are paired.
* **Distinct pairs**: a near-copy pair shares most bands, so the bands' pairs are made distinct
  (one sort of ``a << 32 | b`` codes, a few bands at a time) before the tests that read random
  rows, once per distinct pair: pairs of one account or of two platforms are dropped, then those
  failing the **bucket bound**: each distinct token set's tokens are counted in :data:`BUCKETS`
  hash buckets, and ``sum(min(c1, c2))`` over the buckets is at least the common tokens, so a
  pair whose bound gives a similarity below the threshold cannot reach it (exact). Most false
  LSH candidates (template posts that share a band but few words) end here.
* **Verification** of the distinct survivors counts common tokens by arrays, in chunks: only the
  candidates' distinct token sets are split into tokens, and a (pair, token) value seen twice after one sort is
  a common token. No per-pair Python, no string lists.

LSH after Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3; identical sets
collapsed as in near-duplicate detection practice (e.g. Broder 1997, exact duplicates removed
before resemblance is estimated).
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Candidate pairs verified per chunk (bounds the working memory of the verification).
VERIFY_CHUNK = 1 << 18
#: Hash buckets of the token-count bound (:func:`bucket_counts`), one byte per bucket and post.
BUCKETS = 32
#: Bands' pairs held before they are made distinct together (bounds their memory, 8 bytes a pair).
MERGE_PAIRS = 1 << 23
#: Distinct pairs tested per task (:func:`pair_tests`; bounds its working memory, about 40 bytes a pair).
TEST_CHUNK = 1 << 22
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
    set_code: np.ndarray  #: each post's token set as an index into ``sets``
    sets: pa.Array  #: the distinct token sets, tokens joined by one space (split only where needed)


def text_rows(platform: pa.Array, account: pa.Array, t: pa.Array, n: pa.Array, token_set: pa.Array) -> TextRows:
    """:class:`TextRows` from Arrow columns (``token_set``: tokens joined by one space; ``n``: how many)."""
    platform, account, t, n, sets = (a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
                                     for a in (platform, account, t, n, token_set))
    platform, account = pc.dictionary_encode(platform), pc.dictionary_encode(account)
    p = platform.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    enc = pc.dictionary_encode(sets)
    set_codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    # one id per (platform, token set): sets on two platforms are different nodes
    set_id = pd.factorize(set_codes * np.int64(max(len(platform.dictionary), 1)) + p)[0].astype(np.int64)
    return TextRows(p, account.indices.to_numpy(zero_copy_only=False).astype(np.int64),
                    t.to_numpy(zero_copy_only=False).astype(np.int64), n.to_numpy(zero_copy_only=False).astype(np.int64),
                    set_id, set_codes, enc.dictionary)


def bucket_counts(token_set: pa.Array, buckets: int = BUCKETS, chunk: int = 1 << 20) -> np.ndarray:
    """Per row, how many of its tokens fall in each of ``buckets`` hash buckets (uint8, rows x buckets).

    ``|A & B| <= sum over buckets of min(count_A, count_B)``: a common token sits in the same
    bucket of both. A row with a bucket of more than 254 tokens gets 255 everywhere (no bound).
    Tokens are bucketed by a fixed hash of their text (pandas' SipHash), the same in every chunk."""
    n = len(token_set)
    out = np.zeros((n, buckets), dtype=np.uint8)
    for lo in range(0, n, chunk):
        split = pc.split_pattern(token_set.slice(lo, chunk), " ")
        lens = pc.list_value_length(split).to_numpy(zero_copy_only=False).astype(np.int64)
        enc = pc.dictionary_encode(pc.list_flatten(split))
        vocab = enc.dictionary.to_numpy(zero_copy_only=False)
        bucket = (pd.util.hash_array(vocab, categorize=False) % np.uint64(buckets)).astype(np.int64)
        row = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
        counts = np.bincount(row * buckets + bucket[enc.indices.to_numpy(zero_copy_only=False)],
                             minlength=len(lens) * buckets).reshape(len(lens), buckets)
        full = (counts > 254).any(axis=1)
        counts[full] = 255
        out[lo:lo + len(lens)] = counts
    return out


def bucket_bound(counts: np.ndarray, a: np.ndarray, b: np.ndarray, na: np.ndarray, nb: np.ndarray,
                 threshold: float) -> np.ndarray:
    """Whether pairs (rows ``a``, ``b``) may reach Jaccard ``threshold``: the bucket bound on their
    common tokens (:func:`bucket_counts`) over their union is at least it. Exact: a pair it rejects
    has a Jaccard similarity below the threshold."""
    out = np.empty(len(a), dtype=bool)
    for lo in range(0, len(a), VERIFY_CHUNK):
        ca, cb = counts[a[lo:lo + VERIFY_CHUNK]], counts[b[lo:lo + VERIFY_CHUNK]]
        full = (ca[:, 0] == 255) | (cb[:, 0] == 255)
        ub = np.minimum(ca, cb).sum(axis=1, dtype=np.int64).astype(np.float64)
        n1, n2 = na[lo:lo + VERIFY_CHUNK], nb[lo:lo + VERIFY_CHUNK]
        ub = np.minimum(ub, np.minimum(n1, n2))
        out[lo:lo + len(ca)] = full | (ub / (n1 + n2 - ub) >= threshold)
    return out


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


def _grouped(key: np.ndarray, rows: TextRows, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of rows sharing ``key`` within ``window`` seconds; ``rows`` in time order.

    Returns ``order`` (rows, sorted by key, then row) and the pairs as positions ``i < j`` into
    it: rows ``order[i] < order[j]``. A caller's per-pair lookups can so read arrays gathered into
    ``order`` once (few rows), near each other, instead of random rows.

    One sort of (key, row) values puts each key's rows together and, as rows are in time order,
    in time order. A row with a partner within the window then has one next to it, so the rows
    without a close neighbour of their key (most rows of a band) are dropped before the sliding
    window. The value keeps the key's high bits above the row number; keys equal there but
    different below (rare) are told apart by an equality test of the pairs, so the pairs are
    exactly those of equal keys."""
    n = len(key)
    empty = np.empty(0, np.int64)
    if n < 2:
        return empty, empty, empty
    bits = np.uint64(max(int(n - 1).bit_length(), 1))
    small = key.min() >= 0 and int(key.max()) < (1 << (64 - int(bits)))
    if small:  # small keys (set ids): all bits kept
        v = key.astype(np.uint64) << bits
    else:  # hashes: their high bits
        v = key.view(np.uint64) >> bits
        v <<= bits
    v |= np.arange(n, dtype=np.uint64)
    v.sort()
    order = (v & ((np.uint64(1) << bits) - np.uint64(1))).view(np.int64)
    hi = v
    hi >>= bits  # (in place: ``v`` is not needed any more)
    t = rows.t[order]
    # a row with a partner within the window has one next to it (a key's rows are in time order)
    close = hi[1:] == hi[:-1]
    close &= np.diff(t) <= min(int(window), int(_T_SPAN) - 1)
    near = np.zeros(n, dtype=bool)
    near[1:] |= close
    near[:-1] |= close
    order, hi, t = order[near], hi[near], t[near]
    if len(order) < 2:
        return empty, empty, empty
    gid = np.concatenate(([0], np.cumsum(hi[1:] != hi[:-1]))).astype(np.int64)
    i, j = window_pairs(gid, t, window)
    if not small:
        ks = key[order]
        if ((ks[1:] != ks[:-1]) & (hi[1:] == hi[:-1])).any():  # two keys alike in their high bits
            exact = ks[i] == ks[j]
            i, j = i[exact], j[exact]
    return order, i, j


def _grouped_pairs(key: np.ndarray, rows: TextRows, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs (a < b) of rows sharing ``key`` within ``window`` seconds (:func:`_grouped`)."""
    order, i, j = _grouped(key, rows, window)
    return order[i], order[j]


def _by_time(rows: TextRows) -> tuple[TextRows, np.ndarray]:
    """``rows`` reordered by time (stable), and the original row of each (``sets`` stays)."""
    perm = np.argsort(rows.t, kind="stable")
    return TextRows(rows.platform[perm], rows.account[perm], rows.t[perm], rows.n[perm], rows.set_id[perm],
                    rows.set_code[perm], rows.sets), perm


def same_set_pairs(rows: TextRows, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of posts with identical token sets (Jaccard 1), of different accounts, within the window."""
    a, b = _grouped_pairs(rows.set_id, rows, window)
    keep = rows.account[a] != rows.account[b]
    return a[keep], b[keep]


def band_pairs(band: np.ndarray, rows: TextRows, window: int, threshold: float) -> np.ndarray:
    """The pairs of one band as ``a << 32 | b`` (rows ``a < b``) that pass the tests on the values of
    the few rows in it: a shared band key within the window, different token sets, within the
    length bound. (The tests that need random rows, :func:`pair_tests`, are left for the distinct
    pairs of all bands: a near-copy pair shares most bands.)"""
    order, i, j = _grouped(band, rows, window)
    # the values of the (few) rows in ``order`` are gathered once, so that the pairs' lookups fall
    # near each other; the cheapest test first
    sid = rows.set_id[order]
    keep = sid[i] != sid[j]
    i, j = i[keep], j[keep]
    n = rows.n[order].astype(np.float64)
    n1, n2 = n[i], n[j]
    keep = np.minimum(n1, n2) / np.maximum(n1, n2) >= threshold
    return (order[i[keep]] << np.int64(32)) | order[j[keep]]


def pair_tests(pairs: np.ndarray, rows: TextRows, threshold: float, counts: np.ndarray | None = None) -> np.ndarray:
    """The ``pairs`` (``a << 32 | b``) of the same platform, of different accounts and (with
    ``counts`` of ``rows.sets``, see :func:`bucket_counts`) within the bucket bound."""
    a, b = pairs >> np.int64(32), pairs & np.int64(0xFFFFFFFF)
    keep = (rows.account[a] != rows.account[b]) & (rows.platform[a] == rows.platform[b])
    pairs, a, b = pairs[keep], a[keep], b[keep]
    if counts is not None and len(a):
        n1, n2 = rows.n[a].astype(np.float64), rows.n[b].astype(np.float64)
        pairs = pairs[bucket_bound(counts, rows.set_code[a], rows.set_code[b], n1, n2, threshold)]
    return pairs


def band_candidates(band: np.ndarray, rows: TextRows, window: int, threshold: float,
                    counts: np.ndarray | None = None) -> np.ndarray:
    """Candidate pairs of one band as ``a << 32 | b`` (rows ``a < b``): a shared band key within the
    window, same platform, different accounts, different token sets, within the length bound and
    (with ``counts`` of ``rows.sets``, see :func:`bucket_counts`) within the bucket bound."""
    return pair_tests(band_pairs(band, rows, window, threshold), rows, threshold, counts)


def distinct(values: np.ndarray, in_place: bool = False) -> np.ndarray:
    """The distinct ``values``, sorted (one sort; NumPy's ``unique`` is many times slower on int64).
    ``in_place``: ``values`` may be sorted where they are (no copy)."""
    v = values if in_place else np.sort(values)
    if in_place:
        v.sort()
    if len(v) < 2:
        return v
    first = np.empty(len(v), dtype=bool)
    first[0] = True
    np.not_equal(v[1:], v[:-1], out=first[1:])
    return v[first]


def common_tokens(token_set: pa.Array, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|set(a) & set(b)| per pair of entries of ``token_set`` (distinct tokens joined by one space).

    Only the rows in pairs are split; a pair's common tokens are the (pair, token) values seen
    twice among its tokens, found by one sort."""
    out = np.zeros(len(a), dtype=np.int64)
    if len(a) == 0:
        return out
    need, where = np.unique(np.concatenate((a, b)), return_inverse=True)
    split = pc.split_pattern(token_set.take(pa.array(need)), " ")
    lens = pc.list_value_length(split).to_numpy(zero_copy_only=False).astype(np.int64)
    codes = pc.dictionary_encode(pc.list_flatten(split)).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    starts = np.cumsum(lens) - lens
    vocab = np.int64(int(codes.max()) + 1 if len(codes) else 1)
    ia, ib = where[: len(a)], where[len(a):]
    for lo in range(0, len(a), VERIFY_CHUNK):
        aa, bb = ia[lo:lo + VERIFY_CHUNK], ib[lo:lo + VERIFY_CHUNK]
        pair = np.arange(len(aa), dtype=np.int64)
        owner = np.concatenate((np.repeat(pair, lens[aa]), np.repeat(pair, lens[bb])))
        keys = owner * vocab + np.concatenate((_gather(codes, starts, lens, aa), _gather(codes, starts, lens, bb)))
        keys.sort()  # a token of both sets is a (pair, token) value seen twice
        twice = keys[1:][keys[1:] == keys[:-1]]
        out[lo:lo + len(aa)] = np.bincount(twice // vocab, minlength=len(aa))
    return out


def _gather(codes: np.ndarray, starts: np.ndarray, lens: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The codes of rows ``idx`` (``starts`` / ``lens`` per row into ``codes``), one after the other."""
    ln = lens[idx]
    first = np.cumsum(ln) - ln
    return codes[np.repeat(starts[idx] - first, ln) + np.arange(int(ln.sum()), dtype=np.int64)]


def _band_candidates(bands, perm: np.ndarray, rows: TextRows, window: int, threshold: float,
                     counts: "np.ndarray | Future", pool: ThreadPoolExecutor | None,
                     workers: int) -> tuple[np.ndarray, list[int]]:
    """The distinct candidates of all bands (:func:`band_candidates`), and how many pairs each band
    gave to them (:func:`band_pairs`). Each band's pairs pass the tests on its own rows; the
    pairs of all bands are made distinct (a near-copy pair is found again in most bands), and
    the tests on random rows (:func:`pair_tests`) run once per distinct pair. The bands are
    taken from ``bands`` one at a time (each may be read from the engine as it is asked for) and,
    with a ``pool``, worked on by up to ``workers`` threads at once while the next band is read;
    NumPy's sorts, searches and gathers run without the GIL. ``counts``: the bucket counts, or
    their future (being made on the pool)."""
    per_band, found, pending = [], np.empty(0, np.int64), []
    running: deque = deque()

    def one(keys: np.ndarray) -> np.ndarray:
        return band_pairs(keys, rows, window, threshold)

    def collect(c: np.ndarray) -> None:
        nonlocal found, pending
        per_band.append(int(len(c)))
        pending.append(c)
        if sum(len(p) for p in pending) > MERGE_PAIRS:  # bounds the memory of the bands' pairs
            found, pending = distinct(np.concatenate([found, *pending]), in_place=True), []

    for keys in bands:
        keys = np.asarray(keys, dtype=np.int64)[perm]
        if pool is None:
            collect(one(keys))
            continue
        running.append(pool.submit(one, keys))
        while len(running) >= workers:  # at most ``workers`` bands in memory beside the one read next
            collect(running.popleft().result())
    while running:
        collect(running.popleft().result())
    found = distinct(np.concatenate([found, *pending]), in_place=True)
    del pending
    counts = counts.result() if isinstance(counts, Future) else counts
    parts = [found[lo:lo + TEST_CHUNK] for lo in range(0, len(found), TEST_CHUNK)]  # (views)
    if pool is None or len(parts) < 2:
        return np.concatenate([pair_tests(p, rows, threshold, counts) for p in parts] or [found]), per_band
    # on the workers, a chunk each at a time (the few pairs kept are all that is held)
    return np.concatenate([f.result() for f in [pool.submit(pair_tests, p, rows, threshold, counts)
                                                  for p in parts]]), per_band


def similar_pairs(rows: TextRows, bands, window: int, threshold: float,
                  workers: int = 1) -> tuple[np.ndarray, np.ndarray, dict]:
    """The verified pairs (rows ``a``, ``b``) and counts for the summary.

    ``bands``: one int64 array of band keys per band (rows without tokens are not in ``rows``).
    ``workers``: threads for the bucket counts and the bands (with 2 or more, the bucket counts
    are made on one while the posts are sorted by time and the identical sets paired, then that
    many bands are worked on at once while the next band's keys are read).
    Counts: ``same_set`` pairs, ``band_candidates`` per band (its pairs after the tests on its
    own rows, :func:`band_pairs`), ``distinct`` candidates (after all tests), ``verified`` near pairs (different sets), ``pairs`` in all; CPU seconds per
    step, of the whole process (all threads: with workers, the bucket counts' CPU falls in
    ``same_set`` and ``bands``).
    """
    cpu = {}
    c0 = time.process_time()
    pool = ThreadPoolExecutor(int(workers)) if workers > 1 else None
    try:
        counts = pool.submit(bucket_counts, rows.sets) if pool else bucket_counts(rows.sets)  # per distinct token set
        cpu["buckets"], c0 = time.process_time() - c0, time.process_time()
        rows, perm = _by_time(rows)
        sa, sb = same_set_pairs(rows, window)
        cpu["same_set"], c0 = time.process_time() - c0, time.process_time()
        c, per_band = _band_candidates(bands, perm, rows, window, threshold, counts, pool, max(int(workers), 1))
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    cpu["bands"], c0 = time.process_time() - c0, time.process_time()
    a, b = c >> np.int64(32), c & np.int64(0xFFFFFFFF)
    inter = common_tokens(rows.sets, rows.set_code[a], rows.set_code[b]).astype(np.float64)
    # CNT: len(set_1 & set_2) / len(set_1 | set_2) >= threshold, in double precision
    ok = inter / (rows.n[a] + rows.n[b] - inter) >= threshold
    a, b = perm[np.concatenate((sa, a[ok]))], perm[np.concatenate((sb, b[ok]))]
    cpu["verify"] = time.process_time() - c0
    stats = {"same_set": int(len(sa)), "band_candidates": per_band, "distinct": int(len(c)),
             "verified": int(ok.sum()), "pairs": int(len(a)),
             "workers": max(int(workers), 1), "cpu_seconds": {k: round(v, 3) for k, v in cpu.items()}}
    return a, b, stats


__all__ = ["TextRows", "text_rows", "window_pairs", "same_set_pairs", "band_pairs", "pair_tests", "band_candidates",
           "distinct", "common_tokens", "similar_pairs"]
