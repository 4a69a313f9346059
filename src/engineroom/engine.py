"""Engines: where the analyses' set work runs.

Every analysis receives an :class:`Engine` and does its set work (joins, windows, group-bys,
co-activity self-joins) through Ibis expressions on ``engine.table(name)``, so the same code runs on
DuckDB (default, in-process, one file) and on Apache Spark (``engineroom[spark]``). Only results
small enough for one machine are pulled into Python (``engine.to_pandas``), e.g. account-level graphs
for igraph. Findings are written back with ``engine.write(name, data)``; scratch tables an analysis
writes on its way are removed with ``engine.drop_table(name)``, and settings an analysis needs while
it runs are made with ``with engine.settings({...}):`` (put back afterwards). Analyses go through
these methods only: none touches DuckDB or Spark directly.

:class:`DuckDBEngine` works on the corpus file directly. The Spark engine lives in
:mod:`engineroom.spark`; :func:`make_engine` builds either by name (:data:`ENGINES`).
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import itertools
import multiprocessing
import os
import re
import select
import signal
import threading
from collections import deque
from contextlib import contextmanager
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import ibis
import pandas as pd
import pyarrow as pa

from .progress import enabled as progress_enabled
from .progress import progress

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
        streams Arrow batches through ``fn`` on a pool of worker processes, one per core (see
        :meth:`DuckDBEngine.map_batches`; memory bounded by ``batch_size``); the Spark engine runs
        ``fn`` on the executors (``mapInArrow``). ``fn`` must not rely on side effects: it may run
        in another process. Returns rows written.
        """
        raise NotImplementedError

    def drop_table(self, name: str) -> None:
        """Remove table ``name`` if it exists: a scratch table an analysis wrote on its way (on
        Spark also its Parquet folders). Nothing happens when there is no such table."""
        raise NotImplementedError

    @contextmanager
    def settings(self, values: dict[str, Any]) -> Iterator[None]:
        """Session settings of this engine while the ``with`` block runs, the previous values put
        back after it (also when it raises). Names are the engine's own: DuckDB's ``SET`` names
        (``memory_limit``, ``threads``) or Spark's configuration keys (``spark.sql...``). The value
        put back is the one the engine reports (DuckDB reports ``memory_limit`` rounded to 0.1 GiB).

        >>> with engine.settings({"memory_limit": "3GB"}):  # doctest: +SKIP
        ...     analysis.run(engine)
        """
        raise NotImplementedError
        yield  # pragma: no cover

    def close(self) -> None:
        pass


_SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def check_setting_name(name: str) -> str:
    """``name`` when it can be a setting's name (letters, digits, ``_`` and ``.``), else ValueError."""
    if not _SETTING_NAME.match(name):
        raise ValueError(f"not a setting name: {name!r}")
    return name


def quote_identifier(name: str) -> str:
    """A table name quoted for DuckDB SQL."""
    return '"' + name.replace('"', '""') + '"'


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
    def settings(self, values: dict[str, Any]) -> Iterator[None]:
        con = self.corpus.con
        previous: dict[str, Any] = {}
        try:
            for key, value in values.items():
                check_setting_name(key)
                previous[key] = con.execute("SELECT current_setting(?)", [key]).fetchall()[0][0]
                con.execute(f"SET {key} = " + _sql_literal(value))
            yield
        finally:
            for key, value in previous.items():
                con.execute(f"SET {key} = " + _sql_literal(value))

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
        alone writes to DuckDB. An input of a single batch runs in this process. An exception in
        ``fn`` stops the run and is raised here with the worker's traceback; a worker that dies
        (killed, out of memory) raises :class:`RuntimeError` instead of hanging. Side effects of
        ``fn`` (counters, progress bars) stay in the worker that ran it.
        """
        con = self.corpus.con
        n_workers = worker_count(workers)
        # read through a cursor (its own connection) so inserts below don't cancel the stream
        cursor = con.cursor()
        try:
            sql = ibis.to_sql(expr, dialect="duckdb")
            total = None
            if progress_enabled():  # the row count costs a scan: only when a bar is drawn
                total = cursor.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0]
            reader = cursor.sql(sql).to_arrow_reader(batch_size)
            _drop_view(con, name)
            con.execute(f'DROP TABLE IF EXISTS "{name}"')
            con.register("__engineroom_batch", schema.empty_table())
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM __engineroom_batch')
            con.unregister("__engineroom_batch")
            written = 0

            def insert(table: pa.Table | None) -> None:
                nonlocal written
                if table is None or table.num_rows == 0:
                    return
                con.register("__engineroom_batch", table)
                try:
                    con.execute(f'INSERT INTO "{name}" SELECT * FROM __engineroom_batch')
                finally:
                    con.unregister("__engineroom_batch")
                written += table.num_rows

            with progress(f"{name}: rows", total=total) as bar:
                batches = _counted(iter(reader), bar)
                first = next(batches, None)
                second = next(batches, None) if first is not None else None
                batches = itertools.chain([b for b in (first, second) if b is not None], batches)
                if n_workers <= 1 or second is None:  # one batch: not worth starting processes
                    for batch in batches:
                        insert(_apply(fn, batch, schema))
                else:
                    results = _pool_map(fn, schema, batches, n_workers, name)
                    try:
                        for table in results:
                            insert(table)
                    finally:
                        results.close()  # on an error here: cancel queued batches, stop the workers now
            return written
        finally:
            cursor.close()


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


def worker_count(workers: int | None = None) -> int:
    """How many processes :meth:`DuckDBEngine.map_batches` uses: ``workers`` if given, else the
    ``ENGINEROOM_WORKERS`` environment variable, else the cores this process may run on."""
    if workers is None:
        env = os.environ.get(WORKERS_ENV, "").strip()
        if env:
            try:
                workers = int(env)
            except ValueError:
                raise ValueError(f"{WORKERS_ENV} must be a whole number of processes, got {env!r}") from None
        else:
            try:
                workers = len(os.sched_getaffinity(0))
            except AttributeError:  # pragma: no cover - not Linux
                workers = os.cpu_count() or 1
    return max(1, int(workers))


#: environment variable: worker processes of ``map_batches`` on DuckDB (1 = in this process)
WORKERS_ENV = "ENGINEROOM_WORKERS"

# the functions of running map_batches calls, by id: forked workers inherit this table, so a
# task names its function instead of pickling it (closures, lambdas and models need no pickling)
_POOL_JOBS: dict[int, tuple[Callable, pa.Schema]] = {}
_POOL_IDS = itertools.count()


def _apply(fn: Callable, batch: pa.RecordBatch, schema: pa.Schema) -> pa.Table | None:
    """``fn`` on one batch, its output as an Arrow table of ``schema`` (None when empty)."""
    out = fn(batch.to_pandas())
    if out is None or len(out) == 0:
        return None
    if isinstance(out, pa.RecordBatch):
        out = pa.Table.from_batches([out])
    if isinstance(out, pa.Table):
        return out.select(schema.names).cast(schema)
    return pa.Table.from_pandas(out[schema.names], schema=schema, preserve_index=False)


def _exit_with_parent(parent: int) -> None:
    """End this worker process when ``parent`` (the process that ran ``map_batches``) ends, even
    by SIGKILL: Linux's ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, and a thread that waits on the
    parent's pidfd (which also covers the forking thread ending before the process)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux / glibc: the pidfd thread alone
        pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    try:
        fd = os.pidfd_open(parent)
    except (AttributeError, OSError):  # pragma: no cover - kernel before 5.3
        return

    def watch() -> None:
        select.select([fd], [], [])  # readable once the parent has ended
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _worker_init(parent: int | None = None) -> None:
    """Start of a worker process: end with the parent (:func:`_exit_with_parent`), and keep large
    arrays on the malloc heap (glibc).

    A batch's sparse matrices and index arrays are tens of MB each; above glibc's mmap threshold
    (at most 32 MB) every one is a fresh ``mmap`` whose pages the kernel faults in and zeroes, batch
    after batch. Raising the threshold lets the next batch reuse the memory (measured: half the
    page faults, ~10% less CPU for ``hate``); the heap is trimmed above 512 MB of free space.
    """
    if parent is not None:
        _exit_with_parent(parent)
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 256 << 20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 512 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc: the allocator's defaults
        pass


