"""Which adapter reads a file: sniffed from its first records, not from its name."""

from __future__ import annotations

import csv
import io
import re

FORMATS = ("twarc2", "twitter-v1", "io-archive", "io-users", "ira-csv", "crowdtangle", "bluesky", "telegram", "csv",
           "mastodon", "reddit", "youtube", "tiktok", "4chan", "telethon", "crowdtangle-api",
           "meta")

IO_TWEET_COLS = {"tweetid", "userid", "tweet_text"}
IO_USER_COLS = {"userid", "user_screen_name"}
IRA_COLS = {"external_author_id", "author", "content"}
IRA_DEV_COLS = {"post_id", "account_id", "screen_name", "created_at", "text", "is_quote"}


def csv_header(head: str) -> list[str]:
    """The header row of CSV text (handles quoted names and a BOM)."""
    text = head.lstrip("\ufeff")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        return [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        return []


def json_kind(obj) -> str | None:
    """The format of one parsed JSON record (a twarc2 page or tweet, a v1 tweet, a Bluesky post,
    a Mastodon status, a Reddit comment...)."""
    if not isinstance(obj, dict):
        return None
    keys = set(obj)
    if "data" in keys and ("includes" in keys or "meta" in keys or "errors" in keys or "__twarc" in keys
                           or "matching_rules" in keys):
        return "twarc2"
    if "messages" in keys or ("chats" in keys and isinstance(obj.get("chats"), dict)):
        return "telegram"
    if obj.get("_") in ("Message", "MessageService", "MessageEmpty"):
        return "telethon"
    if "delete" in keys or "limit" in keys or "scrub_geo" in keys or "status_withheld" in keys:
        return "twitter-v1"
    if "id_str" in keys or ("user" in keys and isinstance(obj.get("user"), dict) and "screen_name" in obj["user"]):
        return "twitter-v1"
    if "did" in keys and "time_us" in keys and "kind" in keys:  # Bluesky Jetstream event
        return "bluesky"
    uri = obj.get("uri")
    if uri is None and isinstance(obj.get("post"), dict):
        uri = obj["post"].get("uri")
    if isinstance(uri, str) and uri.startswith("at://"):
        return "bluesky"
    rec = obj.get("record") or obj.get("value") or (obj.get("post") or {}).get("record") if isinstance(obj.get("post", {}), dict) else None
    if isinstance(rec, dict) and str(rec.get("$type", "")).startswith("app.bsky."):
        return "bluesky"
    if str(obj.get("$type", "")).startswith("app.bsky.feed.defs#"):
        return "bluesky"
    if {"author_id", "edit_history_tweet_ids", "public_metrics", "__twarc", "conversation_id"} & keys and "id" in keys:
        return "twarc2"
    if "content" in keys and "created_at" in keys and isinstance(obj.get("account"), dict):
        return "mastodon"  # Mastodon API v1 status (also Truth Social, Pleroma, Misskey's API shim)
    if obj.get("type") in ("Create", "Announce") and "actor" in keys and "object" in keys:
        return "mastodon"  # ActivityPub activity of an outbox
    if isinstance(obj.get("data"), dict) and str(obj.get("kind", "")) in ("t1", "t3"):
        return "reddit"
    if "subreddit" in keys and ("body" in keys or "selftext" in keys or "title" in keys) and "author" in keys:
        return "reddit"
    if str(obj.get("kind", "")).startswith("youtube#comment"):
        return "youtube"
    if "video_id" in keys and ("create_time" in keys or "video_description" in keys):
        return "tiktok"
    if "no" in keys and "resto" in keys and ("time" in keys or "now" in keys):
        return "4chan"
    if "platformId" in keys and ("date" in keys or "postUrl" in keys):
        return "crowdtangle-api"
    if "creation_time" in keys and "id" in keys and ("post_owner" in keys or any(k.startswith("post_owner.") for k in keys)):
        return "meta"  # Meta Content Library API post (nested, or flattened to dotted keys)
    return None


#: records of outputs that hold no posts: (test, what the file is)
def not_posts(obj) -> str | None:
    """What a record is when it is not a post of any kind an export holds (users, lists, counts,
    compliance, a feed generator); None for posts and for what is not recognised."""
    if not isinstance(obj, dict):
        return None
    keys = set(obj)
    if "data" in keys and isinstance(obj.get("data"), list) and obj["data"] and isinstance(obj["data"][0], dict):
        inner = not_posts_item(obj["data"][0])
        if inner:
            return inner
    if "data" in keys and obj.get("data") in ([], None) and "meta" in keys and "result_count" in (obj.get("meta") or {}) \
            and not ({"includes", "errors"} & keys):
        return None  # an empty twarc2 page: nothing in it, nothing refused
    return not_posts_item(obj)


def not_posts_item(o: dict) -> str | None:
    keys = set(o)
    if {"tweet_count", "start", "end"} <= keys:
        return "twarc2 tweet counts (counts of tweets per period, no posts)"
    if "username" in keys and "text" not in keys and "id" in keys and ({"public_metrics", "created_at", "name", "description"} & keys):
        return "twarc2 users lookup (account profiles, no posts)"
    if {"member_count", "name"} <= keys or ({"follower_count", "owner_id", "name"} <= keys):
        return "twarc2 lists lookup (Twitter lists, no posts)"
    if {"id", "action"} <= keys and ({"reason", "redacted_at"} & keys) and "text" not in keys:
        return "Twitter compliance file (ids to delete, no posts)"
    value = o.get("value") if isinstance(o.get("value"), dict) else None
    uri = o.get("uri")
    if value is not None and isinstance(uri, str) and uri.startswith("at://"):
        typ = str(value.get("$type", ""))
        if typ and typ not in ("app.bsky.feed.post", "app.bsky.feed.repost"):
            return f"Bluesky {typ} record (com.atproto.repo.getRecord; not a post)"
    return None


_TG_RE = re.compile(r'"(messages|chats)"\s*:\s*[\[{]')
_TG_TYPE_RE = re.compile(r'"type"\s*:\s*"(personal_chat|private_group|private_supergroup|public_supergroup|public_channel|private_channel|saved_messages|bot_chat)"')


def detect(head: str) -> str | None:
    """The format name for a file's first decompressed bytes, or None when no adapter fits."""
    return sniff(head.encode("utf-8")).format


class Sniff:
    """What the first bytes of a file say: its ``format`` (None: not recognised), the ``layout`` of
    its JSON records (see :mod:`engineroom.ingest.layout`), and ``refusal``: what the file is when
    it holds no posts (then it is not ingested)."""

    def __init__(self, format: str | None, layout=None, refusal: str | None = None) -> None:
        self.format, self.layout, self.refusal = format, layout, refusal

    def __repr__(self) -> str:  # pragma: no cover
        return f"Sniff({self.format!r}, {self.layout!r}, refusal={self.refusal!r})"


def sniff(head: bytes, complete: bool = False) -> Sniff:
    """Format, JSON layout and refusal from a file's first decompressed bytes (``complete``: the
    bytes are the whole file)."""
    from .layout import Layout, sniff_layout

    raw = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if not raw.strip():
        return Sniff(None, refusal="an empty file (no records, no posts)")
    s = raw.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if s[0] in "{[":
        if s[0] == "{" and (_TG_RE.search(s[:4096]) or _TG_TYPE_RE.search(s[:4096])):
            return Sniff("telegram")
        lay = sniff_layout(raw, complete)
        if lay is None:
            return Sniff(None)
        if lay.kind == "documents" and lay.path == "data.item" and json_kind(lay.first) == "twarc2":
            # a twarc2 page cut by the sniff before its "includes": pages, one per line
            lay = Layout("lines", None, lay.first)
        top = lay.first
        if lay.kind == "lines" and isinstance(top, dict) and json_kind(top) == "twarc2":
            why = not_posts(top)
            return Sniff(None, lay, why) if why else Sniff("twarc2", lay)
        if lay.kind == "lines" or lay.path in ("", None):
            why = not_posts(top) if isinstance(top, dict) else None
            if why:
                return Sniff(None, lay, why)
        elif isinstance(top, dict):
            why = not_posts_item(top)
            if why:
                return Sniff(None, lay, why)
        if lay.path == "item" and lay.first is None and lay.kind == "documents" and s.rstrip().endswith("]") and s.strip() == "[]":
            return Sniff(None, lay, "an empty JSON array (no posts)")
        kind = json_kind(top)
        if kind:
            return Sniff(kind, lay)
        # the old fallbacks, for records the first bytes did not hold whole
        if '"twitter_extended_entities"' in s or '"id_str"' in s:
            return Sniff("twitter-v1", lay)
        if '"at://' in s:
            return Sniff("bluesky", lay)
        if s[0] == "{" and '"data"' in s and ('"includes"' in s or '"author_id"' in s):
            return Sniff("twarc2", lay)
        return Sniff(None, lay)
    header = {h.lower() for h in csv_header(s)}
    if len(header) < 2:
        return Sniff(None)
    if IO_TWEET_COLS <= header:
        return Sniff("io-archive")
    if IO_USER_COLS <= header:
        return Sniff("io-users")
    if IRA_COLS <= header:
        return Sniff("ira-csv")
    if "post created" in header and ({"facebook id", "page name", "group name", "account", "user name"} & header):
        return Sniff("crowdtangle")
    if IRA_DEV_COLS <= header:
        return Sniff("io-archive")
    if {"id", "creation_time"} <= header and any(h.startswith("post_owner.") for h in header):
        return Sniff("meta")  # Meta Content Library CSV download (API field names, dot notation)
    from .formats.generic_csv import GENERIC_ALIASES

    if any(a in header for a in GENERIC_ALIASES["post_id"]) and any(a in header for a in GENERIC_ALIASES["text"]):
        return Sniff("csv")
    return Sniff(None)
