"""Compare findings tables of two corpus files, row for row (``EXCEPT ALL`` both ways).

Used to check that a speed change leaves the findings as they were: run the analyses on two
copies of one corpus (old code, new code), then

    python benchmarks/compare_findings.py OLD.duckdb NEW.duckdb [TABLE ...] [--ignore COL,...] [--digits N]

For each table (default: every table both files have that is not a corpus table) the columns both
have are compared, minus ``--ignore`` (ids that are numbered arbitrarily, e.g. ``community``; the
``source`` path of ``narrative_defs`` differs when the two runs used two copies of the code);
``--digits N`` rounds DOUBLE columns to N significant digits first (sums taken in another order
differ in the last bits). Prints, per table, the rows of each and how many rows of one are not in
the other (counted with multiplicity); exit status 1 when any table differs.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

#: left out of the default comparison: the corpus itself and the log of runs (times, durations)
CORPUS_TABLES = {"posts", "accounts", "interactions", "hashtags", "urls", "media", "ingests", "quarantine",
                 "analysis_runs", "meta", "runs"}


def _cols(con, db: str, table: str) -> dict[str, str]:
    rows = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                       "WHERE table_catalog = ? AND table_name = ? ORDER BY ordinal_position", [db, table]).fetchall()
    return dict(rows)


def _expr(col: str, typ: str, digits: int | None) -> str:
    q = '"' + col.replace('"', '""') + '"'
    if digits and typ in ("DOUBLE", "FLOAT", "REAL"):
        return (f"CASE WHEN {q} IS NULL OR isnan({q}) OR isinf({q}) OR {q} = 0 THEN {q} "
                f"ELSE round({q}, {digits} - 1 - floor(log10(abs({q})))::INT) END AS {q}")
    return q


def compare(old: str, new: str, tables: list[str] | None = None, ignore: set[str] = frozenset(),
            digits: int | None = None) -> dict[str, dict[str, int]]:
    """Per table: rows in each file and rows of one not in the other (``EXCEPT ALL``)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{old}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{new}' AS b (READ_ONLY)")
    names = lambda db: {r[0] for r in con.execute(  # noqa: E731
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?", [db]).fetchall()}
    if not tables:
        tables = sorted((names("a") & names("b")) - CORPUS_TABLES)
    out: dict[str, dict[str, int]] = {}
    for t in tables:
        ca, cb = _cols(con, "a", t), _cols(con, "b", t)
        cols = [c for c in ca if c in cb and c not in ignore]
        sel_a = ", ".join(_expr(c, ca[c], digits) for c in cols)
        sel_b = ", ".join(_expr(c, cb[c], digits) for c in cols)
        qa, qb = f'SELECT {sel_a} FROM a."{t}"', f'SELECT {sel_b} FROM b."{t}"'
        out[t] = {
            "rows_old": con.execute(f'SELECT count(*) FROM a."{t}"').fetchone()[0],
            "rows_new": con.execute(f'SELECT count(*) FROM b."{t}"').fetchone()[0],
            "old_not_new": con.execute(f"SELECT count(*) FROM ({qa} EXCEPT ALL {qb})").fetchone()[0],
            "new_not_old": con.execute(f"SELECT count(*) FROM ({qb} EXCEPT ALL {qa})").fetchone()[0],
            "columns_only_in_one": len(set(ca) ^ set(cb)),
        }
    con.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("tables", nargs="*")
    ap.add_argument("--ignore", default="", help="comma-separated columns left out of the comparison")
    ap.add_argument("--digits", type=int, default=None, help="round DOUBLE columns to this many significant digits")
    a = ap.parse_args(argv)
    res = compare(a.old, a.new, a.tables, {c for c in a.ignore.split(",") if c}, a.digits)
    bad = 0
    for t, r in res.items():
        same = r["old_not_new"] == 0 and r["new_not_old"] == 0 and r["rows_old"] == r["rows_new"]
        bad += not same
        print(f"{t:<28} rows {r['rows_old']:>10,} / {r['rows_new']:>10,}  old-new {r['old_not_new']:>8,}  "
              f"new-old {r['new_not_old']:>8,}  {'same' if same else 'DIFFERENT'}"
              + (f"  ({r['columns_only_in_one']} columns in one only)" if r["columns_only_in_one"] else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
