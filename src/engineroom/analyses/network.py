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
    platform, source, target, kind, weight (interactions), first_at, last_at. ``source`` /
    ``target`` are account ids; a target seen only as a handle is ``'@handle'`` (handles are in
    ``graph_nodes``). The union graph is all rows together (``kind`` = edge type).
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

from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, nullcontext
from typing import Any, Callable, ClassVar, Sequence

import ibis
import numpy as np
import pandas as pd

from . import Analysis, findings_table
from .. import graphs
from ..engines.pool import run_forked
from ..progress import Stopwatch, progress


COMMUNITY_TYPES = {
    "platform": "string", "community": "int64", "size": "int64", "accounts_in_corpus": "int64", "posts": "int64",
    "top_accounts": "string", "top_hashtags": "string", "top_domains": "string", "hate_share": "float64",
    "narrative_shares": "string", "top_narrative": "string", "label": "string",
}


#: the scratch tables of one run (dropped at its end, also when it fails)
SCRATCH = ("_network_union", "_network_index", "_network_scores", "_network_attrs", "_network_tag_counts",
           "_network_domain_counts", "_network_hate_counts", "_network_narrative_counts")


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
    leiden_iterations:
        Leiden iterations (default 2, igraph's default; -1 runs until the partition is stable).
    """

    name: ClassVar[str] = "network"
    version: ClassVar[str] = "1"
    requires: ClassVar[tuple[str, ...]] = ("hate", "narratives")
    reads: ClassVar[tuple[str, ...]] = ("interactions", "posts", "accounts", "hashtags", "urls", "hate", "narratives")
    writes: ClassVar[tuple] = (
        findings_table(
            "graph_edges", "One row per (source, target, kind): the interaction graphs; all rows together are the union graph.",
            ("platform", "VARCHAR", "the accounts' platform"),
            ("source", "VARCHAR", "the acting account's id"),
            ("target", "VARCHAR", "the account acted upon: its id, or '@handle' when known only by handle"),
            ("kind", "VARCHAR", "retweet, quote, reply or mention"),
            ("weight", "BIGINT", "interactions of this kind from source to target"),
            ("first_at", "TIMESTAMP", "first such interaction (UTC)"),
            ("last_at", "TIMESTAMP", "last such interaction (UTC)"),
        ),
        findings_table(
            "graph_nodes", "One row per account in the union graph.",
            ("platform", "VARCHAR", "the account's platform"),
            ("account_id", "VARCHAR", "the account (or '@handle')"),
            ("handle", "VARCHAR", "its handle"),
            ("community", "BIGINT", "its Leiden community (modularity)"),
            ("pagerank", "DOUBLE", "weighted PageRank in the union graph"),
            ("in_degree", "BIGINT", "distinct accounts acting on it"),
            ("out_degree", "BIGINT", "distinct accounts it acts on"),
            ("in_strength", "BIGINT", "interactions received"),
            ("out_strength", "BIGINT", "interactions made"),
            ("posts", "BIGINT", "posts it authored in the corpus"),
            ("followers", "BIGINT", "followers when last seen"),
            ("in_corpus", "BOOLEAN", "it authored posts here (rather than only being mentioned)"),
        ),
        findings_table(
            "communities", "One row per community of the union graph.",
            ("platform", "VARCHAR", "the accounts' platform"),
            ("community", "BIGINT", "the community (as graph_nodes.community)"),
            ("size", "BIGINT", "accounts in it"),
            ("accounts_in_corpus", "BIGINT", "of those, accounts that authored posts here"),
            ("posts", "BIGINT", "posts by its accounts"),
            ("top_accounts", "VARCHAR", "JSON: handles by PageRank"),
            ("top_hashtags", "VARCHAR", "JSON [[hashtag, posts], ...]"),
            ("top_domains", "VARCHAR", "JSON [[domain, posts], ...]"),
            ("hate_share", "DOUBLE", "share of its posts labelled hateful (NULL without hate)"),
            ("narrative_shares", "VARCHAR", "JSON {narrative: share} (NULL without narratives)"),
            ("top_narrative", "VARCHAR", "its most frequent narrative"),
            ("label", "VARCHAR", "machine-written label from its top hashtags"),
        ),
        findings_table(
            "hashtag_edges", "One row per pair of hashtags used together in posts.",
            ("platform", "VARCHAR", "the posts' platform"),
            ("tag_1", "VARCHAR", "one hashtag (tag_1 < tag_2)"),
            ("tag_2", "VARCHAR", "the other hashtag"),
            ("posts", "BIGINT", "posts using both"),
            ("accounts", "BIGINT", "distinct authors of those posts"),
        ),
    )

    def __init__(
        self,
        kinds: Sequence[str] = graphs.EDGE_KINDS,
        resolution: float = 1.0,
        seed: int = 42,
        min_weight: int = 1,
        top_n: int = 10,
        min_cooccurrence: int = 2,
        damping: float = 0.85,
        leiden_iterations: int = 2,
    ) -> None:
        unknown = set(kinds) - set(graphs.EDGE_KINDS)
        if unknown:
            raise ValueError(f"unknown interaction kinds {sorted(unknown)}; use {graphs.EDGE_KINDS}")
        self.kinds = kinds
        self.resolution = resolution
        self.seed = seed
        self.min_weight = min_weight
        self.top_n = top_n
        self.min_cooccurrence = min_cooccurrence
        self.damping = damping
        self.leiden_iterations = leiden_iterations

    # ------------------------------------------------------------------------------------
    def _time(self, step: str, clock: Stopwatch) -> None:
        """Record a step's wall and CPU seconds in the run's timings (``STEP_s``, ``STEP_cpu_s``)."""
        self._timings[f"{step}_s"] = round(clock.wall(), 2)
        self._timings[f"{step}_cpu_s"] = round(clock.cpu(), 2)

    def run(self, engine) -> dict[str, Any]:
        self._timings: dict[str, float] = {}
        with progress("Network", total=4) as bar:
            clock = Stopwatch()
            self._edges(engine)
            self._time("edges", clock)
            bar.advance()
            try:
                with _Beside(engine) as beside:
                    # what needs no communities runs in the side thread while igraph works
                    info, tag_edges, counts = self._nodes(engine, beside)
                    bar.advance()
                    clock = Stopwatch()
                    comms = self._communities(engine, counts.result())
                    self._time("communities", clock)
                    bar.advance()
                    n_tag_edges = tag_edges.result()
            finally:
                for tmp in SCRATCH:
                    engine.drop_table(tmp)
            bar.advance()
        ge = engine.table("graph_edges")
        by_kind = engine.to_pandas(ge.group_by("kind").aggregate(n=ge.count(), w=ge.weight.sum()))
        big = comms[comms["size"] >= 3] if len(comms) else comms
        return {
            "nodes": info["nodes"],
            "edges": int(by_kind["n"].sum()) if len(by_kind) else 0,
            "edges_by_kind": {r.kind: int(r.n) for r in by_kind.itertuples()},
            "interactions_by_kind": {r.kind: int(r.w) for r in by_kind.itertuples()},
            "communities": int(len(comms)),
            "communities_size_3_plus": int(len(big)),
            "largest_community": int(comms["size"].max()) if len(comms) else 0,
            "modularity": info["modularity"],
            "hashtag_edges": n_tag_edges,
            "timings": self._timings,
            "top_communities": [
                {"community": int(r.community), "size": int(r.size), "label": r.label}
                for r in comms.head(5).itertuples()
            ],
        }

    # ------------------------------------------------------------------------------------
    def _edges(self, engine) -> None:
        """graph_edges, aggregated in the engine (never pulled whole into Python)."""
        inter = graphs.resolved_interactions(engine, self.kinds)
        engine.write("graph_edges", graphs.aggregate_edges(inter))

    def _nodes(self, engine, beside: "_Beside") -> tuple[dict[str, Any], Future, Future]:
        """Node index and degrees in the engine; igraph gets integer edge arrays only.

        igraph builds the undirected graph and runs Leiden in a forked child process
        (:func:`engineroom.engines.pool.run_forked`; it holds the GIL throughout, and in this
        process it would stop the other threads). Meanwhile this process computes PageRank and
        ``beside`` runs the engine work that needs no communities: each node's degrees / posts /
        handle, ``hashtag_edges`` and the per-account counts of :meth:`_account_counts` (their
        futures are returned)."""
        import pyarrow as pa

        build = Stopwatch()
        ge = engine.table("graph_edges")
        # the union graph (kinds summed), materialised once: the index, the igraph edge list and the
        # degrees all read it
        engine.write("_network_union", ge.group_by(["platform", "source", "target"]).aggregate(
            weight=ge.weight.sum().cast("float64")))
        union = engine.table("_network_union")
        ends = union.select("platform", account_id=union.source).union(
            union.select("platform", account_id=union.target), distinct=True)
        index = ends.mutate(idx=ibis.row_number().over(order_by=[ends.platform, ends.account_id]))
        engine.write("_network_index", index)
        ix = engine.table("_network_index")
        n = int(engine.to_pandas(ix.count().name("n").as_table())["n"].iloc[0])
        kept = union.filter(union.weight >= self.min_weight)
        si = ix.select(s_pf="platform", s_id="account_id", s="idx")
        ti = ix.select(t_pf="platform", t_id="account_id", t="idx")
        e = kept.join(si, [kept.platform == si.s_pf, kept.source == si.s_id])
        e = e.join(ti, [e.platform == ti.t_pf, e.target == ti.t_id]).select("s", "t", "weight")
        arr = engine.to_arrow(e)
        self._time("index", build)
        src = arr.column("s").to_numpy().astype(np.int64, copy=False)
        dst = arr.column("t").to_numpy().astype(np.int64, copy=False)
        w = arr.column("weight").to_numpy().astype(float)
        del arr
        # the undirected graph and its Leiden communities in a forked child (forked before the side
        # thread starts its queries); this process meanwhile computes PageRank straight from the
        # arrays (scipy; same model and scores as igraph's PRPACK)
        wait = Stopwatch()
        leiden = run_forked(_communities_of_arrays, n, src, dst, w, self.resolution, self.seed,
                            self.leiden_iterations)
        with engine.settings({"threads": 1}) if engine.name == "duckdb" else nullcontext():
            attrs = beside.submit(self._node_attributes)
            tag_edges = beside.submit(self._hashtag_edges)
            counts = beside.submit(self._account_counts)
            clock = Stopwatch()
            pr = graphs.pagerank_arrays(n, src, dst, w, damping=self.damping)
            self._time("pagerank", clock)
            del src, dst, w
            clock = Stopwatch()
            memb, modularity, child_timings = leiden.result()
            # wall only: the reaped child's CPU would count here and again in its leiden_cpu_s
            self._timings["leiden_wait_s"] = round(clock.wall(), 2)
        self._timings.update(child_timings)
        self._timings["igraph_and_pagerank_s"] = round(wait.wall(), 2)
        clock = Stopwatch()
        scores = pa.table({
            "idx": pa.array(np.arange(n, dtype=np.int64)),
            "community": pa.array(np.asarray(memb, dtype=np.int64)),
            "pagerank": pa.array(np.asarray(pr, dtype=np.float64)),
        })
        engine.write("_network_scores", scores)
        sc = engine.table("_network_scores")
        attrs.result()
        at = engine.table("_network_attrs")
        j = at.join(sc, at.idx == sc.idx)
        nodes = j.select(
            platform=j.platform, account_id=j.account_id, handle=j.handle,
            community=j.community, pagerank=j.pagerank,
            in_degree=j.in_degree, out_degree=j.out_degree, in_strength=j.in_strength,
            out_strength=j.out_strength, posts=j.posts, followers=j.followers, in_corpus=j.in_corpus,
        )
        engine.write("graph_nodes", nodes.order_by([nodes.community, ibis.desc(nodes.pagerank), nodes.account_id]))
        self._time("nodes", clock)
        return ({"nodes": n, "modularity": None if modularity is None else round(float(modularity), 4)},
                tag_edges, counts)

    def _node_attributes(self, engine) -> None:
        """``_network_attrs``: each node of ``_network_index`` with its handle, degrees,
        strengths, posts and followers (all of graph_nodes but the community and PageRank)."""
        clock = Stopwatch()
        ix = engine.table("_network_index")
        union = engine.table("_network_union")
        outd = union.group_by(["platform", "source"]).aggregate(
            out_degree=lambda x: x.count(), out_strength=lambda x: x.weight.sum())
        ind = union.group_by(["platform", "target"]).aggregate(
            in_degree=lambda x: x.count(), in_strength=lambda x: x.weight.sum())
        acc = engine.table("accounts").select(a_pf="platform", a_id="account_id", a_handle="handle",
                                              a_followers="followers")
        posts = engine.table("posts")
        pc = posts.group_by(["platform", "account_id"]).aggregate(n_posts=lambda x: x.count()).rename(
            p_pf="platform", p_id="account_id")
        j = ix.left_join(outd, [ix.platform == outd.platform, ix.account_id == outd.source])
        j = j.left_join(ind, [j.platform == ind.platform, j.account_id == ind.target])
        j = j.left_join(acc, [j.platform == acc.a_pf, j.account_id == acc.a_id])
        j = j.left_join(pc, [j.platform == pc.p_pf, j.account_id == pc.p_id])
        attrs = j.select(
            platform=j.platform, account_id=j.account_id, idx=j.idx,
            handle=ibis.coalesce(
                j.a_handle,
                ibis.ifelse(j.account_id.startswith("@"), j.account_id.substr(1), ibis.null("string"))),
            in_degree=ibis.coalesce(j.in_degree, 0), out_degree=ibis.coalesce(j.out_degree, 0),
            # DuckDB sums BIGINT into HUGEINT; ibis skips a cast to int64 it thinks is a no-op
            in_strength=ibis.coalesce(j.in_strength, 0).cast("float64").cast("int64"),
            out_strength=ibis.coalesce(j.out_strength, 0).cast("float64").cast("int64"),
            posts=ibis.coalesce(j.n_posts, 0), followers=j.a_followers, in_corpus=j.n_posts.notnull(),
        )
        engine.write("_network_attrs", attrs)
        self._timings["node_attributes_s"] = round(clock.wall(), 2)

    def _account_counts(self, engine) -> dict[str, str]:
        """Per node of ``_network_index``: its posts per hashtag, per domain and per narrative, and
        its hateful posts (distinct posts each), as scratch tables keyed by the node's ``idx``;
        returns {what: table} for the ones whose source tables exist.

        They need no communities, so they run beside igraph; :meth:`_communities` sums them by
        community. A post has one author and an account one community (Leiden's communities are
        connected, so one platform each), so a community's distinct posts with a hashtag are the
        sum of its accounts' (the same figures as counting over the community's posts)."""
        clock = Stopwatch()
        ix = engine.table("_network_index")
        posts = engine.table("posts").select("platform", "post_id", "account_id")
        pi = posts.join(ix, [posts.platform == ix.platform, posts.account_id == ix.account_id]).select(
            posts.platform, posts.post_id, ix.idx)
        sources: dict[str, tuple[ibis.Table, str | None]] = {
            "tag": (engine.table("hashtags").select("platform", "post_id", value="tag"), "tag"),
            "domain": (engine.table("urls").select("platform", "post_id", value="domain"), "domain"),
        }
        if engine.has_table("hate"):
            h = engine.table("hate")
            sources["hate"] = (h.filter(h.label != "none").select("platform", "post_id").distinct(), None)
        if engine.has_table("narratives"):
            nt = engine.table("narratives")
            sources["narrative"] = (nt.filter(nt.kind == "narrative").select(
                "platform", "post_id", value="narrative").distinct(), "narrative")
        out: dict[str, str] = {}
        for what, (tbl, col) in sources.items():
            j = pi.join(tbl, [pi.platform == tbl.platform, pi.post_id == tbl.post_id])
            if col is None:
                agg = j.group_by("idx").aggregate(n=lambda t: t.post_id.nunique())
            else:
                j = j.filter(j.value.notnull())
                agg = j.group_by(["idx", "value"]).aggregate(n=lambda t: t.post_id.nunique())
            name = f"_network_{what}_counts"
            engine.write(name, agg)
            out[what] = name
        self._timings["account_counts_s"] = round(clock.wall(), 2)
        return out

    def _communities(self, engine, counts: dict[str, str]) -> pd.DataFrame:
        """``communities``: each community's size, accounts in the corpus, posts, top accounts (by
        PageRank), top hashtags and domains, hateful share and narrative shares, from
        ``graph_nodes`` and the per-account ``counts`` (:meth:`_account_counts`) summed by
        community."""
        cols = ["platform", "community", "size", "accounts_in_corpus", "posts", "top_accounts",
                "top_hashtags", "top_domains", "hate_share", "narrative_shares", "top_narrative", "label"]
        gn = engine.table("graph_nodes")
        base = engine.to_pandas(gn.group_by(["platform", "community"]).aggregate(
            size=gn.count(), accounts_in_corpus=gn.in_corpus.cast("int64").sum(), posts=gn.posts.sum()))
        if len(base) == 0:
            empty = pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
            graphs.write_frame(engine, "communities", empty, COMMUNITY_TYPES)
            return empty
        w = ibis.row_number().over(group_by=gn.community, order_by=[ibis.desc(gn.pagerank), gn.account_id])
        topn = engine.to_pandas(gn.mutate(r=w).filter(lambda x: x.r < self.top_n).select(
            "community", "r", "account_id", "handle"))
        topn = topn.sort_values(["community", "r"])
        top_acc = {int(k): graphs.to_json([h if isinstance(h, str) else a for h, a in zip(d["handle"], d["account_id"])])
                   for k, d in topn.groupby("community")}
        base["top_accounts"] = [top_acc.get(int(c), "[]") for c in base["community"]]

        sc = engine.table("_network_scores").select("idx", "community")

        def by_community(what: str) -> ibis.Table:
            """The per-account counts of ``what`` with each account's community."""
            t = engine.table(counts[what])
            return t.join(sc, t.idx == sc.idx)

        def top_values(what: str) -> dict[int, list]:
            c = by_community(what).group_by(["community", "value"]).aggregate(n=lambda t: t.n.sum())
            w = ibis.row_number().over(group_by=c.community, order_by=[ibis.desc(c.n), c.value])
            c = c.mutate(r=w).filter(lambda t: t.r < self.top_n)
            df = engine.to_pandas(c).sort_values(["community", "r"])
            return {int(k): [[v, int(n)] for v, n in zip(d["value"], d["n"])] for k, d in df.groupby("community")}

        tags = top_values("tag")
        doms = top_values("domain")
        base["top_hashtags"] = [graphs.to_json(tags.get(int(c), [])) for c in base["community"]]
        base["top_domains"] = [graphs.to_json(doms.get(int(c), [])) for c in base["community"]]

        base["hate_share"] = np.nan
        if "hate" in counts:
            j = by_community("hate")
            hc = engine.to_pandas(j.group_by("community").aggregate(hateful=lambda t: t.n.sum()))
            hmap = dict(zip(hc["community"].astype(int), hc["hateful"]))
            base["hate_share"] = [
                (hmap.get(int(c), 0) / p) if p else 0.0 for c, p in zip(base["community"], base["posts"])
            ]
        base["narrative_shares"] = None
        base["top_narrative"] = None
        if "narrative" in counts:
            j = by_community("narrative")
            nc = engine.to_pandas(j.group_by(["community", "value"]).aggregate(n=lambda t: t.n.sum())
                                  ).rename(columns={"value": "narrative"})
            shares, tops = [], []
            by_c = {int(k): d.sort_values(["n", "narrative"], ascending=[False, True]) for k, d in nc.groupby("community")}
            for c, p in zip(base["community"], base["posts"]):
                d = by_c.get(int(c))
                sh = {r.narrative: round(r.n / p, 4) for r in d.itertuples()} if (d is not None and p) else {}
                shares.append(graphs.to_json(sh))
                tops.append(d["narrative"].iloc[0] if d is not None and len(d) else None)
            base["narrative_shares"] = shares
            base["top_narrative"] = tops
        base["label"] = [self._label(tags.get(int(c), []), int(c)) for c in base["community"]]
        base = base.sort_values("community").reset_index(drop=True)[cols]
        for c in ("size", "accounts_in_corpus", "posts"):
            base[c] = base[c].astype("int64")
        graphs.write_frame(engine, "communities", base, COMMUNITY_TYPES)
        return base

    @staticmethod
    def _label(tags: list, community: int) -> str:
        """A short machine-written label: the community's three most used hashtags."""
        if not tags:
            return f"community {community}"
        return " · ".join("#" + t for t, _ in tags[:3])

    def _hashtag_edges(self, engine) -> int:
        """``hashtag_edges``: pairs of hashtags used in the same posts; returns its row count."""
        clock = Stopwatch()
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
        self._timings["hashtag_edges_s"] = round(clock.wall(), 2)
        return int(engine.to_pandas(engine.table("hashtag_edges").count().name("n").as_table())["n"].iloc[0])


