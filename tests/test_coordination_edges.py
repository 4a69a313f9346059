"""The array-built co-action edges (``network.co_action_edges``) equal the engine's pair-based
ones (``edges_from_pairs(co_action_pairs(...))``) row for row, on random actions made to hit the
corners: busy keys, repeat actions by one account, posts with several keys, two platforms,
equal times, window 0, hostile ids."""

from __future__ import annotations

import json

import duckdb
import ibis
import numpy as np
import pyarrow as pa
import pytest

from engineroom.coordination import network as nw


def _random_actions(seed: int, n: int = 3000, keys: int = 40, accounts: int = 60, span: int = 900,
                    uniform_ids: bool = False) -> pa.Table:
    rng = np.random.default_rng(seed)
    odd = ['a"b', "c\\d", "e\x01f", "g\x1fh", "ü", "", "z"]
    acc = [f"acc{i:03d}" if i % 11 else odd[i % len(odd)] + f"{i}" for i in range(accounts)]
    rows = []
    post_no = 0
    while len(rows) < n:
        a = acc[int(rng.zipf(1.6)) % accounts]
        t = int(rng.integers(0, span))
        plat = "x" if rng.random() < 0.8 else "y"
        pid = f"p{post_no}" if post_no % 13 else f'q"{post_no}\\'
        if uniform_ids:  # numeric ids of one length (the JSON lists' fast path)
            pid = str(10**7 + post_no)
        post_no += 1
        for k in set(int(rng.zipf(1.4)) % keys for _ in range(1 + int(rng.random() < 0.2))):  # some posts have 2 keys
            rows.append((plat, f"k{k}", a, pid, t))
        if rng.random() < 0.3:  # the same account again on the same key soon after (repeat retweets)
            rows.append((plat, rows[-1][1], a, str(10**7 + post_no) if uniform_ids else f"r{post_no}",
                         t + int(rng.integers(0, 30))))
            post_no += 1
    p, k, a, i, t = zip(*rows)
    return pa.table({"platform": list(p), "key": list(k), "account_id": list(a), "post_id": list(i),
                     "t": pa.array(t, pa.int64())})


def _sql_edges(actions: pa.Table, network: str, window: int, min_weight: int) -> pa.Table:
    con = ibis.duckdb.connect()
    act = nw.with_window(con.create_table("acts", actions), network, window, distinct=False)
    out = con.to_pyarrow(nw.edges_from_pairs(nw.co_action_pairs(act), min_weight))
    return out.cast(pa.schema([(f.name, pa.timestamp("s") if f.name in ("first_at", "last_at") else f.type)
                               for f in out.schema]))


def _diff(a: pa.Table, b: pa.Table) -> tuple[int, int]:
    con = duckdb.connect()
    con.register("a", a)
    con.register("b", b.select(a.schema.names))
    one = con.sql("select count(*) from (select * from a except all select * from b)").fetchall()[0][0]
    two = con.sql("select count(*) from (select * from b except all select * from a)").fetchall()[0][0]
    return one, two


@pytest.mark.parametrize("seed,window,min_weight,uniform", [
    (0, 60, 1, False), (1, 60, 2, False), (2, 0, 1, False), (3, 300, 3, False), (4, 10**9, 1, False),
    (5, 60, 1, True), (6, 30, 2, True)])
def test_array_edges_equal_the_pair_join(seed, window, min_weight, uniform):
    acts = _random_actions(seed, uniform_ids=uniform)
    sql = _sql_edges(acts, "co_link", window, min_weight)
    arr = nw.co_action_edges(acts, "co_link", window, min_weight)
    assert sql.num_rows > 20
    assert arr.num_rows == sql.num_rows
    assert _diff(sql, arr) == (0, 0)
    assert tuple(arr.schema.names) == nw.EDGE_COLUMNS


def test_array_edges_small_chunks_and_evidence():
    acts = _random_actions(5, n=800)
    whole = nw.co_action_edges(acts, "co_retweet", 60, 1)
    pieces = nw.co_action_edges(acts, "co_retweet", 60, 1, chunk=7)  # many sweep steps
    assert _diff(whole, pieces) == (0, 0)
    unpacked = nw.co_action_edges(acts, "co_retweet", 60, 1, pack=False)  # the lexsort grouping
    assert _diff(whole, unpacked) == (0, 0)
    # every post list is valid JSON of the edge's distinct posts, sorted
    for ids in whole.column("post_ids").to_pylist()[:200]:
        posts = json.loads(ids)
        assert posts == sorted(set(posts), key=lambda s: s.encode())


