"""Targets of hateful / narrative posts: accounts and named people, per day."""

from __future__ import annotations

from planted_network import add_hate, insert, planted


def test_targets_needs_a_source(corpus):
    planted(corpus)
    s = corpus.analyze(only=["targets"])["targets"]
    assert "skipped" in s and corpus.count("targets") == 0


def test_targets_accounts_and_people(corpus):
    planted(corpus)
    # three accounts name a person in hateful posts
    posts = [dict(platform="twitter", post_id=f"h{i}", account_id=f"c{i}", created_at="2024-03-04 10:00:00",
                  text=f"Jackie Walker is behind it all, part {i}", kind="post") for i in range(3)]
    insert(corpus, "posts", posts)
    hateful = corpus.query("SELECT post_id FROM posts WHERE text LIKE '%must go%'")["post_id"].tolist()
    add_hate(corpus, hateful + ["h0", "h1", "h2"])
    s = corpus.analyze(only=["targets"])["targets"]
    df = corpus.table("targets")
    acc = df[(df["source"] == "hate") & (df["target_kind"] == "account")].iloc[0]
    assert acc["handle"] == "tom_watson" and acc["display_name"] == "Tom Watson"
    assert acc["posts"] == 60 and acc["accounts"] == 15 and acc["rank"] == 1
    person = df[df["target_kind"] == "person"]
    assert person["target"].tolist() == ["Jackie Walker"] and person["accounts"].iloc[0] == 3
    daily = corpus.table("targets_daily")
    tw = daily[daily["target"] == "tw1"]
    assert tw["posts"].sum() == 60 and len(tw) == 2
    assert s["hate"]["account"][0]["target"] == "tom_watson"


def test_headline_case_posts_give_no_names():
    from engineroom.analyses.targets import headline_case

    assert headline_case("Megyn Kelly And Mark Fuhrman Exploit San Bernardino Shooting To Smear #BlackLivesMatter As Terrorism Enablers")
    assert not headline_case("I think Tom Watson should answer the questions about the report today")
    assert not headline_case("Tom Watson Out")  # too short to tell


def test_person_names_skip_glued_words_groups_and_sentence_starters():
    """Cheap fixes for names seen on the IRA corpus: a word glued to punctuation ("?Areu Hillary"),
    sentence starters ("Until Black"), groups and places ("Syrian Refugees", "Middle East") and
    organisations ("Obama Admin") are not people; real names still are."""
    from engineroom.graphs import person_names

    assert person_names("How many are TERRORISTS?Areu Hillary going to welcome") == []
    assert person_names("Until Black on Black crime results in outrage") == []
    assert person_names("Syrian Refugees in the Middle East, says Obama Admin") == []
    assert person_names('#Brussels "Hillary Clinton lied" (Rahm Emanuel)') == ["Hillary Clinton", "Rahm Emanuel"]
