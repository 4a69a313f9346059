"""Every file under ../shared/data/real_exports ingests with exactly the posts it holds.

The expected posts of each file are found here independently of engineroom, with ``json`` /
``csv`` and the platforms' documented fields (as the folders' PROVENANCE.md counts were made); the
corpus must hold exactly those keys. Files that hold no posts must be refused with a message that
says what they are. For a sample of posts per file (first, middle, last) the stored fields are
compared with the source: text, time, author, reply / quote / repost targets, hashtags, expanded
URLs and media. Skipped where ../shared/data is absent.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import SHARED_DATA, shared_dataset

from engineroom.ingest import IngestError

ROOT = SHARED_DATA / "real_exports"


def _files() -> list[Path]:
    if not ROOT.exists():
        return []
    return sorted(p for p in ROOT.rglob("*") if p.is_file() and p.suffix not in (".md", ".jpg"))


# -- independent reading of the sources --------------------------------------------------------
def _lines(p: Path) -> list:
    out = []
    for line in p.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass  # a cut line: no post in it
    return out


def _doc(p: Path):
    return json.loads(p.read_text(encoding="utf-8"))


def _utc(s) -> datetime | None:
    """A source time as naive UTC (ISO with or without zone, epoch seconds, Twitter v1 strings)."""
    if s is None:
        return None
    if isinstance(s, (int, float)) or (isinstance(s, str) and s.replace(".", "", 1).isdigit()):
        return datetime.fromtimestamp(float(s), tz=timezone.utc).replace(tzinfo=None)
    s = str(s)
    try:
        d = datetime.strptime(s, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        d = datetime.fromisoformat(s.replace("Z", "+00:00"))
    return d.astimezone(timezone.utc).replace(tzinfo=None) if d.tzinfo else d


class Expect:
    """Expected posts of a file: key -> fields (only those given are compared)."""

    def __init__(self) -> None:
        self.posts: dict[tuple[str, str], dict] = {}
        self.refused = False

    def add(self, platform: str, post_id, **fields) -> None:
        self.posts.setdefault((platform, str(post_id)), fields)


def _twarc2(p: Path, e: Expect) -> None:
    recs = _lines(p)
    if not recs:
        e.refused = True
        return
    first = recs[0]
    if "data" not in first and "text" not in first:
        e.refused = True  # compliance
        return
    for r in recs:
        data = r.get("data")
        if isinstance(data, dict):
            data = [data]
        if isinstance(data, list):
            if data and "text" not in data[0]:
                e.refused = True  # users, lists, counts
                return
            users = {u["id"]: u for u in (r.get("includes") or {}).get("users", [])}
            for t in data:
                _tweet2(e, t, users)
        elif "text" in r:
            _tweet2(e, r, {})


def _tweet2(e: Expect, t: dict, users: dict) -> None:
    refs = {x["type"]: x["id"] for x in t.get("referenced_tweets") or []}
    ents = (t.get("note_tweet") or {}).get("entities") or t.get("entities") or {}
    rt = "retweeted" in refs
    e.add("twitter", t["id"], account_id=t["author_id"], created_at=_utc(t["created_at"]),
          reply_to_post_id=refs.get("replied_to"), quote_of_post_id=None if rt else refs.get("quoted"),
          retweet_of_post_id=refs.get("retweeted"),
          hashtags=None if rt else {h["tag"].lower() for h in ents.get("hashtags", [])},
          text=None if rt else (t.get("note_tweet") or {}).get("text") or t["text"])


def _v1(p: Path, e: Expect) -> None:
    text = p.read_text(encoding="utf-8")
    recs = json.loads(text) if text.lstrip().startswith("[") else _lines(p)
    for t in recs if isinstance(recs, list) else [recs]:
        if "id_str" not in t:
            continue
        rts = t.get("retweeted_status")
        src = rts or t
        ent = (src.get("extended_tweet") or {}).get("entities") or src.get("entities") or {}
        e.add("twitter", t["id_str"], account_id=t["user"]["id_str"], created_at=_utc(t["created_at"]),
              retweet_of_post_id=rts["id_str"] if rts else None,
              reply_to_post_id=t.get("in_reply_to_status_id_str"),
              quote_of_post_id=None if rts else t.get("quoted_status_id_str"),
              hashtags={h["text"].lower() for h in ent.get("hashtags", [])},
              urls={u["expanded_url"] for u in ent.get("urls", []) if u.get("expanded_url")})


def _telegram(p: Path, e: Expect) -> None:
    d = _doc(p)
    for m in d["messages"]:
        if m.get("type") == "message":
            text = m["text"] if isinstance(m["text"], str) else "".join(
                x if isinstance(x, str) else x["text"] for x in m["text"])
            e.add("telegram", f"{d['id']}/{m['id']}", text=text,
                  created_at=_utc(m["date_unixtime"]) if "date_unixtime" in m else None)


def _bluesky(p: Path, e: Expect) -> None:
    d = _doc(p)
    if "feed" in d:
        for it in d["feed"]:
            post = it["post"]
            reason = it.get("reason") or {}
            if reason.get("$type", "").endswith("reasonRepost"):
                by = reason["by"]["did"]
                e.add("bluesky", reason.get("uri") or f"{by}/repost/{post['uri']}", account_id=by,
                      retweet_of_post_id=post["uri"], text=post["record"].get("text"))
            else:
                rec = post["record"]
                e.add("bluesky", post["uri"], account_id=post["author"]["did"], created_at=_utc(rec["createdAt"]),
                      text=rec.get("text"), reply_to_post_id=(rec.get("reply") or {}).get("parent", {}).get("uri"))
    elif "thread" in d:
        stack = [d["thread"]]
        while stack:
            n = stack.pop()
            if "post" in n:
                e.add("bluesky", n["post"]["uri"], account_id=n["post"]["author"]["did"], text=n["post"]["record"]["text"])
            stack += ([n["parent"]] if "parent" in n else []) + list(n.get("replies") or [])
    elif d.get("value", {}).get("$type") == "app.bsky.feed.post":
        e.add("bluesky", d["uri"], account_id=d["uri"].split("/")[2], text=d["value"]["text"],
              created_at=_utc(d["value"]["createdAt"]))
    else:
        e.refused = True  # a feed generator record


def _mastodon(p: Path, e: Expect) -> None:
    d = _doc(p)
    if isinstance(d, dict) and "orderedItems" in d:
        for a in d["orderedItems"]:
            if a["type"] == "Create":
                o = a["object"]
                e.add("mastodon", o["id"], account_id=a["actor"], created_at=_utc(o["published"]),
                      reply_to_post_id=o.get("inReplyTo"),
                      hashtags={t["name"].lstrip("#").lower() for t in o.get("tag") or [] if t["type"] == "Hashtag"})
            elif a["type"] == "Announce":
                e.add("mastodon", a["id"], account_id=a["actor"], retweet_of_post_id=a["object"])
        return
    for st in d if isinstance(d, list) else [d]:
        inner = st.get("reblog") or st
        plat = "truthsocial" if "truthsocial.com" in st["uri"] else "mastodon"
        e.add(plat, st["id"], account_id=st["account"]["id"], created_at=_utc(st["created_at"]),
              reply_to_post_id=st.get("in_reply_to_id"), retweet_of_post_id=st["reblog"]["id"] if st.get("reblog") else None,
              hashtags={t["name"].lower() for t in inner.get("tags") or []},
              media=len(inner.get("media_attachments") or []))


def _reddit(p: Path, e: Expect) -> None:
    if p.suffix == ".ndjson":
        recs = _lines(p)
    else:
        d = _doc(p)
        recs = [c["data"] for c in d["data"]["children"] if c["kind"] in ("t1", "t3")] if d.get("kind") == "Listing" else d["data"]
    for r in recs:
        sub = "title" in r and "body" not in r
        pid = r.get("name") or (("t3_" if sub else "t1_") + r["id"])
        author = r["author"] if r["author"] not in ("[deleted]", "[removed]") else None
        e.add("reddit", pid, account_id=author, created_at=_utc(r["created_utc"]),
              reply_to_post_id=None if sub else r.get("parent_id"),
              text=r["body"] if not sub else None)


def _youtube(p: Path, e: Expect) -> None:
    for it in _doc(p)["items"]:
        comments = [it["snippet"]["topLevelComment"]] + list((it.get("replies") or {}).get("comments", [])) \
            if it["kind"] == "youtube#commentThread" else [it]
        for c in comments:
            sn = c["snippet"]
            e.add("youtube", c["id"], account_id=sn["authorChannelId"]["value"], created_at=_utc(sn["publishedAt"]),
                  reply_to_post_id=sn.get("parentId"), text=sn.get("textOriginal"))


def _tiktok(p: Path, e: Expect) -> None:
    for v in _doc(p)["data"]["videos"]:
        e.add("tiktok", v["video_id"], created_at=_utc(v["create_time"]), text=v["video_description"],
              hashtags={h.lower() for h in v["hashtag_names"]})


def _fourchan(p: Path, e: Expect) -> None:
    for d in _lines(p) if p.read_text().count("\n") < 5 else [_doc(p)]:
        for post in d["posts"]:
            e.add("4chan", post["no"], created_at=_utc(post["time"]))


def _telethon(p: Path, e: Expect) -> None:
    for m in _doc(p):
        if m["_"] == "Message":
            e.add("telegram", f"{m['peer_id']['channel_id']}/{m['id']}", text=m["message"], created_at=_utc(m["date"]))


def _crowdtangle(p: Path, e: Expect) -> None:
    if p.suffix == ".csv":
        with open(p, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        e.posts = {("facebook", str(i)): {} for i in range(len(rows))}  # counted only: no id column
        e.count_only = True  # type: ignore[attr-defined]
        return
    d = _doc(p)
    for o in d if isinstance(d, list) else [d]:
        acc = o["account"]["id"] if "account" in o else o["account.id"]
        e.add(o["platform"].lower(), o["platformId"], account_id=str(acc), created_at=_utc(o["date"]))


READERS = {
    "twarc2_twarc-csv": _twarc2, "twitter-v1_python-twitter": _v1, "telegram_tgif": _telegram,
    "bluesky_api_bskyr": _bluesky, "bluesky_atproto-sdk": _bluesky, "mastodon_api_rtoot": _mastodon,
    "mastodon_api_mastodonpy": _mastodon, "mastodon_outbox": _mastodon, "truthsocial_api_travisbrown": _mastodon,
    "reddit_api_praw": _reddit, "reddit_arcticshift": _reddit, "reddit_pushshift_api": _reddit,
    "youtube_api_pythonyoutube": _youtube, "tiktok_research_docexample": _tiktok, "4chan_api_listwebm": _fourchan,
    "4chan_api_catalogviewer": _fourchan, "telegram_telethon": _telethon, "crowdtangle_api": _crowdtangle,
    "crowdtangle_api_flattened": _crowdtangle, "crowdtangle_csv_derived": _crowdtangle,
}


def expected(p: Path) -> Expect:
    folder = p.relative_to(ROOT).parts[0]
    e = Expect()
    READERS[folder](p, e)
    return e


# -- the checks ----------------------------------------------------------------------------------
def _sample(keys: list) -> list:
    return sorted({keys[0], keys[len(keys) // 2], keys[-1]}) if keys else []


def _check_file(corpus, p: Path) -> None:
    e = expected(p)
    before = {t: corpus.count(t) for t in ("posts", "quarantine", "ingests")}
    if e.refused:
        with pytest.raises(IngestError, match="holds no posts: it is"):
            corpus.ingest(p)
        assert {t: corpus.count(t) for t in before} == before  # nothing stored, nothing counted
        return
    [rep] = corpus.ingest(p)
    assert rep.read == rep.stored + rep.duplicate + rep.quarantined
    assert rep.stored == len(e.posts), (p.name, rep)
    if p.suffix == ".json" and p.relative_to(ROOT).parts[0] == "telegram_tgif":
        # older Desktop exports (no date_unixtime) give local time: read as UTC, and said so
        old = "date_unixtime" not in p.read_text(encoding="utf-8")
        assert old == any("local time" in a for a in rep.details.get("assumptions", [])), p.name
    got = corpus.query("SELECT platform, post_id FROM posts")
    keys = set(zip(got["platform"], got["post_id"]))
    if getattr(e, "count_only", False):
        return
    assert keys == set(e.posts), (p.name, sorted(set(e.posts) ^ keys)[:5])
    for key in _sample(sorted(e.posts)):
        _check_fields(corpus, key, e.posts[key], p)


def _check_fields(corpus, key, want: dict, p: Path) -> None:
    platform, pid = key
    row = corpus.query("SELECT * FROM posts WHERE platform = ? AND post_id = ?", [platform, pid]).iloc[0]
    where = f"{p.name} {pid}"
    for col in ("account_id", "reply_to_post_id", "quote_of_post_id", "retweet_of_post_id", "text"):
        if col in want and (want[col] is not None or col != "text"):
            have = row[col] if row[col] == row[col] else None  # NaN -> None
            assert have == (str(want[col]) if want[col] is not None else None), (where, col, have, want[col])
    if want.get("created_at") is not None:
        assert row["created_at"].to_pydatetime() == want["created_at"], (where, row["created_at"], want["created_at"])
    if want.get("hashtags") is not None:
        tags = set(corpus.query("SELECT tag FROM hashtags WHERE platform = ? AND post_id = ?", [platform, pid])["tag"])
        assert tags == want["hashtags"], (where, tags)
    if want.get("urls") is not None:
        urls = set(corpus.query("SELECT expanded_url FROM urls WHERE platform = ? AND post_id = ?", [platform, pid])["expanded_url"])
        assert want["urls"] <= urls, (where, urls)
    if want.get("media") is not None:
        n = corpus.query("SELECT count(*) AS n FROM media WHERE platform = ? AND post_id = ?", [platform, pid])["n"][0]
        assert n == want["media"], (where, n)
    for col in ("reply_to_post_id", "quote_of_post_id", "retweet_of_post_id"):
        if want.get(col):  # the link is kept even where the target is not in the corpus
            kind = {"reply_to_post_id": "reply", "quote_of_post_id": "quote", "retweet_of_post_id": "retweet"}[col]
            n = corpus.query("SELECT count(*) AS n FROM interactions WHERE platform = ? AND post_id = ? AND kind = ? "
                             "AND target_post_id = ?", [platform, pid, kind, str(want[col])])["n"][0]
            assert n == 1, (where, kind)


FAST = {"getTimeline.json", "hawksworx_outbox.json", "askreddit_hot_listing.json", "streaming_output_with_error.jsonl",
        "users.jsonl", "comment_threads_by_video_paged_1.json", "Adriirda_channel_messages.json"}


@pytest.mark.parametrize("name", [str(p.relative_to(ROOT)) for p in _files() if p.name in FAST] or ["-"])
def test_real_export_ingests_exactly_its_posts(corpus, name):
    shared_dataset("real_exports")
    _check_file(corpus, ROOT / name)


@pytest.mark.slow
@pytest.mark.parametrize("name", [str(p.relative_to(ROOT)) for p in _files() if p.name not in FAST] or ["-"])
def test_every_real_export_ingests_exactly_its_posts(corpus, name):
    shared_dataset("real_exports")
    _check_file(corpus, ROOT / name)


def test_a_folder_of_real_exports_passes_over_files_without_posts(corpus, tmp_path):
    """In a folder, files that hold no posts are passed over with a note that says what they are."""
    src = shared_dataset("real_exports") / "twarc2_twarc-csv"
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("users.jsonl", "lists.jsonl", "counts.jsonl", "empty.json", "tweets_compliance.jsonl", "two_tweets.jsonl"):
        (folder / name).write_bytes((src / name).read_bytes())
    reps = {Path(r.file).name: r for r in corpus.ingest(folder)}
    assert len(reps) == 6
    for name in ("users.jsonl", "lists.jsonl", "counts.jsonl", "empty.json", "tweets_compliance.jsonl"):
        assert reps[name].skipped and reps[name].read == 0 and "holds no posts" in reps[name].note, name
    assert "users lookup" in reps["users.jsonl"].note and "counts" in reps["counts.jsonl"].note
    assert not reps["two_tweets.jsonl"].skipped
