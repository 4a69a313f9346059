"""Writes the ingest fixtures in this folder (run: python tests/data/ingest/make_fixtures.py).

Each fixture follows its real export format field by field and carries the nasty cases real
exports have: nulls, deleted and withheld tweets, quote-of-a-quote, duplicates, a malformed
record, non-UTF-8 bytes, CRLF and bare CR inside quoted CSV fields. The expected counts are in
tests/test_ingest.py.
"""

from __future__ import annotations

import copy
import csv
import gzip
import io
import json
import zipfile
from pathlib import Path

import zstandard

HERE = Path(__file__).resolve().parent


def jl(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------- twarc2 (API v2)
def v2_user(uid, username, name, desc="", followers=10, created="2015-03-01T10:00:00.000Z", verified=False):
    return {
        "id": uid, "username": username, "name": name, "description": desc, "created_at": created,
        "location": "Berlin" if uid == "1001" else "", "url": "", "protected": False, "verified": verified,
        "verified_type": "none",
        "profile_image_url": "https://pbs.twimg.com/profile_images/1/%s_normal.jpg" % username,
        "public_metrics": {"followers_count": followers, "following_count": 5, "tweet_count": 100, "listed_count": 1, "like_count": 7},
        "entities": {"description": {"hashtags": [{"start": 0, "end": 4, "tag": "bio"}]}} if desc.startswith("#") else {},
    }


USERS = {
    "1001": v2_user("1001", "alice", "Alice A.", "#bio journalist", 1500, verified=True),
    "1002": v2_user("1002", "bob_b", "Bob", "", 3),
    "1003": v2_user("1003", "carol", "Carol C", "writes about news", 250),
    "1004": v2_user("1004", "dave", "Dave", "", 0, created="2021-01-05T00:00:00.000Z"),
}


def v2_tweet(tid, author, text, created, **kw):
    t = {
        "id": tid, "text": text, "author_id": author, "created_at": created, "lang": kw.pop("lang", "en"),
        "conversation_id": kw.pop("conversation_id", tid), "edit_history_tweet_ids": [tid],
        "possibly_sensitive": False, "reply_settings": "everyone", "source": "Twitter Web App",
        "public_metrics": kw.pop("metrics", {"retweet_count": 1, "reply_count": 0, "like_count": 2, "quote_count": 0, "bookmark_count": 0, "impression_count": 40}),
    }
    t.update(kw)
    return t


T1 = v2_tweet("2001", "1001", "Breaking: #Foo and #bar https://t.co/abc1 via @bob_b https://t.co/pic1", "2023-05-01T12:00:00.000Z",
              entities={"hashtags": [{"start": 10, "end": 14, "tag": "Foo"}, {"start": 19, "end": 23, "tag": "bar"}],
                        "urls": [{"start": 24, "end": 47, "url": "https://t.co/abc1", "expanded_url": "https://www.bbc.co.uk/news/world-1", "display_url": "bbc.co.uk/news/world-1", "status": 200, "unwound_url": "https://www.bbc.co.uk/news/world-1"},
                                 {"start": 59, "end": 82, "url": "https://t.co/pic1", "expanded_url": "https://twitter.com/alice/status/2001/photo/1", "display_url": "pic.twitter.com/pic1", "media_key": "3_501"}],
                        "mentions": [{"start": 52, "end": 58, "username": "bob_b", "id": "1002"}]},
              attachments={"media_keys": ["3_501"]})
T2 = v2_tweet("2002", "1002", "RT @alice: Breaking: #Foo and #bar https://t.co/abc1 via @bob_b https://t.co/pic1", "2023-05-01T12:05:00.000Z",
              referenced_tweets=[{"type": "retweeted", "id": "2001"}],
              entities={"mentions": [{"start": 3, "end": 9, "username": "alice", "id": "1001"}, {"start": 60, "end": 66, "username": "bob_b", "id": "1002"}],
                        "hashtags": [{"start": 21, "end": 25, "tag": "Foo"}, {"start": 30, "end": 34, "tag": "bar"}]},
              metrics={"retweet_count": 1, "reply_count": 0, "like_count": 0, "quote_count": 0})
T_Q2 = v2_tweet("2010", "1004", "the original claim https://t.co/zz", "2023-04-30T08:00:00.000Z",
                entities={"urls": [{"start": 19, "end": 34, "url": "https://t.co/zz", "expanded_url": "http://example.com/a?b=1"}]})
T_Q1 = v2_tweet("2011", "1002", "look at this", "2023-04-30T09:00:00.000Z", referenced_tweets=[{"type": "quoted", "id": "2010"}])
T3 = v2_tweet("2003", "1003", "Quoting a quote, #Foo again", "2023-05-01T13:00:00+00:00",
              referenced_tweets=[{"type": "quoted", "id": "2011"}],
              entities={"hashtags": [{"start": 18, "end": 22, "tag": "Foo"}]})
T5 = v2_tweet("2005", "1001", "@carol you are wrong", "2023-05-01T14:00:00.000Z", conversation_id="2003",
              in_reply_to_user_id="1003", referenced_tweets=[{"type": "replied_to", "id": "2003"}],
              entities={"mentions": [{"start": 0, "end": 6, "username": "carol", "id": "1003"}]})
T6 = v2_tweet("2006", "1004", "withheld in some countries", "2023-05-02T00:00:00.000Z",
              withheld={"copyright": False, "country_codes": ["DE", "FR"]})
LONG = "A long post " + "word " * 60 + "#LongTag end"
T7 = v2_tweet("2007", "1003", LONG[:270] + "…", "2023-05-02T01:00:00.000Z",
              note_tweet={"text": LONG, "entities": {"hashtags": [{"start": len(LONG) - 12, "end": len(LONG) - 4, "tag": "LongTag"}]}})
T8 = v2_tweet("2008", "1002", "ünïcödé text ✓ no entities", "2023-05-03T00:00:00.000Z", lang="und", metrics=None)
T8["public_metrics"] = None
T8["geo"] = {"place_id": "01a9a39529b27f36"}
T9 = v2_tweet("2009", "1004", "quoting a deleted tweet", "2023-05-03T02:00:00.000Z",
              referenced_tweets=[{"type": "quoted", "id": "2999"}])
MEDIA = [{"media_key": "3_501", "type": "photo", "url": "https://pbs.twimg.com/media/Fabc501.jpg", "width": 1200, "height": 800, "alt_text": "a photo"}]
ERR_2999 = {"value": "2999", "detail": "Could not find tweet with ids: [2999].", "title": "Not Found Error",
            "resource_type": "tweet", "parameter": "ids", "resource_id": "2999",
            "type": "https://api.twitter.com/2/problems/resource-not-found"}
TWARC = {"url": "https://api.twitter.com/2/tweets/search/recent?query=foo", "version": "2.14.0", "retrieved_at": "2023-05-04T00:00:00+00:00"}


def page(data, users, tweets=(), media=(), errors=None):
    p = {"data": data, "includes": {"users": users}, "meta": {"newest_id": data[0]["id"] if data else None, "result_count": len(data)}, "__twarc": TWARC}
    if tweets:
        p["includes"]["tweets"] = list(tweets)
    if media:
        p["includes"]["media"] = list(media)
    if errors:
        p["errors"] = errors
    return p


PAGE1 = page([T1, T2, T3, T5, T6, T7], [USERS[u] for u in ("1001", "1002", "1003", "1004")],
             tweets=[T1, T_Q1, T_Q2], media=MEDIA)
PAGE2 = page([T1, T8, T9], [USERS[u] for u in ("1001", "1002", "1004")], errors=[ERR_2999])
ERR_PAGE = {"errors": [ERR_2999], "meta": {"result_count": 0}, "__twarc": TWARC}


def flatten(p):
    """What `twarc2 flatten` does: one tweet per line, expansions inline (twarc.expansions.flatten)."""
    users = {u["id"]: u for u in p["includes"].get("users", [])}
    users_by_name = {u["username"]: u for u in users.values()}
    tweets = {t["id"]: t for t in p["includes"].get("tweets", [])}
    media = {m["media_key"]: m for m in p["includes"].get("media", [])}

    def expand(x):
        if isinstance(x, list):
            return [expand(i) for i in x]
        if not isinstance(x, dict):
            return x
        x = {k: expand(v) for k, v in x.items()}
        if "author_id" in x and x["author_id"] in users:
            x["author"] = users[x["author_id"]]
        if "in_reply_to_user_id" in x and x["in_reply_to_user_id"] in users:
            x["in_reply_to_user"] = users[x["in_reply_to_user_id"]]
        if "media_keys" in x:
            x["media"] = [media[k] for k in x["media_keys"] if k in media]
        if "mentions" in x:
            x["mentions"] = [{**m, **users_by_name.get(m["username"], {})} for m in x["mentions"]]
        if "referenced_tweets" in x:
            x["referenced_tweets"] = [{**r, **expand(tweets.get(r["id"], {}))} for r in x["referenced_tweets"]]
        return x

    out = []
    for t in p["data"]:
        f = expand(copy.deepcopy(t))
        f["__twarc"] = p["__twarc"]
        out.append(f)
    return out


def write_twarc2() -> None:
    lines = [jl(PAGE1), jl(PAGE2), '{"data": [{"id": "2100", "text": "truncated li', jl(ERR_PAGE)]
    (HERE / "twarc2_pages.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    flat = [jl(t) for t in flatten(PAGE1)] + [jl(t) for t in flatten(PAGE2)]
    flat.insert(3, "not json at all")
    flat.append(jl({"text": "a tweet object without an id", "author_id": "1001"}))
    (HERE / "twarc2_flat.jsonl").write_text("\r\n".join(flat) + "\r\n", encoding="utf-8")  # CRLF line ends
    raw = (HERE / "twarc2_pages.jsonl").read_bytes()
    (HERE / "twarc2_pages.jsonl.gz").write_bytes(gzip.compress(raw, mtime=0))
    (HERE / "twarc2_pages.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(raw))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("export/twarc2_pages.jsonl", (2023, 5, 4, 0, 0, 0)), raw)
    (HERE / "twarc2_pages.zip").write_bytes(buf.getvalue())
    gz = gzip.compress(raw, mtime=0)
    (HERE / "truncated.jsonl.gz").write_bytes(gz[: len(gz) // 2])


# ---------------------------------------------------------------- Twitter v1.1
def v1_user(uid, sn, name, followers=10, desc=None):
    return {"id": int(uid), "id_str": uid, "name": name, "screen_name": sn, "location": "", "url": None,
            "description": desc, "translator_type": "none", "protected": False, "verified": False,
            "followers_count": followers, "friends_count": 20, "listed_count": 0, "favourites_count": 3,
            "statuses_count": 50, "created_at": "Mon Nov 29 21:18:15 +0000 2010", "utc_offset": None,
            "time_zone": None, "geo_enabled": False, "lang": None, "contributors_enabled": False,
            "is_translator": False, "profile_background_color": "C0DEED", "profile_image_url": "http://pbs.twimg.com/profile_images/1/x_normal.jpg",
            "profile_image_url_https": "https://pbs.twimg.com/profile_images/1/x_normal.jpg", "default_profile": True,
            "default_profile_image": False, "following": None, "follow_request_sent": None, "notifications": None}


def v1_tweet(tid, user, text, created, **kw):
    t = {"created_at": created, "id": int(tid), "id_str": tid, "text": text,
         "source": '<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>',
         "truncated": False, "in_reply_to_status_id": None, "in_reply_to_status_id_str": None,
         "in_reply_to_user_id": None, "in_reply_to_user_id_str": None, "in_reply_to_screen_name": None,
         "user": user, "geo": None, "coordinates": None, "place": None, "contributors": None,
         "is_quote_status": False, "quote_count": 0, "reply_count": 0, "retweet_count": 0, "favorite_count": 0,
         "entities": {"hashtags": [], "urls": [], "user_mentions": [], "symbols": []},
         "favorited": False, "retweeted": False, "filter_level": "low", "lang": "en", "timestamp_ms": "1525000000000"}
    t.update(kw)
    return t


U1, U2, U3 = v1_user("11", "erin", "Erin", 900, "#activist"), v1_user("12", "frank", "Frank", 5), v1_user("13", "grace", "Grace")
V1_A = v1_tweet("3001", U1, "Hello #World https://t.co/x1 @frank", "Sun Apr 29 10:00:00 +0000 2018",
                entities={"hashtags": [{"text": "World", "indices": [6, 12]}],
                          "urls": [{"url": "https://t.co/x1", "expanded_url": "https://news.example.org/story?id=1", "display_url": "news.example.org/story…", "indices": [13, 28]}],
                          "user_mentions": [{"screen_name": "frank", "name": "Frank", "id": 12, "id_str": "12", "indices": [29, 35]}], "symbols": []},
                extended_entities={"media": [{"id": 9001, "id_str": "9001", "indices": [36, 59], "media_url": "http://pbs.twimg.com/media/A.jpg",
                                              "media_url_https": "https://pbs.twimg.com/media/A.jpg", "url": "https://t.co/m", "type": "photo", "sizes": {}}]})
LONGV1 = "Streaming extended tweet that is longer than 140 characters " + "blah " * 25 + "#Extended"
V1_B = v1_tweet("3002", U2, LONGV1[:137] + "…", "Sun Apr 29 11:00:00 +0000 2018", truncated=True,
                extended_tweet={"full_text": LONGV1, "display_text_range": [0, len(LONGV1)],
                                "entities": {"hashtags": [{"text": "Extended", "indices": [len(LONGV1) - 9, len(LONGV1)]}], "urls": [], "user_mentions": [], "symbols": []}})
V1_RT = v1_tweet("3003", U3, "RT @erin: Hello #World https://t.co/x1 @frank", "Sun Apr 29 12:00:00 +0000 2018",
                 retweeted_status=V1_A,
                 entities={"hashtags": [{"text": "World", "indices": [16, 22]}], "urls": [],
                           "user_mentions": [{"screen_name": "erin", "name": "Erin", "id": 11, "id_str": "11", "indices": [3, 8]},
                                             {"screen_name": "frank", "name": "Frank", "id": 12, "id_str": "12", "indices": [39, 45]}], "symbols": []})
V1_Q_INNER = v1_tweet("3004", U2, "quoting erin", "Sun Apr 29 12:30:00 +0000 2018", is_quote_status=True,
                      quoted_status_id=3001, quoted_status_id_str="3001", quoted_status=V1_A)
V1_QQ = v1_tweet("3005", U1, "quote of a quote", "Sun Apr 29 13:00:00 +0000 2018", is_quote_status=True,
                 quoted_status_id=3004, quoted_status_id_str="3004", quoted_status=V1_Q_INNER)
V1_REPLY = v1_tweet("3006", U3, "@erin nope", "Sun Apr 29 14:00:00 +0000 2018",
                    in_reply_to_status_id=3001, in_reply_to_status_id_str="3001", in_reply_to_user_id=11,
                    in_reply_to_user_id_str="11", in_reply_to_screen_name="erin",
                    entities={"hashtags": [], "urls": [], "user_mentions": [{"screen_name": "erin", "name": "Erin", "id": 11, "id_str": "11", "indices": [0, 5]}], "symbols": []})
V1_WITHHELD = v1_tweet("3007", U2, "withheld text", "Sun Apr 29 15:00:00 +0000 2018", withheld_in_countries=["DE"])
V1_FULL = v1_tweet("3008", U3, None, "Sun Apr 29 16:00:00 +0000 2018")
del V1_FULL["text"]
V1_FULL["full_text"] = "extended mode full_text with null place"
DELETE = {"delete": {"status": {"id": 3001, "id_str": "3001", "user_id": 11, "user_id_str": "11"}, "timestamp_ms": "1525010000000"}}
LIMIT = {"limit": {"track": 12, "timestamp_ms": "1525010000001"}}


def write_v1() -> None:
    lines = [jl(V1_A), jl(V1_B), jl(V1_RT), jl(DELETE), jl(V1_QQ), jl(V1_REPLY), jl(V1_WITHHELD), jl(V1_FULL), jl(LIMIT),
             jl(V1_A), '{"created_at": "Sun Apr 29 17:00:00 +0000 2018", "id": 30', "[1, 2, 3]"]
    (HERE / "twitter_v1.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- IO archive
IO_HEADER = ["tweetid", "userid", "user_display_name", "user_screen_name", "user_reported_location",
             "user_profile_description", "user_profile_url", "follower_count", "following_count",
             "account_creation_date", "account_language", "tweet_language", "tweet_text", "tweet_time",
             "tweet_client_name", "in_reply_to_userid", "in_reply_to_tweetid", "quoted_tweet_tweetid", "is_retweet",
             "retweet_userid", "retweet_tweetid", "latitude", "longitude", "quote_count", "reply_count", "like_count",
             "retweet_count", "hashtags", "urls", "user_mentions", "poll_choices"]
HASH_A = "0a1f1d4d5ad4e1b6a9c0b8e3d2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3"
HASH_B = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"


def io_row(**kw):
    row = {h: "" for h in IO_HEADER}
    row.update({"latitude": "absent", "longitude": "absent", "quote_count": "0", "reply_count": "0", "like_count": "0",
                "retweet_count": "0", "hashtags": "[]", "urls": "[]", "user_mentions": "[]", "poll_choices": "",
                "is_retweet": "False", "tweet_client_name": "Twitter Web Client", "account_language": "en", "tweet_language": "en"})
    row.update(kw)
    return row


IO_ROWS = [
    io_row(tweetid="500000000000000001", userid="2000001", user_display_name="Jenna Abrams", user_screen_name="Jenn_Abrams",
           user_reported_location="USA", user_profile_description="Just a girl with opinions", user_profile_url="https://t.co/abc",
           follower_count="70000", following_count="2000", account_creation_date="2014-10-13", tweet_text="Big news #MAGA #tcot http://bit.ly/xyz",
           tweet_time="2016-11-08 14:30", hashtags="[MAGA, tcot]", urls="[http://bit.ly/xyz]", like_count="120", retweet_count="40"),
    io_row(tweetid="500000000000000002", userid=HASH_A, user_display_name=HASH_A, user_screen_name=HASH_A,
           follower_count="12", following_count="300", account_creation_date="2016-01-01",
           tweet_text="RT @Jenn_Abrams: Big news #MAGA #tcot http://bit.ly/xyz", tweet_time="2016-11-08 14:35", is_retweet="True",
           retweet_userid="2000001", retweet_tweetid="500000000000000001", hashtags="[MAGA, tcot]", user_mentions="[2000001]"),
    io_row(tweetid="500000000000000003", userid=HASH_A, user_display_name=HASH_A, user_screen_name=HASH_A,
           tweet_text="@Jenn_Abrams totally agree\r\nsecond line, with \"quotes\", commas", tweet_time="2016-11-08 15:00",
           in_reply_to_userid="2000001", in_reply_to_tweetid="500000000000000001", user_mentions="[2000001]", tweet_language="en"),
    io_row(tweetid="500000000000000004", userid="2000002", user_display_name="TEN_GOP", user_screen_name="TEN_GOP",
           follower_count="130000", following_count="10", account_creation_date="2015-11-19",
           tweet_text="Quote this \ra bare CR inside", tweet_time="2017-01-20 17:00:00", quoted_tweet_tweetid="500000000000000001",
           quote_count="3", reply_count="1", like_count="1000.0", retweet_count="500", urls="[https://www.bbc.co.uk/news/a, https://t.co/q]",
           latitude="38.9", longitude="-77.0", poll_choices="yes|no"),
    io_row(tweetid="500000000000000005", userid="2000002", user_display_name="TEN_GOP", user_screen_name="TEN_GOP",
           tweet_text="", tweet_time="", like_count="", retweet_count=""),
    io_row(tweetid="500000000000000001", userid="2000001", user_screen_name="Jenn_Abrams", tweet_text="duplicate row", tweet_time="2016-11-08 14:30"),
    io_row(tweetid="", userid="2000001", tweet_text="row without tweetid", tweet_time="2016-11-08 14:31"),
]


def write_io() -> None:
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=IO_HEADER, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writeheader()
    for r in IO_ROWS:
        w.writerow(r)
    data = buf.getvalue().encode("utf-8")
    # a row with a latin-1 byte (not UTF-8) and one with too many fields
    data += b'"500000000000000006","2000002","TEN_GOP","TEN_GOP","","","","","","","en","de","caf\xe9 latin-1 bytes","2017-01-21 10:00","","","","","False","","","absent","absent","0","0","0","0","[]","[]","[]",""\n'
    data += b'"500000000000000007","extra","field"' + b',""' * 30 + b"\n"
    (HERE / "io_archive_tweets.csv").write_bytes(data)
    (HERE / "io_archive_tweets.csv.gz").write_bytes(gzip.compress(data, mtime=0))
    users = io.StringIO(newline="")
    w = csv.writer(users, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(["userid", "user_display_name", "user_screen_name", "user_reported_location", "user_profile_description",
                "user_profile_url", "follower_count", "following_count", "account_creation_date", "account_language"])
    w.writerow(["2000001", "Jenna Abrams", "Jenn_Abrams", "USA", "Just a girl with opinions", "https://t.co/abc", "70000", "2000", "2014-10-13", "en"])
    w.writerow(["2000002", "TEN_GOP", "TEN_GOP", "Tennessee", "Unofficial Twitter of Tennessee Republicans", "", "130000", "10", "2015-11-19", "en"])
    w.writerow(["2000003", "Never tweeted", "silent_one", "", "", "", "0", "0", "2017-02-01", "ru"])
    w.writerow(["", "no id", "noid", "", "", "", "", "", "", ""])
    (HERE / "io_archive_users.csv").write_text(users.getvalue(), encoding="utf-8")


# ---------------------------------------------------------------- IRA (Clemson / 538)
IRA_HEADER = ["external_author_id", "author", "content", "region", "language", "publish_date", "harvested_date",
              "following", "followers", "updates", "post_type", "account_type", "retweet", "account_category",
              "new_june_2018", "alt_external_id", "tweet_id", "article_url", "tco1_step1", "tco2_step1", "tco3_step1"]
IRA_ROWS = [
    ["906000000000000000", "10_GOP", "We have a sitting Democrat US Senator on trial for corruption #tcot https://t.co/abc", "Unknown", "English",
     "10/1/2017 19:58", "10/1/2017 19:59", "1052", "9636", "253", "", "Right", "0", "RightTroll", "0", "905874659358453760",
     "914580356430536707", "http://twitter.com/905874659358453760/statuses/914580356430536707",
     "https://www.washingtonexaminer.com/story", "", ""],
    ["906000000000000000", "10_GOP", "Marshawn Lynch arrives to game in anti-Trump shirt. @NFL", "Unknown", "English",
     "10/1/2017 22:43", "10/1/2017 22:43", "1054", "9637", "254", "RETWEET", "Right", "1", "RightTroll", "0",
     "905874659358453760", "914621840496189440", "http://twitter.com/905874659358453760/statuses/914621840496189440", "", "", ""],
    ["2500000001", "ameliebaldwin", "Quote tweet, multi\nline text", "United States", "English", "1/2/2017 14:39",
     "1/2/2017 14:40", "500", "800", "1000", "QUOTE_TWEET", "Right", "0", "RightTroll", "1", "2500000001",
     "815000000000000001", "", "", "", ""],
    ["2500000002", "newsroom_x", "", "United States", "Russian", "13/45/2017 99:99", "", "", "", "", "", "Russian", "0", "NonEnglish", "0",
     "2500000002", "815000000000000002", "", "", "", ""],
    ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
]


def write_ira() -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(IRA_HEADER)
    for r in IRA_ROWS:
        w.writerow(r)
    (HERE / "ira_tweets.csv").write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))  # with a BOM


# ---------------------------------------------------------------- CrowdTangle
CT_HEADER = ["Page Name", "User Name", "Facebook Id", "Page Category", "Page Admin Top Country", "Page Description",
             "Page Created", "Likes at Posting", "Followers at Posting", "Post Created", "Post Created Date",
             "Post Created Time", "Type", "Total Interactions", "Likes", "Comments", "Shares", "Love", "Wow", "Haha", "Sad",
             "Angry", "Care", "Video Share Status", "Is Video Owner?", "Post Views", "Total Views",
             "Total Views For All Crossposts", "Video Length", "URL", "Message", "Link", "Final Link", "Image Text",
             "Link Text", "Description", "Sponsor Id", "Sponsor Name", "Sponsor Category",
             "Overperforming Score (weighted  —  Likes 1x Shares 1x Comments 1x Love 1x Wow 1x Haha 1x Sad 1x Angry 1x Care 1x )"]


def ct_row(**kw):
    row = {h: "" for h in CT_HEADER}
    row.update(kw)
    return [row[h] for h in CT_HEADER]


CT_ROWS = [
    ct_row(**{"Page Name": "Daily News Page", "User Name": "dailynewspage", "Facebook Id": "100000001", "Page Category": "MEDIA_NEWS_COMPANY",
              "Page Admin Top Country": "US", "Page Description": "News you can trust", "Page Created": "2010-03-04 10:11:12",
              "Likes at Posting": "120,000", "Followers at Posting": "150000", "Post Created": "2021-01-06 18:03:07 EST",
              "Post Created Date": "2021-01-06", "Post Created Time": "18:03:07", "Type": "Link", "Total Interactions": "1,234",
              "Likes": "1,000", "Comments": "100", "Shares": "50", "Love": "10", "Wow": "5", "Haha": "40", "Sad": "9", "Angry": "20", "Care": "0",
              "Post Views": "0", "Total Views": "0", "URL": "https://www.facebook.com/100000001/posts/5550001",
              "Message": "Read this #Breaking story https://nyti.ms/abc", "Link": "https://nyti.ms/abc",
              "Final Link": "https://www.nytimes.com/2021/01/06/us/politics.html", "Link Text": "Politics",
              "Overperforming Score (weighted  —  Likes 1x Shares 1x Comments 1x Love 1x Wow 1x Haha 1x Sad 1x Angry 1x Care 1x )": "2.5"}),
    ct_row(**{"Page Name": "Daily News Page", "User Name": "dailynewspage", "Facebook Id": "100000001", "Post Created": "2021-07-01 09:00:00 EDT",
              "Type": "Native Video", "Likes": "5", "Comments": "0", "Shares": "1", "Post Views": "1500", "Total Views": "2000",
              "Video Length": "00:01:30", "URL": "https://www.facebook.com/100000001/videos/7770001/",
              "Message": "multi-line\r\nmessage with \"quotes\""}),
    ct_row(**{"Page Name": "Daily News Page", "User Name": "dailynewspage", "Facebook Id": "100000001", "Post Created": "2021-07-01 09:00:00 EDT",
              "Type": "Status", "URL": "https://www.facebook.com/100000001/videos/7770001/", "Message": "duplicate of the video post"}),
    ct_row(**{"Page Name": "Broken", "Facebook Id": "100000002", "Post Created": "not a date", "Type": "Status", "URL": "", "Message": "no url, no id"}),
]
CT_GROUP_HEADER = ["Group Name", "User Name", "Facebook Id", "Likes at Posting", "Post Created", "Post Created Date",
                   "Post Created Time", "Type", "Total Interactions", "Likes", "Comments", "Shares", "Love", "Wow", "Haha",
                   "Sad", "Angry", "Care", "Video Share Status", "Is Video Owner?", "Post Views", "Total Views",
                   "Total Views For All Crossposts", "Video Length", "URL", "Message", "Link", "Final Link", "Image Text",
                   "Link Text", "Description", "Sponsor Id", "Sponsor Name", "Sponsor Category", "Overperforming Score"]


def write_crowdtangle() -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CT_HEADER)
    w.writerows(CT_ROWS)
    (HERE / "crowdtangle_pages.csv").write_text(buf.getvalue(), encoding="utf-8")
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CT_GROUP_HEADER)
    g = {h: "" for h in CT_GROUP_HEADER}
    g.update({"Group Name": "Concerned Citizens Group", "User Name": "", "Facebook Id": "200000009", "Post Created": "2020-11-03 23:59:59 PST",
              "Type": "Photo", "Likes": "12", "Comments": "30", "Shares": "4", "URL": "https://www.facebook.com/groups/200000009/permalink/300000001/",
              "Message": "They control everything #wakeup", "Image Text": "text in the image"})
    w.writerow([g[h] for h in CT_GROUP_HEADER])
    g.update({"URL": "https://www.facebook.com/groups/200000009/permalink/300000002/", "Message": "second group post", "Post Created": "2020-11-04 00:10:00 PST"})
    w.writerow([g[h] for h in CT_GROUP_HEADER])
    (HERE / "crowdtangle_groups.csv").write_text(buf.getvalue(), encoding="utf-8")


# ---------------------------------------------------------------- Bluesky
DID_A, DID_B, DID_C = "did:plc:aaaa1111aaaa1111aaaa1111", "did:plc:bbbb2222bbbb2222bbbb2222", "did:plc:cccc3333cccc3333cccc3333"


def bsky_author(did, handle, name):
    return {"did": did, "handle": handle, "displayName": name, "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/x@jpeg",
            "labels": [], "createdAt": "2023-04-01T00:00:00.000Z"}


def bsky_post(did, handle, name, rkey, text, created, facets=None, reply=None, embed=None, langs=("en",), counts=(0, 0, 0, 0)):
    rec = {"$type": "app.bsky.feed.post", "text": text, "createdAt": created, "langs": list(langs)}
    if facets:
        rec["facets"] = facets
    if reply:
        rec["reply"] = reply
    if embed:
        rec["embed"] = embed
    return {"uri": f"at://{did}/app.bsky.feed.post/{rkey}", "cid": "bafyrei" + rkey, "author": bsky_author(did, handle, name),
            "record": rec, "replyCount": counts[0], "repostCount": counts[1], "likeCount": counts[2], "quoteCount": counts[3],
            "indexedAt": created, "labels": []}


def facet(text, sub, feature):
    b = text.encode()
    start = b.index(sub.encode())
    return {"$type": "app.bsky.richtext.facet", "index": {"byteStart": start, "byteEnd": start + len(sub.encode())}, "features": [feature]}


BT1 = "Hé @bob.bsky.social look https://example.com/x #Tag1 ✨"
B1 = bsky_post(DID_A, "alice.bsky.social", "Alice", "3k2a1", BT1, "2024-02-01T10:00:00.000Z", counts=(1, 1, 5, 1),
               facets=[facet(BT1, "@bob.bsky.social", {"$type": "app.bsky.richtext.facet#mention", "did": DID_B}),
                       facet(BT1, "https://example.com/x", {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/x"}),
                       facet(BT1, "#Tag1", {"$type": "app.bsky.richtext.facet#tag", "tag": "Tag1"})],
               embed={"$type": "app.bsky.embed.images", "images": [{"alt": "a cat", "image": {"$type": "blob", "ref": {"$link": "bafkreiimg1"}, "mimeType": "image/jpeg", "size": 1234}}]})
B2 = bsky_post(DID_B, "bob.bsky.social", "Bob", "3k2a2", "replying", "2024-02-01T11:00:00+00:00",
               reply={"root": {"uri": B1["uri"], "cid": B1["cid"]}, "parent": {"uri": B1["uri"], "cid": B1["cid"]}})
B3 = bsky_post(DID_C, "carol.example.com", "Carol", "3k2a3", "quoting, no facets #untagged", "2024-02-01T12:00:00Z",
               embed={"$type": "app.bsky.embed.record", "record": {"uri": B1["uri"], "cid": B1["cid"]}})
B4 = bsky_post(DID_C, "carol.example.com", "Carol", "3k2a4", "link card", "2024-02-02T12:00:00Z",
               embed={"$type": "app.bsky.embed.external", "external": {"uri": "https://www.theguardian.com/world/1", "title": "T", "description": "D"}})
REPOST = {"uri": f"at://{DID_B}/app.bsky.feed.repost/3k2r1", "cid": "bafyreirepost", "author": bsky_author(DID_B, "bob.bsky.social", "Bob"),
          "record": {"$type": "app.bsky.feed.repost", "subject": {"uri": B3["uri"], "cid": B3["cid"]}, "createdAt": "2024-02-03T00:00:00.000Z"}}
LIKE = {"uri": f"at://{DID_B}/app.bsky.feed.like/3k2l1", "cid": "bafyreilike", "author": bsky_author(DID_B, "bob.bsky.social", "Bob"),
        "record": {"$type": "app.bsky.feed.like", "subject": {"uri": B1["uri"], "cid": B1["cid"]}, "createdAt": "2024-02-03T00:00:00.000Z"}}
FEED_ITEM = {"post": B4, "reason": None}


def write_bluesky() -> None:
    lines = [jl(B1), jl(B2), jl(B3), jl(REPOST), jl(LIKE), jl(FEED_ITEM), jl({"uri": "not-at-uri", "text": "x"}), jl(B1)]
    (HERE / "bluesky_posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (HERE / "bluesky_posts.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress((HERE / "bluesky_posts.jsonl").read_bytes()))


# ---------------------------------------------------------------- Telegram Desktop
def tg_msg(mid, date, frm, from_id, text, entities=None, **kw):
    m = {"id": mid, "type": "message", "date": date, "date_unixtime": None, "from": frm, "from_id": from_id, "text": text,
         "text_entities": entities if entities is not None else ([{"type": "plain", "text": text}] if isinstance(text, str) else [])}
    from datetime import datetime, timezone
    # Telegram writes local time in "date"; date_unixtime is the truth (here the machine ran at UTC+3)
    dt = datetime.fromisoformat(date).replace(tzinfo=timezone.utc)
    m["date_unixtime"] = str(int(dt.timestamp()) - 3 * 3600)
    m.update(kw)
    return m


TG_TEXT = ["Join us ", {"type": "hashtag", "text": "#rally"}, " with ", {"type": "mention", "text": "@somechannel"}, " ",
           {"type": "link", "text": "https://t.me/somechannel/5"}, " and ", {"type": "text_link", "text": "this", "href": "https://example.org/x"}]
TG_ENTS = [{"type": "plain", "text": "Join us "}, {"type": "hashtag", "text": "#rally"}, {"type": "plain", "text": " with "},
           {"type": "mention", "text": "@somechannel"}, {"type": "plain", "text": " "}, {"type": "link", "text": "https://t.me/somechannel/5"},
           {"type": "plain", "text": " and "}, {"type": "text_link", "text": "this", "href": "https://example.org/x"}]
TG_SINGLE = {"name": "Test Channel", "type": "public_channel", "id": 1234567890, "messages": [
    {"id": 1, "type": "service", "date": "2023-01-01T10:00:00", "date_unixtime": "1672560000", "actor": "Test Channel",
     "actor_id": "channel1234567890", "action": "create_channel", "title": "Test Channel", "text": "", "text_entities": []},
    tg_msg(2, "2023-01-01T12:00:00", "Test Channel", "channel1234567890", TG_TEXT, TG_ENTS,
           reactions=[{"type": "emoji", "count": 5, "emoji": "👍"}, {"type": "emoji", "count": 2, "emoji": "🔥"}]),
    tg_msg(3, "2023-01-01T12:05:00", "Test Channel", "channel1234567890", "forwarded post", forwarded_from="Other Channel",
           photo="photos/photo_1@01-01-2023_12-05-00.jpg", width=800, height=600),
    tg_msg(4, "2023-01-01T12:10:00", "Test Channel", "channel1234567890", "reply to 2", reply_to_message_id=2, edited="2023-01-01T12:11:00",
           edited_unixtime="1672564260"),
    tg_msg(5, "2023-01-01T12:20:00", "Test Channel", "channel1234567890", "", file="(File not included. Change data exporting settings to download.)",
           media_type="video_file", mime_type="video/mp4", duration_seconds=30),
]}
TG_MULTI = {"about": "Here is the data you requested.", "chats": {"about": "This page lists all chats from this export.", "list": [
    {"name": "Friends", "type": "private_group", "id": 555, "messages": [
        tg_msg(1, "2023-02-01T09:00:00", "Ann", "user111", ["hi all ", {"type": "hashtag", "text": "#hello"}],
               [{"type": "plain", "text": "hi all "}, {"type": "hashtag", "text": "#hello"}]),
        tg_msg(2, "2023-02-01T09:01:00", "Ben", "user222", [{"type": "mention_name", "text": "Ann", "user_id": 111}, " hi"],
               [{"type": "mention_name", "text": "Ann", "user_id": 111}, {"type": "plain", "text": " hi"}], reply_to_message_id=1),
        {"id": 3, "type": "message", "date": "2023-02-01T09:02:00", "from": None, "from_id": "user333", "text": "deleted account sender"},
    ]},
    {"name": "Saved Messages", "type": "saved_messages", "id": 777, "messages": [
        tg_msg(1, "2023-03-01T09:00:00", "Me", "user999", "note to self https://example.com/a", [{"type": "plain", "text": "note to self "}, {"type": "link", "text": "https://example.com/a"}]),
    ]},
]}}


def write_telegram() -> None:
    d = HERE / "telegram_channel"
    (d / "photos").mkdir(parents=True, exist_ok=True)
    (d / "result.json").write_text(json.dumps(TG_SINGLE, ensure_ascii=False, indent=1), encoding="utf-8")
    (d / "photos" / "photo_1@01-01-2023_12-05-00.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    (HERE / "telegram_account.json").write_text(json.dumps(TG_MULTI, ensure_ascii=False, indent=1), encoding="utf-8")


# ---------------------------------------------------------------- generic CSV
def write_csv() -> None:
    rows = [
        ["id", "username", "user_id", "body", "timestamp", "lang", "is_retweet", "likes", "urls", "platform", "notes"],
        ["p1", "@Zed", "u1", "first post #Alpha https://example.net/1 @yan", "2022-06-01T10:00:00Z", "en", "false", "3", "", "gab", "x"],
        ["p2", "yan", "u2", "RT @Zed: first post #Alpha", "1654077600", "en", "true", "", "", "gab", ""],
        ["p3", "zed", "u1", "multi\nline body", "06/02/2022 10:00", "", "0", "1,234", "https://a.example/1 https://b.example/2", "", "note"],
        ["", "zed", "u1", "row without id", "2022-06-03", "", "", "", "", "", ""],
    ]
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (HERE / "generic.csv").write_text(buf.getvalue(), encoding="utf-8")
    rows2 = [["msg", "who", "when", "ident"], ["hello #there", "kim", "2022-01-01 00:00:00", "m1"], ["bye", "lee", "2022-01-02 00:00:00", "m2"]]
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows2)
    (HERE / "generic_unmapped.csv").write_text(buf.getvalue(), encoding="utf-8")


# ---------------------------------------------------------------- spreadsheet-saved IRA CSV
def write_ira_spreadsheet() -> None:
    """ira_tweets.csv as a spreadsheet saves it: ids in scientific notation (9.14580E+17, digits
    lost; the exact ids survive in article_url where the row has one) and m/d/yy dates."""
    rows = list(csv.reader(io.StringIO((HERE / "ira_tweets.csv").read_text(encoding="utf-8-sig"), newline="")))
    h = rows[0]
    out = [h]
    for r in rows[1:]:
        r = r[:]
        d = dict(zip(h, r))
        for col in ("tweet_id", "alt_external_id"):
            if d.get(col, "").isdigit():
                r[h.index(col)] = f"{float(d[col]):.5E}"
        pd_ = d.get("publish_date", "")
        if pd_.count("/") == 2:
            m, dd, rest = pd_.split("/")
            y, _, t = rest.partition(" ")
            r[h.index("publish_date")] = f"{m}/{dd}/{y[2:]} {t}".strip()
        out.append(r)
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(out)
    (HERE / "ira_spreadsheet.csv").write_text(buf.getvalue(), encoding="utf-8")


# ---------------------------------------------------------------- newer platforms
JETSTREAM = [  # https://github.com/bluesky-social/jetstream: one event per line
    {"did": "did:plc:aaa", "time_us": 1725911162329308, "kind": "commit",
     "commit": {"rev": "3l3qo2vutsw2b", "operation": "create", "collection": "app.bsky.feed.post", "rkey": "3l3qo2vuowo2b",
                "record": {"$type": "app.bsky.feed.post", "createdAt": "2024-09-09T19:46:02.102Z", "langs": ["en"],
                           "text": "hello #jetstream https://example.org/a",
                           "facets": [{"index": {"byteStart": 6, "byteEnd": 16}, "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "jetstream"}]},
                                      {"index": {"byteStart": 17, "byteEnd": 38}, "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org/a"}]}]},
                "cid": "bafyreia1"}},
    {"did": "did:plc:bbb", "time_us": 1725911162400000, "kind": "commit",
     "commit": {"rev": "3l3qo2vutsw2c", "operation": "create", "collection": "app.bsky.feed.post", "rkey": "3l3qo2vuowo2c",
                "record": {"$type": "app.bsky.feed.post", "createdAt": "2024-09-09T19:46:05.000Z", "text": "a reply",
                           "reply": {"parent": {"cid": "bafyreia1", "uri": "at://did:plc:aaa/app.bsky.feed.post/3l3qo2vuowo2b"},
                                     "root": {"cid": "bafyreia1", "uri": "at://did:plc:aaa/app.bsky.feed.post/3l3qo2vuowo2b"}}},
                "cid": "bafyreib2"}},
    {"did": "did:plc:ccc", "time_us": 1725911162500000, "kind": "commit",
     "commit": {"rev": "3l3qo2vutsw2d", "operation": "create", "collection": "app.bsky.feed.repost", "rkey": "3l3qo2vuowo2d",
                "record": {"$type": "app.bsky.feed.repost", "createdAt": "2024-09-09T19:46:06.000Z",
                           "subject": {"cid": "bafyreia1", "uri": "at://did:plc:aaa/app.bsky.feed.post/3l3qo2vuowo2b"}},
                "cid": "bafyreic3"}},
    {"did": "did:plc:ccc", "time_us": 1725911162600000, "kind": "commit",
     "commit": {"rev": "3l3qo2vutsw2e", "operation": "create", "collection": "app.bsky.feed.like", "rkey": "3l3qo2vuowo2e",
                "record": {"$type": "app.bsky.feed.like", "createdAt": "2024-09-09T19:46:07.000Z",
                           "subject": {"cid": "bafyreia1", "uri": "at://did:plc:aaa/app.bsky.feed.post/3l3qo2vuowo2b"}},
                "cid": "bafyreid4"}},
    {"did": "did:plc:aaa", "time_us": 1725911162700000, "kind": "commit",
     "commit": {"rev": "3l3qo2vutsw2f", "operation": "delete", "collection": "app.bsky.feed.post", "rkey": "3l3qo2vuowo2x"}},
    {"did": "did:plc:ddd", "time_us": 1725911162800000, "kind": "identity",
     "identity": {"did": "did:plc:ddd", "handle": "ddd.bsky.social", "seq": 1, "time": "2024-09-09T19:46:08.000Z"}},
]


def _toot(sid, acct_id, acct, content, created, **kw):
    st = {"id": sid, "created_at": created, "in_reply_to_id": None, "in_reply_to_account_id": None, "sensitive": False,
          "spoiler_text": "", "visibility": "public", "language": "en", "uri": f"https://mastodon.example/users/{acct}/statuses/{sid}",
          "url": f"https://mastodon.example/@{acct}/{sid}", "replies_count": 0, "reblogs_count": 0, "favourites_count": 0,
          "content": content, "reblog": None,
          "account": {"id": acct_id, "username": acct, "acct": acct, "display_name": acct.title(), "note": "<p>bio</p>",
                      "url": f"https://mastodon.example/@{acct}", "followers_count": 5, "following_count": 7,
                      "statuses_count": 9, "created_at": "2022-11-01T00:00:00.000Z", "bot": False},
          "media_attachments": [], "mentions": [], "tags": [], "emojis": [], "card": None, "poll": None}
    st.update(kw)
    return st


def write_platforms() -> None:
    (HERE / "jetstream.jsonl").write_text("".join(jl(e) + "\n" for e in JETSTREAM), encoding="utf-8")
    orig = _toot("200", "20", "origin", "<p>original <a href=\"https://news.example/x\" rel=\"nofollow\">news.example/x</a> "
                 "<a href=\"https://mastodon.example/tags/Tag\" class=\"mention hashtag\">#<span>Tag</span></a></p>",
                 "2024-05-01T10:00:00.000Z", tags=[{"name": "Tag", "url": "https://mastodon.example/tags/Tag"}],
                 card={"url": "https://news.example/x", "title": "X"},
                 media_attachments=[{"id": "m1", "type": "image", "url": "https://files.example/m1.png", "description": "alt"}])
    boost = _toot("201", "21", "booster", "", "2024-05-01T11:00:00.000Z", reblog=orig)
    reply = _toot("202", "22", "replier", "<p><span class=\"h-card\"><a href=\"https://mastodon.example/@origin\" class=\"u-url mention\">@<span>origin</span></a></span> yes</p>",
                  "2024-05-01T12:00:00.000Z", in_reply_to_id="200", in_reply_to_account_id="20",
                  mentions=[{"id": "20", "username": "origin", "acct": "origin", "url": "https://mastodon.example/@origin"}])
    (HERE / "mastodon_statuses.json").write_text(json.dumps([boost, reply], indent=2), encoding="utf-8")
    reddit = [
        {"id": "abc1", "name": "t3_abc1", "author": "poster", "title": "A link", "selftext": "", "url": "https://news.example/story",
         "is_self": False, "created_utc": 1700000000, "subreddit": "news", "permalink": "/r/news/comments/abc1/a_link/",
         "score": 5, "num_comments": 2},
        {"id": "abc2", "author": "xposter", "title": "A link", "selftext": "", "url": "/r/other/comments/abc2/a_link/",
         "is_self": False, "created_utc": "1700000100", "subreddit": "other", "crosspost_parent": "t3_abc1",
         "crosspost_parent_list": [{"id": "abc1", "author": "poster"}], "permalink": "/r/other/comments/abc2/a_link/"},
        {"id": "c1", "author": "commenter", "body": "see https://example.com/ref", "created_utc": 1700000200.0,
         "subreddit": "news", "link_id": "t3_abc1", "parent_id": "t3_abc1", "score": 1},
        {"id": "c2", "author": "[deleted]", "body": "[deleted]", "created_utc": 1700000300, "subreddit": "news",
         "link_id": "t3_abc1", "parent_id": "t1_c1"},
    ]
    (HERE / "reddit_dump.ndjson").write_text("".join(jl(r) + "\n" for r in reddit), encoding="utf-8")
    listing = {"kind": "Listing", "data": {"after": None, "children": [{"kind": "t1", "data": {**reddit[2], "name": "t1_c1"}},
                                                                       {"kind": "more", "data": {"count": 2, "children": ["c8", "c9"]}}]}}
    (HERE / "reddit_listing.json").write_text(json.dumps(listing), encoding="utf-8")
    comments = {"data": {"comments": [
        {"id": "7001", "video_id": "6001", "text": "nice #wow", "like_count": 3, "reply_count": 1, "parent_comment_id": "6001",
         "create_time": 1700000000},
        {"id": "7002", "video_id": "6001", "text": "agreed", "like_count": 0, "reply_count": 0, "parent_comment_id": "7001",
         "create_time": 1700000060}], "cursor": 2, "has_more": False}, "error": {"code": "ok", "message": ""}}
    (HERE / "tiktok_comments.json").write_text(json.dumps(comments, indent=2), encoding="utf-8")
    def yt(cid, author, text, when, parent=None):
        sn = {"videoId": "vid1", "textDisplay": text, "textOriginal": text, "authorDisplayName": f"@{author}",
              "authorChannelUrl": f"http://www.youtube.com/@{author}", "authorChannelId": {"value": f"UC{author}"},
              "likeCount": 1, "publishedAt": when, "updatedAt": when}
        if parent:
            sn["parentId"] = parent
        return {"kind": "youtube#comment", "etag": "e", "id": cid, "snippet": sn}
    threads = {"kind": "youtube#commentThreadListResponse", "etag": "e", "pageInfo": {"totalResults": 1, "resultsPerPage": 20},
               "items": [{"kind": "youtube#commentThread", "etag": "e", "id": "T1",
                          "snippet": {"videoId": "vid1", "topLevelComment": yt("T1", "alice", "top #yt", "2024-01-01T00:00:00Z"),
                                      "canReply": True, "totalReplyCount": 1, "isPublic": True},
                          "replies": {"comments": [yt("T1.r1", "bob", "a reply", "2024-01-01T01:00:00Z", parent="T1")]}}]}
    (HERE / "youtube_threads.json").write_text(json.dumps(threads, indent=2), encoding="utf-8")


if __name__ == "__main__":
    write_twarc2()
    write_v1()
    write_io()
    write_ira()
    write_crowdtangle()
    write_bluesky()
    write_telegram()
    write_csv()
    write_ira_spreadsheet()
    write_platforms()
