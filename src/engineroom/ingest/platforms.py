"""Adapters for the platforms researchers collect from since CrowdTangle closed (August 2024):
Mastodon (API statuses, also Truth Social, and ActivityPub outboxes of account archives), Reddit
(Pushshift / Arctic Shift dumps, the Pushshift API, API listings), YouTube Data API comments,
the TikTok Research API, 4chan's read-only API, Telethon message dumps and CrowdTangle API JSON.

Each reads records one at a time (one per line, or out of arrays and API envelopes, see
:mod:`engineroom.ingest.layout`) and fills a :class:`~engineroom.ingest.common.Batch`.
Conventions shared with the Twitter adapters: a boost / repost / crosspost is one post of the
account that shared it (``kind`` ``retweet``, the shared post's text, a ``retweet`` interaction to
the shared post and its author; the shared post is not stored as a post of its own); replies and
quotes are interactions to their target even where the target is not in the corpus; ``platform``
is part of every key. Field names follow the platforms' own documentation, cited per class.
"""

from __future__ import annotations

import html
import re
from typing import Any

from .base import JsonLinesAdapter
from .common import Batch, hashtags_in, parse_time, to_int, urls_in


def _drop(obj: dict, keys) -> dict | None:
    rest = {k: v for k, v in obj.items() if k not in keys and v not in (None, "", [], {})}
    return rest or None


def _s(v: Any) -> str | None:
    """An id as text (ints stay exact: JSON is parsed without float conversion of integers)."""
    if v is None or v == "":
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


_BR_RE = re.compile(r"<br\s*/?>", re.I)
_P_RE = re.compile(r"</p>\s*<p[^>]*>", re.I)
_TAG_RE = re.compile(r"<[^>]+>")


def html_text(s: Any) -> str | None:
    """Plain text of the HTML a platform gives (Mastodon ``content``, 4chan ``com``, YouTube
    ``textDisplay``): line breaks for ``<br>`` and paragraphs, tags removed, entities decoded."""
    if not isinstance(s, str):
        return None
    t = _P_RE.sub("\n\n", s)
    t = _BR_RE.sub("\n", t)
    t = _TAG_RE.sub("", t)
    return html.unescape(t)


def _not_object(b: Batch, rec: int, o: Any, raw: str) -> bool:
    if not isinstance(o, dict):
        b.quarantine(rec, "JSON value is not an object", raw)
        return True
    return False


# -- Mastodon ----------------------------------------------------------------------------------
MASTODON_KEYS = {"id", "created_at", "in_reply_to_id", "in_reply_to_account_id", "content", "account", "reblog",
                 "mentions", "tags", "card", "media_attachments", "language", "replies_count", "reblogs_count",
                 "favourites_count", "url", "uri", "quote", "quote_id", "emojis", "application"}
_ACCT_KEYS = {"id", "username", "acct", "display_name", "note", "url", "created_at", "followers_count",
              "following_count", "statuses_count", "bot", "avatar", "avatar_static", "locked", "emojis", "fields"}


def _platform_of_status(st: dict) -> str:
    u = str(st.get("uri") or st.get("url") or "")
    return "truthsocial" if "truthsocial.com" in u else "mastodon"


