"""Findings tables: which exist, which analysis writes each, what their columns mean, and reading them.

Every analysis declares the findings tables it writes (``Analysis.writes``: name, meaning of a
row, every column with its type and meaning) and the tables it reads (``Analysis.reads``). This
module is the one reader of those declarations, for the report, the review app, exports and
notebooks:

>>> from engineroom import findings
>>> findings.writer("coordination")                    # doctest: +SKIP
'coordination'
>>> findings.exists(corpus, "hate")                     # doctest: +SKIP
True
>>> findings.read(corpus, "engine_room", columns=["account_id", "score"])  # doctest: +SKIP

A reader never runs an analysis: a missing table raises :class:`MissingFindings`, whose message
names the analysis to run (``engineroom analyze --only NAME``).

``docs/findings.md`` is generated from the declarations (``python -m engineroom.findings >
docs/findings.md``); a test fails when the checked-in file differs, and another runs every
analysis on a small synthetic corpus and compares each table written with its declaration
(:func:`check_table`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Literal

from .analyses import Analysis, registry
from .schema import Column, Table

if TYPE_CHECKING:  # pragma: no cover
    from .corpus import Corpus


class MissingFindings(KeyError):
    """A findings table that is not in the corpus; the message says which analysis writes it."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@lru_cache(maxsize=1)
def _declared() -> dict[str, tuple[str, Table]]:
    out: dict[str, tuple[str, Table]] = {}
    for name, cls in sorted(registry().items()):
        for table in cls.writes:
            if table.name in out:
                raise ValueError(f"findings table {table.name!r} declared by both {out[table.name][0]} and {name}")
            out[table.name] = (name, table)
    return out


def declared() -> dict[str, Table]:
    """Every declared findings table, by name (in analysis order, then declaration order)."""
    return {name: table for name, (_a, table) in _declared().items()}


def declaration(table: str) -> Table:
    """The declaration of findings table ``table`` (:class:`KeyError` listing the known ones if none)."""
    try:
        return _declared()[table][1]
    except KeyError:
        raise KeyError(f"no analysis writes a table {table!r}; findings tables: {', '.join(_declared())}") from None


def writer(table: str) -> str:
    """The name of the analysis that writes findings table ``table``."""
    declaration(table)
    return _declared()[table][0]


def columns(table: str) -> list[str]:
    """The declared columns of findings table ``table``, in order (a family like ``band_*`` as written)."""
    return [c.name for c in declaration(table).columns]


def exists(corpus: "Corpus", table: str) -> bool:
    """Whether the analysis that writes ``table`` has run on this corpus (the table is there)."""
    declaration(table)
    return corpus.has_table(table)


def require(corpus: "Corpus", table: str) -> None:
    """Raise :class:`MissingFindings` naming the analysis to run when ``table`` is not in the corpus."""
    if not exists(corpus, table):
        name = writer(table)
        raise MissingFindings(
            f"no {table!r} findings in {corpus.path}: run the {name} analysis "
            f"(engineroom analyze --only {name})")


def read(corpus: "Corpus", table: str, columns: Iterable[str] | None = None,
         as_: Literal["pandas", "arrow"] = "pandas", limit: int | None = None):
    """A findings table (or some of its declared columns) as pandas or Arrow.

    Raises :class:`MissingFindings` when the analysis has not run, and :class:`KeyError` for a
    column the table does not declare. Never runs an analysis.
    """
    require(corpus, table)
    if columns is None:
        select = "*"
    else:
        wanted = list(columns)
        declared_cols = declaration(table).columns
        for c in wanted:
            if not any(_matches(d.name, c) for d in declared_cols):
                raise KeyError(f"findings table {table!r} has no column {c!r}; its columns: "
                               f"{', '.join(d.name for d in declared_cols)}")
        select = ", ".join(f'"{c}"' for c in wanted)
    sql = f'SELECT {select} FROM "{table}"' + (f" LIMIT {int(limit)}" if limit is not None else "")
    return corpus.query(sql, as_=as_)


# -- checking a table against its declaration ----------------------------------------------------

