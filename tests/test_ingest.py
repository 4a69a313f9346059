"""Ingest: every format's fixture with exact counts, compression, detection, idempotence, errors."""

from __future__ import annotations

import io

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import engineroom
from engineroom.ingest import IngestError, detect
from engineroom.ingest.sources import head_text, sources_of

from conftest import TEST_DATA, shared_dataset

D = TEST_DATA / "ingest"

# file, format, (read, stored, duplicate, quarantined), table counts
EXPECTED = {
    # interactions: 7 with the quote of tweet 2999, whose author the page does not give (kept, target 'post:2999')
    "twarc2_pages.jsonl": ("twarc2", (10, 8, 1, 1), dict(accounts=4, interactions=7, hashtags=6, urls=1, media=1)),
    "twarc2_flat.jsonl": ("twarc2", (11, 8, 1, 2), dict(accounts=4, interactions=7, hashtags=6, urls=1, media=1)),
    "twitter_v1.jsonl": ("twitter-v1", (12, 7, 1, 4), dict(accounts=3, interactions=6, hashtags=3, urls=2, media=2)),
    "io_archive_tweets.csv": ("io-archive", (9, 6, 1, 2), dict(accounts=3, interactions=4, hashtags=4, urls=3, media=0)),
    "io_archive_users.csv": ("io-users", (4, 3, 0, 1), dict(accounts=3, interactions=0, hashtags=0, urls=0, media=0)),
    "ira_tweets.csv": ("ira-csv", (5, 4, 0, 1), dict(accounts=3, interactions=1, hashtags=1, urls=1, media=0)),
    "crowdtangle_pages.csv": ("crowdtangle", (4, 2, 1, 1), dict(accounts=2, interactions=0, hashtags=1, urls=1, media=0)),
    "crowdtangle_groups.csv": ("crowdtangle", (2, 2, 0, 0), dict(accounts=1, interactions=0, hashtags=1, urls=0, media=0)),
    "bluesky_posts.jsonl": ("bluesky", (8, 5, 1, 2), dict(accounts=3, interactions=4, hashtags=2, urls=2, media=1)),
    "telegram_channel/result.json": ("telegram", (5, 4, 0, 1), dict(accounts=1, interactions=3, hashtags=1, urls=2, media=2)),
    "telegram_account.json": ("telegram", (4, 4, 0, 0), dict(accounts=4, interactions=2, hashtags=1, urls=1, media=0)),
    "generic.csv": ("csv", (4, 3, 0, 1), dict(accounts=3, interactions=2, hashtags=2, urls=3, media=0)),
}


def counts(c) -> dict:
    return {t: c.count(t) for t in ("posts", "accounts", "interactions", "hashtags", "urls", "media", "quarantine", "ingests")}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_ingests_with_exact_counts(corpus, name):
    fmt, (read, stored, dup, quar), tables = EXPECTED[name]
    [rep] = corpus.ingest(D / name)
    assert rep.format == fmt
    assert (rep.read, rep.stored, rep.duplicate, rep.quarantined) == (read, stored, dup, quar)
    assert rep.read == rep.stored + rep.duplicate + rep.quarantined
    got = counts(corpus)
    assert got["posts"] == (0 if fmt == "io-users" else stored)
    assert got["quarantine"] == quar
    for table, n in tables.items():
        assert got[table] == n, (table, got)
    row = corpus.query("SELECT * FROM ingests").iloc[0]
    assert (row.records_read, row.records_stored, row.records_duplicate, row.records_quarantined) == (read, stored, dup, quar)
    assert row.format == fmt and len(row.sha256) == 64
    # every quarantined record says where it came from and why
    q = corpus.quarantine()
    assert q["reason"].notna().all() and (q["line"] > 0).all()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_auto_detection(name):
    [src] = sources_of(D / name)
    assert detect(head_text(src)) == EXPECTED[name][0]


