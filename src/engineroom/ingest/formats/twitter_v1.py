"""Twitter API v1.1 tweet objects, one per line (classic twarc, the Streaming API, GNIP-like dumps),
normalised record by record in Python.
"""

from __future__ import annotations

import re
from typing import Any

from ..base import JsonLinesAdapter
from ..common import Batch, clean_str
from .records import _drop_keeping_empty


V1_POST_KEYS = {
    "id", "id_str", "created_at", "text", "full_text", "extended_tweet", "lang", "user", "entities",
    "extended_entities", "retweeted_status", "quoted_status", "in_reply_to_status_id", "in_reply_to_status_id_str",
    "in_reply_to_user_id", "in_reply_to_user_id_str", "in_reply_to_screen_name", "favorite_count", "retweet_count",
    "reply_count", "quote_count", "source", "withheld_in_countries", "withheld_copyright", "display_text_range",
    "truncated", "quoted_status_id", "quoted_status_id_str", "quoted_status_permalink", "is_quote_status",
}

V1_USER_KEYS = {
    "id", "id_str", "screen_name", "name", "description", "location", "url", "created_at", "followers_count",
    "friends_count", "statuses_count", "favourites_count", "listed_count", "verified", "protected",
    "default_profile", "default_profile_image", "lang", "profile_image_url_https", "profile_image_url",
}

_SOURCE_RE = re.compile(r">([^<]*)<")


def _v1_id(obj: dict, key: str = "id") -> str | None:
    v = obj.get(f"{key}_str")
    if v is None:
        v = obj.get(key)
    return None if v is None or v == "" else str(v)


def _v1_text(t: dict) -> str | None:
    ext = t.get("extended_tweet") or {}
    return ext.get("full_text") or t.get("full_text") or t.get("text")


def _v1_entities(t: dict) -> tuple[dict, dict]:
    ext = t.get("extended_tweet") or {}
    ent = ext.get("entities") or t.get("entities") or {}
    xent = ext.get("extended_entities") or t.get("extended_entities") or {}
    return ent, xent


def _v1_account(b: Batch, rec: int, u: dict | None) -> None:
    if not isinstance(u, dict):
        return
    uid = _v1_id(u)
    if not uid:
        return
    b.account(
        rec=rec, platform="twitter", account_id=uid, handle=u.get("screen_name"), display_name=u.get("name"),
        bio=clean_str(u.get("description")), location=clean_str(u.get("location")), url=clean_str(u.get("url")),
        created_at=u.get("created_at"), followers=u.get("followers_count"), following=u.get("friends_count"),
        posts_count=u.get("statuses_count"), likes_count=u.get("favourites_count"), listed_count=u.get("listed_count"),
        verified=u.get("verified"), protected=u.get("protected"), default_profile=u.get("default_profile"),
        default_profile_image=u.get("default_profile_image"), lang=u.get("lang"),
        profile_image_url=u.get("profile_image_url_https") or u.get("profile_image_url"),
        extra=_drop_keeping_empty(u, V1_USER_KEYS),
    )


