"""Ingest under attack: malformed records for every adapter (hypothesis), kill -9 midway."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engineroom
from engineroom.ingest import IngestError

from conftest import ROOT, TEST_DATA

D = TEST_DATA / "ingest"

# -- hypothesis: malformed records ------------------------------------------------------------
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                        st.text(max_size=30))
json_value = st.recursive(json_scalar, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                              st.dictionaries(st.text(max_size=8), kids, max_size=4)),
                          max_leaves=12)

KEYS = {
    "twarc2": ["data", "includes", "users", "tweets", "id", "text", "author_id", "created_at", "referenced_tweets",
               "entities", "hashtags", "mentions", "urls", "public_metrics", "attachments", "media_keys", "author",
               "note_tweet", "withheld", "errors", "meta", "type"],
    "twitter-v1": ["id", "id_str", "text", "full_text", "user", "screen_name", "created_at", "retweeted_status",
                   "quoted_status", "entities", "extended_tweet", "hashtags", "urls", "user_mentions", "delete",
                   "in_reply_to_status_id", "in_reply_to_user_id_str", "extended_entities", "media"],
    "bluesky": ["uri", "cid", "author", "did", "handle", "record", "$type", "text", "createdAt", "facets", "reply",
                "parent", "embed", "images", "index", "byteStart", "features", "langs", "post", "subject"],
    "mastodon": ["id", "created_at", "content", "account", "reblog", "in_reply_to_id", "in_reply_to_account_id", "mentions",
                 "tags", "card", "media_attachments", "url", "uri", "acct", "name", "type", "actor", "object", "inReplyTo",
                 "tag", "attachment", "quote"],
    "reddit": ["id", "name", "author", "body", "title", "selftext", "created_utc", "subreddit", "parent_id", "link_id",
               "permalink", "url", "is_self", "crosspost_parent", "crosspost_parent_list", "kind", "data", "score"],
    "youtube": ["kind", "id", "snippet", "topLevelComment", "replies", "comments", "videoId", "textOriginal", "textDisplay",
                "authorChannelId", "value", "publishedAt", "parentId", "authorDisplayName"],
    "tiktok": ["id", "video_id", "create_time", "username", "video_description", "hashtag_names", "text", "parent_comment_id",
               "like_count", "view_count"],
    "4chan": ["no", "resto", "time", "now", "name", "com", "sub", "trip", "id", "tim", "ext", "replies"],
    "telethon": ["_", "id", "peer_id", "channel_id", "user_id", "date", "message", "from_id", "fwd_from", "reply_to",
                 "reply_to_msg_id", "entities", "offset", "length", "url", "media", "reactions", "results", "count"],
    "crowdtangle-api": ["platformId", "platform", "date", "message", "account", "id", "handle", "expandedLinks", "original",
                        "expanded", "media", "statistics", "actual", "account.id", "postUrl"],
    "meta": ["id", "creation_time", "text", "post_owner", "data", "type", "username", "post_owner.id", "statistics",
             "reaction_count", "share_count", "shared_post_id", "surface", "hashtags", "multimedia", "url",
             "link_attachment_fields", "link"],
}


def _record(keys):
    """A JSON object built from a format's own vocabulary, with values of any type and depth."""
    leaf = st.one_of(json_value, st.sampled_from(["app.bsky.feed.post", "app.bsky.feed.repost", "at://did:plc:x/app.bsky.feed.post/1",
                                                   "retweeted", "quoted", "replied_to", "Wed Oct 10 20:19:24 +0000 2018",
                                                   "2023-01-01T00:00:00Z", "1", "#tag @name http://x.y/z"]))
    node = st.recursive(leaf, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                     st.dictionaries(st.sampled_from(keys), kids, max_size=5)),
                        max_leaves=25)
    return st.dictionaries(st.sampled_from(keys), node, max_size=8)


def _line(keys):
    return st.one_of(
        _record(keys).map(lambda o: json.dumps(o).encode()),
        json_value.map(lambda o: json.dumps(o).encode()),
        st.binary(max_size=60).filter(lambda b: b"\n" not in b and b"\r" not in b),
        _record(keys).map(lambda o: json.dumps(o).encode()[:-3]),  # truncated
    )


