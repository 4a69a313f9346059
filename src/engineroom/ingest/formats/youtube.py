"""YouTube Data API v3 comments.

Conventions shared with the other adapters (:mod:`engineroom.ingest.formats`): a boost / repost /
crosspost is one post of the account that shared it, replies and quotes are interactions to
their target even where it is not in the corpus, ``platform`` is part of every key.
"""

from __future__ import annotations

from typing import Any

from ..base import JsonLinesAdapter
from ..common import Batch, hashtags_in, urls_in
from .records import _drop, html_text, _not_object, _s


class YouTube(JsonLinesAdapter):
    """YouTube Data API v3 comments: ``commentThreads.list`` items (``youtube#commentThread``: the
    top-level comment and the replies the API embeds) and ``comments.list`` items
    (``youtube#comment``; a reply has ``parentId``). Post ids are comment ids; a comment's
    conversation is its video; a reply replies to its parent comment. Accounts are channel ids
    (``authorChannelId.value``), handles the display names.
    See https://developers.google.com/youtube/v3/docs/commentThreads.
    """

    name = "youtube"
    platform = "youtube"

    def record(self, b: Batch, rec: int, o: Any, raw: str) -> None:
        if _not_object(b, rec, o, raw):
            return
        kind = o.get("kind")
        if kind == "youtube#commentThread":
            sn = o.get("snippet") or {}
            top = sn.get("topLevelComment")
            if not isinstance(top, dict):
                b.quarantine(rec, "YouTube comment thread without its top-level comment", raw)
                return
            self.comment(b, rec, top, video=sn.get("videoId"), reply_count=sn.get("totalReplyCount"))
            for r in ((o.get("replies") or {}).get("comments") or []):
                if isinstance(r, dict):
                    self.comment(b, rec, r, video=sn.get("videoId"))
            return
        if kind == "youtube#comment":
            self.comment(b, rec, o)
            return
        b.quarantine(rec, f"YouTube {kind or 'record'} is not a comment", raw)

    def comment(self, b: Batch, rec: int, c: dict, video=None, reply_count=None) -> None:
        sn = c.get("snippet") or {}
        cid = _s(c.get("id"))
        if not cid:
            b.quarantine(rec, "YouTube comment without an id", c)
            return
        video = sn.get("videoId") or video
        ch = (sn.get("authorChannelId") or {}).get("value") if isinstance(sn.get("authorChannelId"), dict) else _s(sn.get("authorChannelId"))
        parent = _s(sn.get("parentId"))
        text = sn.get("textOriginal") if isinstance(sn.get("textOriginal"), str) else html_text(sn.get("textDisplay"))
        b.post(rec=rec, platform="youtube", post_id=cid, account_id=ch, handle=sn.get("authorDisplayName"),
               created_at=sn.get("publishedAt"), text=text, kind="reply" if parent else "post", reply_to_post_id=parent,
               conversation_id=video, like_count=sn.get("likeCount"), reply_count=reply_count,
               url=f"https://www.youtube.com/watch?v={video}&lc={cid}" if video else None,
               extra=_drop(sn, {"authorDisplayName", "authorChannelId", "textOriginal", "textDisplay", "publishedAt",
                                "likeCount", "parentId", "videoId", "authorProfileImageUrl", "authorChannelUrl"}))
        if ch:
            b.account(rec=rec, platform="youtube", account_id=ch, handle=sn.get("authorDisplayName"),
                      url=sn.get("authorChannelUrl"), profile_image_url=sn.get("authorProfileImageUrl"))
        if parent:
            b.edge(rec=rec, platform="youtube", post_id=cid, kind="reply", target_post_id=parent)
        for i, tag in enumerate(hashtags_in(text)):
            b.tag(rec=rec, platform="youtube", post_id=cid, tag_raw=tag, position=i)
        for i, u in enumerate(urls_in(text)):
            b.url(rec=rec, platform="youtube", post_id=cid, position=i, url=u, expanded_url=u)