def test_twarc2_pages_resolve_expansions(corpus):
    corpus.ingest(D / "twarc2_pages.jsonl")
    p = corpus.query("SELECT * FROM posts ORDER BY post_id").set_index("post_id")
    assert p.loc["2002", "kind"] == "retweet"
    assert p.loc["2002", "text"].startswith("Breaking: #Foo")  # the retweeted text, not "RT @alice: ..."
    assert p.loc["2002", "retweet_of_account_id"] == "1001"
    assert p.loc["2003", "kind"] == "quote" and p.loc["2003", "quote_of_account_id"] == "1002"  # quote of a quote
    assert p.loc["2009", "quote_of_post_id"] == "2999" and pd.isna(p.loc["2009", "quote_of_account_id"])  # deleted
    assert bool(p.loc["2006", "withheld"]) is True
    assert p.loc["2007", "text"].endswith("#LongTag end")  # note_tweet: the full long text
    # and the note's entities replace the tweet's own
    assert corpus.query("SELECT tag FROM hashtags WHERE post_id = '2007'").tag.tolist() == ["longtag"]
    assert str(p.loc["2001", "created_at"]) == "2023-05-01 12:00:00"
    assert p.loc["2001", "url"] == "https://twitter.com/alice/status/2001"
    assert '"edit_history_tweet_ids":["2001"]' in p.loc["2001", "extra"]
    e = corpus.query("SELECT kind, source_account_id, target_account_id, target_handle, target_post_id FROM interactions WHERE post_id = '2002'")
    assert ("retweet", "1002", "1001", "alice", "2001") in list(e.itertuples(index=False, name=None))
    assert "mention" not in set(e[e.target_account_id == "1001"].kind)  # the RT @alice prefix is not a mention
    u = corpus.query("SELECT * FROM urls")
    assert u[["url", "expanded_url", "domain", "host"]].values.tolist() == [
        ["https://t.co/abc1", "https://www.bbc.co.uk/news/world-1", "bbc.co.uk", "www.bbc.co.uk"]]
    m = corpus.query("SELECT * FROM media").iloc[0]
    assert (m.media_key, m.type, m.url) == ("3_501", "photo", "https://pbs.twimg.com/media/Fabc501.jpg")
    a = corpus.query("SELECT * FROM accounts WHERE account_id = '1001'").iloc[0]
    assert (a.handle, a.followers, bool(a.verified), a.location) == ("alice", 1500, True, "Berlin")
    assert a.likes_count == 7  # API v2 user public_metrics.like_count (newer exports)
    assert set(corpus.query("SELECT tag FROM hashtags WHERE post_id = '2001'")["tag"]) == {"foo", "bar"}


def test_twarc2_referenced_tweets_in_any_order(corpus, tmp_path):
    """A tweet that replies and quotes, its references in either order, or with more than two."""
    refs = {"9001": [("replied_to", "8001"), ("quoted", "8002")],
            "9002": [("quoted", "8002"), ("replied_to", "8001")],
            "9003": [("other", "8003"), ("replied_to", "8001"), ("retweeted", "8002")],
            "9004": [],
            "9005": [("quoted", "8002"), ("quoted", "8003")]}
    data = [{"id": i, "author_id": "1", "text": "t", "created_at": "2024-01-01T00:00:00Z",
             "referenced_tweets": [{"type": k, "id": r} for k, r in rs]} for i, rs in refs.items()]
    page = {"data": data, "includes": {"users": [{"id": "1", "username": "a"}, {"id": "2", "username": "b"}],
                                       "tweets": [{"id": r, "author_id": "2", "text": "x"} for r in ("8001", "8002", "8003")]}}
    f = tmp_path / "refs.jsonl"
    f.write_text(json.dumps(page) + "\n")
    for flat in (False, True):  # as a page, then flattened (each tweet a line of its own, other ids)
        if flat:
            f.write_text("".join(json.dumps({**t, "id": "7" + t["id"][1:], "author": {"id": "1", "username": "a"}}) + "\n"
                                 for t in data))
        corpus.ingest(f)
    p = corpus.query("SELECT post_id, kind, reply_to_post_id, quote_of_post_id, retweet_of_post_id FROM posts ORDER BY post_id")
    got = {r.post_id: (r.kind, r.reply_to_post_id, r.quote_of_post_id, r.retweet_of_post_id) for r in p.fillna("").itertuples()}
    want = {"9001": ("quote", "8001", "8002", ""), "9002": ("quote", "8001", "8002", ""),
            "9003": ("retweet", "8001", "", "8002"), "9004": ("post", "", "", ""), "9005": ("quote", "", "8002", "")}
    assert got == {**want, **{"7" + k[1:]: v for k, v in want.items()}}


