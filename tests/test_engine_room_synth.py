"""Planted structures of an engineroom synth corpus are recovered (issue 4, 'done when')."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.mark.slow
def test_synth_engine_room_campaign_and_burst(corpus, tmp_path):
    from engineroom.synth import synthesize

    truth = synthesize(6000, tmp_path / "synth.csv", format="csv", seed=11)
    corpus.ingest(truth["files"])
    corpus.analyze(only=["engine_room", "campaigns", "trends"], params={
        "engine_room": {"hashtags": truth["narrative"]["hashtags"], "narrative_name": "smear"},
        "trends": {"resolutions": ["hour"]},
    })
    er = corpus.table("engine_room")
    planted = set(truth["engine_room"]["accounts"])
    top = set(er.nsmallest(len(planted), "rank")["account_id"])
    assert len(top & planted) / len(planted) >= 0.9
    core = set(er.loc[er["in_core"], "account_id"])
    assert len(core & planted) / len(planted) >= 0.9 and len(core) <= 2 * len(planted)

    camp = corpus.table("campaigns")
    row = camp[camp["hashtag"] == truth["campaign"]["hashtag"]].iloc[0]
    assert row["target_handle"] == truth["campaign"]["target_handle"]
    assert row["target_name"] == truth["campaign"]["target_name"]

    tr = corpus.table("trends")
    burst = tr[tr["tag"] == truth["burst"]["hashtag"]].sort_values("posts", ascending=False).iloc[0]
    onset = pd.Timestamp(truth["burst"]["onset"]).tz_localize(None)
    assert abs(burst["onset"] - onset) <= pd.Timedelta(hours=1)
