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
from typing import Iterable, Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .clusters import CONVERSATION_NETWORKS

FUSED_COLUMNS = ["platform", "account_1", "account_2", "similarity", "networks"]
SCORE_COLUMNS = ["platform", "account_id", "coordination_score", "ties", "networks", "cluster_id"]


def fused_query(edges: ir.Table, networks: Sequence[str], min_similarity: float = 0.05,
                exclude: Iterable[str] = CONVERSATION_NETWORKS) -> ir.Table:
    """The fused network as an engine (Ibis) expression over the ``coordination`` edge table.

    One row per account pair (platform, account_1, account_2) with fused ``similarity`` >=
    ``min_similarity`` and one column ``share_<network>`` per network of ``networks`` (NULL where
    the pair has no edge there). The product ``prod(1 - share)`` is taken in the order of
    ``networks`` (the order the run computed them, as :func:`fuse` multiplies them), so the
    similarities are the same floating-point numbers on every engine. ``networks`` must name every
    network of ``edges`` that is not excluded.
    """
    excl = set(exclude)
    nets = [n for n in networks if n not in excl]
    e = edges.filter(edges.network.isin(nets) & edges.share.notnull()) if nets else edges.filter(ibis.literal(False))
    share = e.share.cast("float64")
    aggs = {f"share_{n}": share.max(where=e.network == n) for n in nets}
    g = e.group_by(["platform", "account_1", "account_2"]).aggregate(**aggs) if nets else \
        e.group_by(["platform", "account_1", "account_2"]).aggregate(n=e.count())
    prod = ibis.literal(1.0, type="float64")
    for n in nets:  # 1 - clip(share, 0, 1), absent networks as the neutral 1.0
        miss = ibis.literal(1.0) - ibis.least(ibis.greatest(g[f"share_{n}"], 0.0), 1.0)
        prod = prod * miss.fill_null(1.0)
    g = g.mutate(similarity=ibis.literal(1.0) - prod)
    g = g.filter(g.similarity >= min_similarity)
    return g.select("platform", "account_1", "account_2", "similarity", *[f"share_{n}" for n in nets])


def _json_number(values: pa.Array) -> pa.Array:
    """Python's ``json.dumps(round(v, 4))`` of each value (NULL stays NULL), one call per distinct value."""
    uniq = pc.unique(values.drop_null())
    text = pa.array([json.dumps(round(float(v), 4)) for v in uniq.to_pylist()], pa.string())
    return pc.take(text, pc.index_in(values, value_set=uniq))


def fused_networks_json(shares: pa.Table, networks: Sequence[str]) -> pa.Array:
    """The ``networks`` column of :func:`fuse` (JSON object network -> share rounded to 4 places,
    keys sorted) from the ``share_<network>`` columns of :func:`fused_query`."""
    pieces = []
    for n in sorted(networks):
        col = shares.column(f"share_{n}").combine_chunks()
        pieces.append(pc.binary_join_element_wise(pa.scalar(json.dumps(n) + ": "), _json_number(col), ""))
    if not pieces:
        return pa.array(["{}"] * shares.num_rows, pa.string())
    body = pc.binary_join_element_wise(*pieces, ", ", null_handling="skip")
    return pc.binary_join_element_wise("{", body, "}", "")


def fused_table(shares: pa.Table, networks: Sequence[str]) -> pa.Table:
    """The ``coordination_fused`` rows (:data:`FUSED_COLUMNS`) from :func:`fused_query`'s result."""
    nets = [n for n in networks if f"share_{n}" in shares.column_names]
    return pa.table({
        "platform": shares.column("platform"),
        "account_1": shares.column("account_1"),
        "account_2": shares.column("account_2"),
        "similarity": shares.column("similarity").cast(pa.float64()),
        "networks": fused_networks_json(shares, nets),
    })


def account_scores_from_shares(shares: pa.Table, networks: Sequence[str],
                               clusters: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`account_scores` of the fused network from :func:`fused_query`'s result (the networks
    of an account's ties read from the share columns instead of parsing each tie's JSON)."""
    nets = sorted(n for n in networks if f"share_{n}" in shares.column_names)
    if shares.num_rows == 0:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    cols = {"platform": shares.column("platform").to_numpy(zero_copy_only=False),
            "similarity": shares.column("similarity").to_numpy(zero_copy_only=False)}
    flags = {n: shares.column(f"share_{n}").is_valid().to_numpy(zero_copy_only=False) for n in nets}
    both = pd.concat([
        pd.DataFrame({**cols, "account_id": shares.column(side).to_numpy(zero_copy_only=False), **flags})
        for side in ("account_1", "account_2")
    ], ignore_index=True)[["platform", "account_id", "similarity", *nets]]
    g = both.groupby(["platform", "account_id"], sort=True)
    out = g["similarity"].agg(coordination_score="sum", ties="count").reset_index()
    if nets:
        has = g[nets].any()
        names = np.array([json.dumps(n) for n in nets], dtype=object)
        out["networks"] = ["[" + ", ".join(names[row]) + "]" for row in has.to_numpy()]
    else:
        out["networks"] = "[]"
    out["coordination_score"] = out["coordination_score"].round(6)
    return _with_clusters(out, clusters)


def _with_clusters(out: pd.DataFrame, clusters: pd.DataFrame | None) -> pd.DataFrame:
    if clusters is not None and len(clusters):
        cid = clusters.drop_duplicates(["platform", "account_id"]).set_index(["platform", "account_id"])["cluster_id"]
        out["cluster_id"] = cid.reindex(pd.MultiIndex.from_frame(out[["platform", "account_id"]])).to_numpy()
    else:
        out["cluster_id"] = None
    out = out.sort_values(["coordination_score", "platform", "account_id"], ascending=[False, True, True], kind="stable")
    return out[SCORE_COLUMNS].reset_index(drop=True)


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
    return _with_clusters(out, clusters)
