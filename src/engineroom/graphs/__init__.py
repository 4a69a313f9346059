"""Shared graph and time-series helpers for the network analyses (network, engine_room, targets,
campaigns, trends) and the graph export.

Nothing here reads findings of another analysis: these are library functions (edge
aggregation as Ibis expressions, igraph construction, Leiden, PageRank, Gini, Kneedle, Kleinberg's
burst model) that the analyses and :mod:`engineroom.graph_export` import.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable, Sequence

import ibis
import numpy as np
import pandas as pd

#: The directed interaction kinds an account graph is built from.
EDGE_KINDS: tuple[str, ...] = ("retweet", "quote", "reply", "mention")

#: Separator of platform and account id in igraph vertex names.
SEP = "\x1f"


# --------------------------------------------------------------------------- engine helpers
def resolved_interactions(engine, kinds: Sequence[str] = EDGE_KINDS) -> ibis.Table:
    """Interactions with a target account for every row (Ibis expression, runs in the engine).

    ``target`` is ``target_account_id`` when the source gave it, else the id of the one corpus
    account whose (lower-cased) handle equals ``target_handle``, else ``'@' || target_handle`` (an
    account seen only as a handle). Rows with neither id nor handle, and self-loops, are dropped.
    """
    it = engine.table("interactions")
    it = it.filter(it.kind.isin(list(kinds)))
    acc = engine.table("accounts")
    # one account per (platform, lower(handle)): the smallest id, so the join never multiplies rows
    byhandle = (
        acc.filter(acc.handle.notnull())
        .mutate(h=acc.handle.lower())
        .group_by(["platform", "h"])
        .aggregate(resolved_id=lambda t: t.account_id.min())
    )
    j = it.left_join(
        byhandle,
        [it.platform == byhandle.platform, it.target_handle == byhandle.h],
    )
    target = ibis.coalesce(j.target_account_id, j.resolved_id, ibis.literal("@") + j.target_handle)
    out = j.select(
        platform=j.platform,
        post_id=j.post_id,
        kind=j.kind,
        source=j.source_account_id,
        target=target,
        target_post_id=j.target_post_id,
        created_at=j.created_at,
    )
    return out.filter(out.source.notnull() & out.target.notnull() & (out.source != out.target))


def aggregate_edges(inter: ibis.Table) -> ibis.Table:
    """Directed weighted time-stamped edges per (platform, source, target, kind) from
    :func:`resolved_interactions` rows: weight (interactions), first_at, last_at."""
    return inter.group_by(["platform", "source", "target", "kind"]).aggregate(
        weight=lambda t: t.post_id.count(),
        first_at=lambda t: t.created_at.min(),
        last_at=lambda t: t.created_at.max(),
    )


def table_or_none(engine, name: str) -> ibis.Table | None:
    """``engine.table(name)`` if the table exists and has rows' columns, else None."""
    return engine.table(name) if engine.has_table(name) else None


# --------------------------------------------------------------------------- igraph helpers
def build_graph(edges: pd.DataFrame, directed: bool = True, weight: str = "weight"):
    """An igraph Graph from an edge frame with platform, source, target and ``weight`` columns.

    Vertices carry ``platform`` and ``account_id``; their ``name`` is platform + SEP + id.
    Parallel edges (several kinds) are summed into one weighted edge.
    """
    import igraph as ig

    if len(edges) == 0:
        g = ig.Graph(directed=directed)
        g.vs["name"] = []
        return g
    e = edges[["platform", "source", "target", weight]].copy()
    e["s"] = e["platform"].astype(str) + SEP + e["source"].astype(str)
    e["t"] = e["platform"].astype(str) + SEP + e["target"].astype(str)
    if not directed:
        a, b = e[["s", "t"]].min(axis=1), e[["s", "t"]].max(axis=1)
        e["s"], e["t"] = a, b
    e = e.groupby(["s", "t"], as_index=False)[weight].sum()
    names = pd.Index(pd.unique(pd.concat([e["s"], e["t"]], ignore_index=True)))
    src = names.get_indexer(e["s"])
    dst = names.get_indexer(e["t"])
    g = ig.Graph(n=len(names), edges=np.column_stack([src, dst]).tolist(), directed=directed)
    g.vs["name"] = list(names)
    split = [n.split(SEP, 1) for n in names]
    g.vs["platform"] = [p for p, _ in split]
    g.vs["account_id"] = [a for _, a in split]
    g.es["weight"] = e[weight].astype(float).tolist()
    return g


