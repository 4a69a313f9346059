"""What the record-by-record JSON adapters share: the rest of a record kept in ``extra``, strings,
HTML to text, refusing a value that is not an object, dotted keys back into objects.
"""

from __future__ import annotations

import html
import re
from typing import Any

from ..common import Batch


def _drop(obj: dict, keys) -> dict | None:
    """The record's members other than ``keys`` and not empty (None, "", [], {}), as ``extra``
    keeps them; None when nothing is left."""
    rest = {k: v for k, v in obj.items() if k not in keys and v not in (None, "", [], {})}
    return rest or None


def _drop_keeping_empty(obj: dict, keys) -> dict | None:
    """The record's members other than ``keys``, empty ones too (the Twitter v1.1, Bluesky and
    Telegram adapters keep them in ``extra``); None when nothing is left."""
    rest = {k: v for k, v in obj.items() if k not in keys}
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
