"""Bluesky posts, feed items and reposts as JSON lines, normalised record by record in Python.
"""

from __future__ import annotations

import re
from typing import Any

from ..base import JsonLinesAdapter
from ..common import Batch, clean_str, hashtags_in, to_int
from .records import _drop_keeping_empty


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
                      extra=_drop_keeping_empty(author, {"did", "handle", "displayName", "description", "createdAt", "followersCount",
                                           "followsCount", "postsCount", "avatar"}))
        if typ == "app.bsky.feed.repost":
            subj = (r.get("subject") or {}).get("uri")
            sdid = _at_parts(subj)[0]
            b.post(rec=rec, platform="bluesky", post_id=uri, account_id=adid, handle=handle, created_at=r.get("createdAt"),
                   text=None, kind="retweet", retweet_of_post_id=subj, retweet_of_account_id=sdid,
                   extra=_drop_keeping_empty(o, BSKY_KEYS))
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
               url=url, extra=_drop_keeping_empty({**o, "record": _drop_keeping_empty(r, {"text", "createdAt", "langs", "facets", "reply", "$type"})}, BSKY_KEYS - {"record"}))
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