class Mastodon(JsonLinesAdapter):
    """Mastodon API v1 ``Status`` entities (``GET /api/v1/timelines/*``, ``/accounts/:id/statuses``,
    single statuses; Truth Social's API has the same shape), and the ``Create`` / ``Announce``
    activities of an ActivityPub outbox (``outbox.json`` of a Mastodon account archive).

    API statuses keep the ids of the server that was asked (status and account ids are that
    server's); ``content`` is HTML and is stored as text. A reblog is one post of the booster.
    Outbox activities have URIs for ids (the note's ``id``; for a boost, the activity's).
    See https://docs.joinmastodon.org/entities/Status/ and https://www.w3.org/TR/activitypub/.
    """

    name = "mastodon"
    platform = "mastodon"

    def record(self, b: Batch, rec: int, o: Any, raw: str) -> None:
        if _not_object(b, rec, o, raw):
            return
        if o.get("type") in ("Create", "Announce") and "actor" in o:
            self.activity(b, rec, o, raw)
            return
        if "id" not in o or not isinstance(o.get("account"), dict):
            b.quarantine(rec, "not a Mastodon status (no id or no account)", raw)
            return
        self.status(b, rec, o)

    def account(self, b: Batch, rec: int, platform: str, a: dict) -> str | None:
        aid = _s(a.get("id"))
        if aid:
            b.account(rec=rec, platform=platform, account_id=aid, handle=a.get("acct") or a.get("username"),
                      display_name=a.get("display_name"), bio=html_text(a.get("note")), url=a.get("url"),
                      created_at=a.get("created_at"), followers=a.get("followers_count"),
                      following=a.get("following_count"), posts_count=a.get("statuses_count"),
                      profile_image_url=a.get("avatar"), protected=a.get("locked"),
                      extra=_drop(a, _ACCT_KEYS))
        return aid

    def status(self, b: Batch, rec: int, st: dict) -> None:
        platform = _platform_of_status(st)
        pid = _s(st["id"])
        acc = st["account"]
        aid = self.account(b, rec, platform, acc)
        inner = st.get("reblog") if isinstance(st.get("reblog"), dict) else None
        src = inner or st
        inner_aid = self.account(b, rec, platform, inner["account"]) if inner and isinstance(inner.get("account"), dict) else None
        reply_pid = _s(st.get("in_reply_to_id"))
        reply_aid = _s(st.get("in_reply_to_account_id"))
        q = st.get("quote") if isinstance(st.get("quote"), dict) else None
        qs = q.get("quoted_status") if q and isinstance(q.get("quoted_status"), dict) else (q if q and "account" in q else None)
        qid = _s(st.get("quote_id")) or (_s(qs.get("id")) if qs else None) or (_s(q.get("quoted_status_id")) if q else None)
        q_aid = self.account(b, rec, platform, qs["account"]) if qs and isinstance(qs.get("account"), dict) else None
        kind = "retweet" if inner else "quote" if qid else "reply" if reply_pid else "post"
        text = html_text(src.get("content"))
        if src.get("spoiler_text"):
            text = f"{src['spoiler_text']}\n\n{text or ''}"
        b.post(rec=rec, platform=platform, post_id=pid, account_id=aid, handle=acc.get("acct") or acc.get("username"),
               created_at=st.get("created_at"), text=text, lang=src.get("language"), kind=kind,
               reply_to_post_id=reply_pid, reply_to_account_id=reply_aid,
               retweet_of_post_id=_s(inner.get("id")) if inner else None, retweet_of_account_id=inner_aid,
               quote_of_post_id=qid, quote_of_account_id=q_aid, conversation_id=None,
               like_count=st.get("favourites_count"), retweet_count=st.get("reblogs_count"),
               reply_count=st.get("replies_count"), quote_count=st.get("quotes_count"),
               client=(st.get("application") or {}).get("name") if isinstance(st.get("application"), dict) else None,
               url=st.get("url") or st.get("uri"), deleted=False,
               extra=_drop({k: v for k, v in st.items() if k not in ("reblog",)}, MASTODON_KEYS | {
                   "favourited", "reblogged", "muted", "bookmarked", "pinned", "filtered", "edited_at", "poll",
                   "sensitive", "spoiler_text", "visibility"}))
        if inner:
            b.edge(rec=rec, platform=platform, post_id=pid, kind="retweet", target_account_id=inner_aid,
                   target_handle=(inner.get("account") or {}).get("acct"), target_post_id=_s(inner.get("id")))
        if qid:
            b.edge(rec=rec, platform=platform, post_id=pid, kind="quote", target_account_id=q_aid, target_post_id=qid)
        if reply_pid or reply_aid:
            b.edge(rec=rec, platform=platform, post_id=pid, kind="reply", target_account_id=reply_aid, target_post_id=reply_pid)
        for m in src.get("mentions") or []:
            if isinstance(m, dict):
                b.edge(rec=rec, platform=platform, post_id=pid, kind="mention", target_account_id=_s(m.get("id")),
                       target_handle=m.get("acct") or m.get("username"))
        for i, t in enumerate(x for x in src.get("tags") or [] if isinstance(x, dict) and x.get("name")):
            b.tag(rec=rec, platform=platform, post_id=pid, tag_raw=t["name"], position=i)
        pos = 0
        card = src.get("card") if isinstance(src.get("card"), dict) else None
        seen = set()
        if card and card.get("url"):
            b.url(rec=rec, platform=platform, post_id=pid, position=pos, url=card["url"], expanded_url=card["url"])
            seen.add(card["url"])
            pos += 1
        for u in _links_in_html(src.get("content")):
            if u not in seen:
                b.url(rec=rec, platform=platform, post_id=pid, position=pos, url=u, expanded_url=u)
                seen.add(u)
                pos += 1
        for md in src.get("media_attachments") or []:
            if isinstance(md, dict):
                b.media(rec=rec, platform=platform, post_id=pid, media_key=_s(md.get("id")) or md.get("url"),
                        type=md.get("type"), url=md.get("url") or md.get("remote_url"),
                        extra={"alt": md["description"]} if md.get("description") else None)

    def activity(self, b: Batch, rec: int, act: dict, raw: str) -> None:
        actor = act.get("actor")
        actor = actor.get("id") if isinstance(actor, dict) else actor
        handle = _handle_of(actor)
        if act["type"] == "Announce":
            obj = act.get("object")
            target = obj.get("id") if isinstance(obj, dict) else obj
            aid = _s(act.get("id"))
            if not aid:
                b.quarantine(rec, "ActivityPub Announce without an id", raw)
                return
            t_actor = _actor_of_note_uri(target)
            b.post(rec=rec, platform="mastodon", post_id=aid, account_id=actor, handle=handle, created_at=act.get("published"),
                   text=None, kind="retweet", retweet_of_post_id=target, retweet_of_account_id=t_actor, url=target,
                   extra=_drop(act, {"id", "type", "actor", "published", "object", "signature", "@context"}))
            b.edge(rec=rec, platform="mastodon", post_id=aid, kind="retweet", target_post_id=target,
                   target_account_id=t_actor, target_handle=_handle_of(t_actor))
            if actor:
                b.account(rec=rec, platform="mastodon", account_id=actor, handle=handle, url=actor)
            return
        note = act.get("object")
        if not isinstance(note, dict) or not note.get("id"):
            b.quarantine(rec, "ActivityPub Create without an object with an id", raw)
            return
        pid = note["id"]
        reply = note.get("inReplyTo")
        quote = note.get("quoteUrl") or note.get("quoteUri") or note.get("_misskey_quote")
        kind = "quote" if quote else "reply" if reply else "post"
        text = html_text(note.get("content"))
        if note.get("summary"):
            text = f"{note['summary']}\n\n{text or ''}"
        reply_actor = _actor_of_note_uri(reply)
        b.post(rec=rec, platform="mastodon", post_id=pid, account_id=actor, handle=handle,
               created_at=note.get("published") or act.get("published"), text=text,
               lang=next(iter(note.get("contentMap") or {}), None) if isinstance(note.get("contentMap"), dict) else None,
               kind=kind, reply_to_post_id=reply, reply_to_account_id=reply_actor, quote_of_post_id=quote,
               quote_of_account_id=_actor_of_note_uri(quote), conversation_id=note.get("conversation"),
               url=note.get("url") or pid,
               extra=_drop(note, {"id", "type", "content", "contentMap", "published", "inReplyTo", "url", "attributedTo",
                                  "tag", "attachment", "conversation", "summary", "replies", "to", "cc", "atomUri",
                                  "inReplyToAtomUri"}))
        if actor:
            b.account(rec=rec, platform="mastodon", account_id=actor, handle=handle, url=actor)
        if reply:
            b.edge(rec=rec, platform="mastodon", post_id=pid, kind="reply", target_post_id=reply,
                   target_account_id=reply_actor, target_handle=_handle_of(reply_actor))
        if quote:
            b.edge(rec=rec, platform="mastodon", post_id=pid, kind="quote", target_post_id=quote,
                   target_account_id=_actor_of_note_uri(quote))
        ti = 0
        tags = note.get("tag") if isinstance(note.get("tag"), list) else [note.get("tag")] if isinstance(note.get("tag"), dict) else []
        for t in tags:
            if not isinstance(t, dict):
                continue
            if t.get("type") == "Hashtag" and t.get("name"):
                b.tag(rec=rec, platform="mastodon", post_id=pid, tag_raw=str(t["name"]).lstrip("#"), position=ti)
                ti += 1
            elif t.get("type") == "Mention":
                b.edge(rec=rec, platform="mastodon", post_id=pid, kind="mention", target_account_id=t.get("href"),
                       target_handle=str(t.get("name") or "").lstrip("@") or None)
        for i, u in enumerate(_links_in_html(note.get("content"))):
            b.url(rec=rec, platform="mastodon", post_id=pid, position=i, url=u, expanded_url=u)
        atts = note.get("attachment") if isinstance(note.get("attachment"), list) else []
        for a in atts:
            if isinstance(a, dict) and a.get("url"):
                url = a["url"] if isinstance(a["url"], str) else None
                b.media(rec=rec, platform="mastodon", post_id=pid, media_key=url, type=a.get("mediaType") or a.get("type"),
                        url=url, extra={"alt": a["name"]} if a.get("name") else None)


