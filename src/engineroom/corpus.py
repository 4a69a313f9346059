"""The front door: a corpus file with ingest, analyses, report and exports one call each.

>>> import engineroom
>>> corpus = engineroom.open("x.duckdb")            # doctest: +SKIP
>>> corpus.ingest(["tweets.jsonl.gz"])             # doctest: +SKIP
>>> corpus.posts().head()                          # doctest: +SKIP
>>> corpus.analyze(only=["hate", "network"])        # doctest: +SKIP
>>> corpus.report("report.html")                    # doctest: +SKIP
>>> corpus.export("engine_room", "engine_room.csv")  # doctest: +SKIP

:class:`Corpus` is the store (:class:`engineroom.store.Store`: the file, its tables, SQL) with the
entry points of the layers above it: each method is a thin shell over the library function the
command line calls (:func:`engineroom.ingest.ingest_paths`, :func:`engineroom.analyses.run_analyses`,
:func:`engineroom.report.write_report`, :func:`engineroom.export.export_table`), imported when
called, so that nothing below this module imports it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import pyarrow as pa

from .store import DEFAULT_DB, CorpusLocked, Store, locked_message

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd  # only in hints: importing pandas costs a command ~0.5 CPU-s at startup

    from .engines import Engine

__all__ = ["Corpus", "CorpusLocked", "DEFAULT_DB", "locked_message", "open"]


class Corpus(Store):
    """A corpus file, opened with :func:`engineroom.open`: the store's tables and queries, and
    ingest, analyze, report, export and engines over it. Use it as a context manager to close it."""

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
