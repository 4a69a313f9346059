"""TikTok Research API videos and comments.

Conventions shared with the other adapters (:mod:`engineroom.ingest.formats`): a boost / repost /
crosspost is one post of the account that shared it, replies and quotes are interactions to
their target even where it is not in the corpus, ``platform`` is part of every key.
"""

from __future__ import annotations

from typing import Any

from ..base import JsonLinesAdapter
from ..common import Batch, hashtags_in, urls_in
from .records import _drop, _not_object, _s


class TikTok(JsonLinesAdapter):
    """TikTok Research API: video query results (``/v2/research/video/query/``: ``video_id``,
    ``create_time`` epoch seconds, ``username``, ``video_description``, ``hashtag_names``, counts)
    and comment query results (``/v2/research/video/comment/list/``: ``id``, ``video_id``,
    ``text``, ``parent_comment_id``). A comment replies to its parent comment, or to its video.
    See https://developers.tiktok.com/doc/research-api-specs-query-videos.
    """

    name = "tiktok"
    platform = "tiktok"

    def record(self, b: Batch, rec: int, o: Any, raw: str) -> None:
        if _not_object(b, rec, o, raw):
            return
        if "video_id" in o and ("text" in o and "id" in o):
            self.comment(b, rec, o)
            return
        vid = _s(o.get("video_id"))
        if not vid:
            b.quarantine(rec, "not a TikTok video or comment (no video_id)", raw)
            return
        user = o.get("username")
        text = o.get("video_description")
        b.post(rec=rec, platform="tiktok", post_id=vid, account_id=user, handle=user, created_at=o.get("create_time"),
               text=text, kind="post", conversation_id=vid, like_count=o.get("like_count"),
               retweet_count=o.get("share_count"), reply_count=o.get("comment_count"), view_count=o.get("view_count"),
               url=f"https://www.tiktok.com/@{user}/video/{vid}" if user else None,
               extra=_drop(o, {"video_id", "id", "username", "create_time", "video_description", "hashtag_names",
                               "like_count", "share_count", "comment_count", "view_count"}))
        if user:
            b.account(rec=rec, platform="tiktok", account_id=user, handle=user)
        tags = o.get("hashtag_names") if isinstance(o.get("hashtag_names"), list) else hashtags_in(text)
        for i, t in enumerate(x for x in tags if x):
            b.tag(rec=rec, platform="tiktok", post_id=vid, tag_raw=str(t), position=i)
        for i, u in enumerate(urls_in(text)):
            b.url(rec=rec, platform="tiktok", post_id=vid, position=i, url=u, expanded_url=u)

    def comment(self, b: Batch, rec: int, o: dict) -> None:
        cid = _s(o.get("id"))
        vid = _s(o.get("video_id"))
        parent = _s(o.get("parent_comment_id"))
        target = parent if parent and parent != vid else vid
        user = o.get("username")
        b.post(rec=rec, platform="tiktok", post_id=cid, account_id=user, handle=user, created_at=o.get("create_time"),
               text=o.get("text"), kind="reply", reply_to_post_id=target, conversation_id=vid,
               like_count=o.get("like_count"), reply_count=o.get("reply_count"),
               extra=_drop(o, {"id", "video_id", "text", "parent_comment_id", "create_time", "like_count", "reply_count", "username"}))
        if user:
            b.account(rec=rec, platform="tiktok", account_id=user, handle=user)
        b.edge(rec=rec, platform="tiktok", post_id=cid, kind="reply", target_post_id=target)
        for i, t in enumerate(hashtags_in(o.get("text"))):
            b.tag(rec=rec, platform="tiktok", post_id=cid, tag_raw=t, position=i)