_HREF_RE = re.compile(r'<a\s[^>]*href="([^"]+)"[^>]*>', re.I)
_CLASS_RE = re.compile(r'class="([^"]*)"', re.I)


def _links_in_html(content: Any) -> list[str]:
    """Links of an HTML post body, without mention and hashtag links (Mastodon marks them with
    the classes ``mention`` / ``hashtag``)."""
    if not isinstance(content, str):
        return []
    out = []
    for m in _HREF_RE.finditer(content):
        tag = m.group(0)
        cls = _CLASS_RE.search(tag)
        if cls and ("mention" in cls.group(1) or "hashtag" in cls.group(1)):
            continue
        out.append(html.unescape(m.group(1)))
    return out


_STATUS_URI_RE = re.compile(r"^(https?://[^/]+/users/[^/]+)/statuses/")


def _actor_of_note_uri(uri: Any) -> str | None:
    """The actor URI of a Mastodon note URI (``https://host/users/name/statuses/1`` gives
    ``https://host/users/name``); None for other servers' URI shapes."""
    m = _STATUS_URI_RE.match(uri) if isinstance(uri, str) else None
    return m.group(1) if m else None


def _handle_of(actor: Any) -> str | None:
    """``name@host`` of an actor URI such as ``https://host/users/name``."""
    if not isinstance(actor, str):
        return None
    m = re.match(r"^https?://([^/]+)/(?:users/|@)([^/?#]+)", actor)
    return f"{m.group(2)}@{m.group(1)}" if m else None


