"""Are two corpus files the same, table by table? For checking that a change left behaviour alone.

    python benchmarks/compare_corpora.py BEFORE.duckdb AFTER.duckdb [--json]

Typical use: run ``engineroom demo`` (or any ingest + analyze) once with the code before a change
and once after, then compare the two corpora. Every table present in either file is compared:

1. **exact**: ``EXCEPT ALL`` both ways (a multiset difference: duplicates count), leaving out the
   columns that differ between any two runs by construction (:data:`RUN_COLUMNS` and
   :data:`TABLE_RUN_COLUMNS`: ids and clocks of runs and ingests, file paths, the version, timings);
2. where rows differ, **as values**: JSON text compared as parsed objects (the order of an object's
   keys is not meaning) and floating-point columns to a relative tolerance of ``1e-9`` (sums taken in
   another order differ in the last bits); a table equal this way is reported ``equal as values``.

A table that differs either way is printed with the first differing rows; the exit status is 1 when
any table differs (or exists on one side only), 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from typing import Any

import duckdb

#: columns left out of the comparison in every table: ids and clocks of runs and ingests
RUN_COLUMNS = frozenset({"run_id", "ingest_id", "started_at", "finished_at", "ingested_at", "sha256"})
#: and in one table each: where the input file or the package lay, the version, a run's own log
#: (``runs.summary`` holds its timings); ``runs.params`` is compared
TABLE_RUN_COLUMNS = {"ingests": {"file"}, "quarantine": {"file"}, "narrative_defs": {"source"},
                     "runs": {"version", "summary"}}
#: relative tolerance for floating-point columns in the second, value-wise pass
REL_TOL = 1e-9


def _tables(con: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'main' "
        "ORDER BY 1", [db]).fetchall()]


def _columns(con: duckdb.DuckDBPyConnection, db: str, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = ? AND table_name = ? "
        "AND table_schema = 'main' ORDER BY ordinal_position", [db, table]).fetchall()]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _canonical(value: Any, type_: str) -> Any:
    """A cell as compared in the value-wise pass: JSON parsed, floats rounded to REL_TOL."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v, "") for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if value == 0.0:
            return 0.0
        digits = -int(math.floor(math.log10(abs(value)))) + int(-math.log10(REL_TOL))
        return round(value, digits)
    if isinstance(value, str) and type_ in ("VARCHAR", "JSON") and value[:1] in ("{", "["):
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    return value


def compare(before: str, after: str) -> dict[str, dict[str, Any]]:
    """Per table: ``rows`` (before, after), ``status`` (``equal``, ``equal as values``, ``differs``,
    ``only before``, ``only after``, ``columns differ``), ``left_out`` columns and, when it differs,
    ``examples`` of rows found on one side only."""
    con = duckdb.connect()
    con.execute("ATTACH ? AS a (READ_ONLY)", [str(before)])
    con.execute("ATTACH ? AS b (READ_ONLY)", [str(after)])
    ta, tb = _tables(con, "a"), _tables(con, "b")
    out: dict[str, dict[str, Any]] = {}
    for t in sorted(set(ta) | set(tb)):
        if t not in tb or t not in ta:
            out[t] = {"status": "only before" if t in ta else "only after"}
            continue
        ca, cb = _columns(con, "a", t), _columns(con, "b", t)
        na = con.execute(f"SELECT count(*) FROM a.{_q(t)}").fetchone()[0]
        nb = con.execute(f"SELECT count(*) FROM b.{_q(t)}").fetchone()[0]
        if ca != cb:
            out[t] = {"status": "columns differ", "rows": [na, nb], "before": ca, "after": cb}
            continue
        skip = RUN_COLUMNS | TABLE_RUN_COLUMNS.get(t, set())
        kept = [(c, ty) for c, ty in ca if c not in skip]
        cols = ", ".join(_q(c) for c, _ in kept)
        left_out = [c for c, _ in ca if c in skip]
        res: dict[str, Any] = {"rows": [na, nb], "left_out": left_out}
        if not kept:
            res["status"] = "equal" if na == nb else "differs"
            out[t] = res
            continue
        a_only = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM a.{_q(t)} EXCEPT ALL "
                             f"SELECT {cols} FROM b.{_q(t)})").fetchone()[0]
        b_only = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM b.{_q(t)} EXCEPT ALL "
                             f"SELECT {cols} FROM a.{_q(t)})").fetchone()[0]
        if not a_only and not b_only:
            res["status"] = "equal"
            out[t] = res
            continue
        types = [ty for _, ty in kept]
        rows = {}
        for side in ("a", "b"):
            rel = con.execute(f"SELECT {cols} FROM {side}.{_q(t)}").fetchall()
            rows[side] = Counter(tuple(_canonical(v, ty) for v, ty in zip(r, types)) for r in rel)
        da, db = rows["a"] - rows["b"], rows["b"] - rows["a"]
        res["exact_differences"] = [a_only, b_only]
        if not da and not db:
            res["status"] = "equal as values"
        else:
            res["status"] = "differs"
            res["value_differences"] = [sum(da.values()), sum(db.values())]
            names = [c for c, _ in kept]
            res["examples"] = {"before only": [dict(zip(names, r)) for r in list(da)[:3]],
                               "after only": [dict(zip(names, r)) for r in list(db)[:3]]}
        out[t] = res
    con.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    args = ap.parse_args(argv)
    result = compare(args.before, args.after)
    bad = [t for t, r in result.items() if r["status"] not in ("equal", "equal as values")]
    if args.json:
        print(json.dumps({"tables": result, "differ": bad}, default=str, sort_keys=True))
    else:
        for t, r in result.items():
            rows = f"{r['rows'][0]:,} / {r['rows'][1]:,} rows" if "rows" in r else ""
            extra = f" (left out: {', '.join(r['left_out'])})" if r.get("left_out") else ""
            exact = (f"; exactly: {r['exact_differences'][0]} / {r['exact_differences'][1]} rows on one side only"
                     if "exact_differences" in r else "")
            print(f"{t}: {r['status']}, {rows}{extra}{exact}")
            for side, examples in r.get("examples", {}).items():
                for e in examples:
                    print(f"    {side}: {e}")
        print(f"{len(result)} tables, {len(bad)} differ" + (f": {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
