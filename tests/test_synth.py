"""The synthetic corpus: deterministic, in valid real formats, with the planted structures present."""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest

from engineroom.synth import (
    CSV_COLUMNS,
    IO_TWEET_COLUMNS,
    IO_USER_COLUMNS,
    synthesize,
    truth_paths,
)

N = 4000


@pytest.fixture(scope="module")
def twarc(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "corpus.jsonl"
    truth = synthesize(N, out, format="twarc2", seed=3)
    pages = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    tweets = [t for p in pages for t in p["data"]]
    with open(truth["posts_truth_path"], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return out, truth, pages, tweets, {r["post_id"]: r for r in rows}


def _dt(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")


def test_deterministic_for_a_seed(tmp_path):
    a = synthesize(600, tmp_path / "a.jsonl", seed=11)
    b = synthesize(600, tmp_path / "b.jsonl", seed=11)
    c = synthesize(600, tmp_path / "c.jsonl", seed=12)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl.posts_truth.csv").read_bytes() == (tmp_path / "b.jsonl.posts_truth.csv").read_bytes()
    strip = lambda t: {k: v for k, v in t.items() if not k.endswith("path") and k != "files"}  # noqa: E731
    assert strip(a) == strip(b)
    assert a["engine_room"]["accounts"] != c["engine_room"]["accounts"]


def test_truth_file_has_the_agreed_keys(twarc):
    out, truth, *_ = twarc
    path, posts_path = truth_paths(out)
    assert truth["truth_path"] == str(path) and path.exists() and posts_path.exists()
    on_disk = json.loads(path.read_text())
    for key in ("seed", "posts", "format", "platform", "start", "end", "narrative", "engine_room", "campaign",
                "burst", "operation", "hateful_post_ids_sample", "influencers"):
        assert key in on_disk, key
    assert on_disk["posts"] == N and on_disk["platform"] == "twitter" and on_disk["format"] == "twarc2"
    assert on_disk["narrative"]["name"] == "antisemitism_smear" and on_disk["narrative"]["hashtags"]
    er = on_disk["engine_room"]
    assert len(er["accounts"]) == len(er["handles"]) == 36
    assert len(er["hateful_accounts"]) == 12 and set(er["hateful_accounts"]) <= set(er["accounts"])
    camp = on_disk["campaign"]
    for key in ("hashtag", "target_handle", "target_name", "accounts", "start", "peak"):
        assert camp[key], key
    assert camp["hashtag"].startswith("sack")
    for key in ("hashtag", "onset", "peak"):
        assert on_disk["burst"][key]
    op = on_disk["operation"]
    for key in ("accounts", "handles", "domain", "influencer_handle", "influencer_account_id"):
        assert op[key], key
    assert op["influencer_account_id"] in on_disk["influencers"]
    assert all(a.isdigit() for a in er["accounts"] + op["accounts"])


def test_twarc2_pages_follow_the_api_v2_format(twarc):
    _out, truth, pages, tweets, _pt = twarc
    assert len(tweets) == N == sum(p["meta"]["result_count"] for p in pages)
    ids = [t["id"] for t in tweets]
    assert len(set(ids)) == N and all(i.isdigit() for i in ids)
    all_ids = set(ids)
    users_seen = set()
    for page in pages:
        assert set(page) == {"data", "includes", "meta", "__twarc"}
        assert 1 <= len(page["data"]) <= 100
        users = {u["id"]: u for u in page["includes"]["users"]}
        users_seen |= set(users)
        inc_tweets = {t["id"]: t for t in page["includes"].get("tweets", [])}
        for u in users.values():
            assert u["username"] and u["name"] is not None and "public_metrics" in u
            assert set(u["public_metrics"]) >= {"followers_count", "following_count", "tweet_count", "listed_count"}
            _dt(u["created_at"])
        for t in page["data"]:
            for key in ("id", "text", "author_id", "created_at", "conversation_id", "lang", "public_metrics", "source"):
                assert key in t, key
            assert t["author_id"] in users
            _dt(t["created_at"])
            ents = t.get("entities", {})
            for h in ents.get("hashtags", []):
                assert t["text"][h["start"]:h["end"]] == "#" + h["tag"]
            for m in ents.get("mentions", []):
                assert t["text"][m["start"]:m["end"]] == "@" + m["username"]
                assert m["id"] in users
            for u in ents.get("urls", []):
                assert t["text"][u["start"]:u["end"]] == u["url"] and u["url"].startswith("https://t.co/")
                assert u["expanded_url"].startswith("http")
            for ref in t.get("referenced_tweets", []):
                assert ref["type"] in ("retweeted", "quoted", "replied_to")
                assert ref["id"] in inc_tweets and ref["id"] in all_ids  # every reference is in the corpus
                rt = inc_tweets[ref["id"]]
                assert rt["author_id"] in users and _dt(rt["created_at"]) <= _dt(t["created_at"])
                if ref["type"] == "retweeted":
                    assert t["text"].startswith("RT @" + users[rt["author_id"]]["username"] + ": ")
                if ref["type"] == "replied_to":
                    assert t["in_reply_to_user_id"] == rt["author_id"]
                    assert t["conversation_id"] == rt["conversation_id"]
    assert len(users_seen) == truth["counts"]["accounts"]


def test_io_archive_and_csv_formats(tmp_path):
    truth = synthesize(800, tmp_path / "op_tweets_csv_unhashed.csv", format="io-archive", seed=1)
    users_path = tmp_path / "op_users_csv_unhashed.csv"
    assert truth["users_path"] == str(users_path)
    with open(tmp_path / "op_tweets_csv_unhashed.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == IO_TWEET_COLUMNS and len(IO_TWEET_COLUMNS) == 31
    assert len(rows) == 801 and all(len(r) == 31 for r in rows)
    recs = [dict(zip(rows[0], r)) for r in rows[1:]]
    for r in recs:
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", r["tweet_time"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", r["account_creation_date"])
        assert r["is_retweet"] in ("True", "False")
        assert r["hashtags"].startswith("[") and r["hashtags"].endswith("]")
        if r["is_retweet"] == "True":
            assert r["retweet_tweetid"] and r["retweet_userid"] and r["tweet_text"].startswith("RT @")
    assert any(r["in_reply_to_tweetid"] for r in recs) and any(r["quoted_tweet_tweetid"] for r in recs)
    with open(users_path, newline="", encoding="utf-8") as f:
        users = list(csv.reader(f))
    assert users[0] == IO_USER_COLUMNS
    assert len(users) - 1 == truth["counts"]["accounts"] == len({r["userid"] for r in recs})

    synthesize(500, tmp_path / "plain.csv.gz", format="csv", seed=1)
    with gzip.open(tmp_path / "plain.csv.gz", "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == CSV_COLUMNS and len(rows) == 501 and all(len(r) == len(CSV_COLUMNS) for r in rows)


def test_post_count_is_exact_for_any_size():
    from engineroom.synth import World

    for n in (200, 201, 333, 799, 1000, 2501, 10_007):
        for seed in (0, 1):
            assert World(n, seed=seed).per_hour.sum() == n, (n, seed)


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="format"):
        synthesize(1000, tmp_path / "x", format="parquet")
    with pytest.raises(ValueError, match="at least"):
        synthesize(10, tmp_path / "x")


def test_operation_is_planted(twarc):
    _out, truth, pages, tweets, pt = twarc
    op = set(truth["operation"]["accounts"])
    users = {u["id"]: u for p in pages for u in p["includes"]["users"]}
    # accounts created within three days, random-string or name + 8 digits handles, templated bios
    created = sorted(_dt(users[a]["created_at"]) for a in op if a in users)
    assert created[-1] - created[0] <= timedelta(days=3)
    for a in op:
        if a in users:
            assert re.fullmatch(r"[a-z][a-z0-9]{8}|[A-Z][a-z]{1,6}\d{8}", users[a]["username"]), users[a]["username"]
    bios = [users[a]["description"] for a in op if a in users]
    assert sum("|" in b or "Truth seeker" in b for b in bios) >= 0.8 * len(bios)
    # identical posts within seconds by several operation accounts
    by_text = defaultdict(list)
    for t in tweets:
        if t["author_id"] in op and "referenced_tweets" not in t:
            by_text[t["text"]].append((_dt(t["created_at"]), t["author_id"]))
    bursts = [v for v in by_text.values() if len({a for _t, a in v}) >= 5]
    assert bursts
    tight = [v for v in bursts if (max(v)[0] - min(v)[0]).total_seconds() <= 30]
    assert len(tight) >= 3
    # one text sent at one influencer many times
    at_infl = Counter(t["text"] for t in tweets if t["author_id"] in op
                      and t["text"].startswith("@" + truth["operation"]["influencer_handle"] + " "))
    assert at_infl and at_infl.most_common(1)[0][1] >= 10
    # links to the fake-news domain, near-zero engagement, retweets of each other
    op_tweets = [t for t in tweets if t["author_id"] in op]
    linked = [t for t in op_tweets for u in t.get("entities", {}).get("urls", []) if truth["operation"]["domain"] in u["expanded_url"]]
    assert len(linked) >= 0.5 * len(op_tweets)
    assert sum(t["public_metrics"]["like_count"] for t in op_tweets) <= 0.2 * len(op_tweets)
    by_id = {t["id"]: t for t in tweets}
    ring = [(r["id"], _dt(t["created_at"]), t["author_id"]) for t in op_tweets for r in t.get("referenced_tweets", [])
            if r["type"] == "retweeted" and by_id[r["id"]]["author_id"] in op]
    assert len(ring) >= 10
    together = defaultdict(list)  # several operation accounts retweet the same post within minutes
    for rid, when, who in ring:
        together[rid].append((when, who))
    assert any(len({w for _t, w in v}) >= 3 and (max(v)[0] - min(v)[0]).total_seconds() <= 120 for v in together.values())
    assert all(pt[t["id"]]["operation"] == "1" for t in op_tweets)


def test_engine_room_narrative_and_hate_are_planted(twarc):
    _out, truth, _pages, tweets, pt = twarc
    er = set(truth["engine_room"]["accounts"])
    hateful = set(truth["engine_room"]["hateful_accounts"])
    originals = [t for t in tweets if "referenced_tweets" not in t]
    narr = [t for t in originals if pt[t["id"]]["narrative"] == "1"]
    by_author = Counter(t["author_id"] for t in narr)
    assert set(by_author) >= er  # every engine-room account pushes the narrative
    assert sum(by_author[a] for a in er) > 0.5 * len(narr)  # and they write most of it
    tags = set(truth["narrative"]["hashtags"])
    assert sum(any(h["tag"].lower() in tags for h in t.get("entities", {}).get("hashtags", [])) for t in narr) > 0.6 * len(narr)
    # they are amplified: retweets and quotes of engine-room posts by many other accounts
    by_id = {t["id"]: t for t in tweets}
    amplifiers = {t["author_id"] for t in tweets for r in t.get("referenced_tweets", [])
                  if r["type"] in ("retweeted", "quoted") and by_id[r["id"]]["author_id"] in er}
    assert len(amplifiers - er) >= 50
    # a third of the engine room posts antisemitic content; the others never do
    hate_authors = {t["author_id"] for t in originals if pt[t["id"]]["hateful"] == "1"}
    assert hate_authors & er == hateful
    tropes = re.compile(r"rothschild|zionazi|\(\(\(|zionist|zios|dual[- ]loyalty|holocaust|six million|bankers", re.I)
    hate_texts = [t["text"] for t in originals if pt[t["id"]]["hateful"] == "1"]
    assert hate_texts and all(tropes.search(x) for x in hate_texts)
    # classifiers are tested on what they must not flag: counter-speech and identity statements
    counter = [t for t in originals if pt[t["id"]]["counter_speech"] == "1"]
    identity = [t for t in originals if pt[t["id"]]["identity"] == "1"]
    assert counter and identity
    assert all(pt[t["id"]]["hateful"] == "0" for t in counter + identity)
    assert any(t["text"].startswith("As a Jew") for t in identity)
    sample = set(truth["hateful_post_ids_sample"])
    assert sample and all(pt[i]["hateful"] == "1" for i in sample)


def test_campaign_and_burst_are_planted(twarc):
    _out, truth, _pages, tweets, pt = twarc
    camp, burst = truth["campaign"], truth["burst"]
    start = datetime.strptime(camp["start"], "%Y-%m-%dT%H:%M:%SZ")
    ctimes = [_dt(t["created_at"]) for t in tweets if pt[t["id"]]["campaign"] == "1"]
    assert ctimes and min(ctimes) >= start
    per_day = Counter(x.date() for x in ctimes)
    peak_day = datetime.strptime(camp["peak"], "%Y-%m-%dT%H:%M:%SZ").date()
    assert abs((max(per_day, key=per_day.get) - peak_day).days) <= 1
    assert set(camp["accounts"]) <= {t["author_id"] for t in tweets if pt[t["id"]]["campaign"] == "1"}
    target_mentions = sum(any(m["username"] == camp["target_handle"] for m in t.get("entities", {}).get("mentions", []))
                          for t in tweets if pt[t["id"]]["campaign"] == "1")
    assert target_mentions > 0.3 * len(ctimes)
    # burst: a low baseline before the onset hour, a spike after it
    onset = datetime.strptime(burst["onset"], "%Y-%m-%dT%H:%M:%SZ")
    btimes = [_dt(t["created_at"]) for t in tweets
              if any(h["tag"].lower() == burst["hashtag"] for h in t.get("entities", {}).get("hashtags", []))]
    before = [x for x in btimes if x < onset]
    after = [x for x in btimes if onset <= x < onset + timedelta(hours=12)]
    hours_before = max(1.0, (onset - datetime.strptime(truth["start"], "%Y-%m-%dT%H:%M:%SZ")).total_seconds() / 3600)
    assert len(after) / 12 > 10 * max(len(before), 1) / hours_before
    assert before  # there is a baseline


def test_activity_and_followers_are_heavy_tailed(twarc):
    _out, truth, pages, tweets, _pt = twarc
    per_account = sorted(Counter(t["author_id"] for t in tweets).values(), reverse=True)
    top = per_account[: max(1, len(per_account) // 20)]
    assert sum(top) > 0.2 * len(tweets)  # top 5% of accounts write over a fifth of the posts
    followers = sorted({u["id"]: u["public_metrics"]["followers_count"] for p in pages for u in p["includes"]["users"]}.values())
    median = followers[len(followers) // 2]
    assert followers[-1] > 1000 * max(median, 1)


def test_synth_then_ingest_counts_match_truth(tmp_path):
    import engineroom.ingest as ingest
    import engineroom

    for fmt, name in (("twarc2", "t.jsonl"), ("io-archive", "x_tweets.csv"), ("csv", "p.csv")):
        truth = synthesize(1500, tmp_path / name, format=fmt, seed=5)
        with engineroom.open(tmp_path / f"{fmt}.duckdb") as corpus:
            reports = corpus.ingest([tmp_path / p for p in map(lambda s: s.rsplit("/", 1)[-1], truth["files"])])
            assert sum(r.quarantined for r in reports) == 0, fmt
            assert corpus.count("posts") == truth["counts"]["posts"] == 1500, fmt
            assert corpus.count("accounts") == truth["counts"]["accounts"], fmt
            kinds = dict(corpus.con.execute("SELECT kind, count(*) FROM posts GROUP BY 1").fetchall())
            assert kinds == {k: v for k, v in truth["counts"]["kinds"].items() if v}, fmt
            er = truth["engine_room"]["accounts"]
            n = corpus.con.execute(
                "SELECT count(DISTINCT account_id) FROM accounts WHERE account_id IN (SELECT unnest(?))", [er]
            ).fetchone()[0]
            assert n == 36, fmt
            tag = truth["campaign"]["hashtag"]
            camp_posts = corpus.con.execute("SELECT count(DISTINCT post_id) FROM hashtags WHERE tag = ?", [tag]).fetchone()[0]
            assert camp_posts == truth["campaign"]["posts"], fmt
    assert ingest is not None
