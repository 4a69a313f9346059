"""4chan's read-only API: thread JSON.

Conventions shared with the other adapters (:mod:`engineroom.ingest.formats`): a boost / repost /
crosspost is one post of the account that shared it, replies and quotes are interactions to
their target even where it is not in the corpus, ``platform`` is part of every key.
"""

from __future__ import annotations

import re
from typing import Any

from ..base import JsonLinesAdapter
from ..common import Batch, urls_in
from .records import _drop, html_text, _not_object, _s


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
