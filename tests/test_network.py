"""The network analysis: graphs, Leiden communities, PageRank, community table, hashtag edges."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sklearn.metrics import normalized_mutual_info_score

from engineroom import graphs
from planted_network import add_hate, planted


@pytest.fixture
def planted_corpus(corpus):
    truth = planted(corpus)
    return corpus, truth


def test_network_tables_and_communities(planted_corpus):
    corpus, truth = planted_corpus
    summary = corpus.analyze(only=["network"])["network"]
    edges = corpus.table("graph_edges")
    assert set(edges["kind"]) == {"retweet", "mention"}
    assert summary["edges"] == len(edges)
    # every retweet interaction is counted once in the weights
    n_rt = corpus.query("SELECT count(*) AS n FROM interactions WHERE kind = 'retweet'")["n"][0]
    assert edges.loc[edges["kind"] == "retweet", "weight"].sum() == n_rt
    nodes = corpus.table("graph_nodes")
    assert abs(nodes["pagerank"].sum() - 1.0) < 1e-6
    assert nodes["account_id"].is_unique
    # the three planted groups are the communities
    group_of = {a: g for g, ms in truth["groups"].items() for a in ms}
    n = nodes[nodes["account_id"].isin(group_of)]
    nmi = normalized_mutual_info_score([group_of[a] for a in n["account_id"]], n["community"])
    assert nmi > 0.9
    # the mentioned-only target resolves to its account through the handle
    tw = nodes[nodes["account_id"] == "tw1"].iloc[0]
    assert tw["handle"] == "tom_watson" and tw["in_degree"] == 15 and not tw["in_corpus"]
    comms = corpus.table("communities")
    assert comms["size"].sum() == len(nodes)
    top = comms.iloc[0]
    tags = json.loads(top["top_hashtags"])
    assert tags and top["label"].startswith("#" + tags[0][0])
    assert json.loads(top["top_domains"])[0][0].endswith("news.example")
    assert pd.isna(top["hate_share"])  # no hate findings yet
    he = corpus.table("hashtag_edges")
    row = he[(he["tag_1"] == "chata") & (he["tag_2"] == "topica")].iloc[0]
    assert row["posts"] == 300 and row["accounts"] == 30
    assert (he["tag_1"] < he["tag_2"]).all()


def test_network_uses_hate_and_narratives(planted_corpus):
    corpus, truth = planted_corpus
    add_hate(corpus, truth["narrative_posts"])
    narr = corpus.query("SELECT platform, post_id, account_id FROM posts WHERE text LIKE '%smear%'")
    narr["narrative"], narr["kind"], narr["score"], narr["evidence"] = "smear", "narrative", 1.0, "{}"
    corpus.write_table("narratives", narr)
    corpus.analyze(only=["network"])
    comms = corpus.table("communities")
    nodes = corpus.table("graph_nodes")
    core_comm = nodes.set_index("account_id").loc[truth["core"], "community"].mode()[0]
    row = comms[comms["community"] == core_comm].iloc[0]
    assert row["hate_share"] > 0
    assert json.loads(row["narrative_shares"])["smear"] > 0.2
    assert row["top_narrative"] == "smear"
    other = comms[comms["community"] != core_comm]
    assert (other["hate_share"] < row["hate_share"]).all()


def test_network_is_seeded_and_resolution_matters(planted_corpus):
    corpus, _ = planted_corpus
    corpus.analyze(only=["network"], params={"network": {"seed": 7}})
    a = corpus.table("graph_nodes").sort_values("account_id")["community"].tolist()
    corpus.analyze(only=["network"], params={"network": {"seed": 7}})
    b = corpus.table("graph_nodes").sort_values("account_id")["community"].tolist()
    assert a == b
    corpus.analyze(only=["network"], params={"network": {"resolution": 5.0}})
    assert corpus.table("graph_nodes")["community"].nunique() > len(set(a))


def test_network_same_findings_with_leiden_in_a_forked_child_or_here(planted_corpus, monkeypatch):
    """Leiden runs in a forked child (beside this process's queries); in this process
    (ENGINEROOM_WORKERS=1) every findings table is the same."""
    corpus, _ = planted_corpus
    tables = ("graph_nodes", "communities", "hashtag_edges", "graph_edges")
    monkeypatch.setenv("ENGINEROOM_WORKERS", "2")  # forks even on a one-core machine
    forked = corpus.analyze(only=["network"])["network"]
    assert "leiden_wait_s" in forked["timings"]
    before = {t: corpus.table(t) for t in tables}
    monkeypatch.setenv("ENGINEROOM_WORKERS", "1")
    here = corpus.analyze(only=["network"])["network"]
    assert here["modularity"] == forked["modularity"] and here["communities"] == forked["communities"]
    for t in tables:
        pd.testing.assert_frame_equal(corpus.table(t), before[t], obj=t)


def test_network_filters_kinds_and_rejects_unknown(planted_corpus):
    corpus, _ = planted_corpus
    corpus.analyze(only=["network"], params={"network": {"kinds": ["retweet"]}})
    assert set(corpus.table("graph_edges")["kind"]) == {"retweet"}
    with pytest.raises(ValueError, match="unknown interaction kinds"):
        corpus.analyze(only=["network"], params={"network": {"kinds": ["like"]}})


def test_network_on_empty_corpus(corpus):
    summary = corpus.analyze(only=["network"])["network"]
    assert summary["nodes"] == 0 and summary["communities"] == 0
    assert corpus.count("communities") == 0


def test_graph_helpers():
    assert graphs.gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert graphs.gini([0, 0, 0, 10]) == pytest.approx(0.75)
    assert graphs.gini([]) == 0.0
    # a clear head of 5 high scores on a long flat tail
    scores = [10, 9.5, 9, 8.8, 8.5] + [1.0 - i * 0.001 for i in range(200)]
    assert graphs.kneedle(scores) == 5
    assert graphs.kneedle(scores, max_size=3) == 3
    assert graphs.kneedle([1, 1, 1], min_size=1) == 3
    assert graphs.person_names("Yesterday Tom Watson met Jeremy Corbyn in London.") == ["Tom Watson", "Jeremy Corbyn"]
    assert graphs.squash("Tom Watson") == "tomwatson"


def test_all_network_analyses_on_an_empty_corpus_write_typed_tables(corpus):
    s = corpus.analyze(only=["network", "engine_room", "targets", "campaigns", "trends"])
    assert s["campaigns"]["campaigns"] == 0 and s["trends"]["hour"]["bursts"] == 0
    for table in ("graph_edges", "graph_nodes", "communities", "hashtag_edges", "engine_room", "targets",
                  "targets_daily", "campaigns", "trends"):
        types = corpus.query(f'DESCRIBE "{table}"')["column_type"].tolist()
        assert corpus.count(table) == 0 and types and '"NULL"' not in types and "NULL" not in types, (table, types)


def test_findings_columns_have_real_types(planted_corpus):
    corpus, _ = planted_corpus
    corpus.analyze(only=["network", "targets"], params={"targets": {"hashtags": ["sacktomwatson"]}})
    for table in ("communities", "graph_nodes", "targets", "targets_daily"):
        types = dict(corpus.query(f'DESCRIBE "{table}"')[["column_name", "column_type"]].values.tolist())
        assert '"NULL"' not in types.values() and "HUGEINT" not in types.values(), (table, types)


def test_array_pagerank_and_collapse_match_igraph():
    import numpy as np

    rng = np.random.default_rng(7)
    n, m = 400, 3000
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    key = np.unique(src * n + dst)  # one edge per ordered pair, as the union graph has
    src, dst = key // n, key % n
    w = rng.integers(1, 6, len(src)).astype(float)
    src[:5], dst[:5] = 0, np.arange(1, 6)  # vertex 399 and others may be dangling
    g = graphs.graph_from_arrays(n, src, dst, w)
    assert g.vcount() == n and g.ecount() == len(src) and g.es["weight"] == w.tolist()
    for d in (0.85, 0.5):
        ours = graphs.pagerank_arrays(n, src, dst, w, damping=d)
        assert np.allclose(ours, graphs.pagerank(g, damping=d), atol=1e-9, rtol=0)
        assert ours.sum() == pytest.approx(1.0)
    a, b, uw = graphs.collapse_undirected(n, src, dst, w)
    u = g.as_undirected(mode="collapse", combine_edges="sum")
    ref = sorted((min(e.tuple), max(e.tuple), e["weight"]) for e in u.es)
    assert list(zip(a.tolist(), b.tolist(), uw.tolist())) == ref
    assert graphs.pagerank_arrays(0, src[:0], dst[:0], w[:0]).shape == (0,)