def test_a_tag_or_link_twice_in_a_post_is_stored_once(corpus, tmp_path):
    tags = [{"tag": "Foo"}, {"tag": "bar"}, {"tag": "FOO"}, {"tag": "foo"}, {"tag": ""}]
    urls = [{"url": "https://t.co/b", "expanded_url": "https://example.org/b"},
            {"url": "https://t.co/a", "expanded_url": "https://www.example.co.uk/a"}]
    tweet = {"id": "5001", "author_id": "1", "text": "#Foo #bar #FOO #foo", "created_at": "2024-01-01T00:00:00Z",
             "entities": {"hashtags": tags, "urls": urls}}
    f = tmp_path / "tags.jsonl"
    # the same tweet twice in a page, and again on the next line: stored once, the first kept
    f.write_text(json.dumps({"data": [tweet, tweet], "includes": {"users": [{"id": "1", "username": "a"}]}}) + "\n"
                 + json.dumps({"data": [tweet]}) + "\n")
    [rep] = corpus.ingest(f)
    assert (rep.read, rep.stored, rep.duplicate) == (3, 1, 2)
    assert corpus.query("SELECT tag, tag_raw, position FROM hashtags ORDER BY position").values.tolist() == [
        ["foo", "Foo", 0], ["bar", "bar", 1]]
    assert corpus.query("SELECT position, expanded_url, domain, host FROM urls ORDER BY position").values.tolist() == [
        [0, "https://example.org/b", "example.org", "example.org"], [1, "https://www.example.co.uk/a", "example.co.uk", "www.example.co.uk"]]


def test_flattened_equals_pages(tmp_path):
    def snapshot(name):
        with engineroom.open(tmp_path / f"{name}.duckdb") as c:
            c.ingest(D / name)
            return (c.query("SELECT post_id, account_id, handle, created_at, text, kind, retweet_of_account_id, "
                            "quote_of_account_id, reply_to_account_id FROM posts ORDER BY post_id").values.tolist(),
                    c.query("SELECT * EXCLUDE (created_at) FROM interactions ORDER BY ALL").values.tolist(),
                    c.query("SELECT * FROM hashtags ORDER BY ALL").values.tolist())

    assert snapshot("twarc2_pages.jsonl") == snapshot("twarc2_flat.jsonl")


def test_twitter_v1_details(corpus):
    corpus.ingest(D / "twitter_v1.jsonl")
    p = corpus.query("SELECT * FROM posts").set_index("post_id")
    assert p.loc["3002", "text"].endswith("#Extended")  # extended_tweet.full_text
    assert p.loc["3008", "text"].startswith("extended mode full_text")
    assert p.loc["3003", "kind"] == "retweet" and p.loc["3003", "retweet_of_account_id"] == "11"
    assert p.loc["3005", "quote_of_post_id"] == "3004"
    assert p.loc["3001", "client"] == "Twitter for Android"
    assert str(p.loc["3001", "created_at"]) == "2018-04-29 10:00:00"
    q = corpus.quarantine().set_index("line")
    assert "delete notice" in q.loc[4, "reason"] and "limit notice" in q.loc[9, "reason"]
    assert q.loc[11, "reason"].startswith("invalid JSON")


def test_io_archive_details(corpus):
    corpus.ingest(D / "io_archive_tweets.csv")
    p = corpus.query("SELECT * FROM posts").set_index("post_id")
    assert p.loc["500000000000000002", "kind"] == "retweet"
    assert p.loc["500000000000000003", "text"] == '@Jenn_Abrams totally agree\r\nsecond line, with "quotes", commas'
    assert p.loc["500000000000000004", "text"] == "Quote this \ra bare CR inside"
    assert p.loc["500000000000000004", "like_count"] == 1000
    assert "\ufffd" in p.loc["500000000000000006", "text"]  # latin-1 byte replaced, record kept
    assert str(p.loc["500000000000000001", "created_at"]) == "2016-11-08 14:30:00"
    e = corpus.query("SELECT post_id, kind, target_account_id FROM interactions ORDER BY ALL").values.tolist()
    assert ["500000000000000002", "retweet", "2000001"] in e
    assert ["500000000000000004", "quote", "2000001"] in e  # quoted author resolved from the stored post
    assert ["500000000000000003", "mention", "2000001"] in e
    tags = corpus.query("SELECT tag FROM hashtags WHERE post_id = '500000000000000001' ORDER BY position")["tag"].tolist()
    assert tags == ["maga", "tcot"]
    q = corpus.quarantine().set_index("line")
    assert q.loc[9, "reason"].startswith("malformed CSV row")
    assert q.loc[7, "reason"] == "record without a post id" and "row without tweetid" in q.loc[7, "raw"]


