"""The corpus: one DuckDB file holding posts from every source, and the findings about them.

>>> import engineroom
>>> corpus = engineroom.open("x.duckdb")            # doctest: +SKIP
>>> corpus.ingest(["tweets.jsonl.gz"])             # doctest: +SKIP
>>> corpus.posts().head()                          # doctest: +SKIP
>>> corpus.analyze(only=["hate", "network"])        # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from . import schema

if TYPE_CHECKING:  # pragma: no cover
    from .engines import Engine

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


class Corpus:
    """A corpus file. Open with :func:`engineroom.open`; use as a context manager to close it."""

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
        if limit:
            self.con.execute(f"SET memory_limit = '{limit}'")
        if not read_only:
            schema.create_all(self.con)

    # -- context management -------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Corpus":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Corpus {self.path}>"

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

    # -- writing ------------------------------------------------------------------------
    def ingest(
        self,
        paths: str | os.PathLike | Iterable[str | os.PathLike],
        format: str = "auto",
        column_map: dict[str, str] | None = None,
        media_dir: str | os.PathLike | None = None,
    ):
        """Ingest export files (any supported format, auto-detected, compressed or not).

        Returns one :class:`engineroom.ingest.IngestReport` per file with read / stored /
        duplicate / quarantined counts (read = stored + duplicate + quarantined).
        """
        from .ingest import ingest_paths

        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        return ingest_paths(self, list(paths), format=format, column_map=column_map, media_dir=media_dir)

    def analyze(self, only: Iterable[str] | None = None, engine: str = "duckdb", params=None, **engine_options):
        """Run analyses (all by default) in dependency order; returns each one's headline figures."""
        from .analyses import run_analyses

        return run_analyses(self, only=only, engine=engine, params=params, **engine_options)

    def report(self, path: str | os.PathLike = "report.html", pseudonymize: bool = False,
               key: str | bytes | None = None, allow_file: str | os.PathLike | None = None) -> Path:
        """Write the self-contained HTML report (works offline) to ``path``; returns the path.

        ``pseudonymize``: replace handles, names and ids by keyed pseudonyms (``key``, at least 16
        characters; ``allow_file``: public figures' handles to keep). See :mod:`engineroom.report`."""
        from .report import write_report

        return write_report(self, path, pseudonymize=pseudonymize, key=key, allow_file=allow_file)

    def export(self, table: str, path: str | os.PathLike, edge_type: str | None = None,
               community: str | None = None) -> Path:
        """Write a findings table (or ``graph``, ``platform-report``, ``labels-posts``,
        ``labels-accounts``) to ``path``; the format follows the suffix (.csv, .parquet, .json,
        .jsonl; .gexf / .graphml for ``graph``). Returns the path. See :mod:`engineroom.export`."""
        from .export import export_table

        return export_table(self, table, path, edge_type=edge_type, community=community)

    def engine(self, kind: str = "duckdb", **options: Any) -> "Engine":
        """An engine over this corpus (``duckdb`` or ``spark``)."""
        from .engines import make_engine

        return make_engine(self, kind, **options)

    def write_table(self, name: str, data: "pd.DataFrame | pa.Table") -> None:
        """Create or replace a findings table from a data frame."""
        from .engines.duckdb import DuckDBEngine

        DuckDBEngine(self).write(name, data)


def open(path: str | os.PathLike = DEFAULT_DB, read_only: bool = False) -> Corpus:  # noqa: A001
    """Open (or create) the corpus file at ``path``."""
    return Corpus(path, read_only=read_only)
