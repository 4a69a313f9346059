"""The building blocks of a report section: cell values as text, and table, figure and text blocks.

A section is ``{"id", "title", "intro", "blocks"}``; each block is plain data that the page template
renders (``kind``: ``table``, ``figure``, ``text``, ``posts``, ``kv``). Nothing here reads the corpus.
"""

from __future__ import annotations

import html
import json
from typing import Any

from .data import clean, describe_evidence, parse_json

#: rows shown in long tables
TOP = 40


def fmt(v: Any) -> str:
    """A cell value as text: thousands separators, 3 significant digits, yes/no."""
    v = clean(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v.is_integer() and abs(v) >= 1000:
            return f"{int(v):,}"
        return f"{v:.3g}"
    if isinstance(v, (list, dict)):
        return describe_evidence(v)
    return str(v)


def pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def table(caption: str, columns: list[str], rows: list[list[Any]], note: str = "", detail: bool = False) -> dict:
    """A table block; ``detail=True`` shows each row's last cell (evidence) in a full-width row below it."""
    return {"kind": "table", "caption": caption, "columns": columns, "rows": rows, "note": note, "detail": detail}


def figure(fig_id: str, fig: Any, caption: str = "") -> dict:
    """A Plotly figure as a JSON-able dict (rendered in the page by the inlined plotly.js)."""
    d = json.loads(fig.to_json())
    d.pop("config", None)
    return {"kind": "figure", "id": fig_id, "figure": d, "caption": caption}


def hover(s: Any) -> str:
    """Text for a Plotly hover label: Plotly renders a subset of HTML, so escape it."""
    return html.escape("" if s is None else str(s), quote=True)


def accounts_in(v: Any, n: int = 6) -> str:
    """'@a, @b, ...' from a JSON list of accounts (dicts with handle / account_id, or plain handles)."""
    items = parse_json(v)
    if not isinstance(items, list):
        return describe_evidence(v, 200)
    out = []
    for it in items[:n]:
        if isinstance(it, dict):
            h = it.get("handle") or it.get("account_id")
            extra = next((it[k] for k in ("posts", "n", "count") if k in it), None)
            out.append(f"@{h}" + (f" ({fmt(extra)})" if extra is not None else ""))
        elif isinstance(it, (list, tuple)) and it:
            out.append(f"@{it[0]}")
        else:
            out.append(f"@{it}")
    more = len(items) - n
    return ", ".join(out) + (f" and {more} more" if more > 0 else "")

