"""What every adapter shares: the canonical batch columns, time parsing, entity extraction, domains.

An adapter turns input records into a *batch*: staging tables with the columns below (``rec`` is
the line / record number the row came from). :mod:`engineroom.ingest.merge` then stores a batch
into the corpus tables, deduplicating and counting. SQL adapters create the staging tables with
DuckDB; Python adapters fill a :class:`Batch` and hand it over as Arrow.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone, timedelta
from functools import lru_cache
from typing import Any

import pyarrow as pa

try:  # orjson is much faster; the standard library works too
    import orjson as _orjson

    def json_loads(s):  # noqa: D103
        return _orjson.loads(s)

    def json_dumps(o) -> str:  # noqa: D103
        return _orjson.dumps(o, default=str).decode()
except ImportError:  # pragma: no cover
    import json as _json

    json_loads = _json.loads

    def json_dumps(o) -> str:  # noqa: D103
        return _json.dumps(o, default=str, ensure_ascii=False)


TS = pa.timestamp("us")
S = pa.string()
I = pa.int64()
B = pa.bool_()

#: Staging columns of each batch table (name -> Arrow type).
POSTS_COLS: dict[str, pa.DataType] = {
    "rec": I, "platform": S, "post_id": S, "account_id": S, "handle": S, "created_at": TS, "text": S,
    "lang": S, "kind": S, "reply_to_post_id": S, "reply_to_account_id": S, "retweet_of_post_id": S,
    "retweet_of_account_id": S, "quote_of_post_id": S, "quote_of_account_id": S, "conversation_id": S,
    "like_count": I, "retweet_count": I, "reply_count": I, "quote_count": I, "view_count": I,
    "client": S, "url": S, "withheld": B, "deleted": B, "extra": S,
}
ACCOUNTS_COLS: dict[str, pa.DataType] = {
    "rec": I, "platform": S, "account_id": S, "handle": S, "display_name": S, "bio": S, "location": S,
    "url": S, "created_at": TS, "followers": I, "following": I, "posts_count": I, "likes_count": I,
    "listed_count": I, "verified": B, "protected": B, "default_profile": B, "default_profile_image": B,
    "lang": S, "profile_image_url": S, "extra": S,
}
EDGES_COLS: dict[str, pa.DataType] = {
    "rec": I, "platform": S, "post_id": S, "kind": S, "target_account_id": S, "target_handle": S,
    "target_post_id": S,
}
TAGS_COLS: dict[str, pa.DataType] = {"rec": I, "platform": S, "post_id": S, "tag_raw": S, "position": I}
URLS_COLS: dict[str, pa.DataType] = {
    "rec": I, "platform": S, "post_id": S, "position": I, "url": S, "expanded_url": S,
}
MEDIA_COLS: dict[str, pa.DataType] = {
    "rec": I, "platform": S, "post_id": S, "media_key": S, "type": S, "url": S, "local_path": S, "extra": S,
}
QUAR_COLS: dict[str, pa.DataType] = {"rec": I, "reason": S, "raw": S}

BATCH_TABLES: dict[str, dict[str, pa.DataType]] = {
    "b_posts": POSTS_COLS, "b_accounts": ACCOUNTS_COLS, "b_edges": EDGES_COLS, "b_tags": TAGS_COLS,
    "b_urls": URLS_COLS, "b_media": MEDIA_COLS, "b_quar": QUAR_COLS,
}


class Batch:
    """Rows of one batch, filled by a Python adapter (one list of dicts per staging table)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {k: [] for k in BATCH_TABLES}

    def post(self, **row: Any) -> None:
        self.rows["b_posts"].append(row)

    def account(self, **row: Any) -> None:
        if row.get("account_id"):
            self.rows["b_accounts"].append(row)

    def edge(self, **row: Any) -> None:
        if row.get("target_account_id") or row.get("target_handle") or row.get("target_post_id"):
            self.rows["b_edges"].append(row)

    def tag(self, **row: Any) -> None:
        self.rows["b_tags"].append(row)

    def url(self, **row: Any) -> None:
        self.rows["b_urls"].append(row)

    def media(self, **row: Any) -> None:
        self.rows["b_media"].append(row)

    def quarantine(self, rec: int, reason: str, raw: Any) -> None:
        if raw is not None and not isinstance(raw, str):
            try:
                raw = json_dumps(raw)
            except Exception:
                raw = repr(raw)
        self.rows["b_quar"].append({"rec": rec, "reason": reason, "raw": raw})

    def mark(self) -> dict[str, int]:
        """Row counts now (to undo a record that failed half-way, see :meth:`rollback`)."""
        return {k: len(v) for k, v in self.rows.items()}

    def rollback(self, mark: dict[str, int]) -> None:
        for k, n in mark.items():
            del self.rows[k][n:]

    def __len__(self) -> int:
        return len(self.rows["b_posts"]) + len(self.rows["b_accounts"]) + len(self.rows["b_quar"])

    def arrow(self) -> dict[str, pa.Table]:
        out = {}
        for name, cols in BATCH_TABLES.items():
            rows = self.rows[name]
            arrays = []
            for col, typ in cols.items():
                vals = [_coerce(r.get(col), typ) for r in rows]
                arrays.append(pa.array(vals, type=typ))
            out[name] = pa.Table.from_arrays(arrays, names=list(cols))
        return out


