"""Bursts in time series: Kleinberg's two-state burst model (Kleinberg 2002) and its burst intervals.

:func:`kleinberg_bursts` marks, per hashtag, the time bins where the hashtag is used far more than
its base rate; :func:`burst_intervals` turns those marks into (start, end) runs.
"""

from __future__ import annotations

import math

import numpy as np


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

    Defaults: ``s=2.0`` (a burst is at least twice the base rate), ``gamma=1.0`` (the cost of
    entering a burst, in units of ``ln T``; higher finds fewer, stronger bursts). A 1-d ``counts``
    is one hashtag.
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
    """Runs of True in a 1-d boolean array as (start, end) index pairs, end inclusive: the burst
    intervals of one column of :func:`kleinberg_bursts` (``[(20, 23)]`` = bins 20 to 23)."""
    x = np.concatenate([[False], np.asarray(states, dtype=bool), [False]])
    d = np.diff(x.astype(np.int8))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, ends)]