# -- Reddit ------------------------------------------------------------------------------------
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


# -- YouTube -----------------------------------------------------------------------------------
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


# -- TikTok ------------------------------------------------------------------------------------
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


# -- 4chan -------------------------------------------------------------------------------------
_QUOTELINK_RE = re.compile(r'href="(?:/[a-z0-9]+/thread/\d+)?#p(\d+)"')


class FourChan(JsonLinesAdapter):
    """4chan read-only API thread JSON (``a.4cdn.org/<board>/thread/<no>.json``: ``{"posts": [...]}``;
    ``no`` the post number, ``resto`` the thread's (0 for the opening post), ``time`` epoch
    seconds, ``com`` HTML). The board is not in the JSON, so post ids are post numbers. A post
    replies to the posts it quotes (``>>123`` links), else to the thread's opening post. Posters are
    anonymous: the account is the thread-local poster ``id`` or the tripcode where the board shows
    one, else none (``name``, usually "Anonymous", is kept as the handle).
    See https://github.com/4chan/4chan-API.
    """

    name = "4chan"
    platform = "4chan"

    def record(self, b: Batch, rec: int, o: Any, raw: str) -> None:
        if _not_object(b, rec, o, raw):
            return
        no = _s(o.get("no"))
        if not no:
            b.quarantine(rec, "4chan post without a number", raw)
            return
        resto = _s(o.get("resto"))
        op = resto if resto and resto != "0" else None
        com = o.get("com")
        text = html_text(com)
        if o.get("sub"):
            text = f"{html_text(o['sub'])}\n\n{text or ''}"
        quoted = [q for q in _QUOTELINK_RE.findall(com or "") if q != no]
        reply = quoted[0] if quoted else op
        acct = _s(o.get("id")) or _s(o.get("trip"))
        b.post(rec=rec, platform="4chan", post_id=no, account_id=acct, handle=o.get("name"), created_at=o.get("time"),
               text=text, kind="reply" if reply else "post", reply_to_post_id=reply, conversation_id=op or no,
               reply_count=o.get("replies") if not op else None,
               extra=_drop(o, {"no", "resto", "time", "now", "com", "sub", "name", "id", "trip", "tim", "ext",
                               "filename", "md5", "fsize", "w", "h", "tn_w", "tn_h"}))
        if acct:
            b.account(rec=rec, platform="4chan", account_id=acct, handle=o.get("name"))
        for q in dict.fromkeys(quoted or ([op] if op else [])):
            b.edge(rec=rec, platform="4chan", post_id=no, kind="reply", target_post_id=q)
        for i, u in enumerate(urls_in(text)):
            b.url(rec=rec, platform="4chan", post_id=no, position=i, url=u, expanded_url=u)
        if o.get("tim") is not None and o.get("ext"):
            b.media(rec=rec, platform="4chan", post_id=no, media_key=f"{_s(o['tim'])}{o['ext']}",
                    type="video" if o["ext"] in (".webm", ".mp4") else "photo",
                    extra={k: o[k] for k in ("filename", "md5", "fsize", "w", "h") if k in o})