def graph_from_arrays(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, directed: bool = True):
    """An igraph Graph on vertices 0..n-1 from integer edge arrays (the fast path for large graphs:
    no Python list per edge)."""
    import igraph as ig

    # a list of (int, int) tuples converts about 3x faster than a 2-d numpy array (python-igraph
    # reads an array row by row as numpy scalars)
    edges = list(zip(np.asarray(src, dtype=np.int64).tolist(), np.asarray(dst, dtype=np.int64).tolist()))
    g = ig.Graph(n=int(n), edges=edges, directed=directed)
    del edges
    g.es["weight"] = np.asarray(weight, dtype=float).tolist()  # plain floats: igraph reads them fastest
    return g


def collapse_undirected(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The undirected, weight-summed edge list of a directed graph on vertices 0..n-1, in numpy
    (what ``Graph.as_undirected(mode="collapse", combine_edges="sum")`` gives, without building
    the directed igraph graph first). Edges come out sorted by (lower end, higher end)."""
    a = np.minimum(src, dst).astype(np.int64)
    b = np.maximum(src, dst).astype(np.int64)
    key = a * np.int64(max(int(n), 1)) + b
    uniq, inv = np.unique(key, return_inverse=True)
    w = np.bincount(inv.ravel(), weights=np.asarray(weight, dtype=float), minlength=len(uniq))
    return uniq // max(int(n), 1), uniq % max(int(n), 1), w


def leiden(g, resolution: float = 1.0, seed: int = 42, n_iterations: int = 2, with_quality: bool = False):
    """Leiden communities (Traag, Waltman & van Eck 2019) maximising modularity on the undirected,
    weight-summed version of ``g``; seeded, so the same graph gives the same partition.

    Community ids are renumbered by size (0 = largest).
    """
    import random

    if g.vcount() == 0:
        return ([], None) if with_quality else []
    u = g.as_undirected(mode="collapse", combine_edges="sum") if g.is_directed() else g
    random.seed(seed)
    import igraph as ig

    ig.set_random_number_generator(random.Random(seed))
    try:
        part = u.community_leiden(
            objective_function="modularity",
            weights="weight" if "weight" in u.es.attributes() else None,
            resolution=resolution,
            n_iterations=n_iterations,
        )
    finally:
        ig.set_random_number_generator(random)
    membership = np.asarray(part.membership)
    sizes = np.bincount(membership)
    # order by size desc, then by first vertex index for stable ties
    _, first = np.unique(membership, return_index=True)
    order = np.lexsort((first, -sizes))
    remap = np.empty(len(sizes), dtype=int)
    remap[order] = np.arange(len(sizes))
    out = remap[membership].tolist()
    if with_quality:
        return out, float(u.modularity(part.membership, weights="weight" if "weight" in u.es.attributes() else None,
                                       resolution=resolution))
    return out


def pagerank(g, damping: float = 0.85) -> list[float]:
    """Weighted directed PageRank (Brin & Page 1998) with igraph's PRPACK solver."""
    if g.vcount() == 0:
        return []
    return g.pagerank(weights="weight" if "weight" in g.es.attributes() else None, directed=g.is_directed(), damping=damping)


def pagerank_arrays(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, damping: float = 0.85,
                    tol: float = 1e-12, max_iter: int = 1000) -> np.ndarray:
    """Weighted directed PageRank (Brin & Page 1998) on vertices 0..n-1 from integer edge arrays,
    by power iteration on a scipy sparse matrix (no igraph graph needed: building one costs more
    than ranking it on millions of edges).

    The same model as :func:`pagerank` (igraph's PRPACK): a walker follows an out-edge with
    probability proportional to its weight, jumps to a uniformly random vertex with probability
    ``1 - damping``, and from a vertex without out-edges (dangling) always jumps uniformly.
    Iterates until the L1 change is below ``tol``; the scores sum to 1 and agree with PRPACK to
    about ``1e-9`` (tests/test_network.py).
    """
    import scipy.sparse as sp

    n = int(n)
    if n == 0:
        return np.zeros(0)
    w = np.asarray(weight, dtype=float)
    out = np.bincount(np.asarray(src, dtype=np.int64), weights=w, minlength=n)
    dangling = out <= 0
    inv = np.zeros(n)
    inv[~dangling] = 1.0 / out[~dangling]
    # column-stochastic transpose: x_new[dst] += x[src] * w / out[src]
    m = sp.csr_matrix((w * inv[src], (dst, src)), shape=(n, n))
    x = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        nxt = damping * (m @ x)
        nxt += (damping * x[dangling].sum() + (1.0 - damping)) / n
        nxt /= nxt.sum()
        done = np.abs(nxt - x).sum() < tol
        x = nxt
        if done:
            break
    return x


# --------------------------------------------------------------------------- statistics
def gini(values: Iterable[float]) -> float:
    """Gini coefficient of a set of non-negative counts (0 = evenly spread, →1 = one holds all)."""
    x = np.sort(np.asarray(list(values), dtype=float))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    cum = np.cumsum(x)
    return float((n + 1 - 2 * (cum.sum() / cum[-1])) / n)


def kneedle(scores: Sequence[float], min_size: int = 1, max_size: int | None = None) -> int:
    """Size of the head of a descending score curve by the Kneedle rule (Satopää et al. 2011).

    Scores are sorted descending and both axes normalised to [0, 1]; for this convex,
    decreasing curve the knee is the point farthest below the chord from the first to the last
    point (Kneedle's difference curve ``(1 - x) - y``). Returns the number of items up to and
    including the knee, clipped to ``[min_size, max_size]``.
    """
    s = np.sort(np.asarray(list(scores), dtype=float))[::-1]
    n = len(s)
    if n == 0:
        return 0
    if n <= 2 or s[0] == s[-1]:
        k = n
    else:
        x = np.arange(n) / (n - 1)
        y = (s - s[-1]) / (s[0] - s[-1])
        diff = (1 - x) - y
        k = int(np.argmax(diff)) + 1
        # the knee point is the first point *after* the drop; the head ends just before it
        k = max(1, k - 1) if k > 1 else 1
    hi = n if max_size is None else min(max_size, n)
    return int(min(max(k, min(min_size, n)), hi))


def kleinberg_bursts(
    counts: np.ndarray, totals: np.ndarray, s: float = 2.0, gamma: float = 1.0
) -> np.ndarray:
    """Kleinberg's two-state burst model, enumerated (batched) form (Kleinberg 2002, "Bursty and
    hierarchical structure in streams", KDD; section 4, batched arrivals).

    ``counts[t, h]`` posts with hashtag h among ``totals[t]`` posts in bin t. The base state emits a
    relevant post with probability ``p0 = sum(counts)/sum(totals)`` per hashtag, the burst state
    with ``p1 = min(s * p0, 0.9999)``. Entering the burst state costs ``gamma * ln(T)``; leaving it
    is free. The cheapest state sequence (Viterbi) is returned as a boolean array shaped like
    ``counts`` (True = burst). Vectorised over hashtags (columns).
    """
    counts = np.asarray(counts, dtype=float)
    if counts.ndim == 1:
        counts = counts[:, None]
    T, H = counts.shape
    d = np.asarray(totals, dtype=float).reshape(T, 1)
    if T == 0 or H == 0:
        return np.zeros((T, H), dtype=bool)
    p0 = counts.sum(axis=0) / max(d.sum(), 1.0)
    p0 = np.clip(p0, 1e-12, 0.5)
    p1 = np.clip(s * p0, 1e-12, 0.9999)
    # negative log-likelihood of each bin under each state (the binomial coefficient is common)
    c0 = -(counts * np.log(p0) + (d - counts) * np.log1p(-p0))
    c1 = -(counts * np.log(p1) + (d - counts) * np.log1p(-p1))
    up = gamma * math.log(max(T, 2))
    cost0 = c0[0].copy()  # start in base state, free
    cost1 = c1[0] + up
    back1_from0 = np.zeros((T, H), dtype=bool)  # for state1 at t: came from state0?
    back0_from1 = np.zeros((T, H), dtype=bool)  # for state0 at t: came from state1?
    for t in range(1, T):
        # to state 0: from 0 (free) or from 1 (free)
        from1 = cost1 < cost0
        n0 = np.where(from1, cost1, cost0) + c0[t]
        # to state 1: from 1 (free) or from 0 (pay up)
        via0 = cost0 + up
        fr0 = via0 < cost1
        n1 = np.where(fr0, via0, cost1) + c1[t]
        back0_from1[t] = from1
        back1_from0[t] = fr0
        cost0, cost1 = n0, n1
    states = np.zeros((T, H), dtype=bool)
    cur = cost1 < cost0
    for t in range(T - 1, -1, -1):
        states[t] = cur
        if t == 0:
            break
        cur = np.where(cur, ~back1_from0[t], back0_from1[t])
    return states


def burst_intervals(states: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in a 1-d boolean array as (start, end) index pairs, end inclusive."""
    x = np.concatenate([[False], np.asarray(states, dtype=bool), [False]])
    d = np.diff(x.astype(np.int8))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


# --------------------------------------------------------------------------- text helpers
#: a run of 2-3 capitalised words that starts a word: after whitespace, an opening quote or
#: bracket, or the start of the post ("TERRORISTS?Areu Hillary" is a typo, not "Areu Hillary")
_NAME_RE = re.compile(r"(?<![^\s\"'(\[“‘])([A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?:\s+[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?){1,2})\b")

#: Capitalised words that start "names" but are not people (sentence starters, days, months...).
NAME_STOP = frozenset(
    """The This That These Those There Their They We You Our Your It Its He She His Her I A An And
    But Or So If When Why What Who How Not No Yes Just All Any Some More Most Very Please Thank
    Thanks Today Tomorrow Yesterday Breaking News Watch Read Via RT Good Great New Old Big Happy
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June
    July August September October November December Mr Mrs Ms Dr Sir Lord Lady Party Labour
    Conservative Tory Tories Government Parliament House Prime Minister Twitter Facebook Donald
    Don Is Are Was Were Has Have Had Do Does Did Can Could Should Would Will Let Get Got Make
    Stop Sack Ban Out Resign Expel Fire Now Time Here Never Always Every Even Still After Before
    On In At Of For From With By To Up Down Over Under My Me Him Them Us Jews Jewish Israel
    Palestine Gaza London Britain British England English America American Russia UK US USA EU
    Until Unless While Where Because Since Although Though Then Than Also Only Maybe Once Whether
    Black White Muslim Muslims Islam Islamic Christian Christians Syrian Syria Refugee Refugees
    Mexican Mexicans Arab Arabs African Africans Asian Asians Latino Latinos Immigrant Immigrants
    North South East West Middle Admin Administration Regime Campaign Team Supporters Fans Lives
    Matter Media Police Army Church State States City County Street Park University College""".split()
)


def person_names(text: str | None) -> list[str]:
    """Candidate personal names in a post: runs of two or three capitalised words (a simple,
    model-free heuristic; common capitalised non-name words are skipped). Deduplicated per post."""
    if not text:
        return []
    found: list[str] = []
    for m in _NAME_RE.finditer(text):
        words = m.group(1).split()
        while words and words[0] in NAME_STOP:
            words = words[1:]
        while words and words[-1] in NAME_STOP:
            words = words[:-1]
        if len(words) < 2 or any(w in NAME_STOP for w in words):
            continue
        name = " ".join(words)
        if name not in found:
            found.append(name)
    return found


def squash(name: str | None) -> str:
    """A name or handle lower-cased with everything but letters and digits removed
    ("Tom Watson" → "tomwatson"), for matching hashtags to people."""
    return re.sub(r"[^0-9a-z]", "", name.lower()) if isinstance(name, str) else ""


_PA_TYPES = {
    "string": "string", "int64": "int64", "float64": "float64", "bool": "bool_", "timestamp": "timestamp",
    "date": "date32",
}


def write_frame(engine, name: str, df: pd.DataFrame, types: dict[str, str]) -> None:
    """Write a findings frame with explicit column types (``types``: column → string, int64,
    float64, bool, timestamp or date), so empty or all-NULL columns still get a real SQL type."""
    import pyarrow as pa

    fields = []
    for col, t in types.items():
        if t == "timestamp":
            fields.append(pa.field(col, pa.timestamp("us")))
        else:
            fields.append(pa.field(col, getattr(pa, _PA_TYPES[t])()))
    schema = pa.schema(fields)
    df = df.reindex(columns=list(types))
    arrays = []
    for f in schema:
        col = df[f.name]
        if pa.types.is_string(f.type):
            vals = [None if (v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA) else str(v) for v in col]
            arrays.append(pa.array(vals, type=f.type))
        elif pa.types.is_timestamp(f.type):
            arrays.append(pa.array(pd.to_datetime(col), type=f.type) if len(col) else pa.array([], type=f.type))
        elif pa.types.is_date(f.type):
            arrays.append(pa.array([None if pd.isna(v) else pd.Timestamp(v).date() for v in col], type=f.type))
        else:
            arrays.append(pa.array(col.astype(object).where(col.notna(), None).tolist(), type=f.type))
    engine.write(name, pa.Table.from_arrays(arrays, schema=schema))


def to_json(obj: Any) -> str:
    """Compact JSON text (for evidence columns)."""
    return json.dumps(obj, ensure_ascii=False, default=str, separators=(",", ":"))