def _coerce(v: Any, typ: pa.DataType) -> Any:
    if v is None:
        return None
    if typ == S:
        if isinstance(v, str):
            return v
        if isinstance(v, (dict, list)):
            return json_dumps(v)
        return str(v)
    if typ == I:
        return to_int(v)
    if typ == B:
        return to_bool(v)
    if typ == TS:
        return v if isinstance(v, datetime) else parse_time(v)
    return v


# -- values ---------------------------------------------------------------------------------
_TRUE = {"true", "1", "yes", "y", "t", "1.0"}
_FALSE = {"false", "0", "no", "n", "f", "0.0", ""}


def to_bool(v: Any) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return bool(v)
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE and s:
        return False
    return None


def to_int(v: Any) -> int | None:
    """An integer count from 12, '12', '12.0', '1,234', '1.2K'; None when it is not a number."""
    if v is None or isinstance(v, bool):
        return None if v is None else int(v)
    if isinstance(v, int):
        return v if -(2**63) <= v < 2**63 else None
    if isinstance(v, float):
        return int(v) if v == v and abs(v) < 9e18 else None
    s = str(v).strip().replace(",", "")
    if not s:
        return None
    try:
        return int(s)
    except ValueError:
        pass
    mult = 1
    if s[-1:].lower() in ("k", "m"):
        mult = 1000 if s[-1].lower() == "k" else 1_000_000
        s = s[:-1]
    try:
        f = float(s) * mult
    except ValueError:
        return None
    return int(f) if f == f and abs(f) < 9e18 else None


def clean_str(v: Any) -> str | None:
    if v is None:
        return None
    s = v if isinstance(v, str) else str(v)
    return s if s.strip() else None


# -- time -----------------------------------------------------------------------------------
#: Time-zone abbreviations seen in exports (CrowdTangle writes the dashboard's zone, e.g. EST).
TZ_ABBR = {
    "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "BST": 1, "CET": 1, "CEST": 2,
    "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5, "JST": 9, "AEST": 10, "AEDT": 11,
}
_TZ_RE = re.compile(r"\s+([A-Z]{1,4})$")
_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%a %b %d %H:%M:%S %z %Y", "%Y-%m-%d %H:%M:%S%z", "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M", "%Y/%m/%d %H:%M:%S",
)


