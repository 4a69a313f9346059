"""CooRnet's automatic estimate of the coordination interval (the time window).

Giglietto, Righetti, Rossi & Marino (2020), "It takes a village to manipulate the media:
coordinated link sharing behavior during 2018 and 2019 Italian elections", *Information,
Communication & Society* 23(6); CooRnet's ``estimate_coord_interval(q = 0.1, p = 0.5)``:

1. keep the keys (URLs in CooRnet; here the key of any network: retweeted post, text, URL, ...)
   shared at least twice, rank each key's shares by time;
2. take each key's time from the first to the second share, and keep the keys whose second
   share came within the ``q`` quantile of those delays (the "unusually quick" keys);
3. for each such key, the time from its first share until more than ``p`` of its shares are in
   (the first share whose rank / count exceeds ``p``);
4. the interval is the ``p`` quantile (R's default type 7, linear) of those times.

Here the result is rounded up to whole seconds and is at least ``minimum`` seconds; when no key
is shared twice the ``default`` window is used.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..engines import Engine


def estimate_window(
    engine: "Engine",
    actions: ir.Table,
    q: float = 0.1,
    p: float = 0.5,
    default: int = 60,
    minimum: int = 1,
) -> dict:
    """CooRnet's coordination interval for an action table (columns platform, key, post_id, t).

    Returns ``{"window": seconds, "keys": keys shared twice or more, "quick_keys": n,
    "estimate": the unrounded estimate or None}``.
    """
    if not (0 <= q <= 1 and 0 <= p <= 1):
        raise ValueError("CooRnet's q and p must be between 0 and 1")
    a = actions.select("platform", "key", "post_id", "t").distinct()
    w = ibis.window(group_by=[a.platform, a.key], order_by=[a.t, a.post_id])
    ranked = a.mutate(
        rank=ibis.row_number().over(w) + 1,
        n=a.post_id.count().over(ibis.window(group_by=[a.platform, a.key])),
        first=a.t.min().over(ibis.window(group_by=[a.platform, a.key])),
    )
    ranked = ranked.filter(ranked.n > 1).mutate(secs=ranked.t - ranked.first)
    per_key = ranked.group_by(["platform", "key"]).aggregate(
        second=ranked.secs.max(where=ranked.rank == 2),
        reach=ranked.secs.min(where=(ranked.rank.cast("float64") / ranked.n.cast("float64")) > p),
    )
    df = engine.to_pandas(per_key.select("second", "reach"))
    if df.empty:
        return {"window": int(default), "keys": 0, "quick_keys": 0, "estimate": None}
    second = df["second"].to_numpy(dtype=float)
    cut = float(np.quantile(second, q))  # numpy's default "linear" is R's type 7
    quick = df[second <= cut]["reach"].dropna().to_numpy(dtype=float)
    if quick.size == 0:
        return {"window": int(default), "keys": int(len(df)), "quick_keys": 0, "estimate": None}
    est = float(np.quantile(quick, p))
    return {
        "window": max(int(minimum), int(math.ceil(est))),
        "keys": int(len(df)),
        "quick_keys": int(quick.size),
        "estimate": est,
    }
