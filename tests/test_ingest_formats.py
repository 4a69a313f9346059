"""Newer platforms, JSON layouts, files without posts, spreadsheet-saved CSV: on fixtures that
follow the real formats field by field (tests/data/ingest/make_fixtures.py writes them)."""

from __future__ import annotations

import json
import zipfile

import pytest
from typer.testing import CliRunner

from conftest import TEST_DATA

from engineroom.ingest import IngestError
from engineroom.ingest.detect import sniff

D = TEST_DATA / "ingest"


def posts(corpus, cols="post_id, account_id, kind, reply_to_post_id, retweet_of_post_id, text"):
    return {r["post_id"]: r for r in corpus.query(f"SELECT {cols} FROM posts").to_dict("records")}


def edges(corpus):
    return {(r["post_id"], r["kind"], r["target_post_id"] if r["target_post_id"] == r["target_post_id"] else None,
             r["target_account_id"] if r["target_account_id"] == r["target_account_id"] else None)
            for r in corpus.query("SELECT * FROM interactions").to_dict("records")}


def test_jetstream_events(corpus):
    [rep] = corpus.ingest(D / "jetstream.jsonl")
    assert rep.format == "bluesky" and (rep.read, rep.stored, rep.quarantined) == (6, 3, 3)
    root = "at://did:plc:aaa/app.bsky.feed.post/3l3qo2vuowo2b"
    p = posts(corpus)
    assert p[root]["text"] == "hello #jetstream https://example.org/a"
    assert p["at://did:plc:bbb/app.bsky.feed.post/3l3qo2vuowo2c"]["reply_to_post_id"] == root
    assert p["at://did:plc:ccc/app.bsky.feed.repost/3l3qo2vuowo2d"]["retweet_of_post_id"] == root
    assert ("at://did:plc:ccc/app.bsky.feed.repost/3l3qo2vuowo2d", "retweet", root, "did:plc:aaa") in edges(corpus)
    reasons = sorted(corpus.query("SELECT reason FROM quarantine")["reason"])
    assert any("like" in r for r in reasons) and any("delete" in r for r in reasons) and any("identity" in r for r in reasons)
    assert set(corpus.query("SELECT tag FROM hashtags")["tag"]) == {"jetstream"}
    assert set(corpus.query("SELECT expanded_url FROM urls")["expanded_url"]) == {"https://example.org/a"}


def test_mastodon_boost_reply_mention_tags_card_media(corpus):
    [rep] = corpus.ingest(D / "mastodon_statuses.json")
    assert rep.format == "mastodon" and (rep.read, rep.stored) == (2, 2)
    p = posts(corpus)
    # a boost is one post of the booster with the boosted text; the boosted status is not a post of its own
    assert p["201"]["kind"] == "retweet" and p["201"]["retweet_of_post_id"] == "200" and "original" in p["201"]["text"]
    assert p["202"]["reply_to_post_id"] == "200" and p["202"]["text"] == "@origin yes"
    assert {("201", "retweet", "200", "20"), ("202", "reply", "200", "20"), ("202", "mention", None, "20")} == edges(corpus)
    assert set(corpus.query("SELECT account_id FROM accounts")["account_id"]) == {"20", "21", "22"}  # the boosted author too
    assert list(corpus.query("SELECT tag FROM hashtags WHERE post_id = '201'")["tag"]) == ["tag"]
    assert list(corpus.query("SELECT expanded_url FROM urls WHERE post_id = '201'")["expanded_url"]) == ["https://news.example/x"]
    assert corpus.count("media") == 1


def test_reddit_dump_crosspost_and_deleted_author(corpus):
    [rep] = corpus.ingest(D / "reddit_dump.ndjson")
    assert rep.format == "reddit" and (rep.read, rep.stored) == (4, 4)
    p = posts(corpus)
    assert p["t3_abc2"]["kind"] == "retweet" and p["t3_abc2"]["retweet_of_post_id"] == "t3_abc1"
    assert p["t1_c1"]["reply_to_post_id"] == "t3_abc1"
    assert p["t1_c2"]["account_id"] != p["t1_c2"]["account_id"]  # [deleted] is no account (NaN)
    assert ("t3_abc2", "retweet", "t3_abc1", "poster") in edges(corpus)
    assert "https://news.example/story" in set(corpus.query("SELECT expanded_url FROM urls")["expanded_url"])
    times = corpus.query("SELECT post_id, created_at FROM posts ORDER BY post_id")  # int, string and float epochs
    assert [str(t) for t in times["created_at"]] == ["2023-11-14 22:16:40", "2023-11-14 22:18:20",
                                                      "2023-11-14 22:13:20", "2023-11-14 22:15:00"]


