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

from typing import TYPE_CHECKING, Any, Callable

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

    def map_batches(
        self,
        name: str,
        expr: ibis.Table,
        fn: "Callable[[pd.DataFrame], pd.DataFrame]",
        schema: pa.Schema,
        batch_size: int = 50_000,
    ) -> int:
        """Write findings table ``name`` as ``fn`` applied to ``expr``'s rows, batch by batch.

        For per-row Python work that no SQL expresses (text models, lexicon matching, hashing):
        ``fn`` takes a pandas batch and returns a pandas frame with ``schema``'s columns. DuckDB
        streams Arrow batches through ``fn`` in this process (memory bounded by ``batch_size``);
        the Spark engine runs ``fn`` on the executors (``mapInPandas``). Returns rows written.
        """
        raise NotImplementedError

    def close(self) -> None:
        pass


class DuckDBEngine(Engine):
    """Analyses run inside the corpus's own DuckDB connection."""

    name = "duckdb"

    def __init__(self, corpus: "Corpus") -> None:
        self.corpus = corpus
        try:  # DuckDB 2 rejects the ``x -> ...`` lambdas Ibis 12 emits unless this is set
            corpus.con.execute("SET lambda_syntax='ENABLE_SINGLE_ARROW'")
        except Exception:  # older DuckDB: the arrow syntax is the only one
            pass
        self.backend = ibis.duckdb.from_connection(corpus.con)

    def table(self, name: str) -> ibis.Table:
        return self.backend.table(name)

    def has_table(self, name: str) -> bool:
        return self.corpus.has_table(name)

    def to_pandas(self, expr: ibis.Expr) -> pd.DataFrame:
        result = self.backend.to_pyarrow(expr)
        # a scalar expression (e.g. ``t.count()``) gives a Python value, a column a Series
        return result.as_py() if isinstance(result, pa.Scalar) else result.to_pandas()

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


    def map_batches(self, name, expr, fn, schema, batch_size=50_000):
        con = self.corpus.con
        # read through a cursor (its own connection) so inserts below don't cancel the stream
        cursor = con.cursor()
        reader = cursor.sql(ibis.to_sql(expr, dialect="duckdb")).to_arrow_reader(batch_size)
        con.execute(f'DROP TABLE IF EXISTS "{name}"')
        empty = schema.empty_table()
        con.register("__engineroom_batch", empty)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM __engineroom_batch')
        con.unregister("__engineroom_batch")
        written = 0
        for batch in reader:
            out = fn(batch.to_pandas())
            if out is None or len(out) == 0:
                continue
            table = pa.Table.from_pandas(out[schema.names], schema=schema, preserve_index=False)
            con.register("__engineroom_batch", table)
            con.execute(f'INSERT INTO "{name}" SELECT * FROM __engineroom_batch')
            con.unregister("__engineroom_batch")
            written += table.num_rows
        cursor.close()
        return written


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
