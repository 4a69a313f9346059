"""The corpus store: one DuckDB file holding posts from every source, and the findings about them.

The bottom layer: the file, its connection and its tables (schema in :mod:`engineroom.schema`),
read with SQL or as data frames. It knows nothing of ingest, analyses or engines; those work on a
store from above, and :class:`engineroom.corpus.Corpus` (what :func:`engineroom.open` returns) is a
store with their entry points added.

>>> from engineroom.store import Store
>>> with Store("x.duckdb", read_only=True) as store:   # doctest: +SKIP
...     store.query("SELECT platform, count(*) FROM posts GROUP BY 1")
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Literal, Self

import duckdb
import pyarrow as pa

from . import schema

DEFAULT_DB = "engineroom.duckdb"
#: seconds a writer waits for a corpus another process holds (the review app lets go within a second)
LOCK_WAIT = float(os.environ.get("ENGINEROOM_LOCK_WAIT", "5"))


class CorpusLocked(RuntimeError):
    """Another process holds the corpus file (the message is one line: who, and what to do)."""


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, waiting up to LOCK_WAIT s for another process's lock, then CorpusLocked."""
    import time

    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            raise CorpusLocked(locked_message(path, exc)) from None


def locked_message(path: str | os.PathLike, exc: BaseException) -> str:
    """One line from DuckDB's lock error: which process holds ``path``, and what to do."""
    import re

    m = re.search(r"held in (.+?) \(PID (\d+)\)", str(exc))
    who = f"process {m.group(2)} ({Path(m.group(1)).name})" if m else "another process"
    return f"{path} is in use by {who}: wait for that command to finish (or stop it) and try again"


class Store:
    """A corpus file: its DuckDB connection (``con``) and tables. Opening it creates the schema's
    tables where they are missing (not when ``read_only``); use it as a context manager to close it."""

    def __init__(self, path: str | os.PathLike = DEFAULT_DB, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"no corpus at {self.path}")
        self.con = _connect(self.path, read_only)
        # DuckDB's own progress bar prints to stdout and would break `--json` output
        self.con.execute("SET enable_progress_bar = false")
        # DuckDB's own default (80% of RAM) lets its buffer pool grow with the corpus; a fixed
        # ceiling keeps a 10M-post run within a laptop's memory (beyond it DuckDB spills to disk)
        limit = os.environ.get("ENGINEROOM_MEMORY_LIMIT", "4GB")
        #: (the memory limit as DuckDB reports it, as it was set): DuckDB reports it rounded down
        #: to 0.1 GiB, so setting the report again would lower it; None: DuckDB's own limit
        self.memory_limit_set: tuple[str, str] | None = None
        if limit:
            self.con.execute(f"SET memory_limit = '{limit}'")
            shown = self.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
            self.memory_limit_set = (shown, limit)
        if not read_only:
            schema.create_all(self.con)

    # -- context management -------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path}>"

    # -- reading ------------------------------------------------------------------------
    def tables(self) -> list[str]:
        """Names of all tables in the corpus (corpus, bookkeeping, app and findings tables)."""
        return [r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
        ).fetchall()]

    def has_table(self, name: str) -> bool:
        return bool(self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema='main' AND table_name = ?",
            [name],
        ).fetchall()[0][0])

    def count(self, table: str) -> int:
        """Number of rows in a table."""
        self._check_name(table)
        return int(self.con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0])

    def counts(self) -> dict[str, int]:
        """Row counts of the corpus tables and the quarantine."""
        return {t.name: self.count(t.name) for t in schema.CORPUS_TABLES + (schema.QUARANTINE,)}

    def query(self, sql: str, params: Iterable[Any] | None = None, as_: Literal["pandas", "arrow"] = "pandas"):
        """Run SQL on the corpus and return pandas (default) or Arrow."""
        rel = self.con.sql(sql, params=list(params) if params is not None else None)
        table = rel.to_arrow_table() if rel is not None else pa.table({})
        return table if as_ == "arrow" else table.to_pandas()

    def table(self, name: str, as_: Literal["pandas", "arrow"] = "pandas", limit: int | None = None):
        """A whole table (or its first ``limit`` rows) as pandas or Arrow."""
        self._check_name(name)
        sql = f'SELECT * FROM "{name}"' + (f" LIMIT {int(limit)}" if limit is not None else "")
        return self.query(sql, as_=as_)

    def posts(self, as_: Literal["pandas", "arrow"] = "pandas", limit: int | None = None):
        """The posts table."""
        return self.table("posts", as_=as_, limit=limit)

    def accounts(self, as_: Literal["pandas", "arrow"] = "pandas", limit: int | None = None):
        """The accounts table."""
        return self.table("accounts", as_=as_, limit=limit)

    def quarantine(self, as_: Literal["pandas", "arrow"] = "pandas"):
        """Records that could not be stored, with file, line and reason."""
        return self.table("quarantine", as_=as_)

    def _check_name(self, name: str) -> None:
        if name not in self.tables():
            raise KeyError(f"no table {name!r} in {self.path}; tables: {', '.join(self.tables())}")
