"""Telegram Desktop exports (``result.json``), streamed message by message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from ..base import JsonLinesAdapter, LINES_PER_BATCH
from ..common import Batch, parse_time, to_int
from ..errors import IngestError
from ..merge import stage_arrow
from .records import _drop_keeping_empty


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

        from ..utf8 import Utf8Clean

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
               extra={**(_drop_keeping_empty(m, TG_KEYS - {"reactions", "edited", "media_type"}) or {}), "chat_name": chat.get("name"), "chat_type": chat.get("type"),
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