_CORPORA: dict = {}


def _check(tmp_path, name: str, data: bytes, fmt: str) -> None:
    """Ingest ``data`` as ``fmt`` into a corpus kept per format; counts must reconcile."""
    f = tmp_path / name
    f.write_bytes(data)
    if fmt not in _CORPORA:
        _CORPORA[fmt] = engineroom.open(tmp_path / "h.duckdb")
    c = _CORPORA[fmt]
    before = {t: c.count(t) for t in ("posts", "quarantine", "ingests")}
    try:
        reps = c.ingest(f, format=fmt)
    except IngestError as exc:
        assert str(exc)  # a clear message, and nothing stored
        assert {t: c.count(t) for t in before} == before
        return
    for r in reps:
        assert r.read == r.stored + r.duplicate + r.quarantined
    read = sum(r.read for r in reps if not r.skipped)
    assert c.count("quarantine") - before["quarantine"] == sum(r.quarantined for r in reps)
    assert c.count("posts") - before["posts"] == sum(r.stored for r in reps if r.format != "io-users")
    if fmt in ("twitter-v1", "bluesky") and not any(r.skipped for r in reps) and not data.lstrip().startswith(b"[") \
            and all(r.details.get("layout") == "one record per line" for r in reps):
        lines = sum(1 for x in data.split(b"\n") if x.strip())
        if fmt == "bluesky":  # a thread record holds several posts
            assert read >= lines
        else:
            assert read == lines  # one record per non-blank line


@pytest.fixture(scope="module", autouse=True)
def _close_corpora():
    yield
    for c in _CORPORA.values():
        c.close()
    _CORPORA.clear()


SETTINGS = settings(max_examples=int(os.environ.get("ENGINEROOM_FUZZ_EXAMPLES", "6")), deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["twarc2", "twitter-v1", "bluesky", "mastodon", "reddit", "youtube", "tiktok", "4chan",
                                 "telethon", "crowdtangle-api", "meta"])
@SETTINGS
@given(data=st.data())
def test_json_adapters_survive_malformed_records(tmp_path_factory, fmt, data):
    lines = data.draw(st.lists(_line(KEYS[fmt]), min_size=1, max_size=12))
    # a valid first record sometimes, so the file gets past the format check
    _check(tmp_path_factory.mktemp("h"), "in.jsonl", b"\n".join(lines) + b"\n", fmt)


@pytest.mark.slow
@SETTINGS
@given(msgs=st.lists(st.one_of(_record(["id", "type", "date", "date_unixtime", "from", "from_id", "text", "text_entities",
                                        "forwarded_from", "reply_to_message_id", "photo", "file", "reactions", "href",
                                        "user_id", "count"]), json_value), max_size=10),
       top=st.sampled_from(["single", "multi", "broken"]))
def test_telegram_survives_malformed_messages(tmp_path_factory, msgs, top):
    if top == "single":
        doc = json.dumps({"name": "x", "type": "public_channel", "id": 1, "messages": msgs}).encode()
    elif top == "multi":
        doc = json.dumps({"chats": {"list": [{"name": "x", "type": "private_group", "id": 2, "messages": msgs}]}}).encode()
    else:
        doc = json.dumps({"name": "x", "id": 1, "messages": msgs}).encode()[:-7]
    _check(tmp_path_factory.mktemp("h"), "result.json", doc, "telegram")


cell = st.one_of(st.text(max_size=25), st.sampled_from(["", "[]", "[a, b]", "['x', 'y']", "True", "1.0", "absent",
                                                       "2016-11-08 14:30", "1/2/2017 14:39", "2021-01-06 18:03:07 EST",
                                                       "https://www.facebook.com/1/posts/2", "RT @x: y", "\r\n", '"', "1e400"]))