def test_users_file_fills_profiles_later(corpus):
    corpus.ingest(D / "io_archive_tweets.csv")
    before = corpus.query("SELECT bio, location FROM accounts WHERE account_id = '2000002'").iloc[0]
    assert pd.isna(before.bio)
    [rep] = corpus.ingest(D / "io_archive_users.csv")
    assert (rep.read, rep.stored, rep.duplicate, rep.quarantined) == (4, 1, 2, 1)
    after = corpus.query("SELECT bio, location, handle FROM accounts WHERE account_id = '2000002'").iloc[0]
    assert after.bio == "Unofficial Twitter of Tennessee Republicans" and after.location == "Tennessee"
    assert corpus.count("accounts") == 4


def test_ira_crowdtangle_bluesky_telegram_details(corpus):
    corpus.ingest([D / "ira_tweets.csv", D / "crowdtangle_pages.csv", D / "crowdtangle_groups.csv",
                   D / "bluesky_posts.jsonl", D / "telegram_channel" / "result.json"])
    p = corpus.query("SELECT * FROM posts").set_index("post_id")
    # IRA: exact user id from alt_external_id, M/D/YYYY times, RETWEET post type
    assert p.loc["914580356430536707", "account_id"] == "905874659358453760"
    assert str(p.loc["815000000000000001", "created_at"]) == "2017-01-02 14:39:00"
    assert p.loc["914621840496189440", "kind"] == "retweet"
    # CrowdTangle: EST / EDT / PST converted to UTC; ids from the URL
    assert str(p.loc["100000001_5550001", "created_at"]) == "2021-01-06 23:03:07"
    assert str(p.loc["100000001_7770001", "created_at"]) == "2021-07-01 13:00:00"
    assert str(p.loc["200000009_300000001", "created_at"]) == "2020-11-04 07:59:59"
    assert p.loc["100000001_5550001", "like_count"] == 1000
    u = corpus.query("SELECT expanded_url, domain FROM urls WHERE post_id = '100000001_5550001'").iloc[0]
    assert u.domain == "nytimes.com"
    # Bluesky: DIDs, facets, reply / quote / repost
    b1 = "at://did:plc:aaaa1111aaaa1111aaaa1111/app.bsky.feed.post/3k2a1"
    assert p.loc[b1, "url"] == "https://bsky.app/profile/alice.bsky.social/post/3k2a1"
    assert p.loc["at://did:plc:bbbb2222bbbb2222bbbb2222/app.bsky.feed.repost/3k2r1", "kind"] == "retweet"
    m = corpus.query(f"SELECT target_account_id, target_handle FROM interactions WHERE post_id = '{b1}' AND kind = 'mention'").iloc[0]
    assert (m.target_account_id, m.target_handle) == ("did:plc:bbbb2222bbbb2222bbbb2222", "bob.bsky.social")
    # Telegram: date_unixtime (UTC), forwards, replies, local photo path
    assert str(p.loc["1234567890/2", "created_at"]) == "2023-01-01 09:00:00"
    assert p.loc["1234567890/2", "like_count"] == 7
    assert p.loc["1234567890/4", "reply_to_post_id"] == "1234567890/2"
    media = corpus.query("SELECT local_path FROM media WHERE post_id = '1234567890/3'").iloc[0]
    assert media.local_path.endswith("photos/photo_1@01-01-2023_12-05-00.jpg") and Path(media.local_path).exists()


