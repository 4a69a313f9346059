"""Staging in parallel with storing: batches are staged on worker threads, stored in file order.

An ingest does three kinds of work per batch: *read* it (decompress, split lines / CSV rows,
hash), *stage* it (parse and normalise with SQL on a private in-memory DuckDB) and *store* it
(:func:`engineroom.ingest.merge.merge_batch`, inside the file's transaction on the corpus
connection). Reading and storing must happen in file order; staging need not. So:

* ``workers`` threads each own one staging connection; a worker takes the next unit from the
  adapter's reader (one worker reads at a time, so the hash sees the bytes in order), stages it
  and exports the batch as Arrow;
* the caller's thread stores the batches strictly in order 0, 1, 2, ...;
* a worker with a finished batch waits until the caller takes it, so at most ``workers`` staged
  batches plus the one being stored are in memory at any time (memory stays bounded however long
  the file is).

DuckDB releases the GIL while it runs a statement, so with two cores staging one batch, reading
the next and storing the previous really run at the same time. Errors (a broken archive while
reading, an out-of-memory while staging) reach the caller at the batch where they happened; an
error or interrupt in the caller stops the workers (their running statements are interrupted).
"""

from __future__ import annotations

import os
import threading
from typing import Callable, Iterator

import duckdb
import pyarrow as pa

from .merge import export_batch, prepare_batch


def ingest_workers() -> int:
    """Staging threads of an ingest: ``ENGINEROOM_INGEST_WORKERS``; default 2 (1 on a 1-core machine).

    Two workers and the storing thread keep two cores busy; each more worker holds one more staged
    batch (a third worker raised a 1M-post twarc2 ingest's peak from 1.3 to 1.55 GB and saved no
    time on 2 cores), so more only pays on a machine with more cores and memory to spare.
    """
    default = 2 if (os.cpu_count() or 1) > 1 else 1
    v = os.environ.get("ENGINEROOM_INGEST_WORKERS", "").strip()
    return int(v) if v.isdigit() and int(v) > 0 else default


def staging_connection(threads: int, memory: str) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for staging batches (its temp tables are freed batch by batch:
    in the corpus database they would be kept until the ingest transaction ends).

    ``memory`` is its limit (a twarc2 batch of 64 MB peaked at about 115 MB of buffer pool). It is set
    well above that use: DuckDB hands the memory it frees back to the system (for the whole
    process, every connection's) when the frees outgrow the room left under a connection's limit,
    and the same memory is then faulted in again by the next batch.
    """
    sc = duckdb.connect()
    sc.execute("SET TimeZone = 'UTC'")  # times without an offset are UTC
    sc.execute(f"SET threads = {int(threads)}")
    sc.execute(f"SET memory_limit = '{memory}'")
    sc.execute("SET preserve_insertion_order = true")
    return sc


def staged_batches(adapter, hasher, mode: str, workers: int, connect: Callable[[], duckdb.DuckDBPyConnection]
                   ) -> Iterator[dict[str, pa.Table]]:
    """The adapter's batches, staged (``b_*`` tables as Arrow, see :func:`export_batch`), in order.

    ``connect`` makes one staging connection per worker. Adapters without :meth:`units` (they
    read and stage in one step) are staged on one connection in the caller's thread.
    """
    units = adapter.units(hasher)
    if units is None:
        sc = connect()
        try:
            for _ in adapter.batches(sc, hasher):
                prepare_batch(sc, mode, adapter.post_keys_checked)
                yield export_batch(sc, mode, adapter.unique_accounts)
        finally:
            _close(sc)
        return
    yield from _Pipeline(adapter, units, mode, max(1, workers), connect).run()


class _Pipeline:
    def __init__(self, adapter, units: Iterator, mode: str, workers: int, connect) -> None:
        self.adapter, self.units, self.mode, self.n, self.connect = adapter, units, mode, workers, connect
        self.read_lock = threading.Lock()
        self.cond = threading.Condition()
        self.results: dict[int, object] = {}  # batch number -> Arrow tables, or the exception raised
        self.next_read = 0   # number of the next unit the reader hands out
        self.next_take = 0   # number of the next batch the caller stores
        self.exhausted = False
        self.stop = False
        self.alive = 0
        self.cons: list[duckdb.DuckDBPyConnection] = []

    def run(self) -> Iterator[dict[str, pa.Table]]:
        threads = [threading.Thread(target=self.work, name=f"ingest-stage-{i}", daemon=True) for i in range(self.n)]
        self.alive = len(threads)
        try:
            for t in threads:
                t.start()
            while True:
                with self.cond:
                    while self.next_take not in self.results and self.alive:
                        self.cond.wait()
                    if self.next_take not in self.results:
                        return  # every worker is done and nothing is left
                    res = self.results.pop(self.next_take)
                    self.next_take += 1
                    self.cond.notify_all()
                if isinstance(res, BaseException):
                    raise res
                yield res  # type: ignore[misc]
        finally:
            with self.cond:
                self.stop = True
                self.cond.notify_all()
            for c in list(self.cons):
                try:
                    c.interrupt()
                except Exception:  # pragma: no cover
                    pass
            for t in threads:
                t.join()
            self.results.clear()
            close = getattr(self.units, "close", None)
            if close is not None:
                close()  # the reader's file is closed however the ingest ended

    def work(self) -> None:
        sc = None
        try:
            sc = self.connect()
            with self.cond:
                self.cons.append(sc)
            while True:
                with self.read_lock:
                    if self.stop or self.exhausted:
                        return
                    i = self.next_read
                    self.next_read += 1
                    try:
                        unit = next(self.units)
                    except StopIteration:
                        self.exhausted = True
                        return
                    except BaseException as exc:  # reading failed: report it as batch i, read no more
                        self.exhausted = True
                        self._put(i, exc)
                        return
                try:
                    self.adapter.stage_unit(sc, unit)
                    del unit
                    prepare_batch(sc, self.mode, self.adapter.post_keys_checked)
                    res: object = export_batch(sc, self.mode, self.adapter.unique_accounts)
                except BaseException as exc:
                    res = exc
                self._put(i, res)
                with self.cond:  # hand over before taking more: bounds the batches held in memory
                    while not self.stop and self.next_take <= i:
                        self.cond.wait()
                if isinstance(res, BaseException):
                    return
        except BaseException as exc:  # pragma: no cover - connecting failed
            with self.cond:
                self.results.setdefault(self.next_take, exc)
        finally:
            with self.cond:
                self.alive -= 1
                if sc is not None and sc in self.cons:
                    self.cons.remove(sc)
                self.cond.notify_all()
            if sc is not None:
                _close(sc)

    def _put(self, i: int, res: object) -> None:
        with self.cond:
            self.results[i] = res
            self.cond.notify_all()


def _close(sc) -> None:
    try:
        sc.close()
    except Exception:  # pragma: no cover
        pass
