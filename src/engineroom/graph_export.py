"""Export the account interaction graph for Gephi (GEXF) or any GraphML reader.

>>> import engineroom
>>> from engineroom.graph_export import export_graph
>>> with engineroom.open("corpus.duckdb") as c:                       # doctest: +SKIP
...     export_graph(c, Path("graph.gexf"), edge_type="retweet")

The graph is the ``network`` analysis's ``graph_edges`` / ``graph_nodes`` (when they are missing,
:class:`engineroom.findings.MissingFindings` says to run it: an export never runs an analysis).
Columns are those the analyses declare (:mod:`engineroom.findings`); the node attributes from
other analyses are added where their findings table exists. One edge per (source, target, kind): the union graph keeps
every edge type as the ``kind`` attribute (so two accounts that retweet and mention each other
have two parallel edges). ``edge_type`` keeps one kind; ``community`` keeps the nodes of one
Leiden community and the edges among them.

Node attributes: label, platform, account_id, handle, community, pagerank, in_degree,
out_degree, in_strength, out_strength, posts, followers, in_corpus; where those findings exist:
engine_room_rank (best rank over narratives), engine_room_score, engine_room_core (from
``engine_room``), hate_posts and hate_share (share of the account's posts labelled hateful, from
``hate``), operation_score and operation_label (from ``account_scores``), coordination_cluster
(from ``coordination_clusters``). Missing numbers are written as -1 (GEXF and GraphML have no
NULL; -1 never occurs as a real value of these attributes). Edge attributes: kind, weight,
first_at, last_at (ISO text).

Positions: ``x`` and ``y`` from the report's community layout
(:func:`engineroom.report.netmap.community_layout`: each of the :data:`LAYOUT_COMMUNITIES`
largest communities in its own area, the rest sharing one), written as node attributes and, in
GEXF, as ``viz:position`` so Gephi opens the file with communities apart (run ForceAtlas2 from
there to refine). Graphs above :data:`LAYOUT_MAX_NODES` nodes get no positions (the layout would
take minutes).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import findings
from .graphs import EDGE_KINDS

if TYPE_CHECKING:  # pragma: no cover
    from .corpus import Corpus

#: graphs with more nodes than this are written without positions
LAYOUT_MAX_NODES = 50_000
#: communities that get their own area in the layout (the smaller ones share one)
LAYOUT_COMMUNITIES = 40

_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
GEXF_NS = "http://www.gexf.net/1.2draft"
VIZ_NS = "http://www.gexf.net/1.2draft/viz"


def _clean(v: Any) -> str:
    return _BAD_XML.sub("", str(v))


def graph_frames(corpus: "Corpus", edge_type: str | None = None, community: str | int | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, edges) frames with every attribute that :func:`export_graph` writes."""
    if edge_type is not None:
        kinds = [k.strip() for k in str(edge_type).split(",") if k.strip()]
        bad = [k for k in kinds if k not in EDGE_KINDS]
        if bad:
            raise ValueError(f"unknown edge type {', '.join(bad)}: use {', '.join(EDGE_KINDS)}")
    else:
        kinds = list(EDGE_KINDS)
    for table in ("graph_edges", "graph_nodes"):  # a reader never runs an analysis: it says which to run
        findings.require(corpus, table)
    q = corpus.query
    edges = q("SELECT platform, source, target, kind, weight, first_at, last_at FROM graph_edges "
              "WHERE kind IN (SELECT unnest(?::VARCHAR[]))", [kinds])
    nodes = q("SELECT platform, account_id, handle, community, pagerank, in_degree, out_degree, in_strength, "
              "out_strength, posts, followers, in_corpus FROM graph_nodes")
    if community is not None:
        try:
            cid = int(community)
        except (TypeError, ValueError):
            raise ValueError(f"community must be a community number from the communities table, not {community!r}")
        known = set(nodes["community"].astype(int))
        if cid not in known:
            raise ValueError(f"no community {cid}; the graph has communities 0..{max(known) if known else -1}")
        nodes = nodes[nodes["community"] == cid]
        keep = set(zip(nodes["platform"], nodes["account_id"]))
        edges = edges[[(p, s) in keep and (p, t) in keep
                       for p, s, t in zip(edges["platform"], edges["source"], edges["target"])]]
    elif edge_type is not None:
        used = set(zip(edges["platform"], edges["source"])) | set(zip(edges["platform"], edges["target"]))
        nodes = nodes[[(p, a) in used for p, a in zip(nodes["platform"], nodes["account_id"])]]
    nodes = nodes.copy()
    key = ["platform", "account_id"]
    if findings.exists(corpus, "engine_room"):
        er = q("SELECT platform, account_id, min(rank) AS engine_room_rank, max(score) AS engine_room_score, "
               "bool_or(in_core) AS engine_room_core FROM engine_room GROUP BY 1, 2")
        nodes = nodes.merge(er, on=key, how="left")
        nodes["engine_room_core"] = nodes["engine_room_core"].fillna(False).astype(bool)
    if findings.exists(corpus, "hate"):
        h = q("SELECT platform, account_id, count(*) FILTER (WHERE label <> 'none') AS hate_posts, "
              "count(*) AS classified FROM hate GROUP BY 1, 2")
        h["hate_share"] = h["hate_posts"] / h["classified"].where(h["classified"] > 0)
        nodes = nodes.merge(h[key + ["hate_posts", "hate_share"]], on=key, how="left")
    if findings.exists(corpus, "account_scores"):
        a = q("SELECT platform, account_id, max(operation_score) AS operation_score, "
              "bool_or(operation_label) AS operation_label FROM account_scores GROUP BY 1, 2")
        nodes = nodes.merge(a, on=key, how="left")
        nodes["operation_label"] = nodes["operation_label"].fillna(False).astype(bool)
    if findings.exists(corpus, "coordination_clusters"):
        cc = q("SELECT platform, account_id, min(cluster_id)::VARCHAR AS coordination_cluster "
               "FROM coordination_clusters GROUP BY 1, 2")
        nodes = nodes.merge(cc, on=key, how="left")
        nodes["coordination_cluster"] = nodes["coordination_cluster"].fillna("")
    nodes["label"] = [h if isinstance(h, str) and h else a for h, a in zip(nodes["handle"], nodes["account_id"])]
    nodes["handle"] = nodes["handle"].fillna("")
    nodes["in_corpus"] = nodes["in_corpus"].fillna(False).astype(bool)
    for c in nodes.columns:
        if pd.api.types.is_float_dtype(nodes[c]) or pd.api.types.is_integer_dtype(nodes[c]):
            nodes[c] = nodes[c].fillna(-1)
    for c in ("community", "in_degree", "out_degree", "in_strength", "out_strength", "posts", "followers",
              "engine_room_rank", "hate_posts"):
        if c in nodes:
            nodes[c] = nodes[c].astype("int64")
    edges = edges.copy()
    if 0 < len(nodes) <= LAYOUT_MAX_NODES:
        nodes["x"], nodes["y"] = layout_xy(nodes, edges)
    edges["first_at"] = edges["first_at"].astype(str)
    edges["last_at"] = edges["last_at"].astype(str)
    edges["weight"] = edges["weight"].astype(float)
    return nodes.reset_index(drop=True), edges.reset_index(drop=True)