def test_generic_csv_mapping_and_missing_columns(corpus):
    with pytest.raises(IngestError, match="cannot tell the format"):
        corpus.ingest(D / "generic_unmapped.csv")
    with pytest.raises(IngestError, match=r"post_id.*text|required column"):
        corpus.ingest(D / "generic_unmapped.csv", format="csv")
    with pytest.raises(IngestError, match="not in the file"):
        corpus.ingest(D / "generic_unmapped.csv", format="csv", column_map={"post_id": "nope", "text": "msg"})
    [rep] = corpus.ingest(D / "generic_unmapped.csv", format="csv",
                          column_map={"post_id": "ident", "text": "msg", "handle": "who", "created_at": "when"})
    assert (rep.read, rep.stored) == (2, 2)
    p = corpus.query("SELECT post_id, handle, platform, created_at FROM posts ORDER BY post_id").values.tolist()
    assert [r[:3] for r in p] == [["m1", "kim", "csv"], ["m2", "lee", "csv"]]
    assert corpus.query("SELECT tag FROM hashtags")["tag"].tolist() == ["there"]


@pytest.mark.parametrize("name", ["twarc2_pages.jsonl.gz", "twarc2_pages.jsonl.zst", "twarc2_pages.zip"])
def test_compressed_inputs(corpus, name):
    [rep] = corpus.ingest(D / name)
    assert (rep.format, rep.read, rep.stored, rep.duplicate, rep.quarantined) == ("twarc2", 10, 8, 1, 1)
    assert corpus.count("posts") == 8


def test_twarc2_pages_only_file_with_a_broken_line(corpus, tmp_path):
    """A file of response pages only is parsed in one go; a line that is not JSON sends its batch
    to the careful parse, which quarantines that line and stores the rest as the fixture does."""
    lines = (D / "twarc2_pages.jsonl").read_text(encoding="utf-8").splitlines()
    pages = [line for line in lines if line.startswith('{"data"')]
    assert len(pages) == 3 and not all(json_ok(line) for line in pages)  # two pages and a truncated one
    f = tmp_path / "pages.jsonl"
    f.write_text("\n".join(pages) + "\n", encoding="utf-8")
    [rep] = corpus.ingest(f)
    assert (rep.format, rep.quarantined) == ("twarc2", 1)
    assert rep.read == rep.stored + rep.duplicate + rep.quarantined and rep.stored > 0
    assert corpus.query("SELECT line, reason FROM quarantine").values.tolist() == [[3, "invalid JSON"]]
    # the good pages give what the two clean pages alone give
    clean = tmp_path / "clean.jsonl"
    clean.write_text("\n".join(p for p in pages if json_ok(p)) + "\n", encoding="utf-8")
    other = engineroom.open(tmp_path / "clean.duckdb")
    [rep2] = other.ingest(clean)
    assert (rep2.read, rep2.stored, rep2.quarantined) == (rep.read - 1, rep.stored, 0)
    q = "SELECT post_id, account_id, kind, text FROM posts ORDER BY post_id"
    assert corpus.query(q).values.tolist() == other.query(q).values.tolist()
    other.close()


def json_ok(line: str) -> bool:
    try:
        json.loads(line)
        return True
    except ValueError:
        return False


def test_compressed_csv_and_bluesky(corpus):
    reps = corpus.ingest([D / "io_archive_tweets.csv.gz", D / "bluesky_posts.jsonl.zst"])
    assert [(r.format, r.read, r.stored) for r in reps] == [("io-archive", 9, 6), ("bluesky", 8, 5)]


def test_ingesting_twice_adds_nothing(corpus, tmp_path):
    corpus.ingest(D / "twarc2_pages.jsonl")
    before = counts(corpus)
    [again] = corpus.ingest(D / "twarc2_pages.jsonl")
    assert again.skipped and again.read == 0
    assert counts(corpus) == before
    # the same records in another file (another compression): all duplicates, no new rows
    [gz] = corpus.ingest(D / "twarc2_pages.jsonl.gz")
    assert not gz.skipped and (gz.stored, gz.duplicate, gz.quarantined) == (0, 9, 1)
    after = counts(corpus)
    assert {k: v for k, v in after.items() if k not in ("quarantine", "ingests")} == \
           {k: v for k, v in before.items() if k not in ("quarantine", "ingests")}
    # a renamed copy is recognised by its content
    copy = tmp_path / "renamed.jsonl"
    shutil.copy(D / "twarc2_pages.jsonl", copy)
    [r] = corpus.ingest(copy)
    assert r.skipped


