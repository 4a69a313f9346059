"""The `hate` analysis on a small corpus writes the findings table."""

from __future__ import annotations

import json

from engineroom.analyses import run_analyses


def test_hate_analysis_writes_table(corpus):
    texts = [
        ("1", "The holohoax is a lie and (((they))) control the media", "post"),
        ("2", "As a Jew, I love lighting the menorah with my kids", "post"),
        ("3", "Calling people kikes is antisemitic, I condemn it and reported the account", "post"),
        ("4", "Lovely day in Leeds", "post"),
        ("5", "The holohoax is a lie and (((they))) control the media", "retweet"),
        ("6", None, "post"),
        ("7", "Z10N4Z1 scum, Israhell will fall", "reply"),
    ]
    corpus.con.executemany(
        "INSERT INTO posts (platform, post_id, account_id, text, kind) VALUES ('twitter', ?, ?, ?, ?)",
        [(pid, f"acc{pid}", t, k) for pid, t, k in texts],
    )
    res = run_analyses(corpus, only=["hate"])["hate"]
    df = corpus.table("hate").set_index("post_id")
    assert list(corpus.table("hate").columns) == [
        "platform", "post_id", "account_id", "label", "score", "hate_score", "category", "evidence", "counter_speech"]
    assert set(df.index) == {"1", "2", "3", "4", "7"}  # no retweet, no empty text
    assert df.loc["1", "label"] == "antisemitic" and df.loc["1", "category"] is not None
    assert df.loc["7", "label"] == "antisemitic" and df.loc["7", "category"] == "nazi_comparison"
    assert df.loc["2", "label"] == "none" and df.loc["4", "label"] == "none"
    assert df.loc["3", "label"] != "antisemitic" and bool(df.loc["3", "counter_speech"])
    ev = json.loads(df.loc["1", "evidence"])
    assert {e["category"] for e in ev["lexicon"]} and ev.get("tokens") is not None
    assert res["posts"] == 5 and res["antisemitic"] == 2
    assert df["score"].between(0, 1).all()
