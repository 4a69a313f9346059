"""Interaction networks, communities and hashtag co-occurrence.

Builds directed, weighted, time-stamped account graphs for retweet, quote, reply and mention
(and their union, where every edge keeps its type), finds communities with Leiden maximising
modularity (Traag, Waltman & van Eck 2019, "From Louvain to Leiden: guaranteeing well-connected
communities", Sci. Rep. 9:5233) and ranks accounts by weighted PageRank (Brin & Page 1998).

The aggregation (interactions → edges, hashtag co-occurrence, per-community hashtag / domain /
hate / narrative counts) runs in the engine as Ibis expressions; only the account-level edge
list is pulled into igraph.

Findings tables
---------------
``graph_edges``
    platform, source, target, kind, weight (interactions), first_at, last_at, days (distinct days
    active), source_handle, target_handle. ``source``/``target`` are account ids; a target seen
    only as a handle is ``'@handle'``. The union graph is all rows together (``kind`` = edge type).
``graph_nodes``
    platform, account_id, handle, community, pagerank, in_degree, out_degree, in_strength,
    out_strength, posts (posts authored in the corpus), followers, in_corpus (the account authored
    posts here, rather than being only mentioned).
``communities``
    platform, community, size, accounts_in_corpus, posts, top_accounts (JSON: handles by PageRank),
    top_hashtags, top_domains (JSON [[value, posts], ...]), hate_share (share of the community's
    posts labelled hateful by ``hate``; NULL without it), narrative_shares (JSON {narrative:
    share}; NULL without ``narratives``), top_narrative, label (machine-written from top hashtags).
``hashtag_edges``
    platform, tag_1, tag_2 (tag_1 < tag_2), posts (posts using both), accounts (distinct authors).
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

import ibis
import numpy as np
import pandas as pd

from . import Analysis
from .. import graphs
from ..progress import progress


class Network(Analysis):
    """Account interaction graphs, Leiden communities, PageRank and hashtag co-occurrence.

    Parameters
    ----------
    kinds:
        interaction kinds in the union graph (default all four: retweet, quote, reply, mention).
    resolution:
        Leiden modularity resolution (default 1.0; higher → more, smaller communities).
    seed:
        random seed for Leiden (default 42).
    min_weight:
        drop union edges (summed over kinds) lighter than this from the community / PageRank graph
        (default 1: keep all). ``graph_edges`` always keeps every edge.
    top_n:
        accounts / hashtags / domains listed per community (default 10).
    min_cooccurrence:
        minimum posts for a ``hashtag_edges`` row (default 2).
    damping:
        PageRank damping factor (default 0.85).
    """

    name: ClassVar[str] = "network"
    version: ClassVar[str] = "1"
    requires: ClassVar[tuple[str, ...]] = ("hate", "narratives")
    tables: ClassVar[tuple[str, ...]] = ("graph_edges", "graph_nodes", "communities", "hashtag_edges")

    def __init__(
        self,
        kinds: Sequence[str] = graphs.EDGE_KINDS,
        resolution: float = 1.0,
        seed: int = 42,
        min_weight: int = 1,
        top_n: int = 10,
        min_cooccurrence: int = 2,
        damping: float = 0.85,
    ) -> None:
        unknown = set(kinds) - set(graphs.EDGE_KINDS)
        if unknown:
            raise ValueError(f"unknown interaction kinds {sorted(unknown)}; use {graphs.EDGE_KINDS}")
        self.kinds = tuple(kinds)
        self.resolution = resolution
        self.seed = seed
        self.min_weight = min_weight
        self.top_n = top_n
        self.min_cooccurrence = min_cooccurrence
        self.damping = damping

    # ------------------------------------------------------------------------------------
    def run(self, engine) -> dict[str, Any]:
        with progress("Network", total=5) as bar:
            edges = self._edges(engine)
            bar.advance()
            nodes, g = self._nodes(engine, edges)
            bar.advance()
            comms = self._communities(engine, nodes)
            bar.advance()
            n_tag_edges = self._hashtag_edges(engine)
            bar.advance()
        by_kind = edges.groupby("kind")["weight"].agg(["count", "sum"]) if len(edges) else pd.DataFrame()
        modularity = None
        if g.vcount():  # membership in igraph's vertex order (the nodes frame is sorted differently)
            u = g.as_undirected(mode="collapse", combine_edges="sum")
            comm = nodes.set_index(["platform", "account_id"])["community"]
            memb = [int(comm[(p, a)]) for p, a in zip(g.vs["platform"], g.vs["account_id"])]
            modularity = round(float(u.modularity(memb, weights="weight", resolution=self.resolution)), 4)
        big = comms[comms["size"] >= 3] if len(comms) else comms
        return {
            "nodes": int(len(nodes)),
            "edges": int(len(edges)),
            "edges_by_kind": {k: int(r["count"]) for k, r in by_kind.iterrows()},
            "interactions_by_kind": {k: int(r["sum"]) for k, r in by_kind.iterrows()},
            "communities": int(len(comms)),
            "communities_size_3_plus": int(len(big)),
            "largest_community": int(comms["size"].max()) if len(comms) else 0,
            "modularity": modularity,
            "hashtag_edges": n_tag_edges,
            "top_communities": [
                {"community": int(r.community), "size": int(r.size), "label": r.label}
                for r in comms.head(5).itertuples()
            ],
        }

    # ------------------------------------------------------------------------------------
    def _edges(self, engine) -> pd.DataFrame:
        """graph_edges, aggregated in the engine."""
        inter = graphs.resolved_interactions(engine, self.kinds)
        agg = graphs.aggregate_edges(inter)
        acc = engine.table("accounts").select("platform", "account_id", "handle")
        s = acc.rename(src_pf="platform", src_id="account_id", source_handle="handle")
        t = acc.rename(tgt_pf="platform", tgt_id="account_id", target_handle="handle")
        j = agg.left_join(s, [agg.platform == s.src_pf, agg.source == s.src_id])
        j = j.left_join(t, [j.platform == t.tgt_pf, j.target == t.tgt_id])
        out = j.select(
            "platform", "source", "target", "kind", "weight", "first_at", "last_at", "days",
            "source_handle",
            target_handle=ibis.coalesce(
                j.target_handle,
                ibis.ifelse(j.target.startswith("@"), j.target.substr(1), ibis.null("string")),
            ),
        )
        engine.write("graph_edges", out)
        return engine.to_pandas(engine.table("graph_edges"))

    def _nodes(self, engine, edges: pd.DataFrame):
        union = edges.groupby(["platform", "source", "target"], as_index=False)["weight"].sum()
        core = union[union["weight"] >= self.min_weight]
        g = graphs.build_graph(core)
        # every endpoint of any edge is a node, even if its edges fell below min_weight
        pr = graphs.pagerank(g, damping=self.damping)
        memb = graphs.leiden(g, resolution=self.resolution, seed=self.seed)
        nodes = pd.DataFrame({
            "platform": pd.Series(g.vs["platform"] if g.vcount() else [], dtype="object"),
            "account_id": pd.Series(g.vs["account_id"] if g.vcount() else [], dtype="object"),
            "community": pd.Series(memb, dtype="int64"),
            "pagerank": pd.Series(pr, dtype="float64"),
        })
        allnodes = pd.concat([
            union[["platform", "source"]].rename(columns={"source": "account_id"}),
            union[["platform", "target"]].rename(columns={"target": "account_id"}),
        ]).drop_duplicates().astype({"platform": "object", "account_id": "object"})
        nodes = allnodes.merge(nodes, on=["platform", "account_id"], how="left")
        if nodes["community"].isna().any():  # endpoints dropped by min_weight: singleton communities
            nxt = int(nodes["community"].max()) + 1 if nodes["community"].notna().any() else 0
            miss = nodes["community"].isna()
            nodes.loc[miss, "community"] = np.arange(nxt, nxt + int(miss.sum()))
            nodes["pagerank"] = nodes["pagerank"].fillna(0.0)
        nodes["community"] = nodes["community"].astype("int64")
        outd = union.groupby(["platform", "source"]).agg(out_degree=("target", "size"), out_strength=("weight", "sum"))
        ind = union.groupby(["platform", "target"]).agg(in_degree=("source", "size"), in_strength=("weight", "sum"))
        nodes = nodes.merge(outd, left_on=["platform", "account_id"], right_index=True, how="left")
        nodes = nodes.merge(ind, left_on=["platform", "account_id"], right_index=True, how="left")
        for c in ("out_degree", "out_strength", "in_degree", "in_strength"):
            nodes[c] = nodes[c].fillna(0).astype("int64")
        import pyarrow as pa

        schema = pa.schema([("platform", pa.string()), ("account_id", pa.string()), ("community", pa.int64()),
                            ("pagerank", pa.float64()), ("out_degree", pa.int64()), ("out_strength", pa.int64()),
                            ("in_degree", pa.int64()), ("in_strength", pa.int64())])
        # first without account facts (typed even when empty); those are joined in the engine next
        engine.write("graph_nodes", pa.Table.from_pandas(nodes[schema.names], schema=schema, preserve_index=False))
        gn = engine.table("graph_nodes")
        acc = engine.table("accounts").select("platform", "account_id", "handle", "followers")
        posts = engine.table("posts")
        pc = posts.group_by(["platform", "account_id"]).aggregate(posts=lambda t: t.count())
        j = gn.left_join(acc, [gn.platform == acc.platform, gn.account_id == acc.account_id])
        j = j.select(gn, handle=acc.handle, followers=acc.followers)
        j = j.left_join(pc, [j.platform == pc.platform, j.account_id == pc.account_id])
        full = j.select(
            "platform", "account_id",
            handle=ibis.coalesce(
                j.handle, ibis.ifelse(j.account_id.startswith("@"), j.account_id.substr(1), ibis.null("string"))
            ),
            community=j.community, pagerank=j.pagerank,
            in_degree=j.in_degree, out_degree=j.out_degree,
            in_strength=j.in_strength, out_strength=j.out_strength,
            posts=ibis.coalesce(pc.posts, 0), followers=j.followers,
            in_corpus=pc.posts.notnull(),
        )
        df = engine.to_pandas(full).sort_values(["community", "pagerank"], ascending=[True, False])
        engine.write("graph_nodes", df.reset_index(drop=True))
        return df, g

    def _communities(self, engine, nodes: pd.DataFrame) -> pd.DataFrame:
        cols = ["platform", "community", "size", "accounts_in_corpus", "posts", "top_accounts",
                "top_hashtags", "top_domains", "hate_share", "narrative_shares", "top_narrative", "label"]
        if len(nodes) == 0:
            empty = pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
            engine.write("communities", empty)
            return empty
        base = nodes.groupby(["platform", "community"]).agg(
            size=("account_id", "size"), accounts_in_corpus=("in_corpus", "sum"), posts=("posts", "sum")
        ).reset_index()
        top_acc = (
            nodes.sort_values("pagerank", ascending=False).groupby("community")
            .apply(lambda d: graphs.to_json([h if isinstance(h, str) else a for h, a in zip(d["handle"].head(self.top_n), d["account_id"].head(self.top_n))]), include_groups=False)
            .rename("top_accounts")
        )
        base = base.merge(top_acc, left_on="community", right_index=True, how="left")

        gn = engine.table("graph_nodes").select("platform", "account_id", "community")
        posts = engine.table("posts").select("platform", "post_id", "account_id")
        cp = posts.join(gn, [posts.platform == gn.platform, posts.account_id == gn.account_id]).select(
            posts.platform, posts.post_id, gn.community
        )

        def top_values(tbl: ibis.Table, col: str) -> dict[int, list]:
            j = cp.join(tbl, [cp.platform == tbl.platform, cp.post_id == tbl.post_id])
            j = j.filter(j[col].notnull())
            c = j.group_by(["community", col]).aggregate(n=lambda t: t.post_id.nunique())
            w = ibis.row_number().over(group_by=c.community, order_by=[ibis.desc(c.n), c[col]])
            c = c.mutate(r=w).filter(lambda t: t.r < self.top_n)
            df = engine.to_pandas(c).sort_values(["community", "r"])
            return {int(k): [[v, int(n)] for v, n in zip(d[col], d["n"])] for k, d in df.groupby("community")}

        tags = top_values(engine.table("hashtags"), "tag")
        doms = top_values(engine.table("urls"), "domain")
        base["top_hashtags"] = [graphs.to_json(tags.get(int(c), [])) for c in base["community"]]
        base["top_domains"] = [graphs.to_json(doms.get(int(c), [])) for c in base["community"]]

        base["hate_share"] = np.nan
        if engine.has_table("hate"):
            h = engine.table("hate")
            h = h.filter(h.label != "none").select("platform", "post_id").distinct()
            j = cp.join(h, [cp.platform == h.platform, cp.post_id == h.post_id])
            hc = engine.to_pandas(j.group_by("community").aggregate(hateful=lambda t: t.post_id.nunique()))
            hmap = dict(zip(hc["community"].astype(int), hc["hateful"]))
            base["hate_share"] = [
                (hmap.get(int(c), 0) / p) if p else 0.0 for c, p in zip(base["community"], base["posts"])
            ]
        base["narrative_shares"] = None
        base["top_narrative"] = None
        if engine.has_table("narratives"):
            nt = engine.table("narratives")
            nt = nt.filter(nt.kind == "narrative").select("platform", "post_id", "narrative").distinct()
            j = cp.join(nt, [cp.platform == nt.platform, cp.post_id == nt.post_id])
            nc = engine.to_pandas(j.group_by(["community", "narrative"]).aggregate(n=lambda t: t.post_id.nunique()))
            shares, tops = [], []
            for c, p in zip(base["community"], base["posts"]):
                d = nc[nc["community"] == c].sort_values("n", ascending=False)
                sh = {r.narrative: round(r.n / p, 4) for r in d.itertuples()} if p else {}
                shares.append(graphs.to_json(sh))
                tops.append(d["narrative"].iloc[0] if len(d) else None)
            base["narrative_shares"] = shares
            base["top_narrative"] = tops
        base["label"] = [self._label(tags.get(int(c), []), int(c)) for c in base["community"]]
        base = base.sort_values("community").reset_index(drop=True)[cols]
        base["accounts_in_corpus"] = base["accounts_in_corpus"].astype("int64")
        engine.write("communities", base)
        return base

    @staticmethod
    def _label(tags: list, community: int) -> str:
        """A short machine-written label: the community's three most used hashtags."""
        if not tags:
            return f"community {community}"
        return " · ".join("#" + t for t, _ in tags[:3])

    def _hashtag_edges(self, engine) -> int:
        ht = engine.table("hashtags").select("platform", "post_id", "tag")
        posts = engine.table("posts").select("platform", "post_id", "account_id")
        a = ht.rename(tag_1="tag")
        b = ht.rename(tag_2="tag", pf2="platform", pid2="post_id")
        j = a.join(b, [a.platform == b.pf2, a.post_id == b.pid2, a.tag_1 < b.tag_2])
        j = j.left_join(posts, [j.platform == posts.platform, j.post_id == posts.post_id])
        agg = j.group_by([j.platform, j.tag_1, j.tag_2]).aggregate(
            posts=lambda t: t.post_id.nunique(), accounts=lambda t: t.account_id.nunique()
        )
        agg = agg.filter(agg.posts >= self.min_cooccurrence)
        engine.write("hashtag_edges", agg)
        return int(engine.to_pandas(engine.table("hashtag_edges").count().name("n").as_table())["n"].iloc[0])