def test_array_edges_of_nothing():
    empty = pa.table({"platform": pa.array([], pa.string()), "key": pa.array([], pa.string()),
                      "account_id": pa.array([], pa.string()), "post_id": pa.array([], pa.string()),
                      "t": pa.array([], pa.int64())})
    assert nw.co_action_edges(empty, "co_tweet", 60).num_rows == 0
    one = pa.table({"platform": ["x", "x"], "key": ["k", "k"], "account_id": ["a", "a"], "post_id": ["1", "2"],
                    "t": pa.array([0, 1], pa.int64())})
    assert nw.co_action_edges(one, "co_tweet", 60).num_rows == 0  # an account with itself is no edge
    two = pa.table({"platform": ["x", "x"], "key": ["k", "k"], "account_id": ["a", "b"], "post_id": ["1", "2"],
                    "t": pa.array([0, 1], pa.int64())})
    assert nw.co_action_edges(two, "co_tweet", 60).num_rows == 1
    assert nw.co_action_edges(two, "co_tweet", 60, min_weight=2).num_rows == 0  # every edge below the minimum


def test_too_many_positions_is_refused_before_the_sweep():
    acts = _random_actions(7, n=500)
    with pytest.raises(nw.TooManyPositions):
        nw.co_action_edges(acts, "co_link", 60, 1, max_positions=10)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_array_edges_on_threads_and_their_action_counts(threads):
    """Threads (steps of the sweep, slices of the grouping) change nothing; the action counts
    that come with the edges are each account's distinct posts among all the actions."""
    acts = _random_actions(8, n=2500)
    one = nw.co_action_edges(acts, "co_link", 60, 1, threads=1, chunk=50)
    many = nw.co_action_edges(acts, "co_link", 60, 1, threads=threads, chunk=50, action_counts=True)
    assert many.num_rows == one.num_rows > 20
    assert _diff(one, many.select(list(nw.EDGE_COLUMNS))) == (0, 0)
    con = duckdb.connect()
    con.register("acts", acts)
    con.register("e", many)
    wrong = con.sql("""
        with c as (select platform, account_id, count(distinct post_id) n from acts group by all)
        select count(*) from e
        join c c1 on c1.platform = e.platform and c1.account_id = e.account_1
        join c c2 on c2.platform = e.platform and c2.account_id = e.account_2
        where c1.n <> e.actions_1 or c2.n <> e.actions_2""").fetchall()[0][0]
    assert wrong == 0
    assert nw.co_action_edges(acts.slice(0, 0), "co_link", 60, action_counts=True).column_names[-2:] == [
        "actions_1", "actions_2"]


@pytest.mark.parametrize("seed,min_weight,uniform", [(0, 1, False), (1, 2, False), (2, 3, True), (3, 1, True)])
def test_pair_edges_equal_the_engine_aggregation(seed, min_weight, uniform):
    """``pair_edges`` (the LSH networks' pairs aggregated by arrays) equals ``edges_from_pairs``
    row for row: repeated post pairs (one pair through two keys), a post id on both sides, two
    platforms, hostile ids; and nothing from no pairs."""
    con = ibis.duckdb.connect()
    act = nw.with_window(con.create_table("acts", _random_actions(seed, uniform_ids=uniform)), "co_similar_tweet",
                         60, distinct=False)
    pairs = con.to_pyarrow(nw.co_action_pairs(act))
    rng = np.random.default_rng(seed)
    extra = pairs.take(pa.array(rng.integers(0, pairs.num_rows, 200)))  # the same post pair twice
    both = pairs.slice(0, 20).set_column(6, "post_2", pairs["post_1"].slice(0, 20))  # an id on both sides
    pairs = pa.concat_tables([pairs, extra, both])
    want = con.to_pyarrow(nw.edges_from_pairs(ibis.memtable(pairs), min_weight, prefilter=False))
    want = want.cast(pa.schema([(f.name, pa.timestamp("s") if f.name in ("first_at", "last_at") else f.type)
                                for f in want.schema]))
    got = nw.pair_edges(pairs, min_weight)
    assert got.num_rows == want.num_rows > 20
    assert _diff(got, want) == (0, 0)
    assert nw.pair_edges(pairs.slice(0, 0), min_weight).num_rows == 0


