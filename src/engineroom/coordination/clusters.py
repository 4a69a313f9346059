"""Clusters of coordinated accounts from the combined co-activity network (igraph, Leiden).

The combined network joins every network's edges between the same two accounts (weight = the sum
of the networks' weights); pairs below a minimum combined weight are left out. Two cluster methods are written, as rows of one table:

* ``components``: connected components (every account linked to the cluster by a chain of
  coordinated edges);
* ``leiden``: Leiden communities maximising modularity (Traag, Waltman & van Eck 2019, "From
  Louvain to Leiden: guaranteeing well-connected communities", *Scientific Reports* 9), which
  split a large component into densely coordinated groups.

Only clusters of at least ``min_size`` accounts are kept. The evidence of a cluster lists, per
network, its internal edges and their total weight, and its strongest edges.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict

import pandas as pd


def cluster_accounts(
    edges: pd.DataFrame,
    min_size: int = 3,
    min_weight: int = 1,
    resolution: float = 1.0,
    seed: int = 42,
    top_edges: int = 10,
) -> pd.DataFrame:
    """Cluster rows (platform, cluster_id, account_id, method, size, networks, evidence).

    ``edges`` has columns platform, network, account_1, account_2, weight (one row per network
    edge, as the ``coordination`` table). Account pairs whose combined weight (the sum over
    networks) is below ``min_weight`` are left out of the combined network.
    """
    import igraph as ig

    cols = ["platform", "cluster_id", "account_id", "method", "size", "networks", "evidence"]
    if edges.empty:
        return pd.DataFrame(columns=cols)
    rows: list[dict] = []
    for platform, e in edges.groupby("platform", sort=True):
        # sorted: the graph (and so Leiden's result) must not depend on the engine's row order
        combined = e.groupby(["account_1", "account_2"], sort=True)["weight"].sum().reset_index()
        combined = combined[combined["weight"] >= min_weight]
        if combined.empty:
            continue
        keep = set(zip(combined["account_1"], combined["account_2"]))
        e = e[[p in keep for p in zip(e["account_1"], e["account_2"])]]
        names = pd.unique(pd.concat([combined["account_1"], combined["account_2"]], ignore_index=True))
        index = {n: i for i, n in enumerate(names)}
        g = ig.Graph(
            n=len(names),
            edges=list(zip(combined["account_1"].map(index), combined["account_2"].map(index))),
            directed=False,
        )
        g.es["weight"] = combined["weight"].astype(float).tolist()
        random.seed(seed)  # igraph draws from Python's random module: reproducible Leiden
        memberships = {
            "components": g.connected_components().membership,
            "leiden": g.community_leiden(
                objective_function="modularity", weights="weight", resolution=resolution, n_iterations=-1
            ).membership,
        }
        for method, membership in memberships.items():
            groups: dict[int, list[int]] = defaultdict(list)
            for v, c in enumerate(membership):
                groups[c].append(v)
            kept = [vs for vs in groups.values() if len(vs) >= min_size]
            kept.sort(key=lambda vs: (-len(vs), min(names[v] for v in vs)))
            member_of = {}
            for k, vs in enumerate(kept):
                for v in vs:
                    member_of[names[v]] = k
            e2 = e.assign(c1=e["account_1"].map(member_of), c2=e["account_2"].map(member_of))
            internal = e2[e2["c1"].notna() & (e2["c1"] == e2["c2"])]
            by_cluster = {int(k): grp for k, grp in internal.groupby("c1")}
            for k, vs in enumerate(kept):
                grp = by_cluster.get(k, internal.iloc[0:0])
                per_net = grp.groupby("network")["weight"].agg(["count", "sum"])
                strongest = grp.sort_values(
                    ["weight", "network", "account_1", "account_2"], ascending=[False, True, True, True], kind="stable"
                ).head(top_edges)
                evidence = {
                    "edges": {n: int(r["count"]) for n, r in per_net.iterrows()},
                    "weight": {n: int(r["sum"]) for n, r in per_net.iterrows()},
                    "top_edges": [
                        {"network": r.network, "account_1": r.account_1, "account_2": r.account_2, "weight": int(r.weight)}
                        for r in strongest.itertuples()
                    ],
                }
                networks = json.dumps(sorted(per_net.index.tolist()))
                cid = f"{method}-{k + 1}"
                for v in sorted(vs, key=lambda v: names[v]):
                    rows.append(
                        {
                            "platform": platform,
                            "cluster_id": cid,
                            "account_id": names[v],
                            "method": method,
                            "size": len(vs),
                            "networks": networks,
                            "evidence": json.dumps(evidence),
                        }
                    )
    return pd.DataFrame(rows, columns=cols)
