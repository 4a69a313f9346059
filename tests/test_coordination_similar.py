"""The LSH networks' pairs by arrays (:mod:`engineroom.coordination.similar`) equal the definition:
every pair of posts of one platform, by two accounts, at most ``window`` seconds apart, that
shares an LSH band key and has exact Jaccard similarity >= the threshold; on random near-copies
made to hit the corners (identical sets, one word changed, two platforms, equal times, window 0).
And on a synthetic corpus the analysis' edges are the same by arrays and by the engine's joins."""

from __future__ import annotations

import itertools

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from engineroom.coordination import similar as sm
from engineroom.coordination.text import MinHasher, band_keys, lsh_params


def _random_posts(seed: int, n: int = 400, span: int = 300):
    """Posts whose token sets are templates with 0-4 words changed (many near and exact copies)."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(80)]
    templates = [list(rng.choice(vocab, size=int(rng.integers(3, 16)), replace=False)) for _ in range(12)]
    sets, plat, acc, t = [], [], [], []
    for _ in range(n):
        words = list(templates[int(rng.integers(len(templates)))])
        for _k in range(int(rng.integers(0, 5)) if rng.random() < 0.6 else 0):
            words[int(rng.integers(len(words)))] = vocab[int(rng.integers(len(vocab)))]
        sets.append(sorted(set(words)))
        plat.append("x" if rng.random() < 0.85 else "y")
        acc.append(f"a{int(rng.integers(0, 25))}")
        t.append(int(rng.integers(0, span)))
    return sets, plat, acc, t


def _rows_and_bands(sets, plat, acc, t, threshold):
    bands, r = lsh_params(threshold, 64, 1e-6)
    keys = band_keys(MinHasher(64).signatures(sets), bands, r)
    rows = sm.text_rows(pa.array(plat), pa.array(acc), pa.array(t, pa.int64()),
                        pa.array([len(s) for s in sets], pa.int64()), pa.array([" ".join(s) for s in sets]))
    return rows, [keys[:, j].copy() for j in range(bands)], keys


def _brute_force(sets, plat, acc, t, keys, window, threshold):
    out = set()
    for i, j in itertools.combinations(range(len(sets)), 2):
        if plat[i] != plat[j] or acc[i] == acc[j] or abs(t[i] - t[j]) > window or not (keys[i] == keys[j]).any():
            continue
        a, b = set(sets[i]), set(sets[j])
        if len(a & b) / len(a | b) >= threshold:
            out.add((i, j))
    return out


@pytest.mark.parametrize("seed,window,threshold,workers",
                         [(1, 60, 0.8, 1), (2, 0, 0.8, 1), (3, 30, 0.6, 1), (4, 300, 0.8, 1), (1, 60, 0.8, 2), (4, 300, 0.8, 3)])
def test_similar_pairs_equal_the_definition(seed, window, threshold, workers):
    """The same pairs with the bands worked on by one thread or several."""
    sets, plat, acc, t = _random_posts(seed)
    rows, bands, keys = _rows_and_bands(sets, plat, acc, t, threshold)
    a, b, stats = sm.similar_pairs(rows, iter(bands), window, threshold, workers=workers)
    got = {(min(x, y), max(x, y)) for x, y in zip(a.tolist(), b.tolist())}
    assert len(got) == len(a)  # each pair once
    expected = _brute_force(sets, plat, acc, t, keys, window, threshold)
    assert got == expected
    assert stats["pairs"] == len(expected) == stats["same_set"] + stats["verified"]
    assert len(stats["band_candidates"]) == len(bands) and stats["workers"] == workers
    if window >= 30:  # (both kinds occur in these corpora)
        assert stats["same_set"] > 0 and stats["verified"] > 0


def test_bucket_bound_keeps_every_similar_pair():
    """The bucket bound is an upper bound of the common tokens: no pair at the threshold is lost,
    and most random pairs are rejected by it; a set with a full bucket is never rejected."""
    sets, plat, acc, t = _random_posts(5, n=300)
    sets[0] = [f"x{i}" for i in range(300 * sm.BUCKETS)]  # more than 254 tokens in some bucket
    counts = sm.bucket_counts(pa.array([" ".join(s) for s in sets]))
    assert (counts[0] == 255).all() and (counts[1:] < 255).all()
    a, b = (np.array(x, dtype=np.int64) for x in zip(*itertools.combinations(range(len(sets)), 2)))
    n = np.array([len(s) for s in sets], dtype=np.float64)
    inter = np.array([len(set(sets[i]) & set(sets[j])) for i, j in zip(a, b)], dtype=np.float64)
    for threshold in (0.5, 0.8, 1.0):
        ok = sm.bucket_bound(counts, a, b, n[a], n[b], threshold)
        similar = inter / (n[a] + n[b] - inter) >= threshold
        assert ok[similar].all()
        assert ok[a == 0].all()
        assert ok.mean() < 0.5


def test_common_tokens_count_the_intersection():
    sets = [["a", "b", "c"], ["b", "c", "d", "e"], ["z"], ["a", "b", "c"]]
    ts = pa.array([" ".join(s) for s in sets])
    a, b = np.array([0, 0, 1, 2, 0]), np.array([1, 3, 2, 3, 0])
    assert sm.common_tokens(ts, a, b).tolist() == [2, 3, 0, 0, 3]


def test_window_pairs_per_group():
    g = np.array([0, 0, 0, 1, 1, 2], dtype=np.int64)
    t = np.array([0, 5, 11, 3, 3, 7], dtype=np.int64)
    i, j = sm.window_pairs(g, t, 5)
    assert sorted(zip(i.tolist(), j.tolist())) == [(0, 1), (3, 4)]  # (1, 2) is 6 s apart
    i, j = sm.window_pairs(g, t, 6)
    assert sorted(zip(i.tolist(), j.tolist())) == [(0, 1), (1, 2), (3, 4)]
    i, j = sm.window_pairs(g, t, 0)
    assert list(zip(i.tolist(), j.tolist())) == [(3, 4)]


@pytest.mark.slow
def test_arrays_equal_the_engine_joins_on_a_synthetic_corpus(tmp_path):
    """co_similar_tweet and co_salted_tweet: the same edge table by arrays and by the engine's
    band joins and list intersections (the path other engines take), row for row."""
    import engineroom
    import engineroom.synth as synth
    from engineroom.analyses.coordination import Coordination

    synth.synthesize(40_000, tmp_path / "s.jsonl", seed=7)
    tables = []
    with engineroom.open(tmp_path / "s.duckdb") as corpus:
        corpus.ingest([tmp_path / "s.jsonl"])
        for arrays in (True, False):
            c = Coordination(networks=("co_similar_tweet", "co_salted_tweet"), min_weight=1)
            c._lsh_arrays = arrays
            summary = c.run(corpus.engine())
            tables.append(corpus.con.sql("SELECT * FROM coordination").to_arrow_table())
            if arrays:
                assert set(summary["lsh_pairs"]) == {"co_similar_tweet", "co_salted_tweet"}
    con = duckdb.connect()
    con.register("a", tables[0])
    con.register("b", tables[1])
    assert tables[0].num_rows > 50
    for x, y in (("a", "b"), ("b", "a")):
        assert con.sql(f"SELECT count(*) FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y})").fetchall()[0][0] == 0


@pytest.mark.parametrize("window", [0, 3, 10])
def test_grouped_pairs_tell_keys_alike_in_their_high_bits_apart(window):
    """Band keys that differ only in the bits below the row number (sorted together) and posts
    with no close neighbour of their key: the pairs are exactly those of equal keys within the
    window, by brute force."""
    rng = np.random.default_rng(window)
    n = 60
    base = np.int64(-0x3A5B_0000_0000_0000)
    key = base + rng.integers(0, 4, n).astype(np.int64)  # 4 keys, equal but for their lowest bits
    key[::7] = rng.integers(-(1 << 62), 1 << 62, len(key[::7]))  # and some keys nobody shares
    t = np.sort(rng.integers(0, 40, n)).astype(np.int64)
    rows = sm.TextRows(np.zeros(n, np.int64), np.arange(n, dtype=np.int64), t, np.ones(n, np.int64),
                       np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64), pa.array([""] * n))
    a, b = sm._grouped_pairs(key, rows, window)
    got = sorted(zip(a.tolist(), b.tolist()))
    expected = [(i, j) for i, j in itertools.combinations(range(n), 2) if key[i] == key[j] and t[j] - t[i] <= window]
    assert got == expected and len(expected) > 0