def test_reddit_listing_more_stub_is_quarantined(corpus):
    [rep] = corpus.ingest(D / "reddit_listing.json")
    assert (rep.read, rep.stored, rep.quarantined) == (2, 1, 1)
    assert "more" in corpus.query("SELECT reason FROM quarantine")["reason"][0]


def test_tiktok_comments_and_youtube_threads(corpus):
    [t, y] = corpus.ingest([D / "tiktok_comments.json", D / "youtube_threads.json"])
    assert (t.format, t.stored, y.format, y.stored) == ("tiktok", 2, "youtube", 2)
    p = posts(corpus)
    assert p["7001"]["reply_to_post_id"] == "6001" and p["7002"]["reply_to_post_id"] == "7001"
    assert p["T1.r1"]["reply_to_post_id"] == "T1" and p["T1"]["account_id"] == "UCalice"
    assert ("T1.r1", "reply", "T1", "UCalice") in edges(corpus)


def test_spreadsheet_saved_ira_csv(corpus):
    """Ids in scientific notation recovered from article_url, or quarantined as lossy (never
    merged as duplicates); two-digit years read as 20xx; the assumptions recorded in ingests."""
    [rep] = corpus.ingest(D / "ira_spreadsheet.csv")
    assert (rep.read, rep.stored, rep.duplicate, rep.quarantined) == (5, 2, 0, 3)
    got = corpus.query("SELECT post_id, account_id, created_at FROM posts ORDER BY post_id")
    assert list(got["post_id"]) == ["914580356430536707", "914621840496189440"]  # exact, from article_url
    assert list(got["account_id"]) == ["905874659358453760"] * 2
    assert [str(t) for t in got["created_at"]] == ["2017-10-01 19:58:00", "2017-10-01 22:43:00"]
    reasons = list(corpus.query("SELECT reason FROM quarantine")["reason"])
    assert sum("scientific notation" in r for r in reasons) == 2
    opts = json.loads(corpus.query("SELECT options FROM ingests")["options"][0])
    assert any("two-digit years" in a for a in opts["assumptions"])


def test_day_first_dates_decided_per_file(corpus, tmp_path):
    f = tmp_path / "dayfirst.csv"
    f.write_text("id,text,created_at\n1,a,02/03/17 10:00\n2,b,25/12/17 11:00\n", encoding="utf-8")
    [rep] = corpus.ingest(f)
    got = corpus.query("SELECT post_id, created_at FROM posts ORDER BY post_id")
    assert [str(t) for t in got["created_at"]] == ["2017-03-02 10:00:00", "2017-12-25 11:00:00"]
    assert any("day-first" in a for a in rep.details["assumptions"])


