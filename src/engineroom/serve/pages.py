"""What the review app's pages share: query rows as dicts, whether one of the app's own tables is
there, and how values are shown (times, numbers, links)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _rows(cur, sql: str, params: list | None = None) -> list[dict]:
    res = cur.execute(sql, params or None)
    names = [d[0] for d in res.description]
    return [dict(zip(names, r)) for r in res.fetchall()]


def table_names(con) -> set[str]:
    """The names of the tables in the corpus file (whether the app's own ``review_*`` lookup
    tables are there is asked here; findings tables are asked of :mod:`engineroom.findings`)."""
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = 'main'").fetchall()}


def table_exists(cur, table: str) -> bool:
    """Whether the app's own table ``table`` (a ``review_*`` lookup table) is in the corpus file."""
    return table in table_names(cur)


def _safe_url(url: Any) -> str | None:
    from ..report import safe_url

    return safe_url(url)


def _fmt_time(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    return str(v)[:16]


def _fmt_num(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}" if v == v else ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)