def layout_xy(nodes: pd.DataFrame, edges: pd.DataFrame) -> tuple[list[float], list[float]]:
    """x, y of every node: the report's community layout (module docstring), ties summed over kinds."""
    from .report.netmap import community_layout

    key = (nodes["platform"] + ":" + nodes["account_id"]).tolist()
    index = {k: i for i, k in enumerate(key)}
    comm = nodes["community"].tolist() if "community" in nodes else [-1] * len(key)
    sizes = pd.Series(comm).value_counts()
    own = set(sizes.index[:LAYOUT_COMMUNITIES])
    group = [c if c in own and c != -1 else "other" for c in comm]
    ties: dict[tuple[int, int], float] = {}
    src = (edges["platform"] + ":" + edges["source"]).map(index)
    dst = (edges["platform"] + ":" + edges["target"]).map(index)
    for a, b, w in zip(src, dst, edges["weight"].astype(float)):
        if a == a and b == b and a != b:  # both ends among the nodes (NaN otherwise)
            k = (int(min(a, b)), int(max(a, b)))
            ties[k] = ties.get(k, 0.0) + float(w)
    xy = community_layout(len(key), [(a, b, w) for (a, b), w in ties.items()], group, seed=0)
    return [round(p[0], 3) for p in xy], [round(p[1], 3) for p in xy]