def test_whole_file_errors_leave_corpus_unchanged(corpus, tmp_path):
    corpus.ingest(D / "bluesky_posts.jsonl")
    before = counts(corpus)
    with pytest.raises(IngestError, match="truncated gzip"):
        corpus.ingest(D / "truncated.jsonl.gz")
    with pytest.raises(IngestError, match="no such file"):
        corpus.ingest(tmp_path / "missing.jsonl")
    with pytest.raises(IngestError, match="not twarc2 JSON"):
        corpus.ingest(D / "io_archive_tweets.csv", format="twarc2")
    with pytest.raises(IngestError, match="not an io-archive"):
        corpus.ingest(D / "generic.csv", format="io-archive")
    with pytest.raises(IngestError, match="Telegram"):
        corpus.ingest(D / "twitter_v1.jsonl", format="telegram")
    with pytest.raises(IngestError, match="unknown format"):
        corpus.ingest(D / "generic.csv", format="myspace")
    bad_zip = tmp_path / "bad.zip"
    bad_zip.write_bytes((D / "twarc2_pages.zip").read_bytes()[:300])
    with pytest.raises(IngestError, match="zip"):
        corpus.ingest(bad_zip)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(IngestError, match="no files"):
        corpus.ingest(empty)
    assert counts(corpus) == before


def test_ingest_gives_the_session_its_settings_back(corpus):
    """An ingest sets its own time zone, memory limit, threads and write buffering, and puts the
    caller's back afterwards, whether the file was stored or could not be read."""
    con = corpus.con
    con.execute("SET TimeZone = 'Europe/London'")
    con.execute("SET memory_limit = '700MB'")
    con.execute("SET threads = 3")
    con.execute("SET SESSION write_buffer_row_group_count = 4")
    settings = ("SELECT current_setting('TimeZone'), current_setting('memory_limit'), current_setting('threads'), "
                "current_setting('write_buffer_row_group_count')")
    before = con.execute(settings).fetchone()
    assert before[3] == 4
    corpus.ingest(D / "twarc2_pages.jsonl")
    assert con.execute(settings).fetchone() == before
    with pytest.raises(IngestError):
        corpus.ingest(D / "generic.csv", format="io-archive")
    assert con.execute(settings).fetchone() == before


def test_truncated_zstd_is_an_error(corpus, tmp_path):
    raw = (D / "twarc2_pages.jsonl.zst").read_bytes()
    bad = tmp_path / "cut.jsonl.zst"
    bad.write_bytes(raw[: len(raw) - 40])
    with pytest.raises(IngestError, match="truncated zstd"):
        corpus.ingest(bad)
    assert corpus.count("posts") == 0


def test_folder_ingest_skips_unknown_files(corpus):
    reps = corpus.ingest(D / "telegram_channel")
    by_fmt = {r.format: r for r in reps}
    assert by_fmt["telegram"].stored == 4
    assert by_fmt["unknown"].skipped and "not recognised" in by_fmt["unknown"].note


def test_media_dir_matches_local_files(corpus, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "Fabc501.jpg").write_bytes(b"jpeg")
    corpus.ingest(D / "twarc2_pages.jsonl", media_dir=media)
    row = corpus.query("SELECT local_path FROM media WHERE media_key = '3_501'").iloc[0]
    assert row.local_path == str((media / "Fabc501.jpg").resolve())


