"""The engine room analysis on a planted corpus: core recovery, headline figures, evidence."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planted_network import add_hate, planted


@pytest.fixture
def planted_corpus(corpus):
    return corpus, planted(corpus)


def _core(df: pd.DataFrame, narrative: str) -> set[str]:
    d = df[(df["narrative"] == narrative) & df["in_core"]]
    return set(d["account_id"])


def test_engine_room_by_hashtag_recovers_the_core(planted_corpus):
    corpus, truth = planted_corpus
    s = corpus.analyze(only=["engine_room"], params={"engine_room": {"hashtags": ["#SmearNarrative"], "narrative_name": "smear"}})
    head = s["engine_room"]["narratives"]["smear"]
    df = corpus.table("engine_room")
    assert _core(df, "smear") == set(truth["core"])
    assert head["core_size"] == len(truth["core"])
    assert head["core_hateful"] is None  # no hate findings: unknown, not zero
    assert df["posted_hate"].isna().all()
    # the core's own posts and the retweets of them are nearly all of the narrative
    assert head["core_reach_share"] > 0.9
    top = df.iloc[0]
    assert top["rank"] == 1 and top["in_core"]
    assert top["amplifications"] >= 40 and top["amplifiers"] >= 10 and top["active_days"] == 8
    ev = json.loads(top["evidence"])
    assert ev["amplifications"] == top["amplifications"]
    assert len(ev["top_posts"]) == 3 and ev["top_posts"][0]["amplifications"] == 6
    assert "#smearnarrative" in ev["top_posts"][0]["text"]
    # ranks are 1..n per narrative and scores never increase with rank
    assert df["rank"].tolist() == list(range(1, len(df) + 1))
    assert df["score"].is_monotonic_decreasing


def test_engine_room_from_narratives_table_with_hate(planted_corpus):
    corpus, truth = planted_corpus
    hateful_core = truth["core"][:2]
    ids = corpus.query("SELECT post_id FROM posts WHERE account_id IN ('a0', 'a1') AND text LIKE '%smear%' LIMIT 3")
    add_hate(corpus, ids["post_id"].tolist())
    narr = corpus.query("SELECT platform, post_id, account_id FROM posts WHERE text LIKE '%smear%'")
    narr["narrative"], narr["kind"], narr["score"], narr["evidence"] = "smear", "narrative", 1.0, "{}"
    corpus.write_table("narratives", narr)
    s = corpus.analyze(only=["engine_room"])["engine_room"]
    assert s["source"] == "narratives table"
    head = s["narratives"]["smear"]
    df = corpus.table("engine_room")
    assert _core(df, "smear") == set(truth["core"])
    assert head["core_hateful"] == len(hateful_core)
    assert (df["core_hateful"] == len(hateful_core)).all()
    assert set(df.loc[df["posted_hate"] == True, "account_id"]) == set(hateful_core)  # noqa: E712


def test_engine_room_falls_back_to_hate_then_all_posts(planted_corpus):
    corpus, truth = planted_corpus
    s = corpus.analyze(only=["engine_room"])["engine_room"]
    assert s["source"].startswith("all posts")
    assert set(corpus.table("engine_room")["narrative"]) == {"all"}
    add_hate(corpus, truth["narrative_posts"])
    s = corpus.analyze(only=["engine_room"])["engine_room"]
    assert s["source"] == "hate table"
    df = corpus.table("engine_room")
    assert _core(df, "hate") == set(truth["core"])


def test_engine_room_fixed_core_size_and_weights(planted_corpus):
    corpus, truth = planted_corpus
    corpus.analyze(only=["engine_room"], params={"engine_room": {"hashtags": ["smearnarrative"], "core_size": 4,
                                                                  "weights": {"amplifications": 1.0}}})
    df = corpus.table("engine_room")
    assert df["in_core"].sum() == 4 and _core(df, "custom") <= set(truth["core"])
    with pytest.raises(ValueError, match="unknown signal"):
        corpus.analyze(only=["engine_room"], params={"engine_room": {"weights": {"likes": 1.0}}})


def test_no_amplification_no_engine_room(planted_corpus):
    """A narrative that nobody retweeted or quoted has no core and says why (issue 16)."""
    corpus, _truth = planted_corpus
    # narrative posts = originals only, and drop every retweet / quote so nothing amplifies them
    corpus.con.execute("DELETE FROM interactions WHERE kind IN ('retweet', 'quote')")
    corpus.con.execute("DELETE FROM posts WHERE kind IN ('retweet', 'quote')")
    narr = corpus.query("SELECT platform, post_id, account_id FROM posts WHERE text LIKE '%smear%'")
    assert len(narr)
    narr["narrative"], narr["kind"], narr["score"], narr["evidence"] = "smear", "narrative", 1.0, "{}"
    corpus.write_table("narratives", narr)
    head = corpus.analyze(only=["engine_room"])["engine_room"]["narratives"]["smear"]
    df = corpus.table("engine_room")
    assert head["engine_room"] is False and head["core_size"] == 0 and "no amplification" in head["why"]
    assert not df["in_core"].any() and (df["core_size"] == 0).all()


def test_core_holds_only_authors_of_the_narrative(planted_corpus):
    """Mentioned or amplifying-only accounts may rank, but the core only holds narrative authors."""
    corpus, truth = planted_corpus
    s = corpus.analyze(only=["engine_room"], params={"engine_room": {"hashtags": ["#SmearNarrative"], "narrative_name": "smear",
                                                                     "core_size": 10_000}})
    df = corpus.table("engine_room")
    core = df[df["in_core"]]
    assert len(core) and (core["original_posts"] > 0).all()
    assert not df.loc[df["original_posts"] == 0, "in_core"].any()
    assert s["engine_room"]["narratives"]["smear"]["engine_room"] is True