class TwitterV1(JsonLinesAdapter):
    """Twitter API v1.1 tweet objects, one per line (classic twarc, the Streaming API, GNIP-like
    dumps), with ``extended_tweet`` (streaming) or ``full_text`` (extended mode), retweets,
    quotes (also quote-of-a-quote) and entities. Streaming notices (``delete``, ``limit``,
    ``scrub_geo``, ``status_withheld``...) are records too: they go to quarantine with their kind."""

    name = "twitter-v1"
    platform = "twitter"

    def record(self, b: Batch, rec: int, t: Any, raw: str) -> None:
        if not isinstance(t, dict):
            b.quarantine(rec, "JSON value is not an object", raw)
            return
        if "id" not in t and "id_str" not in t:
            for notice in ("delete", "limit", "scrub_geo", "status_withheld", "user_withheld", "disconnect", "warning"):
                if notice in t:
                    b.quarantine(rec, f"streaming API {notice} notice (not a tweet)", raw)
                    return
            b.quarantine(rec, "tweet without an id", raw)
            return
        pid = _v1_id(t)
        user = t.get("user") if isinstance(t.get("user"), dict) else {}
        uid = _v1_id(user) if user else None
        handle = user.get("screen_name") if user else None
        rts = t.get("retweeted_status") if isinstance(t.get("retweeted_status"), dict) else None
        qs = t.get("quoted_status") if isinstance(t.get("quoted_status"), dict) else None
        # for a retweet of a quote tweet, the quote belongs to the retweeted tweet, not to this one
        if rts is not None:
            qs = None
        reply_pid = _v1_id(t, "in_reply_to_status_id")
        reply_uid = _v1_id(t, "in_reply_to_user_id")
        qid = _v1_id(qs) if qs else (None if rts else _v1_id(t, "quoted_status_id"))
        text = _v1_text(rts) if rts else _v1_text(t)
        kind = "retweet" if rts else "quote" if qid else "reply" if (reply_pid or reply_uid) else "post"
        src = t.get("source") or ""
        m = _SOURCE_RE.search(src)
        withheld = bool(t.get("withheld_in_countries") or t.get("withheld_copyright"))
        rt_user = (rts or {}).get("user") or {}
        q_user = (qs or {}).get("user") or {}
        b.post(
            rec=rec, platform="twitter", post_id=pid, account_id=uid, handle=handle, created_at=t.get("created_at"),
            text=text, lang=t.get("lang"), kind=kind, reply_to_post_id=reply_pid, reply_to_account_id=reply_uid,
            retweet_of_post_id=_v1_id(rts) if rts else None, retweet_of_account_id=_v1_id(rt_user) if rt_user else None,
            quote_of_post_id=qid, quote_of_account_id=_v1_id(q_user) if q_user else None,
            conversation_id=None, like_count=t.get("favorite_count"), retweet_count=t.get("retweet_count"),
            reply_count=t.get("reply_count"), quote_count=t.get("quote_count"),
            client=m.group(1) if m else (src or None),
            url=f"https://twitter.com/{handle}/status/{pid}" if handle else f"https://twitter.com/i/web/status/{pid}",
            withheld=withheld, deleted=False,
            extra=_drop_keeping_empty({k: v for k, v in t.items() if k != "user"}, V1_POST_KEYS),
        )
        _v1_account(b, rec, user)
        if rts:
            _v1_account(b, rec, rt_user)
            inner_q = rts.get("quoted_status") if isinstance(rts.get("quoted_status"), dict) else None
            if inner_q:  # the author of a tweet quoted inside the retweeted one is an account too
                _v1_account(b, rec, inner_q.get("user"))
            b.edge(rec=rec, platform="twitter", post_id=pid, kind="retweet", target_account_id=_v1_id(rt_user) if rt_user else None,
                   target_handle=rt_user.get("screen_name"), target_post_id=_v1_id(rts))
        if qid:
            if q_user:
                _v1_account(b, rec, q_user)
            b.edge(rec=rec, platform="twitter", post_id=pid, kind="quote", target_account_id=_v1_id(q_user) if q_user else None,
                   target_handle=q_user.get("screen_name") if q_user else None, target_post_id=qid)
        if reply_pid or reply_uid:
            b.edge(rec=rec, platform="twitter", post_id=pid, kind="reply", target_account_id=reply_uid,
                   target_handle=t.get("in_reply_to_screen_name"), target_post_id=reply_pid)
        src_t = rts or t
        ent, xent = _v1_entities(src_t)
        for i, h in enumerate(ent.get("hashtags") or []):
            if isinstance(h, dict) and h.get("text"):
                b.tag(rec=rec, platform="twitter", post_id=pid, tag_raw=h["text"], position=i)
        pos = 0
        for u in ent.get("urls") or []:
            if isinstance(u, dict) and (u.get("url") or u.get("expanded_url")):
                b.url(rec=rec, platform="twitter", post_id=pid, position=pos, url=u.get("url"),
                      expanded_url=u.get("unwound", {}).get("url") if isinstance(u.get("unwound"), dict) else u.get("expanded_url"))
                pos += 1
        rt_uid = _v1_id(rt_user) if rt_user else None
        for mnt in ent.get("user_mentions") or []:
            if not isinstance(mnt, dict):
                continue
            mid = _v1_id(mnt)
            if rts and mid == rt_uid:
                continue
            b.edge(rec=rec, platform="twitter", post_id=pid, kind="mention", target_account_id=mid,
                   target_handle=mnt.get("screen_name"))
        for md in xent.get("media") or ent.get("media") or []:
            if isinstance(md, dict):
                b.media(rec=rec, platform="twitter", post_id=pid, media_key=_v1_id(md) or md.get("media_url_https"),
                        type=md.get("type"), url=md.get("media_url_https") or md.get("media_url"),
                        extra=_drop_keeping_empty(md, {"id", "id_str", "type", "media_url_https", "media_url", "indices", "url", "display_url", "expanded_url"}))
