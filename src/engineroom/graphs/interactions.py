"""Interaction edges between accounts, as Ibis expressions that run in the engine (DuckDB or Spark).

:func:`resolved_interactions` gives every retweet, quote, reply and mention a target account (its id,
or the account whose handle matches, or ``@handle`` for an account seen only by name);
:func:`aggregate_edges` sums them into directed, weighted, time-stamped edges. Nothing leaves the
engine until an analysis asks for the rows.
"""

from __future__ import annotations

from typing import Sequence

import ibis

#: The directed interaction kinds an account graph is built from.
EDGE_KINDS: tuple[str, ...] = ("retweet", "quote", "reply", "mention")


def resolved_interactions(engine, kinds: Sequence[str] = EDGE_KINDS) -> ibis.Table:
    """Interactions with a target account for every row (Ibis expression, runs in the engine).

    ``target`` is ``target_account_id`` when the source gave it, else the id of the one corpus
    account whose (lower-cased) handle equals ``target_handle``, else ``'@' || target_handle`` (an
    account seen only as a handle). Rows with neither id nor handle, and self-loops, are dropped.
    ``kinds``: the interaction kinds kept (default :data:`EDGE_KINDS`: retweet, quote, reply,
    mention).
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
    :func:`resolved_interactions` rows: weight (number of interactions), first_at, last_at (the
    first and last interaction's time). A plain group-by; the engine runs it."""
    return inter.group_by(["platform", "source", "target", "kind"]).aggregate(
        weight=lambda t: t.post_id.count(),
        first_at=lambda t: t.created_at.min(),
        last_at=lambda t: t.created_at.max(),
    )