# -- Telethon ----------------------------------------------------------------------------------
def _peer(p: Any) -> str | None:
    """A Telethon peer as Telegram Desktop exports name senders: ``user<id>`` / ``channel<id>`` / ``chat<id>``."""
    if not isinstance(p, dict):
        return None
    for key, prefix in (("user_id", "user"), ("channel_id", "channel"), ("chat_id", "chat")):
        if p.get(key) is not None:
            return f"{prefix}{_s(p[key])}"
    return None


def _peer_id(p: Any) -> str | None:
    if not isinstance(p, dict):
        return None
    for key in ("channel_id", "chat_id", "user_id"):
        if p.get(key) is not None:
            return _s(p[key])
    return None


def _utf16_slice(text: str, offset: int, length: int) -> str:
    """Telegram entity offsets count UTF-16 code units."""
    u = text.encode("utf-16-le")
    return u[2 * offset: 2 * (offset + length)].decode("utf-16-le", errors="replace")


class Telethon(JsonLinesAdapter):
    """Telethon ``Message.to_dict()`` dumps (the widely copied ``dump_all_messages`` scripts: a JSON
    list of ``{"_": "Message", ...}``). Post ids are ``<chat id>/<message id>`` and senders
    ``user<id>`` / ``channel<id>`` as in Telegram Desktop exports, so both kinds of export of the same
    chat meet. ``MessageService`` records (joins, pins) are quarantined as service messages; a
    forward is a ``retweet`` of the original sender; entity offsets are UTF-16 (Telegram's).
    See https://docs.telethon.dev/en/stable/modules/custom.html#telethon.tl.custom.message.Message.
    """

    name = "telethon"
    platform = "telegram"

    def record(self, b: Batch, rec: int, m: Any, raw: str) -> None:
        if _not_object(b, rec, m, raw):
            return
        if m.get("_") == "MessageService":
            act = m.get("action") if isinstance(m.get("action"), dict) else {}
            b.quarantine(rec, f"service message ({act.get('_') or 'MessageService'})", raw)
            return
        if m.get("_") != "Message" or m.get("id") is None:
            b.quarantine(rec, f"not a Telethon message ({m.get('_')})", raw)
            return
        chat = _peer_id(m.get("peer_id")) or "unknown"
        mid = _s(m["id"])
        pid = f"{chat}/{mid}"
        sender = _peer(m.get("from_id")) or _peer(m.get("peer_id"))
        text = m.get("message") if isinstance(m.get("message"), str) else None
        fwd = m.get("fwd_from") if isinstance(m.get("fwd_from"), dict) else None
        fwd_from = _peer(fwd.get("from_id")) if fwd else None
        rto = m.get("reply_to") if isinstance(m.get("reply_to"), dict) else None
        reply_mid = _s(rto.get("reply_to_msg_id")) if rto else None
        reply_pid = f"{_peer_id(rto.get('reply_to_peer_id')) or chat}/{reply_mid}" if reply_mid else None
        reactions = m.get("reactions") if isinstance(m.get("reactions"), dict) else {}
        likes = sum(to_int(r.get("count")) or 0 for r in reactions.get("results") or [] if isinstance(r, dict)) if reactions else None
        replies = m.get("replies") if isinstance(m.get("replies"), dict) else {}
        b.post(rec=rec, platform="telegram", post_id=pid, account_id=sender, created_at=m.get("date"), text=text,
               kind="retweet" if fwd else "reply" if reply_pid else "post", reply_to_post_id=reply_pid,
               retweet_of_account_id=fwd_from, conversation_id=chat, like_count=likes,
               retweet_count=m.get("forwards"), reply_count=replies.get("replies"), view_count=m.get("views"),
               extra=_drop(m, {"_", "id", "peer_id", "date", "message", "from_id", "fwd_from", "reply_to", "entities",
                               "media", "reactions", "replies", "views", "forwards", "out", "mentioned", "media_unread",
                               "silent", "post", "from_scheduled", "legacy", "edit_hide", "pinned", "noforwards",
                               "invert_media", "reply_markup", "restriction_reason", "ttl_period"}))
        if sender:
            b.account(rec=rec, platform="telegram", account_id=sender, display_name=m.get("post_author"))
        if fwd:
            b.edge(rec=rec, platform="telegram", post_id=pid, kind="retweet", target_account_id=fwd_from,
                   target_handle=None if fwd_from else fwd.get("from_name"))
            if fwd_from:
                b.account(rec=rec, platform="telegram", account_id=fwd_from)
        if reply_pid:
            b.edge(rec=rec, platform="telegram", post_id=pid, kind="reply", target_post_id=reply_pid)
        ti = ui = 0
        for e in m.get("entities") or []:
            if not isinstance(e, dict) or text is None:
                continue
            et = e.get("_", "")
            span = _utf16_slice(text, to_int(e.get("offset")) or 0, to_int(e.get("length")) or 0)
            if et == "MessageEntityHashtag":
                b.tag(rec=rec, platform="telegram", post_id=pid, tag_raw=span.lstrip("#"), position=ti)
                ti += 1
            elif et == "MessageEntityMention":
                b.edge(rec=rec, platform="telegram", post_id=pid, kind="mention", target_handle=span.lstrip("@"))
            elif et == "MessageEntityMentionName":
                b.edge(rec=rec, platform="telegram", post_id=pid, kind="mention", target_account_id=f"user{_s(e.get('user_id'))}")
            elif et in ("MessageEntityUrl", "MessageEntityTextUrl"):
                u = e.get("url") if et == "MessageEntityTextUrl" else span
                b.url(rec=rec, platform="telegram", post_id=pid, position=ui, url=span, expanded_url=u)
                ui += 1
        media = m.get("media") if isinstance(m.get("media"), dict) else None
        if media:
            mt = media.get("_", "")
            if mt == "MessageMediaWebPage":
                wp = media.get("webpage") if isinstance(media.get("webpage"), dict) else {}
                if wp.get("url") and ui == 0:
                    b.url(rec=rec, platform="telegram", post_id=pid, position=ui, url=wp["url"], expanded_url=wp["url"])
            else:
                inner = media.get("photo") or media.get("document") or {}
                key = _s(inner.get("id")) if isinstance(inner, dict) else None
                b.media(rec=rec, platform="telegram", post_id=pid, media_key=key or f"{pid}#media",
                        type="photo" if mt == "MessageMediaPhoto" else "document" if mt == "MessageMediaDocument" else mt)