def _communities_of_arrays(n: int, src: np.ndarray, dst: np.ndarray, w: np.ndarray, resolution: float,
                           seed: int, n_iterations: int) -> tuple[list[int], float | None, dict[str, float]]:
    """Leiden communities of the undirected, weight-summed graph of the directed edge arrays
    (:func:`engineroom.graphs.leiden`); also the modularity and the seconds spent (``igraph_build``
    and ``leiden``, wall and CPU). Runs in a forked child (:func:`engineroom.engines.pool.run_forked`)."""
    timings: dict[str, float] = {}
    clock = Stopwatch()
    ua, ub, uw = graphs.collapse_undirected(n, src, dst, w)
    u = graphs.graph_from_arrays(n, ua, ub, uw, directed=False)
    del ua, ub, uw
    timings["igraph_build_s"], timings["igraph_build_cpu_s"] = round(clock.wall(), 2), round(clock.cpu(), 2)
    clock = Stopwatch()
    memb, modularity = graphs.leiden(u, resolution=resolution, seed=seed, n_iterations=n_iterations,
                                     with_quality=True)
    timings["leiden_s"], timings["leiden_cpu_s"] = round(clock.wall(), 2), round(clock.cpu(), 2)
    return memb, modularity, timings


class _Beside:
    """Engine work run in one side thread while the main thread computes PageRank and waits for
    the forked child that runs igraph (DuckDB releases the GIL while a query runs).

    On an engine with a ``beside()`` (the DuckDB engine's: an engine on its own connection) the
    side thread works there; ``submit(fn, *args)`` runs ``fn(side_engine, *args)``
    there, in submission order. On other engines ``submit`` runs ``fn(engine, *args)`` at once.
    Leaving the ``with`` block waits for the side work and closes its connection."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._stack = ExitStack()
        self.side = None
        if hasattr(engine, "beside"):
            self.side = self._stack.enter_context(engine.beside())
            self._pool = self._stack.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix="network-beside"))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn(engine, *args)`` beside the main thread (or now, without a side engine); its future."""
        if self.side is None:
            done: Future = Future()
            done.set_result(fn(self.engine, *args))
            return done
        return self._pool.submit(fn, self.side, *args)

    def __enter__(self) -> "_Beside":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()  # the pool first (waits for the side work), then the side connection