CSV_HEADERS = {
    "io-archive": ["tweetid", "userid", "user_screen_name", "tweet_text", "tweet_time", "is_retweet", "retweet_userid",
                   "retweet_tweetid", "hashtags", "urls", "user_mentions", "like_count", "quoted_tweet_tweetid"],
    "io-users": ["userid", "user_screen_name", "follower_count", "account_creation_date"],
    "ira-csv": ["external_author_id", "author", "content", "publish_date", "post_type", "tweet_id", "alt_external_id", "tco1_step1"],
    "crowdtangle": ["Page Name", "User Name", "Facebook Id", "Post Created", "URL", "Message", "Link", "Likes", "Type"],
    "csv": ["id", "user_id", "username", "text", "created_at", "is_retweet", "urls", "hashtags"],
    "meta": ["id", "creation_time", "text", "post_owner.id", "post_owner.type", "surface.id", "statistics.reaction_count",
             "statistics.share_count", "shared_post_id", "hashtags", "link_attachment_fields.link"],
}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", sorted(CSV_HEADERS))
@SETTINGS
@given(data=st.data())
def test_csv_adapters_survive_malformed_rows(tmp_path_factory, fmt, data):
    header = CSV_HEADERS[fmt]
    rows = data.draw(st.lists(st.lists(cell, min_size=max(1, len(header) - 2), max_size=len(header) + 2), max_size=10))
    buf = io.StringIO(newline="")
    w = csv.writer(buf, quoting=data.draw(st.sampled_from([csv.QUOTE_ALL, csv.QUOTE_MINIMAL])))
    w.writerow(header)
    w.writerows(rows)
    raw = buf.getvalue().encode("utf-8", errors="surrogatepass")
    if data.draw(st.booleans()):  # damage: a stray byte or a cut
        cut = data.draw(st.integers(len(raw) // 2, len(raw)))
        raw = raw[:cut] + data.draw(st.sampled_from([b"", b"\xff", b'"', b"\x00"]))
    _check(tmp_path_factory.mktemp("h"), "in.csv", raw, fmt)


# -- kill -9 midway ------------------------------------------------------------------------------
# a child ingest that prints "batch" after storing each 1,000-line batch
_BATCH_PRINTING = r"""
import sys, engineroom
import engineroom.ingest.core as core
real = core.merge_batch
def merge(con, ctx, tables):
    c = real(con, ctx, tables)
    print("batch", flush=True)
    return c
core.merge_batch = merge
from engineroom.ingest.formats.twarc2 import Twarc2
Twarc2.lines_per_batch = 1000
"""

KILL_SCRIPT = _BATCH_PRINTING + r"""
with engineroom.open(sys.argv[1]) as c:
    c.ingest(sys.argv[2])
print("done", flush=True)
"""


def _big_flat_file(path: Path, n: int) -> None:
    tmpl = ('{"id":"%d","text":"post %d #tag%d @user%d https://t.co/%d","author_id":"%d","created_at":"2024-01-01T00:00:%02dZ",'
            '"lang":"en","entities":{"hashtags":[{"tag":"tag%d"}],"mentions":[{"username":"user%d","id":"%d"}],'
            '"urls":[{"url":"https://t.co/%d","expanded_url":"https://site%d.example.com/a"}]},'
            '"author":{"id":"%d","username":"user%d"}}\n')
    with open(path, "w") as f:
        for i in range(n):
            a, b = i % 997, (i * 7) % 991
            f.write(tmpl % (10**9 + i, i, i % 50, b, i, a, i % 60, i % 50, b, b, i, i % 300, a, a))


def _start_midway(tmp_path, script: str, **popen):
    """A corpus with one file stored, and a child ingesting a 20,000-post file with ``script``,
    returned once three batches are inside its transaction: (db, counts before, file, process)."""
    db = tmp_path / "k.duckdb"
    with engineroom.open(db) as c:
        c.ingest(D / "twitter_v1.jsonl")
        before = {t: c.count(t) for t in ("posts", "accounts", "interactions", "hashtags", "urls", "quarantine", "ingests")}
    big = tmp_path / "big.jsonl"
    _big_flat_file(big, 20_000)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "ENGINEROOM_QUIET": "1"}
    proc = subprocess.Popen([sys.executable, "-c", script, str(db), str(big)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True, **popen)
    try:
        seen = 0
        deadline = time.monotonic() + 120
        while seen < 3 and time.monotonic() < deadline:  # wait until several batches are in the transaction
            line = proc.stdout.readline()
            if not line:
                break
            seen += line.startswith("batch")
        assert seen == 3, proc.stderr.read()
    except BaseException:
        proc.kill()
        raise
    return db, before, big, proc


@pytest.mark.slow
def test_kill_9_midway_leaves_corpus_unchanged(tmp_path):
    db, before, big, proc = _start_midway(tmp_path, KILL_SCRIPT)
    try:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    with engineroom.open(db) as c:
        after = {t: c.count(t) for t in before}
        assert after == before
        # and the file is not marked as ingested: a new run reads it all
        [rep] = c.ingest(big)
        assert not rep.skipped and rep.stored == 20_000


CTRL_C_SCRIPT = _BATCH_PRINTING + r"""
from engineroom.cli import app
app(["ingest", "--db", sys.argv[1], sys.argv[2]])
"""


@pytest.mark.slow
def test_ctrl_c_midway_rolls_back_with_a_clear_message(tmp_path):
    """Ctrl-C (SIGINT) during `engineroom ingest`: exit 130, a one-line message, corpus as before."""
    # a shell without job control starts background children with SIGINT ignored: restore it
    db, before, _big, proc = _start_midway(tmp_path, CTRL_C_SCRIPT,
                                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        proc.send_signal(signal.SIGINT)
        _out, errs = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, errs
    assert "interrupted" in errs and "Traceback" not in errs
    with engineroom.open(db) as c:
        assert {t: c.count(t) for t in before} == before


def test_ctrl_c_that_duckdb_reports_as_another_error_is_an_interrupt(tmp_path, monkeypatch):
    """Ctrl-C that arrives while DuckDB looks up a batch's Arrow table in Python comes back from
    DuckDB as a missing table: the ingest still ends as interrupted (KeyboardInterrupt, which the
    command line turns into exit 130), not as an unreadable file, and the corpus is as before."""
    import duckdb

    import engineroom.ingest.core as core

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT does not have Python's default handler here")
    real = core.merge_batch
    calls = []

    def merge(con, ctx, tables):
        calls.append(1)
        if len(calls) == 2:
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)  # the handler runs here and raises KeyboardInterrupt
            except KeyboardInterrupt:
                raise duckdb.CatalogException("Table with name b_posts does not exist!") from None
        return real(con, ctx, tables)

    db = tmp_path / "c.duckdb"
    big = tmp_path / "big.jsonl"
    _big_flat_file(big, 3_000)
    with engineroom.open(db) as c:
        c.ingest(D / "twitter_v1.jsonl")
        before = {t: c.count(t) for t in ("posts", "accounts", "interactions", "ingests")}
        monkeypatch.setattr(core, "merge_batch", merge)
        from engineroom.ingest.formats.twarc2 import Twarc2
        monkeypatch.setattr(Twarc2, "lines_per_batch", 1000)
        with pytest.raises(KeyboardInterrupt):
            c.ingest(big)
        assert len(calls) == 2
        assert {t: c.count(t) for t in before} == before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# -- corrupted zip members, deep nesting ---------------------------------------------------------
def _reconciles(c) -> None:
    """What the ingests table says was stored / quarantined is what the corpus holds."""
    row = c.query("SELECT coalesce(sum(records_stored) FILTER (WHERE format <> 'io-users'), 0) AS s, "  # io-users stores accounts
                  "coalesce(sum(records_quarantined), 0) AS q, "
                  "coalesce(sum(records_read - records_stored - records_duplicate - records_quarantined), 0) AS off FROM ingests"
                  ).iloc[0]
    assert int(row["off"]) == 0
    assert c.count("posts") == int(row["s"]) and c.count("quarantine") == int(row["q"])


@pytest.mark.slow
@SETTINGS
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=6),
       fixture=st.sampled_from(["twarc2_pages.jsonl", "twitter_v1.jsonl", "mastodon_statuses.json", "io_archive_tweets.csv",
                                "jetstream.jsonl"]),
       method=st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
def test_corrupted_zip_members_never_give_a_traceback(tmp_path_factory, flips, fixture, method):
    tmp = tmp_path_factory.mktemp("z")
    data = (D / fixture).read_bytes()
    z = tmp / "in.zip"
    with zipfile.ZipFile(z, "w", method) as zf:
        zf.writestr("a_" + fixture, data)
        zf.writestr("b_" + fixture, data + b"\n")
    raw = bytearray(z.read_bytes())
    for where, mask in flips:  # flip bits anywhere in the archive (headers, data, directory)
        raw[int(where * len(raw))] ^= mask
    z.write_bytes(bytes(raw))
    with engineroom.open(tmp / "c.duckdb") as c:
        try:
            reps = c.ingest(z)
        except IngestError as exc:
            assert str(exc) and "\n" not in str(exc).strip()  # one clear line
        else:
            for r in reps:
                assert r.read == r.stored + r.duplicate + r.quarantined
        _reconciles(c)


@pytest.mark.slow
@SETTINGS
@given(depth=st.integers(200, 3000), shape=st.sampled_from(["line", "array", "envelope", "pretty"]),
       fmt=st.sampled_from(["auto", "twitter-v1", "bluesky", "mastodon", "twarc2"]))
def test_json_nested_deeper_than_255_levels_never_gives_a_traceback(tmp_path_factory, depth, shape, fmt):
    tmp = tmp_path_factory.mktemp("d")
    deep = '{"a":' * depth + "1" + "}" * depth
    tweet = (D / "twitter_v1.jsonl").read_text(encoding="utf-8").splitlines()[0]
    if shape == "line":
        text = tweet + "\n" + deep + "\n"
    elif shape == "array":
        text = "[" + tweet + "," + deep + "]"
    elif shape == "envelope":
        text = '{"statuses": [' + tweet + "," + deep + "]}"
    else:
        text = '{\n  "statuses": [\n' + tweet + ",\n" + deep + "\n  ]\n}\n"
    f = tmp / "deep.json"
    f.write_text(text, encoding="utf-8")
    with engineroom.open(tmp / "c.duckdb") as c:
        try:
            reps = c.ingest(f, format=fmt)
        except IngestError as exc:
            assert str(exc)
        else:
            for r in reps:
                assert r.read == r.stored + r.duplicate + r.quarantined
        _reconciles(c)


ENVELOPE_OF = {"twitter-v1": "statuses", "bluesky": "feed", "mastodon": None, "reddit": "data.children", "youtube": "items",
               "tiktok": "data.videos", "4chan": "posts", "telethon": None, "crowdtangle-api": "result.posts"}


def _wrap(path: str | None, recs: list):
    if path is None:
        return recs
    out: dict = {}
    cur = out
    parts = path.split(".")
    for p in parts[:-1]:
        cur[p] = {}
        cur = cur[p]
    cur[parts[-1]] = recs
    return out


@pytest.mark.slow
@SETTINGS
@given(data=st.data(), fmt=st.sampled_from(sorted(ENVELOPE_OF)),
       layout=st.sampled_from(["array", "pretty", "envelope", "envelope-lines", "concatenated"]),
       cut=st.one_of(st.none(), st.floats(0.05, 0.95)))
def test_json_layouts_survive_malformed_records(tmp_path_factory, data, fmt, layout, cut):
    """Records of a format's own vocabulary in every JSON layout, cut anywhere: never a traceback,
    and the counts reconcile."""
    recs = data.draw(st.lists(_record(KEYS[fmt]), min_size=1, max_size=8))
    doc = _wrap(ENVELOPE_OF[fmt], recs)
    if layout == "array":
        text = json.dumps(recs)
    elif layout == "pretty":
        text = json.dumps(doc, indent=2)
    elif layout == "envelope":
        text = json.dumps(doc)
    elif layout == "envelope-lines":
        text = "".join(json.dumps(_wrap(ENVELOPE_OF[fmt], [r])) + "\n" for r in recs)
    else:
        text = json.dumps(doc, indent=2) + "\n" + json.dumps(doc, indent=2) + "\n"
    raw = text.encode()
    if cut is not None:
        raw = raw[: max(1, int(len(raw) * cut))]
    _check(tmp_path_factory.mktemp("l"), "in.json", raw, fmt)
