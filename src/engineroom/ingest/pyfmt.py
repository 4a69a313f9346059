"""Adapters normalised record by record in Python: Twitter v1.1, Bluesky, Telegram.

These formats nest deeply and vary a lot between tools; per-record Python is clearer than SQL and
fast enough for their usual sizes (tens of thousands of records per second).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from .base import JsonLinesAdapter, LINES_PER_BATCH
from .common import Batch, clean_str, hashtags_in, parse_time, to_int
from .errors import IngestError
from .merge import stage_arrow


def _drop(obj: dict, keys) -> dict | None:
    rest = {k: v for k, v in obj.items() if k not in keys}
    return rest or None


# -- Twitter API v1.1 -------------------------------------------------------------------------
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
        extra=_drop(u, V1_USER_KEYS),
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
            extra=_drop({k: v for k, v in t.items() if k != "user"}, V1_POST_KEYS),
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
                        extra=_drop(md, {"id", "id_str", "type", "media_url_https", "media_url", "indices", "url", "display_url", "expanded_url"}))


# -- Bluesky -------------------------------------------------------------------------------------
_AT_RE = re.compile(r"^at://([^/]+)/([^/]+)/([^/?#]+)")


def _at_parts(uri: Any) -> tuple[str | None, str | None, str | None]:
    m = _AT_RE.match(uri) if isinstance(uri, str) else None
    return (m.group(1), m.group(2), m.group(3)) if m else (None, None, None)


BSKY_KEYS = {"uri", "cid", "author", "record", "value", "likeCount", "repostCount", "replyCount", "quoteCount",
             "indexedAt", "embed"}


_THREAD_TYPES = {"app.bsky.feed.defs#threadViewPost", "app.bsky.feed.defs#notFoundPost", "app.bsky.feed.defs#blockedPost"}


class Bluesky(JsonLinesAdapter):
    """Bluesky ``app.bsky.feed.post`` views / records as JSON lines (``uri``, ``cid``, ``author``
    {did, handle, displayName}, ``record`` {text, createdAt, langs, facets, reply, embed}, counts),
    feed items ``{"post": ..., "reason": ...}``, and ``app.bsky.feed.repost`` records."""

    name = "bluesky"
    platform = "bluesky"

    def record(self, b: Batch, rec: int, o: Any, raw: str) -> None:
        if not isinstance(o, dict):
            b.quarantine(rec, "JSON value is not an object", raw)
            return
        if "time_us" in o and "kind" in o and "did" in o:
            self.jetstream(b, rec, o, raw)
            return
        typ = str(o.get("$type", ""))
        if typ in _THREAD_TYPES or ("post" in o and ("parent" in o or "replies" in o)):
            self.thread(b, rec, o, raw)
            return
        if "post" in o and isinstance(o["post"], dict) and "uri" not in o:
            reason = o.get("reason") if isinstance(o.get("reason"), dict) else {}
            self.reply_accounts(b, rec, o.get("reply"))
            if str(reason.get("$type", "")).endswith("#reasonRepost") and isinstance(reason.get("by"), dict):
                self.repost_item(b, rec, o["post"], reason, raw)
                return
            o = o["post"]
        self.post_view(b, rec, o, raw)

    def author(self, b: Batch, rec: int, author: Any) -> None:
        if isinstance(author, dict) and author.get("did"):
            b.account(rec=rec, platform="bluesky", account_id=author["did"], handle=author.get("handle"),
                      display_name=author.get("displayName"), bio=clean_str(author.get("description")),
                      created_at=author.get("createdAt"), followers=author.get("followersCount"),
                      following=author.get("followsCount"), posts_count=author.get("postsCount"),
                      profile_image_url=author.get("avatar"))

    def reply_accounts(self, b: Batch, rec: int, reply: Any) -> None:
        """The authors of the parent and root posts a feed item shows (the posts themselves are not
        the feed's: only their authors are stored, as accounts)."""
        if isinstance(reply, dict):
            for k in ("parent", "root", "grandparentAuthor"):
                v = reply.get(k)
                if isinstance(v, dict):
                    self.author(b, rec, v.get("author") if "author" in v else v)

    def repost_item(self, b: Batch, rec: int, post: dict, reason: dict, raw: str) -> None:
        """A feed item shown because ``reason.by`` reposted ``post``: one post of the reposter (as a
        retweet is on Twitter), with the reposted post's text; the reposted post itself is not the
        feed's. Its id is the repost record's uri where the API gives it, else
        ``<reposter did>/repost/<post uri>``."""
        by = reason["by"]
        subj = post.get("uri")
        if not isinstance(subj, str):
            b.quarantine(rec, "Bluesky repost of a post without a uri", raw)
            return
        pid = reason.get("uri") or f"{by.get('did')}/repost/{subj}"
        r = post.get("record") if isinstance(post.get("record"), dict) else {}
        sauthor = post.get("author") if isinstance(post.get("author"), dict) else {}
        sdid = sauthor.get("did") or _at_parts(subj)[0]
        self.author(b, rec, by)
        self.author(b, rec, sauthor)
        b.post(rec=rec, platform="bluesky", post_id=pid, account_id=by.get("did"), handle=by.get("handle"),
               created_at=reason.get("indexedAt") or r.get("createdAt"), text=r.get("text") if isinstance(r.get("text"), str) else None,
               kind="retweet", retweet_of_post_id=subj, retweet_of_account_id=sdid,
               url=f"https://bsky.app/profile/{sauthor.get('handle') or sdid}/post/{_at_parts(subj)[2]}",
               extra={"repost_of_cid": post.get("cid")} if post.get("cid") else None)
        b.edge(rec=rec, platform="bluesky", post_id=pid, kind="retweet", target_account_id=sdid,
               target_handle=sauthor.get("handle"), target_post_id=subj)

    def thread(self, b: Batch, rec: int, node: dict, raw: str) -> None:
        """Every post of a ``getPostThread`` thread: the post, its parents up the chain and its
        replies down the tree (walked without recursion: threads can be deep). Nodes for posts
        that were deleted or are blocked (``notFoundPost``, ``blockedPost``) hold no post."""
        stack: list[Any] = [node]
        seen = 0
        while stack:
            n = stack.pop()
            if not isinstance(n, dict):
                continue
            if isinstance(n.get("post"), dict):
                self.post_view(b, rec, n["post"], raw)
                seen += 1
            if isinstance(n.get("parent"), dict):
                stack.append(n["parent"])
            if isinstance(n.get("replies"), list):
                stack.extend(reversed(n["replies"]))
        if not seen:
            b.quarantine(rec, f"Bluesky thread without a post ({node.get('$type')})", raw)

    def jetstream(self, b: Batch, rec: int, o: dict, raw: str) -> None:
        """A Jetstream event (``{"did", "time_us", "kind": "commit", "commit": {"operation",
        "collection", "rkey", "record", "cid"}}``): created posts and reposts are stored; deletes,
        updates of other records, identity and account events are quarantined with their kind."""
        if o.get("kind") != "commit" or not isinstance(o.get("commit"), dict):
            b.quarantine(rec, f"Jetstream {o.get('kind')} event (not a post)", raw)
            return
        c = o["commit"]
        if c.get("operation") != "create" or not isinstance(c.get("record"), dict):
            b.quarantine(rec, f"Jetstream {c.get('operation')} of a {c.get('collection')} record (not a new post)", raw)
            return
        view = {"uri": f"at://{o.get('did')}/{c.get('collection')}/{c.get('rkey')}", "cid": c.get("cid"),
                "record": c["record"]}
        us = to_int(o.get("time_us"))
        if us:
            from datetime import datetime, timezone

            view["indexedAt"] = datetime.fromtimestamp(us / 1e6, tz=timezone.utc).isoformat()
        self.post_view(b, rec, view, raw)

    def post_view(self, b: Batch, rec: int, o: dict, raw: Any) -> None:
        uri = o.get("uri")
        r = o.get("record") if isinstance(o.get("record"), dict) else o.get("value") if isinstance(o.get("value"), dict) else None
        if not isinstance(uri, str) or not uri.startswith("at://") or r is None:
            b.quarantine(rec, "not a Bluesky record (no at:// uri or no record)", raw)
            return
        did, collection, rkey = _at_parts(uri)
        author = o.get("author") if isinstance(o.get("author"), dict) else {}
        adid = author.get("did") or did
        handle = author.get("handle")
        typ = r.get("$type") or (f"{collection}" if collection else None)
        if author:
            b.account(rec=rec, platform="bluesky", account_id=adid, handle=handle, display_name=author.get("displayName"),
                      bio=clean_str(author.get("description")), created_at=author.get("createdAt"),
                      followers=author.get("followersCount"), following=author.get("followsCount"),
                      posts_count=author.get("postsCount"), profile_image_url=author.get("avatar"),
                      extra=_drop(author, {"did", "handle", "displayName", "description", "createdAt", "followersCount",
                                           "followsCount", "postsCount", "avatar"}))
        if typ == "app.bsky.feed.repost":
            subj = (r.get("subject") or {}).get("uri")
            sdid = _at_parts(subj)[0]
            b.post(rec=rec, platform="bluesky", post_id=uri, account_id=adid, handle=handle, created_at=r.get("createdAt"),
                   text=None, kind="retweet", retweet_of_post_id=subj, retweet_of_account_id=sdid,
                   extra=_drop(o, BSKY_KEYS))
            b.edge(rec=rec, platform="bluesky", post_id=uri, kind="retweet", target_account_id=sdid, target_post_id=subj)
            return
        if typ != "app.bsky.feed.post":
            b.quarantine(rec, f"Bluesky record of type {typ!r} is not a post or repost", raw)
            return
        text = r.get("text") if isinstance(r.get("text"), str) else None
        reply = r.get("reply") if isinstance(r.get("reply"), dict) else {}
        parent = (reply.get("parent") or {}).get("uri") if isinstance(reply.get("parent"), dict) else None
        root = (reply.get("root") or {}).get("uri") if isinstance(reply.get("root"), dict) else None
        embed = r.get("embed") if isinstance(r.get("embed"), dict) else {}
        et = embed.get("$type", "")
        quote = None
        if et == "app.bsky.embed.record":
            quote = (embed.get("record") or {}).get("uri")
        elif et == "app.bsky.embed.recordWithMedia":
            quote = ((embed.get("record") or {}).get("record") or {}).get("uri")
        kind = "quote" if quote else "reply" if parent else "post"
        langs = r.get("langs") if isinstance(r.get("langs"), list) else []
        url = f"https://bsky.app/profile/{handle or adid}/post/{rkey}" if rkey else None
        b.post(rec=rec, platform="bluesky", post_id=uri, account_id=adid, handle=handle, created_at=r.get("createdAt") or o.get("indexedAt"),
               text=text, lang=langs[0] if langs else None, kind=kind, reply_to_post_id=parent,
               reply_to_account_id=_at_parts(parent)[0], quote_of_post_id=quote, quote_of_account_id=_at_parts(quote)[0],
               conversation_id=root or (uri if not parent else None), like_count=o.get("likeCount"),
               retweet_count=o.get("repostCount"), reply_count=o.get("replyCount"), quote_count=o.get("quoteCount"),
               url=url, extra=_drop({**o, "record": _drop(r, {"text", "createdAt", "langs", "facets", "reply", "$type"})}, BSKY_KEYS - {"record"}))
        if parent:
            b.edge(rec=rec, platform="bluesky", post_id=uri, kind="reply", target_account_id=_at_parts(parent)[0], target_post_id=parent)
        if quote:
            b.edge(rec=rec, platform="bluesky", post_id=uri, kind="quote", target_account_id=_at_parts(quote)[0], target_post_id=quote)
        tb = (text or "").encode("utf-8")
        tag_i = url_i = 0
        seen_tags = False
        for facet in r.get("facets") or []:
            if not isinstance(facet, dict):
                continue
            idx = facet.get("index") or {}
            try:
                span = tb[int(idx.get("byteStart", 0)): int(idx.get("byteEnd", 0))].decode("utf-8", "replace")
            except (TypeError, ValueError):
                span = ""
            for feat in facet.get("features") or []:
                ft = feat.get("$type", "") if isinstance(feat, dict) else ""
                if ft.endswith("#mention"):
                    b.edge(rec=rec, platform="bluesky", post_id=uri, kind="mention", target_account_id=feat.get("did"),
                           target_handle=span.lstrip("@") or None)
                elif ft.endswith("#link"):
                    b.url(rec=rec, platform="bluesky", post_id=uri, position=url_i, url=span or feat.get("uri"), expanded_url=feat.get("uri"))
                    url_i += 1
                elif ft.endswith("#tag"):
                    b.tag(rec=rec, platform="bluesky", post_id=uri, tag_raw=feat.get("tag") or span.lstrip("#"), position=tag_i)
                    tag_i += 1
                    seen_tags = True
        if not seen_tags:
            for i, tag in enumerate(hashtags_in(text)):
                b.tag(rec=rec, platform="bluesky", post_id=uri, tag_raw=tag, position=i)
        if et == "app.bsky.embed.external":
            ext = embed.get("external") or {}
            if ext.get("uri"):
                b.url(rec=rec, platform="bluesky", post_id=uri, position=url_i, url=ext["uri"], expanded_url=ext["uri"])
        images = embed.get("images") if et == "app.bsky.embed.images" else (embed.get("media") or {}).get("images") if et == "app.bsky.embed.recordWithMedia" else None
        for img in images or []:
            if not isinstance(img, dict):
                continue
            ref = img.get("image") or {}
            cid = ((ref.get("ref") or {}).get("$link") if isinstance(ref.get("ref"), dict) else None) or ref.get("cid")
            b.media(rec=rec, platform="bluesky", post_id=uri, media_key=cid, type="photo",
                    url=f"https://cdn.bsky.app/img/feed_fullsize/plain/{adid}/{cid}@jpeg" if cid and adid else None,
                    extra={"alt": img.get("alt")} if img.get("alt") else None)


# -- Telegram Desktop export -------------------------------------------------------------------
TG_KEYS = {"id", "type", "date", "date_unixtime", "from", "from_id", "actor", "actor_id", "text", "text_entities",
           "forwarded_from", "reply_to_message_id", "photo", "file", "media_type", "edited", "edited_unixtime",
           "reactions", "mime_type", "thumbnail"}


def _tg_text(msg: dict) -> str | None:
    t = msg.get("text")
    if isinstance(t, str):
        return t
    if isinstance(t, list):
        return "".join(x if isinstance(x, str) else str(x.get("text", "")) if isinstance(x, dict) else "" for x in t)
    return None


def _tg_entities(msg: dict) -> list[dict]:
    ents = msg.get("text_entities")
    if isinstance(ents, list):
        return [e for e in ents if isinstance(e, dict)]
    t = msg.get("text")
    return [e for e in t if isinstance(e, dict)] if isinstance(t, list) else []


TG_LOCAL_TIME = ("Telegram 'date' without 'date_unixtime' (older Telegram Desktop): the exporting machine's local time, "
                 "zone not in the file, read as UTC")


class Telegram(JsonLinesAdapter):
    """Telegram Desktop's ``result.json`` (one chat, or the whole account with ``chats.list``),
    streamed with ijson: messages are read one by one, never the whole file. Service messages
    (joins, pins) are records too and go to quarantine as "service message". Post ids are
    ``<chat id>/<message id>``; forwards become retweet-like edges to the original sender."""

    name = "telegram"
    platform = "telegram"

    def units(self, hasher) -> None:
        return None  # messages are parsed and staged in one pass: see batches()

    def batches(self, con, hasher) -> Iterator[None]:
        import ijson

        from .sources import Utf8Clean

        base = self.source.path.parent
        stream = Utf8Clean(self.source.open(hasher))
        b = Batch()
        n = 0
        chat: dict[str, Any] = {}
        builder = None
        depth_prefix = None
        try:
            for prefix, event, value in ijson.parse(stream, use_float=True):
                if builder is not None:
                    builder.event(event, value)
                    if prefix == depth_prefix and event in ("end_map", "end_array"):
                        n += 1
                        self.message(b, n, builder.value, chat, base)
                        builder = None
                        if len(b) >= LINES_PER_BATCH:
                            stage_arrow(con, b.arrow())
                            yield
                            b = Batch()
                    continue
                if prefix.endswith("messages.item") and event in ("start_map", "start_array"):
                    builder = ijson.ObjectBuilder()
                    builder.event(event, value)
                    depth_prefix = prefix
                    continue
                if prefix in ("name", "chats.list.item.name", "left_chats.list.item.name") and event == "string":
                    chat["name"] = value
                elif prefix in ("id", "chats.list.item.id", "left_chats.list.item.id") and event in ("number", "string"):
                    chat["id"] = str(int(value)) if isinstance(value, float) else str(value)
                elif prefix in ("type", "chats.list.item.type", "left_chats.list.item.type") and event == "string":
                    chat["type"] = value
                elif prefix in ("chats.list.item", "left_chats.list.item") and event == "start_map":
                    chat = {}
        except ijson.JSONError as exc:
            raise IngestError(f"{self.source.name}: broken Telegram JSON after {n} messages: {exc}") from exc
        if n == 0 and not chat:
            raise IngestError(f"{self.source.name}: not a Telegram Desktop export (no chat, no messages)")
        stage_arrow(con, b.arrow())
        yield

    def message(self, b: Batch, rec: int, m: Any, chat: dict, base: Path) -> None:
        if not isinstance(m, dict):
            b.quarantine(rec, "message is not an object", m)
            return
        if m.get("type") not in (None, "message"):
            b.quarantine(rec, f"service message ({m.get('action') or m.get('type')})", m)
            return
        mid = m.get("id")
        chat_id = chat.get("id") or "unknown"
        if mid is None:
            b.quarantine(rec, "message without an id", m)
            return
        mid = str(int(mid)) if isinstance(mid, float) else str(mid)
        pid = f"{chat_id}/{mid}"
        from_id = m.get("from_id")
        from_id = str(from_id) if from_id is not None else (f"channel{chat_id}" if str(chat.get("type", "")).endswith("channel") else None)
        text = _tg_text(m)
        created = parse_time(m.get("date_unixtime"))
        if created is None and m.get("date") is not None:
            # older Desktop versions write only "date": the exporting machine's local time, zone unknown
            created = parse_time(m.get("date"))
            if created is not None and m.get("date_unixtime") is None:
                self.assumptions.add(TG_LOCAL_TIME)
        fwd = m.get("forwarded_from")
        reply_to = m.get("reply_to_message_id")
        reply_pid = f"{chat_id}/{int(reply_to) if isinstance(reply_to, float) else reply_to}" if reply_to is not None else None
        kind = "retweet" if fwd else "reply" if reply_pid else "post"
        reactions = m.get("reactions")
        likes = sum(to_int(r.get("count")) or 0 for r in reactions if isinstance(r, dict)) if isinstance(reactions, list) else None
        b.post(rec=rec, platform="telegram", post_id=pid, account_id=from_id, handle=None, created_at=created, text=text,
               kind=kind, reply_to_post_id=reply_pid, conversation_id=chat_id, like_count=likes,
               view_count=m.get("views"), url=None,
               extra={**(_drop(m, TG_KEYS - {"reactions", "edited", "media_type"}) or {}), "chat_name": chat.get("name"), "chat_type": chat.get("type"),
                      **({"forwarded_from": fwd} if fwd else {})})
        if from_id:
            b.account(rec=rec, platform="telegram", account_id=from_id, display_name=m.get("from") or (chat.get("name") if from_id.startswith("channel") else None))
        if fwd:
            fid = m.get("forwarded_from_id")
            b.edge(rec=rec, platform="telegram", post_id=pid, kind="retweet", target_account_id=str(fid) if fid else None,
                   target_handle=None if fid else str(fwd))
        if reply_pid:
            b.edge(rec=rec, platform="telegram", post_id=pid, kind="reply", target_post_id=reply_pid)
        ti = ui = 0
        for e in _tg_entities(m):
            et, etext = e.get("type"), e.get("text") or ""
            if et == "hashtag":
                b.tag(rec=rec, platform="telegram", post_id=pid, tag_raw=etext.lstrip("#"), position=ti)
                ti += 1
            elif et == "mention":
                b.edge(rec=rec, platform="telegram", post_id=pid, kind="mention", target_handle=etext.lstrip("@"))
            elif et == "mention_name":
                uid = e.get("user_id")
                b.edge(rec=rec, platform="telegram", post_id=pid, kind="mention", target_account_id=f"user{uid}" if uid else None,
                       target_handle=None if uid else etext)
            elif et in ("link", "text_link"):
                b.url(rec=rec, platform="telegram", post_id=pid, position=ui, url=etext if et == "link" else e.get("href"),
                      expanded_url=e.get("href") or etext)
                ui += 1
        for key in ("photo", "file"):
            path = m.get(key)
            if isinstance(path, str) and path and not path.startswith("(File not included"):
                local = base / path
                b.media(rec=rec, platform="telegram", post_id=pid, media_key=path,
                        type="photo" if key == "photo" else (m.get("media_type") or "document"),
                        local_path=str(local.resolve()) if local.exists() else None,
                        extra={"mime_type": m.get("mime_type")} if m.get("mime_type") else None)
            elif isinstance(path, str) and path:
                b.media(rec=rec, platform="telegram", post_id=pid, media_key=f"{pid}#{key}", type="photo" if key == "photo" else (m.get("media_type") or "document"),
                        extra={"note": path})