def _gexf_type(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "boolean"
    if pd.api.types.is_integer_dtype(s):
        return "long"
    if pd.api.types.is_float_dtype(s):
        return "double"
    return "string"


def _fmt(v: Any, kind: str) -> str:
    if kind == "boolean":
        return "true" if bool(v) else "false"
    if kind == "double":
        f = float(v)
        return "-1" if math.isnan(f) else repr(f)
    return _clean(v)


def write_gexf(nodes: pd.DataFrame, edges: pd.DataFrame, out: Path) -> None:
    """Write a GEXF 1.2 file (Gephi's native format) with typed node and edge attributes."""
    node_id = (nodes["platform"] + ":" + nodes["account_id"]).tolist()
    nattrs = [c for c in nodes.columns if c != "label"]
    eattrs = [c for c in ("kind", "first_at", "last_at") if c in edges]
    root = ET.Element("gexf", {"xmlns": GEXF_NS, "xmlns:viz": VIZ_NS, "version": "1.2"})
    meta = ET.SubElement(root, "meta")
    ET.SubElement(meta, "creator").text = "engineroom"
    ET.SubElement(meta, "description").text = "account interaction graph (retweet, quote, reply, mention)"
    graph = ET.SubElement(root, "graph", {"defaultedgetype": "directed", "mode": "static"})
    na = ET.SubElement(graph, "attributes", {"class": "node"})
    ntypes = {c: _gexf_type(nodes[c]) for c in nattrs}
    for i, c in enumerate(nattrs):
        ET.SubElement(na, "attribute", {"id": str(i), "title": c, "type": ntypes[c]})
    ea = ET.SubElement(graph, "attributes", {"class": "edge"})
    etypes = {c: _gexf_type(edges[c]) for c in eattrs}
    for i, c in enumerate(eattrs):
        ET.SubElement(ea, "attribute", {"id": str(i), "title": c, "type": etypes[c]})
    nel = ET.SubElement(graph, "nodes")
    cols = {c: nodes[c].tolist() for c in nattrs}
    labels = nodes["label"].tolist()
    for j, nid in enumerate(node_id):
        n = ET.SubElement(nel, "node", {"id": _clean(nid), "label": _clean(labels[j])})
        av = ET.SubElement(n, "attvalues")
        for i, c in enumerate(nattrs):
            ET.SubElement(av, "attvalue", {"for": str(i), "value": _fmt(cols[c][j], ntypes[c])})
        if "x" in cols:
            ET.SubElement(n, "viz:position", {"x": repr(float(cols["x"][j])), "y": repr(float(cols["y"][j])),
                                              "z": "0.0"})
    eel = ET.SubElement(graph, "edges")
    ecols = {c: edges[c].tolist() for c in eattrs}
    src = (edges["platform"] + ":" + edges["source"]).tolist()
    dst = (edges["platform"] + ":" + edges["target"]).tolist()
    w = edges["weight"].tolist()
    for j in range(len(edges)):
        e = ET.SubElement(eel, "edge", {"id": str(j), "source": _clean(src[j]), "target": _clean(dst[j]),
                                        "weight": repr(float(w[j])), "label": _clean(ecols["kind"][j])})
        av = ET.SubElement(e, "attvalues")
        for i, c in enumerate(eattrs):
            ET.SubElement(av, "attvalue", {"for": str(i), "value": _fmt(ecols[c][j], etypes[c])})
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)


def write_graphml(nodes: pd.DataFrame, edges: pd.DataFrame, out: Path) -> None:
    """Write GraphML with igraph (typed attributes; parallel edges keep their kind)."""
    import igraph as ig

    node_id = (nodes["platform"] + ":" + nodes["account_id"]).tolist()
    index = {n: i for i, n in enumerate(node_id)}
    src = (edges["platform"] + ":" + edges["source"]).map(index)
    dst = (edges["platform"] + ":" + edges["target"]).map(index)
    g = ig.Graph(n=len(node_id), edges=list(zip(src.astype(int), dst.astype(int))), directed=True)
    g.vs["id"] = [_clean(n) for n in node_id]
    for c in nodes.columns:
        vals = nodes[c].tolist()
        if pd.api.types.is_bool_dtype(nodes[c]):
            g.vs[c] = [bool(v) for v in vals]
        elif pd.api.types.is_numeric_dtype(nodes[c]):
            g.vs[c] = [float(v) for v in vals]
        else:
            g.vs[c] = [_clean(v) for v in vals]
    for c in ("kind", "weight", "first_at", "last_at"):
        vals = edges[c].tolist()
        g.es[c] = [float(v) for v in vals] if c == "weight" else [_clean(v) for v in vals]
    g.write_graphml(str(out))


def export_graph(corpus: "Corpus", out: Path, edge_type: str | None = None,
                 community: str | int | None = None) -> Path:
    """Write the account graph to ``out``: GEXF for ``.gexf``, GraphML for ``.graphml``.

    ``edge_type`` keeps one interaction kind (or a comma-separated list); ``community`` keeps one
    Leiden community. Returns the path written.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".gexf", ".graphml"):
        raise ValueError(f"graph export writes .gexf or .graphml, not {out.name!r}")
    nodes, edges = graph_frames(corpus, edge_type=edge_type, community=community)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gexf":
        write_gexf(nodes, edges, out)
    else:
        write_graphml(nodes, edges, out)
    return out
