"""How the review app reads the corpus without locking the command line out.

DuckDB lets one process write a file, or several processes read it. The app only reads the
corpus (what reviewers write goes to the review store, :mod:`engineroom.serve.store`), and it
holds the file only while requests read it: :class:`CorpusReader` opens it read-only when a
request needs it and closes it ``linger`` seconds (default 1) after the last request finished.
So ``engineroom export`` (a reader) runs beside the app at any time, and a writer
(``ingest``, ``analyze``) gets the file as soon as the app has been idle for a second; while a
writer holds it, pages answer 503 "the corpus is being changed" instead of failing.

Each request reads through its own cursor, with the team's decisions (the review store's
``review_state``, cached by its version) registered on it as the relation ``review_decisions``.
When the corpus is (re)opened and its findings changed since the review queue was built, the
queue is rebuilt (:func:`engineroom.serve.queue.ensure_queue`) in a short read-write opening,
and copied into the review store (:mod:`engineroom.serve.snapshot`), from which queue pages,
decisions and exports are served.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pyarrow as pa

from .store import DECISIONS_RELATION, STATE_SCHEMA, ReviewStore, register_decisions, state_table  # noqa: F401


def corpus_view(path: Path, cur):
    """A read-only :class:`engineroom.corpus.Corpus` whose queries go through ``cur`` (library
    functions take a Corpus)."""
    from ..corpus import Corpus

    view = Corpus.__new__(Corpus)
    view.path, view.read_only, view.con = path, True, cur
    return view


class CorpusBusy(RuntimeError):
    """The corpus file is held by a writing process (one line: who, and what to do)."""


class NotReady(RuntimeError):
    """A cursor would have to wait (``CorpusReader.cursor(if_open=True)``): ask again in a thread."""


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and "lock" in str(exc).lower()


class CorpusReader:
    """Read-only access to the corpus for the app's requests (see the module's docstring)."""

    def __init__(self, path: str | os.PathLike, store: ReviewStore, linger: float = 1.0, max_readers: int = 8,
                 recheck: float = 10.0, threads: int = 1) -> None:
        self.path, self.store, self.linger, self.recheck, self.threads = Path(path), store, linger, recheck, threads
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._users = 0
        self._last_release = time.monotonic()
        self._closer: threading.Thread | None = None
        self._stopped = False
        self._slots = threading.BoundedSemaphore(max_readers)
        self._state: tuple[int, pa.Table] | None = None
        self._checked = 0.0
        self.opened = 0  # how many times the file was opened (for tests and the benchmark)
        self.on_rebuild: list = []  # callbacks after the queue was rebuilt (the app refreshes its facets)
        # closed before the interpreter stops: a daemon thread still closing the file then is torn
        # down inside DuckDB, which aborts the process ("FATAL: exception not rethrown")
        ref = weakref.ref(self)
        atexit.register(lambda: ref() is not None and ref().close())

    # -- the decisions in force, as an Arrow table ------------------------------------------
    def state_table(self) -> pa.Table:
        version = self.store.state_version()
        hit = self._state
        if hit is not None and hit[0] == version:
            return hit[1]
        table = state_table(self.store)
        self._state = (version, table)
        return table

    # -- opening and closing ----------------------------------------------------------------
    def _open(self) -> duckdb.DuckDBPyConnection:
        from .queue import queue_is_current

        try:
            con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as exc:
            if is_lock_error(exc):
                from ..corpus import locked_message

                raise CorpusBusy(locked_message(self.path, exc)) from None
            raise
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET threads = {int(self.threads)}")  # many small queries in parallel requests
        self.opened += 1
        now = time.monotonic()
        if now - self._checked > self.recheck:
            self._checked = now
            if not queue_is_current(con):
                con.close()
                self._rebuild()
                con = duckdb.connect(str(self.path), read_only=True)
                con.execute("SET enable_progress_bar = false")
                con.execute(f"SET threads = {int(self.threads)}")
                for fn in self.on_rebuild:
                    fn(con)
            from .snapshot import ensure_snapshot

            ensure_snapshot(con, self.store)  # the queue's copy in the review store, for these findings
        return con

    def _rebuild(self) -> None:
        from ..corpus import Corpus, CorpusLocked
        from .queue import ensure_queue

        try:
            corpus = Corpus(self.path)
        except CorpusLocked as exc:
            raise CorpusBusy(str(exc)) from None
        try:
            ensure_queue(corpus)
        finally:
            corpus.close()

    def _close_if_idle(self) -> None:
        with self._lock:
            if self._users == 0 and self._con is not None:
                self._con.close()
                self._con = None

    def close(self) -> None:
        self._stopped = True
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    @property
    def is_open(self) -> bool:
        return self._con is not None

    @contextmanager
    def cursor(self, decisions: bool = True, if_open: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one request (the file opened read-only if it was closed), with
        ``review_decisions`` registered on it unless ``decisions`` is False (an Arrow copy of
        every decision in force, made again after each decision: pages that do not join the
        decisions skip it). Raises :class:`CorpusBusy` when a writer holds it.

        ``if_open``: only when the file is open already and nothing has to be waited for (a
        reader slot, the opening lock), else :class:`NotReady` at once: for the event loop,
        which must never wait for an opening (that may rebuild the queue)."""
        state = self.state_table() if decisions else None
        if not self._slots.acquire(blocking=not if_open):
            raise NotReady("every reader slot is taken")
        try:
            if not self._lock.acquire(blocking=not if_open):
                raise NotReady("the corpus is being opened or closed")
            try:
                if self._con is None:
                    if if_open:
                        raise NotReady("the corpus is closed")
                    self._con = self._open()
                self._users += 1
                cur = self._con.cursor()
            finally:
                self._lock.release()
            try:
                if state is not None:
                    register_decisions(cur, self.store, state)
                yield cur
            finally:
                try:
                    cur.close()
                finally:
                    with self._lock:
                        self._users -= 1
                        self._last_release = time.monotonic()
                    if self._users == 0 and self.linger <= 0:
                        self._close_if_idle()
                    self._start_closer()
        finally:
            self._slots.release()

    def _start_closer(self) -> None:
        """One daemon thread per reader closes the file once it has been idle ``linger`` seconds."""
        if self._closer is not None or self.linger <= 0:
            return
        with self._lock:
            if self._closer is not None:
                return
            self._closer = threading.Thread(target=self._closer_loop, name="corpus-closer", daemon=True)
            self._closer.start()

    def _closer_loop(self) -> None:
        while not self._stopped:
            time.sleep(min(self.linger / 4, 0.25))
            if self._con is not None and time.monotonic() - self._last_release >= self.linger:
                self._close_if_idle()
