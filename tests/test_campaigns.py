"""Hashtag campaigns aimed at a person."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from engineroom.analyses.campaigns import split_hostile
from planted_network import planted


def test_split_hostile():
    assert split_hostile("sacktomwatson", "SackTomWatson") == ("sack", "tomwatson", "Tom Watson")
    assert split_hostile("theresamaymustgo", "TheresaMayMustGo") == ("mustgo", "theresamay", "Theresa May")
    assert split_hostile("corbynout", "CorbynOut")[0] == "out"
    assert split_hostile("outrage", "Outrage") is None
    assert split_hostile("banana", "banana") is None
    # a camel-case remainder that starts with an article is not a person
    assert split_hostile("banthebomb", "BanTheBomb")[2] == "thebomb"
    assert split_hostile("britaininout", "BritainInOut")[2] == "britainin"


def test_campaign_found_with_target(corpus):
    truth = planted(corpus)["campaign"]
    s = corpus.analyze(only=["campaigns"])["campaigns"]
    df = corpus.table("campaigns")
    assert s["campaigns"] == len(df) >= 1
    row = df.iloc[0]
    assert row["hashtag"] == truth["hashtag"]
    assert row["target_handle"] == truth["target_handle"] and row["target_name"] == truth["target_name"]
    assert row["target_account_id"] == "tw1" and row["target_share"] == 1.0
    assert "hostile_verb" in row["rule"] and "mention_concentration" in row["rule"] and row["verb"] == "sack"
    assert row["posts"] == 60 and row["accounts"] == len(truth["accounts"])
    assert row["start"] <= row["peak_at"] + pd.Timedelta(hours=1) and row["start"] <= row["end"]
    assert row["gini"] == pytest.approx(0.0)  # planted accounts post evenly
    pushers = json.loads(row["top_accounts"])
    assert {p["account_id"] for p in pushers} <= set(truth["accounts"])
    assert pd.isna(row["coordinated_share"]) and pd.isna(row["operation_share"])
    # hashtags without a person are not campaigns
    assert not {"sunnyday", "trendtag", "chata"} & set(df["hashtag"])


def test_campaign_shares_from_coordination_and_account_scores(corpus):
    truth = planted(corpus)["campaign"]
    half = truth["accounts"][: len(truth["accounts"]) // 3]  # 5 of 15 accounts, 4 posts each
    corpus.write_table("coordination_clusters", pd.DataFrame({
        "platform": "twitter", "cluster_id": "c1", "account_id": half, "method": "test", "size": len(half),
        "networks": "co_tweet", "evidence": "{}"}))
    corpus.write_table("account_scores", pd.DataFrame({
        "platform": "twitter", "account_id": truth["accounts"], "handle": None,
        "operation_score": [0.9] * 3 + [0.1] * (len(truth["accounts"]) - 3),
        "operation_label": [True] * 3 + [False] * (len(truth["accounts"]) - 3), "top_signals": "[]"}))
    corpus.analyze(only=["campaigns"])
    row = corpus.table("campaigns").set_index("hashtag").loc[truth["hashtag"]]
    assert row["coordinated_share"] == pytest.approx(20 / 60, abs=1e-3)
    assert row["operation_share"] == pytest.approx(12 / 60, abs=1e-3)


def test_hashtag_games_are_not_campaigns(corpus):
    """Show prompts (@midnight #DogSongs) concentrate on one account but carry no hostile intent."""
    from datetime import datetime, timedelta

    t0 = datetime(2016, 1, 1, 20)
    posts, inter, tags, accounts = [], [], [], []
    for i in range(8):
        accounts.append(dict(platform="twitter", account_id=f"u{i}", handle=f"user{i}"))
    accounts += [dict(platform="twitter", account_id="mid", handle="midnight"),
                 dict(platform="twitter", account_id="pol", handle="jo_bloggs_mp", display_name="Jo Bloggs")]
    games = ["Who Let The Dogs Bark", "Hound Dog Day Afternoon", "Puppy Love Shack", "Bark Side of the Moon"]
    hostile = ["@jo_bloggs_mp must resign now", "@jo_bloggs_mp is a disgrace, step down", "Sack @jo_bloggs_mp today",
               "@jo_bloggs_mp liar, resign"]
    for i in range(24):
        a = f"u{i % 8}"
        for tag, raw, text, target in (("dogsongs", "DogSongs", f"{games[i % 4]} #DogSongs @midnight", "mid"),
                                        ("bloggsmustgo2", "BloggsMustGo2", f"{hostile[i % 4]} #BloggsMustGo2", "pol")):
            pid = f"{tag}{i}"
            posts.append(dict(platform="twitter", post_id=pid, account_id=a, created_at=t0 + timedelta(minutes=i), text=text, kind="post"))
            inter.append(dict(platform="twitter", post_id=pid, kind="mention", source_account_id=a,
                              target_account_id=target, created_at=t0 + timedelta(minutes=i), target_key=target))
            tags.append(dict(platform="twitter", post_id=pid, tag=tag, tag_raw=raw, position=0))
    from planted_network import insert

    for name, rows in (("accounts", accounts), ("posts", posts), ("interactions", inter), ("hashtags", tags)):
        insert(corpus, name, rows)
    corpus.analyze(only=["campaigns"])
    camp = corpus.table("campaigns")
    assert "dogsongs" not in set(camp["hashtag"])
    row = camp[camp["hashtag"] == "bloggsmustgo2"].iloc[0]
    assert row["target_handle"] == "jo_bloggs_mp" and row["hostile_share"] == 1.0


def test_single_word_name_counts_when_the_posts_write_the_full_name(corpus):
    """#ResignRahm-like tags: a one-word name is a person when its posts write a two-word name
    with it ("Rahm Emanuel"); a product or game hashtag of the same shape (#PokemonGo) is not."""
    from datetime import datetime, timedelta

    from planted_network import insert

    t0 = datetime(2015, 12, 10, 22)
    accounts = [dict(platform="twitter", account_id=f"u{i}", handle=f"user{i}") for i in range(6)]
    person = ["Mayor Rahm Emanuel in trouble #ResignRahm", "Rahm Emanuel hid the video #ResignRahm",
              "Protest against Rahm Emanuel today #ResignRahm", "Chicago wants answers #ResignRahm"]
    game = ["Caught a Pikachu #PokemonGo", "Pokemon Go museum ban #PokemonGo", "My phone died #PokemonGo",
            "Walking all day #PokemonGo"]
    posts, tags = [], []
    for i in range(12):
        for tag, raw, texts in (("resignrahm", "ResignRahm", person), ("pokemongo", "PokemonGo", game)):
            pid = f"{tag}{i}"
            posts.append(dict(platform="twitter", post_id=pid, account_id=f"u{i % 6}", created_at=t0 + timedelta(minutes=i),
                              text=f"{texts[i % 4]} {i}", kind="post"))
            tags.append(dict(platform="twitter", post_id=pid, tag=tag, tag_raw=raw, position=0))
    for name, rows in (("accounts", accounts), ("posts", posts), ("hashtags", tags)):
        insert(corpus, name, rows)
    corpus.analyze(only=["campaigns"])
    camp = corpus.table("campaigns")
    assert "pokemongo" not in set(camp["hashtag"])
    row = camp[camp["hashtag"] == "resignrahm"].iloc[0]
    assert row["target_name"] == "Rahm Emanuel" and row["verb"] == "resign" and row["rule"] == "hostile_verb"