def _pool_task(job: int, batch: pa.RecordBatch) -> pa.Table | None:
    """Runs in a worker process: the job's function on one batch."""
    fn, schema = _POOL_JOBS[job]
    return _apply(fn, batch, schema)


def _pool_map(fn: Callable, schema: pa.Schema, batches: Iterable[pa.RecordBatch], workers: int,
              name: str) -> Iterator[pa.Table | None]:
    """``_apply(fn, batch, schema)`` for each batch on ``workers`` forked processes, in order."""
    job = next(_POOL_IDS)
    _POOL_JOBS[job] = (fn, schema)
    gc.freeze()  # objects the workers inherit stay out of their collections: fewer pages copied
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                                 initargs=(os.getpid(),)) as pool:
            pending: deque[Future] = deque()
            number = 0
            try:
                for batch in batches:
                    if len(pending) >= 2 * workers:
                        yield _result(pending.popleft(), number - len(pending) - 1, name)
                    pending.append(pool.submit(_pool_task, job, batch))
                    number += 1
                while pending:
                    yield _result(pending.popleft(), number - len(pending) - 1, name)
            except BrokenProcessPool as exc:
                raise RuntimeError(f"map_batches({name!r}): a worker process died (killed, or out of memory?); "
                                   f"set {WORKERS_ENV}=1 to run in one process") from exc
            except BaseException:
                for f in pending:
                    f.cancel()
                raise
    finally:
        gc.unfreeze()
        _POOL_JOBS.pop(job, None)


def _result(future: Future, number: int, name: str) -> pa.Table | None:
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except Exception as exc:
        # the worker's traceback travels as the cause; name where it happened
        exc.add_note(f"raised by the function of map_batches({name!r}) on batch {number} in a worker process")
        raise


#: engine kinds: where each engine class lives, as ``module:Class``. Engines are plugins loaded by
#: name (as :func:`engineroom.analyses.registry` loads analyses): an engine module imports this
#: base, never the reverse, so ``engine`` and ``spark`` form no import circle.
ENGINES: dict[str, str] = {
    "duckdb": "engineroom.engine:DuckDBEngine",
    "spark": "engineroom.spark:SparkEngine",
}


def make_engine(corpus: "Corpus", kind: str = "duckdb", **options: Any) -> Engine:
    """Build the engine ``kind`` (``duckdb`` or ``spark``, see :data:`ENGINES`) over a corpus."""
    if kind not in ENGINES:
        raise ValueError(f"unknown engine {kind!r}: use {' or '.join(ENGINES)}")
    module_name, _, class_name = ENGINES[kind].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise RuntimeError(
            f"the {kind} engine cannot be loaded ({exc}); the Spark engine needs the spark extra: "
            "pip install 'engineroom[spark]' (and Java 17)"
        ) from exc
    return getattr(module, class_name)(corpus, **options)
