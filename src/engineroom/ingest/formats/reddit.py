"""Reddit comments and submissions: Pushshift / Arctic Shift dumps, the Pushshift API, API listings.

Conventions shared with the other adapters (:mod:`engineroom.ingest.formats`): a boost / repost /
crosspost is one post of the account that shared it, replies and quotes are interactions to
their target even where it is not in the corpus, ``platform`` is part of every key.
"""

from __future__ import annotations

import re
from typing import Any

from ..base import JsonLinesAdapter
from ..common import Batch, hashtags_in, urls_in
from .records import _not_object, _s


REDDIT_KEYS = {"id", "name", "author", "body", "title", "selftext", "created_utc", "subreddit", "link_id", "parent_id",
               "permalink", "score", "ups", "num_comments", "url", "crosspost_parent", "crosspost_parent_list",
               "author_fullname", "subreddit_id", "retrieved_on", "retrieved_utc", "_meta", "edited", "gilded",
               "controversiality", "distinguished", "stickied", "author_flair_text", "is_self", "domain", "over_18"}

_DELETED = {"[deleted]", "[removed]", ""}


class Reddit(JsonLinesAdapter):
    """Reddit comments (``t1``) and submissions (``t3``): Pushshift / Arctic Shift dump lines
    (``RC_*`` / ``RS_*`` NDJSON, one object per line; ``created_utc`` an int, a string or a float
    depending on the era), Pushshift API ``{"data": [...]}`` responses and Reddit API ``Listing``
    JSON (``{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {...}}]}}``).

    Post ids are Reddit *fullnames* (``t1_<id>``, ``t3_<id>``), so a comment's ``parent_id`` and
    ``link_id`` point at them directly. Accounts are user names (older dumps have no account
    ids); ``[deleted]`` authors are no account. A comment replies to its parent (comment or
    submission); a crosspost is a ``retweet`` of its ``crosspost_parent``. Listing ``more`` stubs
    (ids of comments not fetched) are quarantined as such.
    See https://github.com/ArthurHeitmann/arctic_shift and https://www.reddit.com/dev/api/.
    """

    name = "reddit"
    platform = "reddit"

    def record(self, b: Batch, rec: int, o: Any, raw: str) -> None:
        if _not_object(b, rec, o, raw):
            return
        kind = o.get("kind")
        if isinstance(o.get("data"), dict) and kind in ("t1", "t3", "more", "Listing"):
            if kind == "more":
                b.quarantine(rec, "Reddit 'more' stub (ids of comments that were not fetched, no post)", raw)
                return
            if kind == "Listing":
                b.quarantine(rec, "Reddit Listing nested in a record (read its children on their own)", raw)
                return
            o = o["data"]
        rid = _s(o.get("id"))
        if not rid or not ("body" in o or "title" in o):
            b.quarantine(rec, "not a Reddit comment or submission (no id, or neither body nor title)", raw)
            return
        is_sub = kind == "t3" or ("title" in o and "body" not in o)
        name = o.get("name") if isinstance(o.get("name"), str) and o["name"][:3] in ("t1_", "t3_") else None
        pid = name or (f"t3_{rid}" if is_sub else f"t1_{rid}")
        author = o.get("author") if isinstance(o.get("author"), str) and o.get("author") not in _DELETED else None
        sub = o.get("subreddit")
        if is_sub:
            text = o.get("title") or ""
            if o.get("selftext") and o["selftext"] not in ("[deleted]", "[removed]"):
                text = f"{text}\n\n{o['selftext']}"
            parent = None
            conv = pid
        else:
            text = o.get("body")
            parent = _s(o.get("parent_id"))
            conv = _s(o.get("link_id"))
        xpost = _s(o.get("crosspost_parent"))
        kind_ = "retweet" if xpost else "reply" if parent else "post"
        permalink = o.get("permalink")
        url = f"https://www.reddit.com{permalink}" if isinstance(permalink, str) and permalink.startswith("/") else \
            (f"https://www.reddit.com/r/{sub}/comments/{rid}/" if is_sub and sub else None)
        xlist = o.get("crosspost_parent_list") if isinstance(o.get("crosspost_parent_list"), list) else []
        x_author = xlist[0].get("author") if xlist and isinstance(xlist[0], dict) else None
        x_author = x_author if x_author not in _DELETED else None
        b.post(rec=rec, platform="reddit", post_id=pid, account_id=author, handle=author,
               created_at=o.get("created_utc") if o.get("created_utc") is not None else o.get("created"),
               text=text, kind=kind_, reply_to_post_id=parent, retweet_of_post_id=xpost, retweet_of_account_id=x_author,
               conversation_id=conv, like_count=o.get("score") if o.get("score") is not None else o.get("ups"),
               reply_count=o.get("num_comments") if is_sub else None, url=url,
               deleted=o.get("author") in ("[deleted]",) or text in ("[deleted]", "[removed]"),
               extra={"subreddit": sub,
                      **({"author_fullname": o["author_fullname"]} if o.get("author_fullname") else {}),
                      **({"link_url": o["url"]} if is_sub and o.get("url") else {})})
        if author:
            b.account(rec=rec, platform="reddit", account_id=author, handle=author,
                      created_at=o.get("author_created_utc"),
                      extra={"author_fullname": o["author_fullname"]} if o.get("author_fullname") else None)
        if x_author:
            b.account(rec=rec, platform="reddit", account_id=x_author, handle=x_author)
        if parent:
            b.edge(rec=rec, platform="reddit", post_id=pid, kind="reply", target_post_id=parent)
        if xpost:
            b.edge(rec=rec, platform="reddit", post_id=pid, kind="retweet", target_post_id=xpost,
                   target_account_id=x_author, target_handle=x_author)
        pos = 0
        seen = set()
        if is_sub and isinstance(o.get("url"), str) and o["url"].startswith("http") and not o.get("is_self") \
                and "/comments/" not in o["url"]:
            b.url(rec=rec, platform="reddit", post_id=pid, position=pos, url=o["url"], expanded_url=o["url"])
            seen.add(o["url"])
            pos += 1
        for u in urls_in(text):
            if u not in seen:
                seen.add(u)
                b.url(rec=rec, platform="reddit", post_id=pid, position=pos, url=u, expanded_url=u)
                pos += 1
        for i, tag in enumerate(hashtags_in(text)):
            b.tag(rec=rec, platform="reddit", post_id=pid, tag_raw=tag, position=i)
        for m in re.findall(r"(?:^|[^\w/])/?u/([A-Za-z0-9_-]{3,20})", text or ""):
            b.edge(rec=rec, platform="reddit", post_id=pid, kind="mention", target_account_id=m, target_handle=m)