def test_pair_edges_refuse_missing_fields():
    """A pair with a missing post is left to the engine's aggregation (which has its own rules)."""
    pairs = pa.table({"platform": ["x"], "network": ["n"], "account_1": ["a"], "post_1": [None], "t_1": [1],
                      "account_2": ["b"], "post_2": ["p"], "t_2": [2]})
    with pytest.raises(ValueError):
        nw.pair_edges(pairs)


@pytest.mark.parametrize("narrow_bytes", [nw.NARROW_BYTES, 0])
def test_json_lists_are_the_engines_json_string_lists(monkeypatch, narrow_bytes):
    """The arrays' post lists are the text of :func:`network.json_string_list` in the engine, for
    hostile ids (quotes, backslashes, control characters, the unit separator, non-ASCII, empty),
    groups of one, repeated ids, with 32- and with 64-bit offsets on the way."""
    monkeypatch.setattr(nw, "NARROW_BYTES", narrow_bytes)
    ids = pa.array(['a"b', "c\\d", "e\x01f", "g\x1fh", "ü", "", "z", "12345"])
    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 6, size=300)
    codes = rng.integers(0, len(ids), size=int(sizes.sum()))
    got = nw.json_lists(ids, codes, sizes)
    con = ibis.duckdb.connect()
    groups = np.repeat(np.arange(len(sizes)), sizes)
    t = con.create_table("t", pa.table({"g": groups, "i": np.arange(len(codes)), "id": ids.take(pa.array(codes))}))
    lists = t.group_by("g").aggregate(ids=t.id.collect(order_by=t.i))
    want = con.to_pyarrow(lists.select("g", text=nw.json_string_list(lists.ids)).order_by("g"))
    assert got.to_pylist() == want.column("text").to_pylist()
    assert json.loads(got[0].as_py()) is not None
    assert nw.json_lists(ids, codes[:0], sizes[:0]).to_pylist() == []
    with pytest.raises(ValueError):
        nw.json_lists(ids, codes[:2], np.array([2, 0]))


def test_edge_shares_by_lookup_equal_the_join():
    """The edges' action counts by account-id lookup are the join's, in the edges' order; an id on
    two platforms goes to the join; an edge account without counts is an error either way."""
    from engineroom.analyses.coordination import _counts_of, _with_shares

    edges = pa.table({"platform_1": ["x", "x", "y"], "account_1": ["a", "b", "c"],
                      "platform_2": ["x", "x", "y"], "account_2": ["b", "c", "d"],
                      "weight_1_2": [1, 2, 3], "weight_2_1": [2, 2, 1]})
    counts = pa.table({"platform": ["x", "x", "x", "y", "y"], "account_id": ["a", "b", "c", "c", "d"],
                       "actions": [4, 5, 6, 7, 8]})
    assert _counts_of(edges.column("platform_1"), edges.column("account_1"), counts) is None  # "c" twice
    joined = _with_shares(edges, counts)
    unique = counts.filter(pa.array([True, True, False, True, True]))  # c only on y: b-c (x) has no count
    with pytest.raises(RuntimeError):
        _with_shares(edges, unique)
    one = edges.slice(0, 1)
    looked = _with_shares(one, unique)
    assert looked.column("actions_1").to_pylist() == [4] and looked.column("actions_2").to_pylist() == [5]
    assert looked.column("share").to_pylist() == [min(1 / 4, 2 / 5)]
    by_join = {(r["account_1"], r["account_2"]): (r["actions_1"], r["actions_2"]) for r in joined.to_pylist()}
    assert by_join == {("a", "b"): (4, 5), ("b", "c"): (5, 6), ("c", "d"): (7, 8)}
    wrong_platform = pa.table({"platform": ["x", "y"], "account_id": ["a", "b"], "actions": [1, 1]})
    assert _counts_of(one.column("platform_2"), one.column("account_2"), wrong_platform) is None
