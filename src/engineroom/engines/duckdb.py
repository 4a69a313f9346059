"""The DuckDB engine: analyses run inside the corpus's own DuckDB connection (the default engine).

Per-row Python work (:meth:`DuckDBEngine.map_batches`) runs on a pool of forked worker processes,
:mod:`engineroom.engines.pool`.
"""

from __future__ import annotations

import contextlib
import itertools
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import duckdb
import ibis
import pandas as pd
import pyarrow as pa

from ..progress import enabled as progress_enabled
from ..progress import progress
from ..store import Store
from .base import Engine, check_setting_name, quote_identifier
from .pool import WorkerPool, apply_batch, worker_count


#: DuckDB's memory limit for the moment it is made to hand back its cached memory
#: (:meth:`DuckDBEngine.release_memory`)
RELEASE_LIMIT = "64MB"


#: :meth:`DuckDBEngine.map_batches` commits its inserts every this many rows. A transaction that
#: appends whole row groups (122,880 rows) writes them straight into the corpus file; an insert
#: per batch in autocommit also wrote each batch to the write-ahead log first, then checkpointed
#: (29.6 against 21.3 CPU-s for the 6.5M rows of a 10M corpus's ``coordination_text``). One
#: transaction for the whole table would keep all its rows in memory until the commit (7.1 GB
#: there, against 3.4 GB committing every 250k rows).
COMMIT_ROWS = 250_000