def test_cli_ingest_prints_counts_and_fails_clearly(tmp_path):
    from typer.testing import CliRunner

    from engineroom.cli import app

    db = tmp_path / "cli.duckdb"
    res = CliRunner().invoke(app, ["ingest", str(D / "twitter_v1.jsonl"), "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    last = res.output.strip().splitlines()[-1]
    import json

    out = json.loads(last)
    assert {k: v for k, v in out.items() if k != "per_file"} == {"read": 12, "stored": 7, "duplicate": 1, "quarantined": 4, "files": 1}
    [one] = out["per_file"]  # one object per file
    assert one["file"].endswith("twitter_v1.jsonl") and one["format"] == "twitter-v1" and one["stored"] == 7
    assert one["layout"] == "one record per line"
    res = CliRunner().invoke(app, ["ingest", str(D / "truncated.jsonl.gz"), "--db", str(db)])
    assert res.exit_code != 0
    assert "truncated" in res.output


def test_non_utf8_json_lines_are_kept(corpus, tmp_path):
    f = tmp_path / "latin.jsonl"
    line = (D / "twarc2_flat.jsonl").read_bytes().split(b"\r\n")[0]
    f.write_bytes(line.replace(b"Breaking", b"Br\xe9aking") + b"\n" + b'{"id": "x", \xff\xfe}\n')
    [rep] = corpus.ingest(f)
    assert (rep.read, rep.stored, rep.quarantined) == (2, 1, 1)
    assert corpus.query("SELECT text FROM posts")["text"][0].startswith("Br\ufffdaking")


def test_gzip_multimember_is_read_whole(corpus, tmp_path):
    lines = (D / "twarc2_flat.jsonl").read_bytes().split(b"\r\n")
    f = tmp_path / "multi.jsonl.gz"
    f.write_bytes(gzip.compress(b"\n".join(lines[:5]) + b"\n") + gzip.compress(b"\n".join(lines[5:])))
    [rep] = corpus.ingest(f)
    assert rep.read == 11 and rep.stored == 8


@pytest.mark.slow
def test_ira_vs_organic_dev_posts():
    """The shared development corpus (a reduced IO-style CSV) reads completely."""
    import pandas as pd

    path = shared_dataset("ira_vs_organic_dev") / "posts.csv.gz"
    src = pd.read_csv(path, dtype=str, keep_default_na=False)
    import tempfile

    with tempfile.TemporaryDirectory() as d, engineroom.open(Path(d) / "dev.duckdb") as c:
        [rep] = c.ingest(path)
        assert rep.format == "io-archive"
        assert rep.read == len(src) == rep.stored + rep.duplicate + rep.quarantined
        assert rep.quarantined == 0
        assert rep.stored == src["post_id"].nunique()
        assert c.count("accounts") == src["account_id"].nunique()
        got = c.query("SELECT count(*) AS n, count(created_at) AS t, count(text) AS x FROM posts").iloc[0]
        assert got.n == got.t == got.x == rep.stored
        # texts survive byte for byte (line breaks and bare CRs included)
        sample = src.drop_duplicates("post_id").sample(200, random_state=1)
        stored = c.query("SELECT post_id, text FROM posts").set_index("post_id")["text"]
        assert all(stored[p] == t for p, t in zip(sample.post_id, sample.text))


# -- parallel staging (engineroom.ingest.pipeline) ---------------------------------------------
TABLES = ("posts", "accounts", "interactions", "hashtags", "urls", "media", "quarantine")


def _snapshot(db: Path, files: list[Path]) -> dict:
    with engineroom.open(db) as c:
        reps = c.ingest(files)
        rows = {}
        for t in TABLES:
            cols = [n for n in c.query(f"SELECT * FROM {t} LIMIT 0").columns if n != "ingest_id"]
            rows[t] = c.query(f"SELECT {', '.join(cols)} FROM {t} ORDER BY ALL").astype(str).values.tolist()
    return {"reports": [(r.format, r.read, r.stored, r.duplicate, r.quarantined) for r in reps], **rows}


@pytest.mark.slow
def test_parallel_staging_gives_the_same_corpus(tmp_path, monkeypatch):
    """Many one-line batches staged by 1 or 3 workers: the same rows, counts and quarantine records."""
    from engineroom.ingest.base import JsonLinesAdapter

    monkeypatch.setattr(JsonLinesAdapter, "lines_per_batch", 1)
    files = [D / "twarc2_pages.jsonl", D / "twarc2_flat.jsonl", D / "twitter_v1.jsonl", D / "bluesky_posts.jsonl",
             D / "io_archive_tweets.csv", D / "telegram_account.json"]
    monkeypatch.setenv("ENGINEROOM_INGEST_WORKERS", "1")
    one = _snapshot(tmp_path / "one.duckdb", files)
    monkeypatch.setenv("ENGINEROOM_INGEST_WORKERS", "3")
    three = _snapshot(tmp_path / "three.duckdb", files)
    assert one == three
    assert one["reports"][0] == ("twarc2", 10, 8, 1, 1)


def test_error_after_staged_batches_rolls_back(corpus, tmp_path, monkeypatch):
    """A file that breaks after several batches were stored (and more were staged) leaves nothing."""
    from engineroom.ingest.base import JsonLinesAdapter

    monkeypatch.setattr(JsonLinesAdapter, "lines_per_batch", 1)
    monkeypatch.setenv("ENGINEROOM_INGEST_WORKERS", "3")
    corpus.ingest(D / "bluesky_posts.jsonl")
    before = counts(corpus)
    raw = gzip.compress((D / "twitter_v1.jsonl").read_bytes() * 3)
    bad = tmp_path / "cut.jsonl.gz"
    bad.write_bytes(raw[: len(raw) - 20])
    with pytest.raises(IngestError, match="truncated gzip"):
        corpus.ingest(bad)
    assert counts(corpus) == before


def test_line_batches_match_a_plain_split():
    """The numpy line splitter: same records as splitting on newlines, whatever the read sizes."""
    import random

    from engineroom.ingest.lines import line_batches

    class Chunky:
        def __init__(self, data: bytes, rnd: random.Random) -> None:
            self.data, self.pos, self.rnd = data, 0, rnd

        def read(self, n: int) -> bytes:
            k = self.rnd.randint(1, n) if self.pos else n  # the first read is whole (as after sniffing)
            b = self.data[self.pos: self.pos + k]
            self.pos += len(b)
            return b

    rnd = random.Random(3)
    pieces = [b"a", b"{}", b"\n", b"\r", b" ", b"\t", b"\xe2\x82\xac", b"\xe2", b"\xff", b"\x0b", b"\xc2\xa0", b"x" * 40]
    for i in range(400):
        data = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 60)))
        max_lines, max_bytes = rnd.randint(1, 5), rnd.randint(1, 50)
        batches = list(line_batches(Chunky(data, rnd), max_lines=max_lines, max_bytes=max_bytes))
        got = [(r, t) for b in batches for r, t in zip(b.column("rec").to_pylist(), b.column("raw").to_pylist())]
        parts = data.split(b"\n")
        if parts[-1] == b"":
            parts.pop()
        want = [(n, p.decode("utf-8", errors="replace").rstrip("\r")) for n, p in enumerate(parts, 1) if p.strip()]
        assert got == want, (data, max_lines, max_bytes)
        assert all(0 < b.num_rows <= max_lines for b in batches)
        # batch boundaries depend on the lines alone, not on how the stream was read
        whole = list(line_batches(io.BytesIO(data), max_lines=max_lines, max_bytes=max_bytes))
        assert [b.column("rec").to_pylist() for b in batches] == [b.column("rec").to_pylist() for b in whole]


