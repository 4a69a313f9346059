"""GEXF / GraphML export: files open in networkx and igraph with every attribute."""

from __future__ import annotations

import igraph as ig
import networkx as nx
import pandas as pd
import pytest

from engineroom.graph_export import export_graph
from planted_network import add_hate, insert, planted

NODE_ATTRS = {"platform", "account_id", "handle", "community", "pagerank", "in_degree", "out_degree",
              "in_strength", "out_strength", "posts", "followers", "in_corpus", "engine_room_rank",
              "engine_room_score", "engine_room_core", "hate_posts", "hate_share", "operation_score",
              "operation_label", "coordination_cluster"}
EDGE_ATTRS = {"kind", "weight", "first_at", "last_at"}


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    import engineroom

    corpus = engineroom.open(tmp_path_factory.mktemp("export") / "c.duckdb")
    truth = planted(corpus)
    # a hostile handle: XML metacharacters and a control character must survive / be dropped safely
    insert(corpus, "accounts", [dict(platform="twitter", account_id="evil", handle='<b>&"x\x07</b>')])
    insert(corpus, "interactions", [dict(platform="twitter", post_id="p1", kind="mention", source_account_id="a0",
                                         target_account_id="evil", created_at="2024-03-02", target_key="evil")])
    add_hate(corpus, truth["narrative_posts"])
    corpus.write_table("account_scores", pd.DataFrame({
        "platform": "twitter", "account_id": truth["core"], "handle": None, "operation_score": 0.8,
        "operation_label": True, "top_signals": "[]"}))
    corpus.write_table("coordination_clusters", pd.DataFrame({
        "platform": "twitter", "cluster_id": 7, "account_id": truth["core"], "method": "test",
        "size": len(truth["core"]), "networks": "co_tweet", "evidence": "{}"}))
    corpus.analyze(only=["network", "engine_room"], params={"engine_room": {"hashtags": ["smearnarrative"]}})
    yield corpus, truth
    corpus.close()


def test_gexf_opens_in_networkx_and_igraph(analysed, tmp_path):
    corpus, truth = analysed
    path = export_graph(corpus, tmp_path / "g.gexf")
    G = nx.read_gexf(path)
    nodes = corpus.table("graph_nodes")
    edges = corpus.table("graph_edges")
    assert G.number_of_nodes() == len(nodes) and G.number_of_edges() == len(edges)
    for _, data in G.nodes(data=True):
        assert NODE_ATTRS <= set(data)
    for *_, data in G.edges(data=True):
        assert EDGE_ATTRS <= set(data)
    a0 = G.nodes["twitter:a0"]
    assert a0["engine_room_core"] is True and a0["engine_room_rank"] >= 1 and a0["hate_share"] > 0
    assert a0["operation_score"] == pytest.approx(0.8) and a0["coordination_cluster"] == "7"
    assert G.nodes["twitter:evil"]["handle"] == '<b>&"x</b>'
    assert {d["kind"] for *_, d in G.edges(data=True)} == {"retweet", "mention"}
    g = ig.Graph.from_networkx(G)
    assert g.vcount() == len(nodes) and NODE_ATTRS <= set(g.vs.attributes())
    # Gephi opens it laid out: communities apart (the report's community layout)
    from engineroom.report.netmap import separation

    pos = {n: (d["viz"]["position"]["x"], d["viz"]["position"]["y"]) for n, d in G.nodes(data=True)}
    assert all(pos[n] == (pytest.approx(d["x"]), pytest.approx(d["y"])) for n, d in G.nodes(data=True))
    ids = list(pos)
    within, between = separation([pos[n] for n in ids], [G.nodes[n]["community"] for n in ids])
    assert len({G.nodes[n]["community"] for n in ids}) > 1 and within < between


def test_graphml_opens_in_networkx_and_igraph(analysed, tmp_path):
    corpus, _ = analysed
    path = export_graph(corpus, tmp_path / "g.graphml", edge_type="retweet")
    g = ig.Graph.Read_GraphML(str(path))
    assert NODE_ATTRS <= set(g.vs.attributes()) and EDGE_ATTRS <= set(g.es.attributes())
    assert set(g.es["kind"]) == {"retweet"}
    n_rt = (corpus.table("graph_edges")["kind"] == "retweet").sum()
    assert g.ecount() == n_rt
    G = nx.read_graphml(path)
    assert G.number_of_edges() == n_rt
    data = next(iter(G.nodes(data=True)))[1]
    assert NODE_ATTRS <= set(data)
    assert '<b>&"x</b>' not in set(g.vs["handle"])  # evil only mentioned: not in the retweet graph


def test_filters_and_errors(analysed, tmp_path):
    corpus, truth = analysed
    nodes = corpus.table("graph_nodes")
    comm = int(nodes.set_index("account_id").loc["a0", "community"])
    G = nx.read_gexf(export_graph(corpus, tmp_path / "c.gexf", community=str(comm)))
    assert G.number_of_nodes() == (nodes["community"] == comm).sum()
    assert all(d["community"] == comm for _, d in G.nodes(data=True))
    with pytest.raises(ValueError, match="gexf or .graphml"):
        export_graph(corpus, tmp_path / "g.csv")
    with pytest.raises(ValueError, match="unknown edge type"):
        export_graph(corpus, tmp_path / "g.gexf", edge_type="like")
    with pytest.raises(ValueError, match="no community"):
        export_graph(corpus, tmp_path / "g.gexf", community="999")


def test_export_says_which_analysis_to_run(corpus, tmp_path):
    from engineroom.findings import MissingFindings

    planted(corpus)
    with pytest.raises(MissingFindings, match=r"engineroom analyze --only network"):
        export_graph(corpus, tmp_path / "g.gexf")  # an export never runs an analysis itself
    corpus.analyze(only=["network"])
    G = nx.read_gexf(export_graph(corpus, tmp_path / "g.gexf"))
    assert G.number_of_nodes() == corpus.count("graph_nodes") > 0
    assert "engine_room_rank" not in next(iter(G.nodes(data=True)))[1]  # absent findings: no attribute