@pytest.mark.parametrize("layout", ["pretty", "array", "lines-of-envelopes", "concatenated-with-broken"])
def test_json_layouts_give_the_same_posts(corpus, tmp_path, layout):
    statuses = json.loads((D / "mastodon_statuses.json").read_text())
    f = tmp_path / "x.json"
    if layout == "pretty":
        f.write_text(json.dumps(statuses, indent=4))
    elif layout == "array":
        f.write_text(json.dumps(statuses))
    elif layout == "lines-of-envelopes":  # Reddit-style pages saved one per line
        f.write_text("".join(json.dumps({"kind": "Listing", "data": {"children": [{"kind": "t1", "data": c}]}}) + "\n"
                             for c in [json.loads(x) for x in (D / "reddit_dump.ndjson").read_text().splitlines()][2:]))
    else:  # a scraper that appended: a cut copy, then whole documents
        whole = json.dumps({"statuses_page": 1, "items": statuses}, indent=2)
        f.write_text(whole[: len(whole) * 4 // 5] + "\n\n" + whole + "\n")
    [rep] = corpus.ingest(f)
    assert rep.read == rep.stored + rep.duplicate + rep.quarantined
    assert rep.stored == 2
    if layout == "concatenated-with-broken":
        assert rep.quarantined == 1 and "broken JSON document" in corpus.query("SELECT reason FROM quarantine")["reason"][0]


def test_files_without_posts_are_refused_whatever_the_format(corpus, tmp_path):
    users = tmp_path / "users.jsonl"
    users.write_text(json.dumps({"data": [{"id": "1", "username": "a", "name": "A", "created_at": "2020-01-01T00:00:00.000Z",
                                           "public_metrics": {"followers_count": 1}}], "includes": {}}) + "\n")
    empty = tmp_path / "empty.json"
    empty.write_text("")
    for f, what in ((users, "users lookup"), (empty, "empty file")):
        for fmt in ("auto", "twarc2"):
            with pytest.raises(IngestError, match=what):
                corpus.ingest(f, format=fmt)
    assert corpus.count("posts") == corpus.count("ingests") == corpus.count("quarantine") == 0
    assert sniff(b'{"data": [{"end": "x", "start": "y", "tweet_count": 3}], "meta": {}}').refusal.startswith("twarc2 tweet counts")


@pytest.mark.parametrize("shape", ["line", "array", "pretty-envelope"])
def test_json_nested_deeper_than_255_levels_is_quarantined(corpus, tmp_path, shape):
    deep = '{"a":' * 400 + "1" + "}" * 400
    tweet = (D / "twitter_v1.jsonl").read_text(encoding="utf-8").splitlines()[0]
    f = tmp_path / "deep.json"
    if shape == "line":
        f.write_text(tweet + "\n" + '{"id_str": "9", "text": ' + deep + "}\n")
    elif shape == "array":
        f.write_text("[" + tweet + "," + deep + "]")
    else:
        f.write_text('{"statuses": [\n' + tweet + ",\n" + deep + "\n]}")
    [rep] = corpus.ingest(f)
    assert (rep.read, rep.stored, rep.quarantined) == (2, 1, 1)
    assert "deeper than 255" in corpus.query("SELECT reason FROM quarantine")["reason"][0]


def test_corrupted_zip_member_is_a_clear_error(corpus, tmp_path):
    tweet = (D / "twitter_v1.jsonl").read_text(encoding="utf-8").splitlines()[0]
    z = tmp_path / "z.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.jsonl", (tweet + "\n") * 50)
        zf.writestr("b.jsonl", (tweet + "\n") * 50)
    b = bytearray(z.read_bytes())
    i = b.find(b"b.jsonl") + 40
    for k in range(i, i + 30):
        b[k] ^= 0x55
    z.write_bytes(bytes(b))
    with pytest.raises(IngestError, match="b.jsonl"):
        corpus.ingest(z)
    assert corpus.count("ingests") == 1  # the good member before it is stored; nothing of the broken one


def test_cli_table_shows_whole_names_layout_and_assumptions(tmp_path):
    from engineroom.cli import app

    long_dir = tmp_path / ("a_rather_long_folder_name_for_exports_" * 3)
    long_dir.mkdir()
    f = long_dir / "ira_spreadsheet_saved_by_excel_[copy].csv"
    f.write_bytes((D / "ira_spreadsheet.csv").read_bytes())
    res = CliRunner().invoke(app, ["ingest", str(f), "--db", str(tmp_path / "c.duckdb"), "--json"], terminal_width=80)
    assert res.exit_code == 0, res.output
    flat = "".join(res.output.split())  # the name is folded over lines, never cut
    assert "".join(str(f).split()) in flat
    assert "two-digityears" in flat
    out = json.loads(res.output.strip().splitlines()[-1])
    [one] = out["per_file"]
    assert one["format"] == "ira-csv" and one["stored"] == 2 and one["file"] == str(f)
    assert any("two-digit years" in a for a in one["assumptions"])


def test_twarc2_page_longer_than_the_sniffed_head(corpus, tmp_path):
    """A twarc2 page of many tweets is one line of hundreds of KB: still pages, one per line
    (the sniff reads on to the end of the first line), not a document to take apart."""
    page = json.loads((D / "twarc2_pages.jsonl").read_text(encoding="utf-8").splitlines()[0])
    tweet = page["data"][0]
    big = {"data": [{**tweet, "id": str(10**17 + i), "conversation_id": str(10**17 + i), "referenced_tweets": []}
                    for i in range(600)], "includes": page.get("includes", {}), "meta": {"result_count": 600}}
    f = tmp_path / "big_pages.jsonl"
    f.write_text(json.dumps(big) + "\n" + json.dumps(big) + "\n", encoding="utf-8")
    assert len(json.dumps(big)) > 1 << 16 and b"\n" not in f.read_bytes()[: 1 << 16]
    [rep] = corpus.ingest(f)
    assert rep.format == "twarc2" and rep.details["layout"] == "one record per line"
    assert (rep.read, rep.stored, rep.duplicate) == (1200, 600, 600)
    assert corpus.count("accounts") >= 1  # the authors came from the page's includes


def test_io_archive_tweetid_in_scientific_notation_is_quarantined(corpus, tmp_path):
    import csv
    import io

    rows = list(csv.reader(io.StringIO((D / "io_archive_tweets.csv").read_text(encoding="utf-8", errors="replace"), newline="")))
    h = rows[0]
    i = h.index("tweetid")
    good = [r for r in rows[1:] if len(r) == len(h) and r[i].isdigit()][:2]
    lossy = [r[:i] + [f"{float(r[i]):.5E}"] + r[i + 1:] for r in good]
    buf = io.StringIO()
    csv.writer(buf).writerows([h] + good + lossy)
    f = tmp_path / "io_excel.csv"
    f.write_text(buf.getvalue(), encoding="utf-8")
    [rep] = corpus.ingest(f)
    assert (rep.read, rep.stored, rep.duplicate, rep.quarantined) == (4, 2, 0, 2)
    assert all("scientific notation" in r for r in corpus.query("SELECT reason FROM quarantine")["reason"])


# -- Meta Content Library (fixtures built from Meta's data dictionary, see tests/data/ingest/meta/README.md)
M = D / "meta"


def test_meta_content_library_csv_download(corpus):
    [rep] = corpus.ingest(M / "facebook_posts.csv")
    assert rep.format == "meta" and (rep.read, rep.stored, rep.quarantined) == (6, 3, 3)
    p = posts(corpus, "post_id, platform, account_id, kind, retweet_of_post_id, text, like_count, retweet_count, "
                      "reply_count, view_count, lang")
    orig, share = p["1100000000000001"], p["1100000000000002"]
    assert {r["platform"] for r in p.values()} == {"facebook"}
    # likes are all reactions (statistics.reaction_count); shares, comments, views as documented
    assert (orig["like_count"], orig["retweet_count"], orig["reply_count"], orig["view_count"]) == (120, 45, 30, 5000)
    assert orig["account_id"] == "9001" and orig["lang"] == "en"
    # a reshare (shared_post_id) is one post of the resharer and a retweet interaction to the shared post
    assert share["kind"] == "retweet" and share["retweet_of_post_id"] == "1100000000000001"
    assert share["text"] == "Share this,\neveryone"  # a quoted newline inside a CSV cell
    assert ("1100000000000002", "retweet", "1100000000000001", "9001") in edges(corpus)
    # bad rows: quarantined with the line they start on and why
    q = corpus.query("SELECT line, reason FROM quarantine ORDER BY line").to_dict("records")
    assert [r["line"] for r in q] == [5, 6, 7]
    assert "creation_time" in q[0]["reason"] and "cells" in q[1]["reason"] and "without an id" in q[2]["reason"]
    # nothing dropped: the fields not mapped to columns are in extra
    extra = json.loads(corpus.query("SELECT extra FROM posts WHERE post_id = '1100000000000001'")["extra"][0])
    assert extra["surface"] == {"id": "9001", "type": "page", "name": "Example Page"}
    assert extra["statistics"]["angry_count"] == "6" and extra["statistics"]["like_count"] == "100"
    assert extra["content_type"] == "link" and extra["view_date_last_refreshed"] == "2024-03-10"
    urls = list(corpus.query("SELECT expanded_url FROM urls WHERE post_id = '1100000000000001' ORDER BY position")["expanded_url"])
    assert urls == ["https://site.example/story", "https://news.example/a"]  # the link attachment first
    assert list(corpus.query("SELECT tag FROM hashtags")["tag"]) == ["stopthem"]
    acc = corpus.query("SELECT account_id, handle, display_name FROM accounts ORDER BY account_id").to_dict("records")
    assert [(a["account_id"], a["display_name"]) for a in acc] == [("9001", "Example Page"), ("9002", "A Person")]


def test_meta_content_library_api_json_facebook_and_instagram(corpus):
    fb, ig = corpus.ingest([M / "facebook_api.jsonl", M / "instagram_posts.json"])
    assert (fb.format, fb.read, fb.stored, fb.quarantined) == ("meta", 2, 2, 0)
    assert (ig.format, ig.read, ig.stored, ig.quarantined) == ("meta", 3, 2, 1)
    p = posts(corpus, "post_id, platform, account_id, handle, kind, retweet_of_post_id, like_count, view_count")
    assert p["1200000000000001"]["platform"] == "facebook" and p["1200000000000001"]["account_id"] == "8001"  # post_owner.data
    assert p["1200000000000002"]["retweet_of_post_id"] == "1200000000000001"
    assert ("1200000000000002", "retweet", "1200000000000001", "8001") in edges(corpus)
    ig1 = p["1300000000000001"]
    assert ig1["platform"] == "instagram" and ig1["handle"] == "runner_one" and (ig1["like_count"], ig1["view_count"]) == (340, 9000)
    tags = corpus.query("SELECT post_id, tag FROM hashtags WHERE platform = 'instagram' ORDER BY post_id, position")
    assert list(zip(tags["post_id"], tags["tag"])) == [("1300000000000001", "running"), ("1300000000000001", "city"),
                                                       ("1300000000000002", "deals")]  # the hashtags field, else the text
    media = corpus.query("SELECT media_key, type, extra FROM media WHERE post_id = '1300000000000001' ORDER BY media_key")
    assert list(media["type"]) == ["photo", "video"] and json.loads(media["extra"][1])["duration"] == 12.5
    # a record with no field that tells Facebook from Instagram is quarantined, not guessed
    assert "Facebook from an Instagram" in corpus.query("SELECT reason FROM quarantine")["reason"][0]


def test_meta_content_library_is_detected_and_forced(corpus, tmp_path):
    assert sniff((M / "facebook_posts.csv").read_bytes()[:4096]).format == "meta"
    assert sniff((M / "instagram_posts.json").read_bytes()).format == "meta"
    flat = tmp_path / "flattened.jsonl"  # pandas json_normalize output of API results: dotted keys
    flat.write_text(json.dumps({"id": "1", "creation_time": "2024-01-01T00:00:00+0000", "text": "x",
                                "post_owner.type": "personal", "post_owner.id": "5", "statistics.like_count": 2}) + "\n")
    [rep] = corpus.ingest(flat)
    assert rep.format == "meta" and rep.stored == 1
    assert posts(corpus, "post_id, platform, account_id")["1"]["platform"] == "instagram"
    with pytest.raises(IngestError, match="not a Meta Content Library CSV: no 'creation_time' column"):
        corpus.ingest(D / "generic.csv", format="meta")


def test_epoch_first_times_equal_the_general_path():
    """The generic CSV's fast path for whole epoch seconds gives the timestamps of the general one,
    and leaves every other form of time to it."""
    import duckdb

    from engineroom.ingest.formats.csvsql import to_ts

    cells = ["1700000001", "999999999", "1234567890", " 1700000001 ", "1700000001.5", "1700000001000", "170000000",
             "12345678901", "2023-11-14T22:13:21Z", "2023-11-14 22:13:21+02:00", "11/14/2023 22:13", "+170000000",
             "1_700_000_001", "-170000000", "", None, "soon", "Tue Nov 14 22:13:21 +0000 2023", "1700000001 EST"]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE t (c VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[c] for c in cells])
    rows = con.execute(f"SELECT c, {to_ts('c')}, {to_ts('c', epoch_first=True)} FROM t").fetchall()
    assert [r[1] for r in rows] == [r[2] for r in rows]
    assert sum(r[1] is not None for r in rows) >= 10