# -- CrowdTangle API ---------------------------------------------------------------------------
def _unflatten(o: dict) -> dict:
    """``{"account.id": 1}`` (pandas ``json_normalize`` output) as ``{"account": {"id": 1}}``."""
    if not any("." in k for k in o):
        return o
    out: dict = {}
    for k, v in o.items():
        cur = out
        parts = k.split(".")
        for p in parts[:-1]:
            nxt = cur.get(p)
            if not isinstance(nxt, dict):
                nxt = cur[p] = {}
            cur = nxt
        cur.setdefault(parts[-1], v) if isinstance(cur.get(parts[-1]), dict) else cur.__setitem__(parts[-1], v)
    return out


class CrowdTangleApi(JsonLinesAdapter):
    """CrowdTangle API post objects (``/posts``, ``/links``, ``/posts/search``: ``platformId``,
    ``platform``, ``date``, ``message``, ``account``, ``expandedLinks``, ``media``, ``statistics``),
    also flattened by pandas into dotted keys (``account.id``, as CooRnet saves them). CrowdTangle
    writes ``date`` without a zone; it is read as UTC and the ingest records that assumption.
    Post ids are ``platformId``; ``platform`` is the post's (facebook, instagram, reddit).
    """

    name = "crowdtangle-api"
    platform = "facebook"
    assumption = "CrowdTangle 'date' has no time zone: read as UTC"

    def record(self, b: Batch, rec: int, o: Any, raw: str) -> None:
        if _not_object(b, rec, o, raw):
            return
        o = _unflatten(o)
        pid = _s(o.get("platformId"))
        if not pid:
            b.quarantine(rec, "CrowdTangle post without a platformId", raw)
            return
        platform = str(o.get("platform") or "facebook").lower()
        acc = o.get("account") if isinstance(o.get("account"), dict) else {}
        aid = _s(acc.get("id")) or _s(acc.get("platformId"))
        date = o.get("date")
        if isinstance(date, str) and parse_time(date) is not None and not re.search(r"(Z|[+-]\d\d:?\d\d| [A-Z]{2,4})$", date.strip()):
            self.assumptions.add(self.assumption)
        text = o.get("message") or o.get("description") or o.get("title")
        stats = ((o.get("statistics") or {}).get("actual") or {}) if isinstance(o.get("statistics"), dict) else {}
        b.post(rec=rec, platform=platform, post_id=pid, account_id=aid, handle=acc.get("handle") or acc.get("name"),
               created_at=date, text=text, kind="post", like_count=stats.get("likeCount") or stats.get("favoriteCount"),
               retweet_count=stats.get("shareCount"), reply_count=stats.get("commentCount"),
               url=o.get("postUrl"),
               extra=_drop(o, {"platformId", "platform", "date", "message", "account", "statistics", "expandedLinks",
                               "media", "postUrl", "history"}))
        if aid:
            b.account(rec=rec, platform=platform, account_id=aid, handle=acc.get("handle"), display_name=acc.get("name"),
                      url=acc.get("url"), followers=acc.get("subscriberCount"), verified=acc.get("verified"),
                      profile_image_url=acc.get("profileImage"),
                      extra=_drop(acc, {"id", "handle", "name", "url", "subscriberCount", "verified", "profileImage"}))
        pos = 0
        seen = set()
        for link in o.get("expandedLinks") or []:
            if isinstance(link, dict) and (link.get("original") or link.get("expanded")):
                key = link.get("expanded") or link.get("original")
                if key in seen:
                    continue
                seen.add(key)
                b.url(rec=rec, platform=platform, post_id=pid, position=pos, url=link.get("original"), expanded_url=link.get("expanded"))
                pos += 1
        if not pos and isinstance(o.get("link"), str):
            b.url(rec=rec, platform=platform, post_id=pid, position=0, url=o["link"], expanded_url=o.get("expanded") or o["link"])
        for i, t in enumerate(hashtags_in(text)):
            b.tag(rec=rec, platform=platform, post_id=pid, tag_raw=t, position=i)
        for j, md in enumerate(x for x in o.get("media") or [] if isinstance(x, dict)):
            b.media(rec=rec, platform=platform, post_id=pid, media_key=md.get("url") or f"{pid}#{j}", type=md.get("type"),
                    url=md.get("url") or md.get("full"))


__all__ = ["Mastodon", "Reddit", "YouTube", "TikTok", "FourChan", "Telethon", "CrowdTangleApi", "html_text"]
