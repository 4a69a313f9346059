"""Hashtag bursts with Kleinberg's two-state model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from engineroom import graphs
from planted_network import planted


def test_kleinberg_two_state_finds_the_surge():
    totals = np.full(48, 100)
    counts = np.full(48, 2)
    counts[20:24] = [30, 40, 35, 25]
    states = graphs.kleinberg_bursts(counts, totals)[:, 0]
    assert graphs.burst_intervals(states) == [(20, 23)]
    # a flat series has no burst
    assert not graphs.kleinberg_bursts(np.full(48, 2), totals).any()
    # costlier bursts (higher gamma) never make more burst bins
    assert graphs.kleinberg_bursts(counts, totals, gamma=5).sum() <= states.sum()


def test_trends_table_has_planted_burst_onset(corpus):
    truth = planted(corpus)["burst"]
    s = corpus.analyze(only=["trends"])["trends"]
    df = corpus.table("trends")
    assert set(df["resolution"]) == {"hour", "day"} and s["hour"]["bursts"] >= 1
    hour = df[(df["resolution"] == "hour") & (df["tag"] == truth["hashtag"])].sort_values("posts", ascending=False).iloc[0]
    assert abs(hour["onset"] - pd.Timestamp(truth["onset"])) <= pd.Timedelta(hours=1)
    assert hour["start"] <= hour["onset"] <= hour["end"] + pd.Timedelta(hours=1)
    assert hour["peak_posts"] >= 10 and hour["posts"] >= 40
    movers = json.loads(hour["first_movers"])
    assert len(movers) == 10 and movers[0]["at"] <= movers[-1]["at"]
    day = df[(df["resolution"] == "day") & (df["tag"] == truth["hashtag"])].iloc[0]
    assert day["start"] == pd.Timestamp(truth["onset"]).normalize()
    # a steady hashtag does not burst by day
    assert "sunnyday" not in set(df.loc[df["resolution"] == "day", "tag"])


def test_trends_parameters(corpus):
    planted(corpus)
    corpus.analyze(only=["trends"], params={"trends": {"resolutions": ["day"], "min_posts": 1000}})
    assert corpus.count("trends") == 0
