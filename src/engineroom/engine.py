"""Engines: where the analyses' set work runs.

Every analysis receives an :class:`Engine` and does its set work (joins, windows, group-bys,
co-activity self-joins) through Ibis expressions on ``engine.table(name)``, so the same code runs on
DuckDB (default, in-process, one file) and on Apache Spark (``engineroom[spark]``). Only results
small enough for one machine are pulled into Python (``engine.to_pandas``), e.g. account-level graphs
for igraph. Findings are written back with ``engine.write(name, data)``.

:class:`DuckDBEngine` works on the corpus file directly. The Spark engine lives in
:mod:`engineroom.spark` and is built by :func:`make_engine`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:  # pragma: no cover
    from .corpus import Corpus


class Engine:
    """The interface every engine offers to analyses."""

    name: str = "abstract"
    corpus: "Corpus"
    backend: Any  # the Ibis backend

    def table(self, name: str) -> ibis.Table:
        """An Ibis table expression for a corpus or findings table."""
        raise NotImplementedError

    def has_table(self, name: str) -> bool:
        """Whether a corpus or findings table exists (e.g. ``hate`` before ``engine_room`` uses it)."""
        raise NotImplementedError

    def to_pandas(self, expr: ibis.Expr) -> pd.DataFrame:
        """Execute an expression and return its (small) result as pandas."""
        return self.backend.to_pandas(expr) if hasattr(self.backend, "to_pandas") else self.backend.execute(expr)

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        """Execute an expression and return its result as an Arrow table."""
        return self.backend.to_pyarrow(expr)

    def write(self, name: str, data: "ibis.Table | pd.DataFrame | pa.Table") -> None:
        """Create or replace findings table ``name`` from an expression or a data frame."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class DuckDBEngine(Engine):
    """Analyses run inside the corpus's own DuckDB connection."""

    name = "duckdb"

    def __init__(self, corpus: "Corpus") -> None:
        self.corpus = corpus
        self.backend = ibis.duckdb.from_connection(corpus.con)

    def table(self, name: str) -> ibis.Table:
        return self.backend.table(name)

    def has_table(self, name: str) -> bool:
        return self.corpus.has_table(name)

    def to_pandas(self, expr: ibis.Expr) -> pd.DataFrame:
        return self.backend.to_pyarrow(expr).to_pandas()

    def write(self, name: str, data: "ibis.Table | pd.DataFrame | pa.Table") -> None:
        con = self.corpus.con
        if isinstance(data, ibis.Expr):
            sql = ibis.to_sql(data, dialect="duckdb")
            con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {sql}')
            return
        if isinstance(data, pd.DataFrame):
            data = pa.Table.from_pandas(data, preserve_index=False)
        con.register("__engineroom_write", data)
        try:
            con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM __engineroom_write')
        finally:
            con.unregister("__engineroom_write")


def make_engine(corpus: "Corpus", kind: str = "duckdb", **options: Any) -> Engine:
    """Build the engine ``kind`` (``duckdb`` or ``spark``) over a corpus."""
    if kind == "duckdb":
        return DuckDBEngine(corpus)
    if kind == "spark":
        try:
            from .spark import SparkEngine
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise RuntimeError(
                "the Spark engine needs the spark extra: pip install 'engineroom[spark]' (and Java 17)"
            ) from exc
        return SparkEngine(corpus, **options)
    raise ValueError(f"unknown engine {kind!r}: use duckdb or spark")
