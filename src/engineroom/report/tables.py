"""A findings table as rows of a report table: chosen columns, top rows, cells made readable."""

from __future__ import annotations

from typing import Any

from .. import findings
from .blocks import TOP, accounts_in, fmt
from .context import Context
from .data import parse_json, q
from .evidence import chips


#: columns holding a JSON list of accounts (shown as "@a, @b, ... and N more")
ACCOUNT_LISTS = ("first_movers", "top_accounts")


def generic_rows(ctx: Context, name: str, order_by: str, limit: int = TOP, columns: list[str] | None = None
                 ) -> tuple[list[str], list[list[Any]]]:
    """Findings table ``name`` as table rows: ``columns`` (default: every declared column but
    ``platform``), its top ``limit`` rows by ``order_by`` (descending; ties in the order of the
    columns, so the same table gives the same rows on every run), JSON cells as chips, lists
    of accounts as handles, long text cut. Columns are those the analysis declares
    (:func:`engineroom.findings.columns`); another name raises :class:`KeyError`."""
    declared = findings.columns(name)
    cols = list(columns) if columns is not None else [c for c in declared if c != "platform"]
    for c in cols + [order_by]:
        if c not in declared:
            raise KeyError(f"findings table {name!r} declares no column {c!r}")
    rows = ctx.f.rows(f"SELECT {', '.join(q(c) for c in cols)} FROM {q(name)} "
                      f"ORDER BY {q(order_by)} DESC NULLS LAST{''.join(f', {i + 1}' for i in range(len(cols)))} LIMIT {int(limit)}")
    out = []
    for r in rows:
        line = []
        for c in cols:
            v = r[c]
            if c in ACCOUNT_LISTS:
                line.append(accounts_in(v))
            elif isinstance(v, str) and v[:1] in "[{" and isinstance(parse_json(v), (dict, list)):
                line.append({"chips": chips(v)})
            else:
                s = fmt(v)
                line.append(s if len(s) <= 200 else s[:197] + "...")
        out.append(line)
    return cols, out
