"""The report's opening summary (report/summary.py): only findings that pass evidence floors, every
number read from the findings tables, and a plain statement when no installed narrative matched."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from engineroom.report.build import Context
from engineroom.report.data import Findings
from engineroom.report.summary import FLOORS, headline
from planted_network import insert

T0 = datetime(2015, 11, 15, 2)


def _posts(corpus, n: int, accounts: int, prefix: str = "p") -> list[dict]:
    rows = [dict(platform="twitter", post_id=f"{prefix}{i}", account_id=f"a{i % accounts}", created_at=T0 + timedelta(minutes=i),
                 text=f"post {i}", kind="post") for i in range(n)]
    insert(corpus, "posts", rows)
    insert(corpus, "accounts", [dict(platform="twitter", account_id=f"a{i}", handle=f"h{i}") for i in range(accounts)])
    return rows


def _defs(corpus):
    corpus.write_table("narrative_defs", pd.DataFrame([
        {"name": "antisemitism_smear", "kind": "narrative", "pack": "default", "language": "en"},
        {"name": "israel_lobby_control", "kind": "narrative", "pack": "default", "language": "en"},
        {"name": "counter_speech_antisemitism", "kind": "counter_speech", "pack": "default", "language": "en"}]))


def test_no_narrative_found_is_said_and_other_findings_lead(corpus):
    rows = _posts(corpus, 300, 40)
    _defs(corpus)
    corpus.write_table("narratives", pd.DataFrame({"platform": pd.Series(dtype=str), "post_id": pd.Series(dtype=str),
                                                   "account_id": pd.Series(dtype=str), "narrative": pd.Series(dtype=str),
                                                   "kind": pd.Series(dtype=str)}))
    corpus.write_table("hate", pd.DataFrame({
        "platform": "twitter", "post_id": [r["post_id"] for r in rows], "account_id": [r["account_id"] for r in rows],
        "label": ["other_hate"] * 30 + ["antisemitic"] * 2 + ["none"] * 268}))
    corpus.write_table("trends", pd.DataFrame([
        {"platform": "twitter", "tag": "kochfarms", "resolution": "hour", "burst": 1, "start": T0, "end": T0 + timedelta(hours=5),
         "peak_at": T0 + timedelta(hours=1), "peak_posts": 80, "posts": 150, "accounts": 12},
        {"platform": "twitter", "tag": "tiny", "resolution": "hour", "burst": 1, "start": T0, "end": T0,
         "peak_at": T0, "peak_posts": 20, "posts": 20, "accounts": 5}]))
    h = headline(Context(Findings(corpus)))
    text = " ".join(h["sentences"])
    assert "None of the 2 installed narratives (pack “default” (en)) was found in this corpus." in h["sentences"]
    assert "core accounts drove" not in text
    assert "30 of the 300 posts classified (10.0%), by 30 accounts, were labelled hateful towards groups other than Jews" in text
    assert "antisemitic" not in text  # 2 posts: below the floor
    assert "#kochfarms burst on 2015-11-15: 150 posts by 12 accounts, 80 of them in the peak hour (2015-11-15 03:00 UTC)." in text
    assert "#tiny" not in text and FLOORS["burst_posts"] > 20
    passed = {f["kind"]: f["passed"] for f in h["findings"] if f["kind"] == "burst" and f.get("tag") == "tiny"}
    assert passed == {"burst": False}


def test_a_narrative_without_amplification_has_no_engine_room(corpus):
    rows = _posts(corpus, 40, 8)
    _defs(corpus)
    corpus.write_table("narratives", pd.DataFrame({
        "platform": "twitter", "post_id": [r["post_id"] for r in rows[:25]], "account_id": [r["account_id"] for r in rows[:25]],
        "narrative": "antisemitism_smear", "kind": "narrative"}))
    corpus.write_table("engine_room", pd.DataFrame({
        "platform": "twitter", "account_id": [f"a{i}" for i in range(8)], "narrative": "antisemitism_smear",
        "in_core": False, "amplifications": 0, "followers": 100}))
    h = headline(Context(Findings(corpus)))
    assert h["sentences"][0] == ("The “antisemitism_smear” narrative was found in 25 posts by 8 accounts, "
                                 "but none of them was retweeted or quoted: it has no engine room.")
    assert not any("core accounts drove" in s for s in h["sentences"])


def test_campaigns_against_one_person_share_a_sentence(corpus):
    _posts(corpus, 20, 5)
    day = datetime(2015, 12, 10, 22)
    corpus.write_table("campaigns", pd.DataFrame([
        {"hashtag": "rahmemanuelout", "tag_raw": "RahmEmanuelOut", "target_name": "Rahm Emanuel", "target_handle": None,
         "posts": 65, "accounts": 17, "start": day, "end": day + timedelta(hours=1)},
        {"hashtag": "resignrahm", "tag_raw": "ResignRahm", "target_name": "Rahm Emanuel", "target_handle": None,
         "posts": 44, "accounts": 19, "start": day, "end": datetime(2016, 6, 7)},
        {"hashtag": "dumptrump", "tag_raw": "DumpTrump", "target_name": "Donald Trump", "target_handle": None,
         "posts": 12, "accounts": 10, "start": day, "end": day}]))
    text = " ".join(headline(Context(Findings(corpus)))["sentences"])
    assert ("Hashtag campaigns against Rahm Emanuel: #RahmEmanuelOut, 65 posts by 17 accounts on 2015-12-10; "
            "#ResignRahm, 44 posts by 19 accounts from 2015-12-10 to 2016-06-07.") in text
    assert "A hashtag campaign against Donald Trump: #DumpTrump, 12 posts by 10 accounts on 2015-12-10." in text


def test_flagged_accounts_are_a_review_list_not_a_count_of_operations(corpus):
    """The account flag is calibrated on one corpus and flags many ordinary accounts of others: the
    summary card and the operations section give the flagged count as a list to review, never as
    a number of operation-like accounts."""
    from engineroom.report.actors import operations_section

    _posts(corpus, 30, 10)
    corpus.write_table("account_scores", pd.DataFrame({
        "platform": "twitter", "account_id": [f"a{i}" for i in range(10)], "handle": [f"h{i}" for i in range(10)],
        "operation_score": [0.9, 0.5] + [0.1] * 8, "operation_label": [True, True] + [False] * 8,
        "top_signals": "[]"}))
    ctx = Context(Findings(corpus))
    cards = dict(headline(ctx)["cards"])
    assert cards["accounts flagged for review"] == "2" and "operation-like accounts" not in cards
    intro = operations_section(ctx)["intro"]
    assert "2 of 10 scored accounts reach the flag threshold: a list to review, not a count of operations" in intro
    assert "labelled operation-like" not in intro
