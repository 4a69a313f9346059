"""Reading the corpus and its findings tables for the report: small queries and plain values.

What a findings table holds is declared by the analysis that writes it (:mod:`engineroom.findings`,
``docs/findings.md``); a table that exists has its declared columns (a test checks every analysis
against its declaration). So the report asks one question only: has the analysis run, is its table
there (:meth:`Findings.exists`)? A section whose table is absent is left out; the report never
runs an analysis and never guesses a column.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable

from .. import findings, schema

if TYPE_CHECKING:  # pragma: no cover  (annotations only: the store is below this module)
    import duckdb
    import pyarrow as pa

    from ..corpus import Corpus


class Findings:
    """Read-only helper over a corpus: which tables exist, and small queries."""

    def __init__(self, corpus: "Corpus | duckdb.DuckDBPyConnection") -> None:
        """``corpus``: an open corpus, or any DuckDB connection to one (read-only too)."""
        self.corpus = corpus
        self.con = getattr(corpus, "con", corpus)
        rows = self.con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
        ).fetchall()
        self._cols: dict[str, list[str]] = {}
        for t, c in rows:
            self._cols.setdefault(t, []).append(c)

    # -- which tables exist ----------------------------------------------------------------
    def exists(self, table: str) -> bool:
        """Whether ``table`` is in the corpus: a corpus table of :mod:`engineroom.schema`, or a
        findings table whose analysis has run (:func:`engineroom.findings.exists`). A name that is
        neither raises :class:`KeyError` (a typo is not an absent table)."""
        if table not in schema.TABLES:
            findings.declaration(table)
        return table in self._cols

    def nonempty(self, table: str) -> bool:
        """Whether ``table`` exists and holds a row."""
        return self.exists(table) and self.count(table) > 0

    # -- queries -------------------------------------------------------------------------
    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {q(table)}"))

    def rows(self, sql: str, params: Iterable[Any] | None = None) -> list[dict[str, Any]]:
        """Query result as a list of dicts with plain Python values (NaN / NaT become None)."""
        cur = self.con.cursor()
        try:
            res = cur.execute(sql, list(params) if params is not None else None)
            names = [d[0] for d in res.description]
            return [{n: clean(v) for n, v in zip(names, r)} for r in res.fetchall()]
        finally:
            cur.close()

    def scalar(self, sql: str, params: Iterable[Any] | None = None) -> Any:
        r = self.rows(sql, params)
        return next(iter(r[0].values())) if r else None

    def rows_with(self, name: str, data: Any, sql: str) -> list[dict[str, Any]]:
        """Like :meth:`rows`, with an Arrow table / data frame visible to ``sql`` as ``name``."""
        return self.rows_over({name: data}, sql)

    def rows_over(self, tables: dict[str, Any], sql: str,
                  params: Iterable[Any] | None = None) -> list[dict[str, Any]]:
        """Like :meth:`rows`, with each Arrow table / data frame of ``tables`` visible to ``sql``
        under its key (an intermediate result several queries read, computed once)."""
        cur = self.con.cursor()
        try:
            for name, data in tables.items():
                cur.register(name, data)
            res = cur.execute(sql, list(params) if params is not None else None)
            names = [d[0] for d in res.description]
            return [{n: clean(v) for n, v in zip(names, r)} for r in res.fetchall()]
        finally:
            cur.close()

    def arrow(self, sql: str, tables: dict[str, Any] | None = None) -> "pa.Table":
        """A query's result as an Arrow table (values as DuckDB gives them: for intermediate
        results that later queries read through :meth:`rows_over`); ``tables`` as there."""
        cur = self.con.cursor()
        try:
            for name, data in (tables or {}).items():
                cur.register(name, data)
            return cur.sql(sql).to_arrow_table()
        finally:
            cur.close()


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def clean(v: Any) -> Any:
    """Plain JSON-able Python values: NaN -> None, timestamps -> ISO text, Decimal -> float."""
    if v is None:
        return None
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(v, datetime):
        if (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0):
            return v.strftime("%Y-%m-%d")
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    if type(v).__name__ == "Decimal":
        return float(v)
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return v


def parse_json(v: Any) -> Any:
    """A JSON text column parsed (the raw value when it is not JSON)."""
    if isinstance(v, str):
        s = v.strip()
        if s[:1] in "[{\"" or s in ("true", "false", "null") or s[:1].isdigit():
            try:
                return json.loads(s)
            except (ValueError, TypeError):
                return v
    return v


def post_ids_in(evidence: Any, limit: int = 10) -> list[str]:
    """Post ids named in an evidence value (a JSON list of ids, of dicts with ``post_id``, or a
    dict holding such lists under a key with ``post`` in its name)."""
    ev = parse_json(evidence)
    found: list[str] = []

    def walk(x: Any, in_post_key: bool) -> None:
        if len(found) >= limit:
            return
        if isinstance(x, dict):
            for k, v in x.items():
                key = str(k).lower()
                if key in ("post_id", "post", "id") and isinstance(v, (str, int)) and (in_post_key or key != "id"):
                    found.append(str(v))
                elif "post" in key or key in ("evidence", "examples"):
                    walk(v, True)
        elif isinstance(x, list):
            for item in x:
                if isinstance(item, (str, int)) and in_post_key:
                    found.append(str(item))
                else:
                    walk(item, in_post_key)
                if len(found) >= limit:
                    return

    walk(ev, isinstance(ev, list))
    return list(dict.fromkeys(found))[:limit]


def describe_evidence(evidence: Any, max_len: int = 300) -> str:
    """A short human-readable rendering of an evidence / signals JSON value."""
    ev = parse_json(evidence)
    if ev is None:
        return ""
    if isinstance(ev, dict):
        parts = []
        for k, v in ev.items():
            if isinstance(v, float):
                v = f"{v:.3g}"
            elif isinstance(v, (list, dict)):
                v = json.dumps(v, ensure_ascii=False, default=str)
                if len(v) > 80:
                    v = v[:77] + "..."
            parts.append(f"{k}: {v}")
        text = "; ".join(parts)
    elif isinstance(ev, list):
        items = []
        for item in ev:
            if isinstance(item, dict) and "reason" in item:  # signals: {"signal", "value", "rule", "reason"}
                val = item.get("value")
                val = f"{val:.3g}" if isinstance(val, float) else val
                name = item.get("signal") or item.get("name")
                items.append(f"{item['reason']}" + (f" ({name} = {val})" if name is not None else ""))
            elif isinstance(item, dict):
                items.append(describe_evidence(item, 120))
            else:
                items.append(str(item))
        text = "; ".join(items) if any(isinstance(i, dict) for i in ev) else ", ".join(items)
    else:
        text = str(ev)
    return text if len(text) <= max_len else text[: max_len - 3] + "..."


def truthy(v: Any) -> bool:
    """BOOLEAN-ish column values (True, 1, 'true', counts > 0)."""
    if v is None:
        return False
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "t", "yes", "y")
    try:
        return bool(v) and float(v) > 0
    except (TypeError, ValueError):
        return bool(v)