@lru_cache(maxsize=4096)
def _parse_time_str(s: str) -> datetime | None:
    s = s.strip()
    if not s:
        return None
    # epoch seconds / milliseconds
    if s.lstrip("-").replace(".", "", 1).isdigit() and len(s) >= 9:
        try:
            x = float(s)
            if x > 1e11:
                x /= 1000.0
            return datetime.fromtimestamp(x, tz=timezone.utc).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
    offset = None
    m = _TZ_RE.search(s)
    if m and m.group(1) in TZ_ABBR:
        offset = timedelta(hours=TZ_ABBR[m.group(1)])
        s = s[: m.start()]
    iso = s[:-1] + "+00:00" if s.endswith("Z") else s
    dt = None
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        for fmt in _FORMATS:
            try:
                dt = datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
    if dt is None:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    elif offset is not None:
        dt = dt - offset
    if not (1990 <= dt.year <= 2100):
        return None
    return dt


def parse_time(v: Any) -> datetime | None:
    """A UTC (naive) datetime from ISO 8601, Twitter v1 (``Wed Oct 10 20:19:24 +0000 2018``),
    ``YYYY-MM-DD HH:MM``, ``M/D/YYYY H:MM``, ``... EST`` or epoch seconds / ms; None if unparseable."""
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _parse_time_str(str(v))
    return _parse_time_str(str(v))


# -- entities from text -----------------------------------------------------------------------
HASHTAG_RE = re.compile(r"(?:^|(?<=[^\w&/]))[#＃](\w*[^\W\d]\w*)", re.UNICODE)
MENTION_RE = re.compile(r"(?:^|(?<=[^\w@]))[@＠](\w{1,30})", re.UNICODE)
URL_RE = re.compile(r"https?://[^\s<>\"'\u2026]+", re.IGNORECASE)
RT_RE = re.compile(r"^RT @(\w{1,30}):")

#: The same patterns for DuckDB (RE2 syntax: no look-behind).
SQL_HASHTAG_RE = r"(?:^|[^\p{L}\p{N}_&/])[#＃]([\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*)"
SQL_MENTION_RE = r"(?:^|[^\p{L}\p{N}_@])[@＠]([\p{L}\p{N}_]{1,30})"
SQL_URL_RE = r"(?i)https?://[^\s<>\"'\x{2026}]+"


def hashtags_in(text: str | None) -> list[str]:
    return HASHTAG_RE.findall(text) if text else []


def mentions_in(text: str | None) -> list[str]:
    return MENTION_RE.findall(text) if text else []


def urls_in(text: str | None) -> list[str]:
    return [u.rstrip(".,;:!?)]}") for u in URL_RE.findall(text)] if text else []


def list_column(v: Any) -> list[str]:
    """Items of an IO-archive style list cell: ``[a, b]``, ``['a', 'b']``, ``a,b`` or JSON."""
    if v is None:
        return []
    if isinstance(v, list):
        return [str(x) for x in v if x is not None and str(x).strip()]
    s = str(v).strip()
    if not s or s in ("[]", "absent", "None", "nan"):
        return []
    if s.startswith("[") and s.endswith("]"):
        s = s[1:-1]
    out = []
    for part in s.split(","):
        part = part.strip().strip("'\"").strip()
        if part:
            out.append(part)
    return out


# -- SQL builders ---------------------------------------------------------------------------
def sql_json_object(members: list[tuple[str, str]]) -> str:
    """SQL for a JSON object (as VARCHAR) of ``(key, SQL expression giving the value's JSON text or
    NULL)`` pairs: members whose value is NULL are left out, and the whole is NULL when all are.

    Built as text with ``concat_ws``, which skips NULLs: several times cheaper per row than
    merge-patching a ``json_object`` into ``{}``, with the same output."""
    import json

    items = ", ".join("'" + (json.dumps(k, ensure_ascii=False) + ":").replace("'", "''") + f"' || ({v})" for k, v in members)
    return f"nullif('{{' || concat_ws(',', {items}) || '}}', '{{}}')"
