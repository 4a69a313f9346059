"""Mastodon (also Truth Social): API statuses and the ActivityPub outbox of an account archive.

Conventions shared with the other adapters (:mod:`engineroom.ingest.formats`): a boost / repost /
crosspost is one post of the account that shared it, replies and quotes are interactions to
their target even where it is not in the corpus, ``platform`` is part of every key.
"""

from __future__ import annotations

import html
import re
from typing import Any

from ..base import JsonLinesAdapter
from ..common import Batch
from .records import _drop, html_text, _not_object, _s


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
