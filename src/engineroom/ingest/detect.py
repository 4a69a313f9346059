"""Which adapter reads a file: sniffed from its first records, not from its name."""

from __future__ import annotations

import csv
import io
import re

from .common import json_loads

FORMATS = ("twarc2", "twitter-v1", "io-archive", "io-users", "ira-csv", "crowdtangle", "bluesky", "telegram", "csv")

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


def _first_json_object(head: str):
    """The first JSON value on the first line, if that line is complete and parses."""
    s = head.lstrip("\ufeff \t\r\n")
    line = s.split("\n", 1)[0].strip()
    if s.startswith("["):
        # a JSON array of records: look at its first element when it fits in the head
        try:
            import ijson

            for item in ijson.items(io.BytesIO(s.encode()), "item"):
                return item
        except Exception:
            return None
        return None
    try:
        return json_loads(line)
    except Exception:
        return None


def json_kind(obj) -> str | None:
    """The format of one parsed JSON record (a twarc2 page or tweet, a v1 tweet, a Bluesky post...)."""
    if not isinstance(obj, dict):
        return None
    keys = set(obj)
    if "data" in keys and ("includes" in keys or "meta" in keys or "errors" in keys or "__twarc" in keys):
        return "twarc2"
    if "messages" in keys or ("chats" in keys and isinstance(obj.get("chats"), dict)):
        return "telegram"
    if "delete" in keys or "limit" in keys or "scrub_geo" in keys or "status_withheld" in keys:
        return "twitter-v1"
    if "id_str" in keys or ("user" in keys and isinstance(obj.get("user"), dict) and "screen_name" in obj["user"]):
        return "twitter-v1"
    uri = obj.get("uri")
    if uri is None and isinstance(obj.get("post"), dict):
        uri = obj["post"].get("uri")
    if isinstance(uri, str) and uri.startswith("at://"):
        return "bluesky"
    rec = obj.get("record") or obj.get("value") or (obj.get("post") or {}).get("record") if isinstance(obj.get("post", {}), dict) else None
    if isinstance(rec, dict) and str(rec.get("$type", "")).startswith("app.bsky."):
        return "bluesky"
    if {"author_id", "edit_history_tweet_ids", "public_metrics", "__twarc", "conversation_id"} & keys and "id" in keys:
        return "twarc2"
    return None


_TG_RE = re.compile(r'"(messages|chats)"\s*:\s*[\[{]')
_TG_TYPE_RE = re.compile(r'"type"\s*:\s*"(personal_chat|private_group|private_supergroup|public_supergroup|public_channel|private_channel|saved_messages|bot_chat)"')


def detect(head: str) -> str | None:
    """The format name for a file's first decompressed bytes, or None when no adapter fits."""
    s = head.lstrip("\ufeff \t\r\n")
    if not s:
        return None
    if s[0] in "{[":
        obj = _first_json_object(s)
        kind = json_kind(obj) if obj is not None else None
        if kind:
            return kind
        if s[0] == "{" and (_TG_RE.search(s) or _TG_TYPE_RE.search(s)):
            return "telegram"
        if '"twitter_extended_entities"' in s or '"id_str"' in s:
            return "twitter-v1"
        if '"at://' in s:
            return "bluesky"
        if obj is None and s[0] == "{" and '"data"' in s and ('"includes"' in s or '"author_id"' in s):
            return "twarc2"
        return None
    header = {h.lower() for h in csv_header(s)}
    if len(header) < 2:
        return None
    if IO_TWEET_COLS <= header:
        return "io-archive"
    if IO_USER_COLS <= header:
        return "io-users"
    if IRA_COLS <= header:
        return "ira-csv"
    if "post created" in header and ({"facebook id", "page name", "group name", "account", "user name"} & header):
        return "crowdtangle"
    if IRA_DEV_COLS <= header:
        return "io-archive"
    from .csvfmt import GENERIC_ALIASES

    if any(a in header for a in GENERIC_ALIASES["post_id"]) and any(a in header for a in GENERIC_ALIASES["text"]):
        return "csv"
    return None
