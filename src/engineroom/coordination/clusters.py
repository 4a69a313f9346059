"""Clusters of coordinated accounts: one list, each cluster with its networks, evidence posts and strength.

A cluster is a group of accounts tied by *repeated coordinated acts*. Two accounts are tied when
one of their edges is such evidence:

* an edge of an action network (co_tweet, co_salted_tweet, co_link, co_hashtag_sequence, ...)
  with at least ``min_acts`` coordinated acts (its CNT weight) and a ``share`` of at least
  ``min_share`` (the smaller of the two accounts' fractions of actions matched by the other;
  hyper-active accounts that share viral posts by chance have tiny shares);
* a strong ``sync`` edge: active in the same time bin at least ``sync_weight`` times, and far
  more often than chance: with ``a1``, ``a2`` the two accounts' active bins, independent
  accounts share K bins about Poisson(:func:`sync_expected`) times (``a1 * a2 / B`` with ``B``
  equally busy bins; with the platform's bin occupancy, the busy-bin model: posting follows the
  busy hours), and the edge needs P(K >= weight) <= ``sync_p`` (two hyper-active accounts share
  many bins by chance alone).

Conversation is not coordination: edges of the *conversation networks* (``co_mention``,
``co_reply``: people replying in one thread mention and reply to the same accounts within
seconds) never tie two accounts by themselves; they add their weight to pairs that another
network ties. The tied pairs whose weights summed over every network reach ``min_weight``
(default 4: two chance co-retweets of viral posts are not an operation) form the combined
network (weight = that sum); its Leiden communities (modularity; Traag, Waltman & van Eck 2019, "From Louvain
to Leiden: guaranteeing well-connected communities", *Scientific Reports* 9) of at least
``min_size`` accounts are the clusters. Leiden splits the long chains that connected components
make of loosely linked groups, and each account is in at most one cluster.

``strength`` of a cluster: its coordinated acts (the summed weights of its internal tie edges)
per member account. ``evidence``: per network the internal edges and their total weight, the
strongest tie edges, and up to ``max_posts`` evidence posts (the posts that make the strongest
tie edges, shared content before synchronised posting), for an analyst to read.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

#: Networks whose edges are conversation (replying to, mentioning the same accounts): they never
#: make a cluster by themselves.
CONVERSATION_NETWORKS: tuple[str, ...] = ("co_mention", "co_reply")

CLUSTER_COLUMNS = ["platform", "cluster_id", "account_id", "method", "size", "strength", "networks", "evidence"]


def tie_edges(
    edges: pd.DataFrame,
    min_acts: int = 2,
    min_share: float = 0.05,
    sync_weight: int = 6,
    conversation: Iterable[str] = CONVERSATION_NETWORKS,
    sync_bins: "int | Mapping[int, int] | None" = None,
    sync_p: float = 1e-4,
) -> pd.DataFrame:
    """The edges that tie two accounts into a cluster (see the module docstring).

    ``sync_bins``: the platform's active sync bins, as a number or as its bin occupancy (see
    :func:`sync_chance`; None: no chance test)."""
    conv = set(conversation)
    net = edges["network"]
    is_sync = net == "sync"
    action = ~net.isin(conv) & ~is_sync & (edges["weight"] >= min_acts) & (edges["share"] >= min_share)
    strong_sync = is_sync & (edges["weight"] >= sync_weight)
    if sync_bins and strong_sync.any() and {"actions_1", "actions_2"} <= set(edges.columns):
        strong_sync &= sync_chance(edges, sync_bins) <= sync_p
    return edges[action | strong_sync]


def cluster_candidates(
    edges: "ibis.Table",
    networks: Iterable[str],
    min_acts: int = 2,
    min_share: float = 0.05,
    sync_weight: int = 6,
    conversation: Iterable[str] = CONVERSATION_NETWORKS,
    with_posts: bool = True,
) -> "ibis.Table":
    """The edges of ``networks`` (an engine expression over the ``coordination`` table) of the
    account pairs that one of their edges may tie: :func:`tie_edges` without the sync chance test
    (a superset of the tied pairs). :func:`cluster_accounts` gives the same clusters on these as on
    every edge, since it drops the pairs no edge ties before anything else. ``with_posts=False``
    leaves out the (long) post lists: :func:`cluster_accounts` then reads those of the few edges
    it cites with its ``post_ids_of``."""
    import ibis

    nets, conv = list(networks), list(conversation)
    e = edges.filter(edges.network.isin(nets)) if nets else edges.filter(ibis.literal(False))
    action = (e.network != "sync") & (e.weight >= min_acts) & (e.share >= min_share)
    if conv:
        action = action & ~e.network.isin(conv)
    sync = (e.network == "sync") & (e.weight >= sync_weight)
    keys = ["platform", "account_1", "account_2"]
    tied = e.filter(action | sync).select(*keys).distinct()
    cols = ["platform", "network", "account_1", "account_2", "weight", "share", "actions_1", "actions_2"]
    if with_posts:
        cols.insert(6, "post_ids")
    return e.semi_join(tied, keys).select(*cols)


def edge_post_ids(edges: "ibis.Table", keys: pd.DataFrame, to_pandas: Callable) -> list:
    """The ``post_ids`` of the edges named by ``keys`` (platform, network, account_1, account_2),
    in ``keys``' order (None for an edge not in ``edges``); ``to_pandas`` runs an engine expression."""
    import ibis

    cols = ["platform", "network", "account_1", "account_2"]
    if keys.empty:
        return []
    k = ibis.memtable(keys[cols].assign(_row=np.arange(len(keys), dtype=np.int64)))
    found = to_pandas(k.join(edges.select(*cols, "post_ids"), cols).select("_row", "post_ids"))
    by_row = dict(zip(found["_row"].astype(int), found["post_ids"]))
    return [by_row.get(i) for i in range(len(keys))]


