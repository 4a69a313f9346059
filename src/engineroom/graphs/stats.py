"""Statistics of counts and scores: concentration (Gini) and where a ranked head ends (Kneedle)."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np


def gini(values: Iterable[float]) -> float:
    """Gini coefficient (Gini 1912) of a set of non-negative counts: 0 = evenly spread, towards 1 =
    one holds all (at most ``1 - 1/n`` for n values).

    Computed from the sorted values' cumulative sums, ``G = (n + 1 - 2 * sum(cum) / cum[-1]) / n``
    (the Lorenz-curve form). No values, or all zero, give 0.
    """
    x = np.sort(np.asarray(list(values), dtype=float))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    cum = np.cumsum(x)
    return float((n + 1 - 2 * (cum.sum() / cum[-1])) / n)


def kneedle(scores: Sequence[float], min_size: int = 1, max_size: int | None = None) -> int:
    """Size of the head of a descending score curve by the Kneedle rule (Satopää, Albrecht, Irwin &
    Raghavan 2011, "Finding a 'Kneedle' in a haystack: detecting knee points in system behavior",
    ICDCS workshops).

    Scores are sorted descending and both axes normalised to [0, 1]; for this convex,
    decreasing curve the knee is the point farthest below the chord from the first to the last
    point (Kneedle's difference curve ``(1 - x) - y``). Returns the number of items up to and
    including the knee, clipped to ``[min_size, max_size]`` (defaults 1 and None: no upper
    bound but the number of scores). Two scores or fewer, or all equal, give all of them (up to
    ``max_size``); no scores give 0.
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