class DuckDBEngine(Engine):
    """Analyses run inside the corpus's own DuckDB connection."""

    name = "duckdb"

    def __init__(self, corpus: "Store") -> None:
        self.corpus = corpus
        try:  # DuckDB 2 rejects the ``x -> ...`` lambdas Ibis 12 emits unless this is set
            corpus.con.execute("SET lambda_syntax='ENABLE_SINGLE_ARROW'")
        except Exception:  # older DuckDB: the arrow syntax is the only one
            pass
        self.backend = ibis.duckdb.from_connection(corpus.con)
        # per setting set by :meth:`settings`: (DuckDB's report of it, the value set). DuckDB reports
        # some values rounded (memory_limit '3GB' as '2.7 GiB'); restoring the report would drift
        self._set: dict[str, tuple[Any, Any]] = {}
        if getattr(corpus, "memory_limit_set", None):  # the store's limit, as the store set it
            self._set["memory_limit"] = corpus.memory_limit_set

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
        _drop_view(con, name)
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

    def drop_table(self, name: str) -> None:
        self.corpus.con.execute(f"DROP TABLE IF EXISTS {quote_identifier(name)}")

    @contextmanager
    def beside(self) -> Iterator["DuckDBEngine"]:
        """An engine on a cursor of the corpus's connection (DuckDB's own connection to the same
        database), for engine work in another thread while this one is busy in Python (DuckDB
        releases the GIL while it runs a query); its connection is closed on leaving the block."""
        cursor = self.corpus.con.cursor()
        try:
            yield DuckDBEngine(_CursorStore(cursor))
        finally:
            cursor.close()

    def release_memory(self) -> None:
        """DuckDB keeps pages of the corpus file and its allocator's free pages up to its
        ``memory_limit``: the limit is lowered to :data:`RELEASE_LIMIT` for a moment and put back
        (as it was set, :meth:`settings`), which makes DuckDB hand that memory back."""
        try:
            with self.settings({"memory_limit": RELEASE_LIMIT}):
                pass
        except Exception:  # (data DuckDB cannot drop below the limit: nothing released, nothing lost)
            pass

    def _shown(self, key: str) -> Any:
        """Setting ``key`` as DuckDB reports it."""
        return self.corpus.con.execute("SELECT current_setting(?)", [key]).fetchall()[0][0]

    @contextmanager
    def settings(self, values: dict[str, Any]) -> Iterator[None]:
        con = self.corpus.con
        previous: dict[str, Any] = {}
        try:
            for key, value in values.items():
                check_setting_name(key)
                now, mine = self._shown(key), self._set.get(key)
                # a value this engine set is put back as it was given, not as DuckDB reports it
                previous[key] = mine[1] if mine is not None and mine[0] == now else now
                con.execute(f"SET {key} = " + _sql_literal(value))
                self._set[key] = (self._shown(key), value)
            yield
        finally:
            for key, value in previous.items():
                con.execute(f"SET {key} = " + _sql_literal(value))
                self._set[key] = (self._shown(key), value)

    def map_batches(
        self,
        name: str,
        expr: ibis.Table,
        fn: "Callable[[pd.DataFrame], pd.DataFrame | pa.Table]",
        schema: pa.Schema,
        batch_size: int = 50_000,
        workers: int | None = None,
    ) -> int:
        """Write findings table ``name`` as ``fn`` applied to ``expr``'s rows, batch by batch.

        ``fn`` gets each Arrow batch of ``expr`` (``batch_size`` rows) as a pandas frame and returns
        a pandas frame or a pyarrow Table holding at least ``schema``'s columns (None or no rows:
        nothing to write); the output is cast to ``schema``.

        ``workers`` processes run ``fn`` in parallel (default: ``ENGINEROOM_WORKERS``, else one per
        available core; 1 runs it in this process). Workers are forked, so ``fn`` may be a closure
        and nothing of it is pickled: only the batches travel to the workers, as Arrow, and the
        results back. At most two batches per worker are in flight (memory stays bounded), results
        are written in batch order (the table is the same as with one worker), and this process
        alone writes to DuckDB. The workers are forked before the query runs (they then share
        none of its buffers); an input of a single batch still runs in this process. An exception in
        ``fn`` stops the run and is raised here with the worker's traceback; a worker that dies
        (killed, out of memory) raises :class:`RuntimeError` instead of hanging. Side effects of
        ``fn`` (counters, progress bars) stay in the worker that ran it.
        """
        con = self.corpus.con
        n_workers = worker_count(workers)
        # the workers are forked before the query runs, so that they do not keep the pages of its
        # buffers (a sort of every row) once DuckDB frees them; see WorkerPool
        pool = WorkerPool(fn, schema, n_workers, name) if n_workers > 1 else None
        # read through a cursor (its own connection) so inserts below don't cancel the stream
        cursor = con.cursor()
        in_transaction = False
        scratch = None
        try:
            sql = ibis.to_sql(expr, dialect="duckdb")
            total = None
            if progress_enabled():  # the row count costs a scan: only when a bar is drawn
                total = cursor.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0]
            reader = cursor.sql(sql).to_arrow_reader(batch_size)
            # the rows go into a scratch table, committed every COMMIT_ROWS rows, which then takes
            # the findings table's name in one transaction (see COMMIT_ROWS; a failed run leaves the
            # previous table as it was)
            scratch = f"_{name}_writing"
            con.execute(f'DROP TABLE IF EXISTS "{scratch}"')
            con.register("__engineroom_batch", schema.empty_table())
            con.execute(f'CREATE TABLE "{scratch}" AS SELECT * FROM __engineroom_batch')
            con.unregister("__engineroom_batch")
            written = pending = 0

            def insert(table: pa.Table | None) -> None:
                nonlocal written, pending, in_transaction
                if table is None or table.num_rows == 0:
                    return
                if not in_transaction:
                    con.execute("BEGIN TRANSACTION")
                    in_transaction = True
                con.register("__engineroom_batch", table)
                try:
                    con.execute(f'INSERT INTO "{scratch}" SELECT * FROM __engineroom_batch')
                finally:
                    con.unregister("__engineroom_batch")
                written += table.num_rows
                pending += table.num_rows
                if pending >= COMMIT_ROWS:
                    con.execute("COMMIT")
                    in_transaction, pending = False, 0

            with progress(f"{name}: rows", total=total) as bar:
                batches = _counted(iter(reader), bar)
                first = next(batches, None)
                second = next(batches, None) if first is not None else None
                batches = itertools.chain([b for b in (first, second) if b is not None], batches)
                if pool is None or second is None:  # one batch: run here, as with one worker
                    for batch in batches:
                        insert(apply_batch(fn, batch, schema))
                else:
                    results = pool.map(batches)
                    try:
                        for table in results:
                            insert(table)
                    finally:
                        results.close()  # on an error here: cancel queued batches
            if in_transaction:
                con.execute("COMMIT")
                in_transaction = False
            con.execute("BEGIN TRANSACTION")
            in_transaction = True
            _drop_view(con, name)
            con.execute(f'DROP TABLE IF EXISTS "{name}"')
            con.execute(f'ALTER TABLE "{scratch}" RENAME TO "{name}"')
            con.execute("COMMIT")
            in_transaction = False
            scratch = None
            return written
        finally:
            if in_transaction:  # (an error or interrupt above)
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
            if scratch is not None:  # the previous findings table is left as it was
                with contextlib.suppress(duckdb.Error):
                    con.execute(f'DROP TABLE IF EXISTS "{scratch}"')
            cursor.close()
            if pool is not None:
                pool.close()  # stop the workers now


class _CursorStore:
    """What :class:`DuckDBEngine` needs of a store, on a cursor of the corpus's connection."""

    memory_limit_set = None  # (the store's limit stays as the store set it)

    def __init__(self, con) -> None:
        self.con = con

    has_table = Store.has_table  # (it asks ``self.con`` alone)


def _sql_literal(value: Any) -> str:
    """A setting's value as a DuckDB literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _counted(batches: Iterator[pa.RecordBatch], bar) -> Iterator[pa.RecordBatch]:
    """``batches`` as they are, advancing ``bar`` by each one's rows as it is handed on."""
    for batch in batches:
        yield batch
        bar.advance(batch.num_rows)


def _drop_view(con, name: str) -> None:
    """A findings view a Spark run left over Parquet (``keep_post_findings``) gives way to a table."""
    if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
                   "AND table_name = ? AND table_type = 'VIEW'", [name]).fetchall()[0][0]:
        con.execute(f'DROP VIEW "{name}"')
