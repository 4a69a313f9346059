"""Telethon ``Message.to_dict()`` dumps of Telegram chats.

Conventions shared with the other adapters (:mod:`engineroom.ingest.formats`): a boost / repost /
crosspost is one post of the account that shared it, replies and quotes are interactions to
their target even where it is not in the corpus, ``platform`` is part of every key.
"""

from __future__ import annotations

from typing import Any

from ..base import JsonLinesAdapter
from ..common import Batch, to_int
from .records import _drop, _not_object, _s


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