def test_line_batches_end_near_max_bytes():
    """A JSON-lines batch ends at the line that brings it to ``max_bytes`` (it used to grow to nearly
    twice that, the check coming after a whole read chunk)."""
    from engineroom.ingest.lines import line_batches

    line = b"x" * 99 + b"\n"  # 100 bytes a line
    batches = list(line_batches(io.BytesIO(line * 1000), max_lines=10**6, max_bytes=1000))
    assert sum(b.num_rows for b in batches) == 1000
    assert max(b.num_rows for b in batches) <= 11


def test_line_batches_past_the_views_offset_limit(monkeypatch):
    """A read buffer too big for a binary view's 31-bit offsets (a line of 2 GB or more) gives its
    lines as copies: the same records as the views would."""
    import random

    from engineroom.ingest import lines

    rnd = random.Random(5)
    pieces = [b"a", b"{}", b"\n", b"\r", b" ", b"\xe2\x82\xac", b"\xff", b"x" * 40]
    data = b"".join(rnd.choice(pieces) for _ in range(3000))
    want = [(b.column("rec").to_pylist(), b.column("raw").to_pylist())
            for b in lines.line_batches(io.BytesIO(data), max_lines=7, max_bytes=200)]
    monkeypatch.setattr(lines, "_VIEW_OFFSET_MAX", 16)
    got = [(b.column("rec").to_pylist(), b.column("raw").to_pylist())
           for b in lines.line_batches(io.BytesIO(data), max_lines=7, max_bytes=200)]
    assert got == want and sum(len(r) for r, _ in got) > 50
