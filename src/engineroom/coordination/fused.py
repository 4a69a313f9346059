"""The fused picture: every coordination network in one account similarity network, and a
per-account coordination score.

Method after Luceri, Pantè, Burghardt & Ferrara (2024), "Unmasking the Web of Deceit:
Uncovering Coordinated Activity to Expose Information Operations on Twitter", *Proceedings of
the ACM Web Conference 2024* (WWW '24): each behavioural indicator gives an account similarity
network; the networks are fused into one, weak ties are pruned, and an account's centrality in
the fused network ranks how likely it drives the operation.

Here an indicator's similarity for a pair of accounts is the edge's ``share`` (the smaller of
the two accounts' fractions of actions matched by the other, 0-1), and the fused similarity is
the chance that at least one indicator ties them, ``1 - prod(1 - share)`` over the networks
(a pair coordinated on several indicators is more similar than on any one). Conversation
networks (``co_mention``, ``co_reply``) are left out, as in the clusters. Ties below
``min_similarity`` are pruned. ``coordination_score`` is the account's weighted degree
(the sum of its fused similarities) in the pruned network: it grows with how many accounts it
is coordinated with and how closely, and can be sorted across the whole corpus (an eigenvector
centrality would rank only the largest connected group).
"""

from __future__ import annotations

import json
from typing import Iterable

import pandas as pd

from .clusters import CONVERSATION_NETWORKS

FUSED_COLUMNS = ["platform", "account_1", "account_2", "similarity", "networks"]
SCORE_COLUMNS = ["platform", "account_id", "coordination_score", "ties", "networks", "cluster_id"]


def fuse(edges: pd.DataFrame, min_similarity: float = 0.05,
         exclude: Iterable[str] = CONVERSATION_NETWORKS) -> pd.DataFrame:
    """The fused network (:data:`FUSED_COLUMNS`): one row per account pair with fused similarity
    >= ``min_similarity``; ``networks`` is a JSON object network -> share."""
    e = edges[~edges["network"].isin(set(exclude))]
    e = e[e["share"].notna()]
    if e.empty:
        return pd.DataFrame(columns=FUSED_COLUMNS)
    e = e.assign(_miss=1.0 - e["share"].clip(0, 1).astype(float))
    keys = ["platform", "account_1", "account_2"]
    g = e.groupby(keys, sort=True)
    out = g["_miss"].prod().reset_index()
    out["similarity"] = 1.0 - out.pop("_miss")
    nets = g.apply(lambda x: json.dumps({n: round(float(s), 4) for n, s in zip(x["network"], x["share"])}, sort_keys=True),
                   include_groups=False)
    out["networks"] = nets.to_numpy()
    return out[out["similarity"] >= min_similarity][FUSED_COLUMNS].reset_index(drop=True)


def account_scores(fused: pd.DataFrame, clusters: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per account in the fused network (:data:`SCORE_COLUMNS`): ``coordination_score`` (weighted
    degree), ``ties`` (fused ties), ``networks`` (JSON list of the networks of its ties) and its
    ``cluster_id`` (None when in no cluster), highest score first."""
    if fused.empty:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    both = pd.concat([
        fused[["platform", "account_1", "similarity", "networks"]].rename(columns={"account_1": "account_id"}),
        fused[["platform", "account_2", "similarity", "networks"]].rename(columns={"account_2": "account_id"}),
    ], ignore_index=True)
    g = both.groupby(["platform", "account_id"], sort=True)
    out = g["similarity"].agg(coordination_score="sum", ties="count").reset_index()
    nets = g["networks"].agg(lambda s: json.dumps(sorted({n for j in s for n in json.loads(j)})))
    out["networks"] = nets.to_numpy()
    out["coordination_score"] = out["coordination_score"].round(6)
    if clusters is not None and len(clusters):
        cid = clusters.drop_duplicates(["platform", "account_id"]).set_index(["platform", "account_id"])["cluster_id"]
        out["cluster_id"] = cid.reindex(pd.MultiIndex.from_frame(out[["platform", "account_id"]])).to_numpy()
    else:
        out["cluster_id"] = None
    out = out.sort_values(["coordination_score", "platform", "account_id"], ascending=[False, True, True], kind="stable")
    return out[SCORE_COLUMNS].reset_index(drop=True)