_FAMILIES = {
    "integer": re.compile(r"^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|INT\d*)$"),
    "float": re.compile(r"^(FLOAT|DOUBLE|REAL|DECIMAL.*)$"),
    "text": re.compile(r"^(VARCHAR|TEXT|STRING)$"),
    "boolean": re.compile(r"^BOOLEAN$"),
    "timestamp": re.compile(r"^TIMESTAMP(_S|_MS|_NS| WITH TIME ZONE)?$"),
    "date": re.compile(r"^DATE$"),
}


def type_family(duckdb_type: str) -> str:
    """The family of a DuckDB type (integer, float, text, boolean, timestamp, date, or the type
    itself): two columns of one family hold the same kind of value for every reader."""
    t = duckdb_type.upper().strip()
    for family, pattern in _FAMILIES.items():
        if pattern.match(t):
            return family
    return t


def _matches(declared_name: str, actual: str) -> bool:
    if declared_name.endswith("*"):
        return bool(re.fullmatch(re.escape(declared_name[:-1]) + r"\d+", actual))
    return declared_name == actual


def check_table(con, table: Table) -> list[str]:
    """How the table ``table.name`` on DuckDB connection ``con`` differs from its declaration:
    missing, undeclared or reordered columns, and types of another family. Empty when it matches."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position", [table.name]).fetchall()
    if not rows:
        return [f"{table.name}: table not written"]
    problems = []
    actual = [(n, t) for n, t in rows]
    used: set[str] = set()
    for col in table.columns:
        hits = [(n, t) for n, t in actual if _matches(col.name, n)]
        if not hits and not col.name.endswith("*"):
            problems.append(f"{table.name}.{col.name}: declared, not written")
        for n, t in hits:
            used.add(n)
            if type_family(t) != type_family(col.type):
                problems.append(f"{table.name}.{n}: declared {col.type}, written {t}")
    for n, t in actual:
        if n not in used:
            problems.append(f"{table.name}.{n}: written ({t}), not declared")
    if not problems:
        order = [next(i for i, c in enumerate(table.columns) if _matches(c.name, n)) for n, _t in actual]
        if order != sorted(order):
            problems.append(f"{table.name}: columns written in another order than declared")
    return problems


# -- documentation -------------------------------------------------------------------------------

def markdown(available: dict[str, type[Analysis]] | None = None) -> str:
    """The findings tables as Markdown (``docs/findings.md`` is generated from this)."""
    available = registry() if available is None else available
    out = [
        "# Findings tables",
        "",
        "Generated from the analyses' declarations (`reads` / `writes` on each class in",
        "`src/engineroom/analyses/`) by `python -m engineroom.findings > docs/findings.md`; a test",
        "fails when this file differs from them, and another checks every table an analysis writes",
        "against its declaration. Every findings table is written whole by one analysis (replaced",
        "on each run). Corpus tables (`posts`, `accounts`, ...) are in [schema.md](schema.md).",
        "Read them from Python with `engineroom.findings.read(corpus, table)`.",
        "",
        "| analysis | reads | writes |",
        "|---|---|---|",
    ]
    for name, cls in sorted(available.items()):
        reads = ", ".join(f"`{t}`" for t in cls.reads) or "-"
        writes = ", ".join(f"[`{t.name}`](#{t.name})" for t in cls.writes) or "-"
        out.append(f"| `{name}` | {reads} | {writes} |")
    out.append("")
    for name, cls in sorted(available.items()):
        if not cls.writes:
            continue
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        out += [f"## Analysis `{name}`", "", doc, ""]
        if cls.requires:
            out += ["Runs after (when selected): " + ", ".join(f"`{r}`" for r in cls.requires) + ".", ""]
        for t in cls.writes:
            out += [f"### `{t.name}`", "", t.doc, "", "| column | type | meaning |", "|---|---|---|"]
            out += [f"| `{c.name}` | {c.type} | {c.doc} |" for c in t.columns]
            out.append("")
    return "\n".join(out)


__all__ = [
    "Column", "MissingFindings", "check_table", "columns", "declaration", "declared", "exists", "markdown",
    "read", "require", "type_family", "writer",
]

if __name__ == "__main__":  # pragma: no cover
    print(markdown())
