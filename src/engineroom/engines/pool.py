"""Work on forked processes: the worker pool of
:meth:`engineroom.engines.duckdb.DuckDBEngine.map_batches` (per-row Python work, one process per
core, ``ENGINEROOM_WORKERS`` to choose, results in batch order), and :func:`run_forked` (one call
in a child process, beside this process's threads).
"""

from __future__ import annotations

import ctypes
import gc
import itertools
import multiprocessing
import os
import pickle
import select
import signal
import threading
import traceback
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Iterator

import pyarrow as pa


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


def apply_batch(fn: Callable, batch: pa.RecordBatch, schema: pa.Schema) -> pa.Table | None:
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
    return apply_batch(fn, batch, schema)


class WorkerPool:
    """``workers`` forked processes that run ``fn`` on batches (:meth:`map`), started at once.

    Start it *before* the query whose rows it will take: a forked worker keeps every page this
    process had when it forked, and once this process frees one (DuckDB's buffers after a sort,
    say) the page stays in the worker alone. Forked early, the workers hold the Python state of
    the analysis, not the engine's buffers. Use it as a context manager: leaving the block stops
    the workers (queued batches are cancelled).
    """

    def __init__(self, fn: Callable, schema: pa.Schema, workers: int, name: str) -> None:
        self.name = name
        self.workers = workers
        self._job = next(_POOL_IDS)
        _POOL_JOBS[self._job] = (fn, schema)  # before the fork: the workers inherit the table
        gc.freeze()  # objects the workers inherit stay out of their collections: fewer pages copied
        try:
            ctx = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                                             initargs=(os.getpid(),))
            # with fork, the first task forks every worker: now, before anything else is allocated
            self._pool.submit(int).result()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (queued batches are cancelled) and forget the job."""
        pool = getattr(self, "_pool", None)
        try:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        finally:
            gc.unfreeze()
            _POOL_JOBS.pop(self._job, None)

    def map(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.Table | None]:
        """``apply_batch(fn, batch, schema)`` for each batch on the workers, in order; at most two
        batches per worker in flight."""
        pending: deque[Future] = deque()
        number = 0
        try:
            for batch in batches:
                if len(pending) >= 2 * self.workers:
                    yield _result(pending.popleft(), number - len(pending) - 1, self.name)
                pending.append(self._pool.submit(_pool_task, self._job, batch))
                number += 1
            while pending:
                yield _result(pending.popleft(), number - len(pending) - 1, self.name)
        except BrokenProcessPool as exc:
            raise RuntimeError(f"map_batches({self.name!r}): a worker process died (killed, or out of memory?); "
                               f"set {WORKERS_ENV}=1 to run in one process") from exc
        except BaseException:
            for f in pending:
                f.cancel()
            raise


def _result(future: Future, number: int, name: str) -> pa.Table | None:
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except Exception as exc:
        # the worker's traceback travels as the cause; name where it happened
        exc.add_note(f"raised by the function of map_batches({name!r}) on batch {number} in a worker process")
        raise


class ForkedCall:
    """A call running in a forked child process (see :func:`run_forked`); :meth:`result` waits."""

    def __init__(self, fn: Callable, args: tuple) -> None:
        self.name = getattr(fn, "__name__", repr(fn))
        self._done = False
        self._value: object = None
        if worker_count() == 1 or "fork" not in multiprocessing.get_all_start_methods():
            self._value, self._done = fn(*args), True
            return
        ctx = multiprocessing.get_context("fork")
        self._reader, writer = ctx.Pipe(duplex=False)
        self._process = ctx.Process(target=_forked_call, args=(writer, fn, args, os.getpid()),
                                    name=f"engineroom-{self.name}", daemon=True)
        self._process.start()
        writer.close()  # the child holds the only write end: its end (even by a kill) is EOF here

    def result(self) -> object:
        """The call's value; its exception raised here (the child's traceback as a note); a
        :class:`RuntimeError` when the child ended without an answer (killed, out of memory).
        Waiting releases the GIL, so this process's other threads go on."""
        if self._done:
            return self._value
        try:
            status, payload = self._reader.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(f"the forked process running {self.name} ended without a result (exit code "
                               f"{self._process.exitcode}: killed, or out of memory?); set {WORKERS_ENV}=1 "
                               f"to run it in this process") from None
        finally:
            self._reader.close()
        self._process.join()
        self._done = True
        if status == "error":
            exc, tb = payload
            exc.add_note(f"raised by {self.name} in a forked process:\n{tb}")
            raise exc
        self._value = payload
        return payload


def run_forked(fn: Callable, *args: object) -> ForkedCall:
    """Start ``fn(*args)`` in a child process forked from this one; ``.result()`` returns its value.

    For work that holds the GIL for long (igraph's Leiden, say) while this process's threads have
    work of their own: the child has its own interpreter, so they are not held up. The child
    inherits ``fn``, ``args`` and everything this process holds (nothing is pickled on the way
    in); the value comes back pickled through a pipe, so it should be small next to the inputs.
    The child ends with this process (:func:`_exit_with_parent`). Where ``fork`` is not available,
    or ``ENGINEROOM_WORKERS=1``, ``fn`` runs in this process at once. Same code on the same
    inputs, so the value does not depend on where it ran.
    """
    return ForkedCall(fn, args)


def _forked_call(writer, fn: Callable, args: tuple, parent: int) -> None:
    """Runs in the child of :func:`run_forked`: the call, its value or exception sent back."""
    _worker_init(parent)
    try:
        message = ("ok", fn(*args))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the caller
        tb = traceback.format_exc()
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001 - an exception that cannot travel goes as text
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        message = ("error", (exc, tb))
    writer.send(message)
    writer.close()