def sync_expected(actions_1, actions_2, bins: "int | pd.Series | Mapping[int, int]") -> np.ndarray:
    """Expected shared bins of two independent accounts with ``actions_1`` / ``actions_2`` active
    bins: the mean of the chance model of ``sync``.

    ``bins`` as a number (or one per edge): B equally busy bins, mean ``a1 * a2 / B``. As the
    platform's *bin occupancy* (a mapping: accounts active in a bin -> number of such bins), the
    busy-bin model: an account active in a bins is in a bin of n active accounts with probability
    ``min(1, a * n / N)`` (N: all actions), so the mean is ``sum over bins of min(1, a1 n / N) *
    min(1, a2 n / N)``. Posting concentrates in the busy hours of the day; two busy accounts then
    share more bins by chance than the equal-bins mean says (at least ``a1 a2 / B``, by
    Cauchy-Schwarz, while neither probability reaches 1), and the equal-bins model took that
    daily rhythm for synchrony.
    """
    a1 = np.asarray(actions_1, dtype=float)
    a2 = np.asarray(actions_2, dtype=float)
    if not isinstance(bins, Mapping):
        b = np.asarray(bins, dtype=float)
        return a1 * a2 / np.clip(b, 1, None)
    n = np.array([float(k) for k in bins], dtype=float)
    c = np.array([float(v) for v in bins.values()], dtype=float)
    total = float((n * c).sum())
    if total <= 0 or len(a1) == 0:
        return np.zeros(len(a1))
    share = n / total
    out = np.empty(len(a1))
    step = max(1, 2_000_000 // max(len(n), 1))  # rows per chunk: bounded memory
    for i in range(0, len(a1), step):
        q1 = np.minimum(1.0, np.outer(a1[i:i + step], share))
        q2 = np.minimum(1.0, np.outer(a2[i:i + step], share))
        out[i:i + step] = (q1 * q2) @ c
    return out


def sync_chance(edges: pd.DataFrame, bins: "int | pd.Series | Mapping[int, int]") -> pd.Series:
    """P(K >= weight) for K ~ Poisson(:func:`sync_expected`): how likely two independent accounts
    with these many active bins (``actions_1``, ``actions_2``) share ``weight`` bins by chance.

    ``bins``: the platform's active bins (one number, or one per edge: all bins equally busy), or
    its bin occupancy {accounts in a bin: number of bins} (the busy-bin model the ``sync`` network
    and the clusters use)."""
    from scipy.special import pdtrc  # P(K > k) of a Poisson distribution

    lam = sync_expected(edges["actions_1"].to_numpy(), edges["actions_2"].to_numpy(),
                        bins if isinstance(bins, Mapping) else (bins.to_numpy() if isinstance(bins, pd.Series) else bins))
    return pd.Series(pdtrc(edges["weight"].astype(float).to_numpy() - 1, lam), index=edges.index)


def _with_pair_numbers(edges: pd.DataFrame) -> pd.DataFrame:
    """``edges`` with ``_pair``: one integer per (account_1, account_2), for fast membership tests."""
    codes, uniques = pd.factorize(pd.concat([edges["account_1"], edges["account_2"]], ignore_index=True))
    n = len(edges)
    return edges.assign(_pair=codes[:n].astype(np.int64) * max(len(uniques), 1) + codes[n:])


def _pairs_in(edges: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """Whether each edge's account pair (``_pair``) is one of ``pairs``' (a boolean mask)."""
    return np.isin(edges["_pair"].to_numpy(), pairs["_pair"].to_numpy())


def _evidence_posts(strongest: list[pd.DataFrame], max_posts: int,
                    post_ids_of: "Callable[[pd.DataFrame], list] | None") -> list[list[str]]:
    """Per cluster, up to ``max_posts`` distinct posts of its strongest tie edges (``strongest``,
    in order): each edge's ``post_ids`` in turn until there are enough.

    Where the edges have no ``post_ids`` column, ``post_ids_of`` gives the lists of the edges it
    is passed (rows of ``strongest``, in their order); it is asked, for all clusters at once, for
    the next ``max_posts`` edges of every cluster that still has too few posts (once, nearly
    always: every edge has a post of its own)."""
    posts: list[list[str]] = [[] for _ in strongest]
    if not strongest or ("post_ids" not in strongest[0].columns and post_ids_of is None):
        return posts
    at = [0] * len(strongest)
    while True:
        todo = [i for i, s in enumerate(strongest) if len(posts[i]) < max_posts and at[i] < len(s)]
        if not todo:
            return posts
        heads = [strongest[i].iloc[at[i]: at[i] + max_posts] for i in todo]
        if "post_ids" in strongest[todo[0]].columns:
            lists = [h["post_ids"].tolist() for h in heads]
        else:
            flat = list(post_ids_of(pd.concat(heads, ignore_index=True)))
            ends = np.cumsum([len(h) for h in heads])
            lists = [flat[e - len(h): e] for h, e in zip(heads, ends)]
        for i, h, ids_list in zip(todo, heads, lists):
            at[i] += len(h)
            got = posts[i]
            for ids in ids_list:
                for p in json.loads(ids) if isinstance(ids, str) else []:
                    if p not in got and len(got) < max_posts:
                        got.append(p)
                if len(got) >= max_posts:
                    at[i] = len(strongest[i])  # enough: this cluster is done
                    break


def cluster_accounts(
    edges: pd.DataFrame,
    min_size: int = 3,
    min_acts: int = 2,
    min_share: float = 0.05,
    sync_weight: int = 6,
    conversation: Iterable[str] = CONVERSATION_NETWORKS,
    min_weight: int = 4,
    sync_bins: dict | None = None,
    sync_p: float = 1e-4,
    resolution: float = 1.0,
    seed: int = 42,
    top_edges: int = 10,
    max_posts: int = 20,
    post_ids_of: "Callable[[pd.DataFrame], list] | None" = None,
) -> pd.DataFrame:
    """Cluster rows (:data:`CLUSTER_COLUMNS`), one row per (cluster, account); ``method`` is "leiden".

    ``edges`` has columns platform, network, account_1, account_2, weight, share and (optional)
    post_ids (a JSON list), one row per network edge as the ``coordination`` table. Without
    post_ids, ``post_ids_of`` (see :func:`_evidence_posts`, e.g. :func:`edge_post_ids`) reads the
    lists of the few edges the clusters' evidence cites; with neither, the evidence lists no posts.
    """
    import igraph as ig

    if edges.empty:
        return pd.DataFrame(columns=CLUSTER_COLUMNS)
    conversation = tuple(conversation)
    rows: list[dict] = []
    numbered = 0  # cluster ids run over all platforms (one list)
    for platform, e in edges.groupby("platform", sort=True):
        bins = (sync_bins or {}).get(platform)
        e = _with_pair_numbers(e)
        ties = tie_edges(e, min_acts, min_share, sync_weight, conversation, bins, sync_p)
        if ties.empty:
            continue
        e = e[_pairs_in(e, ties)]
        # sorted: the graph (and so Leiden's result) must not depend on the engine's row order
        combined = e.groupby(["account_1", "account_2"], sort=True).agg(weight=("weight", "sum"), _pair=("_pair", "first")).reset_index()
        combined = combined[combined["weight"] >= min_weight]
        if combined.empty:
            continue
        e = e[_pairs_in(e, combined)]
        ties = ties[_pairs_in(ties, combined)]
        names = pd.unique(pd.concat([combined["account_1"], combined["account_2"]], ignore_index=True))
        index = {n: i for i, n in enumerate(names)}
        g = ig.Graph(
            n=len(names),
            edges=list(zip(combined["account_1"].map(index), combined["account_2"].map(index))),
            directed=False,
        )
        g.es["weight"] = combined["weight"].astype(float).tolist()
        random.seed(seed)  # igraph draws from Python's random module: reproducible Leiden
        membership = g.community_leiden(
            objective_function="modularity", weights="weight", resolution=resolution, n_iterations=-1
        ).membership
        groups: dict[int, list[int]] = defaultdict(list)
        for v, c in enumerate(membership):
            groups[c].append(v)
        kept = [vs for vs in groups.values() if len(vs) >= min_size]
        kept.sort(key=lambda vs: (-len(vs), min(names[v] for v in vs)))
        member_of = {names[v]: k for k, vs in enumerate(kept) for v in vs}
        e2 = e.assign(c1=e["account_1"].map(member_of), c2=e["account_2"].map(member_of))
        internal = e2[e2["c1"].notna() & (e2["c1"] == e2["c2"])]
        by_cluster = {int(k): grp for k, grp in internal.groupby("c1")}
        tie_index = set(ties.index)
        found: list[tuple] = []
        for k, vs in enumerate(kept):
            grp = by_cluster.get(k, internal.iloc[0:0])
            per_net = grp.groupby("network")["weight"].agg(["count", "sum"])
            grp_ties = grp[grp.index.isin(tie_index)]
            # shared content first (an analyst reads the copies), then synchronised posting
            strongest = grp_ties.assign(_sync=grp_ties["network"] == "sync").sort_values(
                ["_sync", "weight", "network", "account_1", "account_2"], ascending=[True, False, True, True, True],
                kind="stable",
            )
            acts = int(grp_ties["weight"].sum())
            evidence = {
                "edges": {n: int(r["count"]) for n, r in per_net.iterrows()},
                "weight": {n: int(r["sum"]) for n, r in per_net.iterrows()},
                "tie_networks": sorted(grp_ties["network"].unique().tolist()),
                "acts": acts,
                "top_edges": [
                    {"network": r.network, "account_1": r.account_1, "account_2": r.account_2, "weight": int(r.weight)}
                    for r in strongest.head(top_edges).itertuples()
                ],
                "posts": [],
            }
            found.append((k, vs, strongest, evidence, json.dumps(sorted(per_net.index.tolist())), round(acts / len(vs), 3)))
        posts = _evidence_posts([f[2] for f in found], max_posts, post_ids_of)
        for (k, vs, _, evidence, networks, strength), ps in zip(found, posts):
            evidence["posts"] = ps
            for v in sorted(vs, key=lambda v: names[v]):
                rows.append(
                    {
                        "platform": platform,
                        "cluster_id": f"cluster-{numbered + k + 1}",
                        "account_id": names[v],
                        "method": "leiden",
                        "size": len(vs),
                        "strength": strength,
                        "networks": networks,
                        "evidence": json.dumps(evidence),
                    }
                )
        numbered += len(kept)
    return pd.DataFrame(rows, columns=CLUSTER_COLUMNS)
