"""Ingest driver: one DuckDB transaction per input file, counts that reconcile, idempotence.

How a file flows (memory stays bounded however large the file):

1. the file is opened by content (gzip / zstd / zip magic bytes), hashed while it is read, and
   skipped when its SHA-256 is already in ``ingests`` (it is hashed up front only when an earlier
   ingest had a file of the same size);
2. the adapter reads it in batches (32 MB of JSON lines, 80 MB for twarc2, split with numpy, or
   32 MB CSV blocks via pyarrow); worker threads (:mod:`engineroom.ingest.pipeline`, 2 by default) each normalise a
   batch with SQL in their *own in-memory DuckDB* (its scratch tables are freed batch by batch: in
   the corpus database they would live until the transaction ends) and export it as Arrow;
3. this thread stores the batches in file order with :func:`engineroom.ingest.merge.merge_batch`
   inside the file's transaction (``BEGIN`` ... ``COMMIT``; any error or interrupt rolls back;
   kill -9 leaves nothing because DuckDB never committed), with the transaction's memory limited
   to ``ENGINEROOM_INGEST_MEMORY`` (1.5 GB; DuckDB spills beyond it). At most one batch per
   worker plus the one being stored is in memory at a time.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
import uuid
import zipfile
import zlib
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ..progress import progress
from .detect import FORMATS, sniff
from .errors import IngestError
from .keys import corpus_account_keys, corpus_keys
from .merge import ALL_FIELDS, FILLED_MASK, Context, Counts, media_index, merge_batch
from .pipeline import ingest_workers, staged_batches, staging_connection
from .sources import Source, expand_paths, head_bytes, sources_of

#: bytes read from the start of a file to tell its format and layout
SNIFF_BYTES = 1 << 16
#: how far the sniff reads on when the first line is longer than SNIFF_BYTES
SNIFF_LINE_BYTES = 8 << 20
_CSV_FORMATS = ("io-archive", "io-users", "ira-csv", "crowdtangle", "csv")

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store


@dataclass
class IngestReport:
    """What happened to one input file (or zip member).

    ``read`` records were read; each ended ``stored`` (new rows), ``duplicate`` (key already in the
    corpus or earlier in the file) or ``quarantined`` (see the ``quarantine`` table):
    read = stored + duplicate + quarantined. ``skipped`` means the file's SHA-256 was already
    ingested, so nothing was read; ``note`` says why a file was passed over.
    """

    file: str
    format: str
    read: int = 0
    stored: int = 0
    duplicate: int = 0
    quarantined: int = 0
    skipped: bool = False
    seconds: float = 0.0
    ingest_id: str | None = None
    sha256: str | None = None
    note: str | None = None
    details: dict = field(default_factory=dict)

    @property
    def posts_per_s(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0


def _adapter(fmt: str):
    from .formats import ADAPTERS

    return ADAPTERS[fmt]


def ingest_paths(
    corpus: "Store",
    paths: list,
    format: str = "auto",
    column_map: dict[str, str] | None = None,
    media_dir: str | os.PathLike | None = None,
) -> list[IngestReport]:
    """Ingest files (and the files inside folders) into ``corpus``; one report per file.

    ``format`` is ``auto`` (sniffed from content) or one of :data:`FORMATS`. ``column_map`` maps
    corpus fields to CSV columns (``{"text": "body"}``) for the ``csv`` adapter. ``media_dir`` is a
    folder of downloaded media files matched to media rows by file name or media key.
    Raises :class:`IngestError` for a file that cannot be read at all; files before it stay ingested.
    """
    if format != "auto" and format not in FORMATS:
        raise IngestError(f"unknown format {format!r}; choose auto or one of: {', '.join(FORMATS)}")
    if not paths:
        raise IngestError("no input files given")
    mindex = media_index(media_dir) if media_dir else None
    reports: list[IngestReport] = []
    for p in paths:
        p = Path(p)
        from_folder = p.is_dir()
        files = expand_paths([p])
        if from_folder and not files:
            raise IngestError(f"{p}: folder holds no files")
        for f in files:
            for src in sources_of(f):
                reports.append(
                    ingest_source(corpus, src, format=format, column_map=column_map, media_dir=media_dir,
                                  media_idx=mindex, lenient=from_folder)
                )
    return reports


def ingest_source(
    corpus: "Store",
    src: Source,
    format: str = "auto",
    column_map: dict[str, str] | None = None,
    media_dir=None,
    media_idx=None,
    lenient: bool = False,
) -> IngestReport:
    """Ingest one file / zip member in one transaction."""
    con: duckdb.DuckDBPyConnection = corpus.con
    t0 = time.perf_counter()
    fmt = format
    head = head_bytes(src, SNIFF_BYTES)
    if len(head) == SNIFF_BYTES and b"\n" not in head:
        # a first line longer than that (a twarc2 page of many tweets, a whole response on one
        # line): read on to its end, up to SNIFF_LINE_BYTES, so that it is seen whole
        head = head_bytes(src, SNIFF_LINE_BYTES)
        cut = head.find(b"\n")
        limit = SNIFF_LINE_BYTES
        if cut >= 0:
            head, limit = head[: cut + 1], len(head) + 1
        sn = sniff(head, complete=len(head) < limit)
    else:
        sn = sniff(head, complete=len(head) < SNIFF_BYTES)
    if sn.refusal and (format == "auto" or fmt not in _CSV_FORMATS):
        # a file that holds no posts (users, lists, counts, compliance, an empty file) is refused
        # whatever format was asked for: nothing of it is stored or counted as read
        if lenient:
            return IngestReport(file=src.name, format="none", skipped=True, note=f"holds no posts: {sn.refusal}; not ingested",
                                seconds=time.perf_counter() - t0)
        raise IngestError(f"{src.name}: holds no posts: it is {sn.refusal}; nothing ingested")
    if fmt == "auto":
        fmt = sn.format or ""
        if not fmt:
            msg = (f"{src.name}: cannot tell the format from its content "
                   f"(expected one of {', '.join(FORMATS)}); force one with --format")
            if lenient:
                return IngestReport(file=src.name, format="unknown", skipped=True, note="format not recognised; not ingested")
            raise IngestError(msg)
    adapter_cls = _adapter(fmt)
    # idempotence: hash first only when some earlier ingest had a file of the same size
    sha: str | None = None
    hasher = None
    same_size = con.execute("SELECT count(*) FROM ingests WHERE size_bytes = ?", [src.size]).fetchone()[0]
    if same_size:
        from .sources import sha256_of

        sha = sha256_of(src)
        row = con.execute("SELECT ingest_id, format FROM ingests WHERE sha256 = ? LIMIT 1", [sha]).fetchone()
        if row:
            return IngestReport(file=src.name, format=fmt, skipped=True, sha256=sha, ingest_id=row[0],
                                note="already ingested", seconds=time.perf_counter() - t0)
    else:
        hasher = hashlib.sha256()

    ingest_id = uuid.uuid4().hex
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    options = {"format": fmt}
    if column_map:
        options["column_map"] = column_map
    if media_dir:
        options["media_dir"] = str(media_dir)
    adapter = adapter_cls(src, column_map=column_map, media_dir=media_dir)
    if sn.layout is not None and fmt not in _CSV_FORMATS:
        adapter.layout = sn.layout
        options["layout"] = sn.layout.describe
    ctx = Context(ingest_id=ingest_id, file=src.name, mode=adapter.mode, media_index=media_idx, options=options)
    total = Counts()
    saved = _session_settings(con)
    con.execute("SET TimeZone = 'UTC'")  # times without an offset are UTC
    # bounded memory however large the file: DuckDB spills to its temp folder beyond this. Below
    # 1.5 GB (this and each staging connection's) DuckDB keeps handing the memory it frees back to
    # the system, for every connection of the process, and faulting it in again: a 1M-post twarc2
    # ingest took 1.2M page faults (3.5-4.5 s of kernel time) at 768 MB, 0.8-0.9M at 1 GB, 0.6M at
    # 1.5 GB and no fewer above; at 512 MB it also kept evicting (29 CPU-s against 24-25)
    con.execute(f"SET memory_limit = '{os.environ.get('ENGINEROOM_INGEST_MEMORY', '1536MB')}'")
    threads = ingest_threads()
    con.execute(f"SET threads = {threads}")
    # each full row group (122,880 rows) of a table is compressed and written to the file as the
    # batches are stored, not five at a time (DuckDB's default): the ones still buffered are
    # written by COMMIT, on one core while the staging workers have nothing left to do. On 1M
    # twarc2 posts COMMIT took 0.35 s against 1.1 s, and the peak memory fell by 150 MB
    con.execute("SET SESSION write_buffer_row_group_count = 1")
    stage_mem = os.environ.get("ENGINEROOM_STAGE_MEMORY", "1536MB")
    con.execute("BEGIN TRANSACTION")
    watch = _InterruptWatch()
    try:
        if adapter.mode == "posts":
            # the hashes of the corpus's post keys: a batch of new posts is stored without scanning
            # ``posts`` for its keys (see engineroom.ingest.keys)
            ctx.post_keys = corpus_keys(con)
        # the hashes of the corpus's account keys and their NULL fields: a batch's profiles are
        # stored without reading the whole ``accounts`` table for them (see _store_profiles)
        ctx.account_keys = corpus_account_keys(con, FILLED_MASK, ALL_FIELDS)
        with watch, progress(f"Ingesting {Path(src.name).name}", total=None) as bar:
            # batches are staged on worker threads, each with its own in-memory DuckDB, and reach
            # this transaction as Arrow, in file order (see engineroom.ingest.pipeline)
            with closing(staged_batches(adapter, hasher, adapter.mode, ingest_workers(),
                                        lambda: staging_connection(threads, stage_mem))) as batches:
                for tables in batches:
                    c = merge_batch(con, ctx, tables)
                    del tables
                    total.add(c)
                    bar.advance(c.read)
        if hasher is not None:
            sha = hasher.hexdigest()
        if adapter.assumptions:
            options["assumptions"] = sorted(adapter.assumptions)
        con.execute(
            "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ingest_id, src.name, fmt, sha, src.size, total.read, total.stored, total.duplicate,
             total.quarantined, started, datetime.now(timezone.utc).replace(tzinfo=None), json.dumps(options)],
        )
        con.execute("COMMIT")
    except BaseException as exc:
        try:
            con.execute("ROLLBACK")
        except Exception:
            pass
        _set_session_settings(con, saved)
        if watch.hit and not isinstance(exc, KeyboardInterrupt):
            # Ctrl-C while DuckDB was looking up a batch's Arrow table in Python: the lookup fails
            # and DuckDB reports a missing table instead of the interrupt
            raise KeyboardInterrupt from exc
        if isinstance(exc, IngestError):
            raise
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        if isinstance(exc, (zipfile.BadZipFile, zlib.error)) or (src.member and isinstance(exc, (NotImplementedError, EOFError))):
            raise IngestError(f"{src.name}: broken compressed data ({exc}); nothing of this file stored") from exc
        if isinstance(exc, (duckdb.Error, ValueError, UnicodeError, OSError, EOFError)):
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]  # one line: DuckDB's messages run on
            raise IngestError(f"{src.name}: could not be read as {fmt}: {first}") from exc
        raise
    _set_session_settings(con, saved)
    rep = IngestReport(file=src.name, format=fmt, read=total.read, stored=total.stored, duplicate=total.duplicate,
                       quarantined=total.quarantined, seconds=time.perf_counter() - t0, ingest_id=ingest_id, sha256=sha,
                       details={k: options[k] for k in ("layout", "assumptions") if k in options})
    assert rep.read == rep.stored + rep.duplicate + rep.quarantined
    return rep


class _InterruptWatch:
    """Notes whether Ctrl-C (SIGINT) arrived while an ingest ran (``hit``), still raising
    KeyboardInterrupt as Python does. Only on the main thread, and only where SIGINT has Python's
    default handler (elsewhere signal handlers cannot be set, or are someone else's)."""

    def __init__(self) -> None:
        self.hit = False
        self._before = None

    def _handler(self, signum, frame) -> None:
        self.hit = True
        signal.default_int_handler(signum, frame)

    def __enter__(self) -> "_InterruptWatch":
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._before = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        if self._before is not None:
            signal.signal(signal.SIGINT, self._before)
            self._before = None


def ingest_threads() -> int:
    """DuckDB threads per connection of an ingest: ``ENGINEROOM_INGEST_THREADS``, default 1.

    The cores are used by staging batches on several worker threads while the caller stores the
    previous ones (:func:`engineroom.ingest.pipeline.ingest_workers`), not by DuckDB's own threads:
    a batch's statements are small and a typical twarc2 batch is a few hundred page lines, which
    DuckDB scans as one vector anyway. Measured before the worker threads existed, on this 2-core
    machine (200k twarc2 posts): one thread took 6.6 CPU-s and 6.6 s wall, two took 8.1-8.5 CPU-s and 7.3-7.7 s wall with the machine nearly idle (load 1.7); at load 6-7
    one thread saved 15-17% CPU and wall for twarc2 JSONL and IO-archive CSV alike. Batches are
    small (32 MB) and part of each one is single-threaded Python, so a second thread mostly adds
    synchronisation.
    """
    v = os.environ.get("ENGINEROOM_INGEST_THREADS", "1").strip()
    return int(v) if v.isdigit() and int(v) > 0 else 1


#: the corpus connection's settings an ingest changes (and puts back): name -> the scope it sets
_INGEST_SETTINGS = {"TimeZone": "", "memory_limit": "", "threads": "", "write_buffer_row_group_count": "SESSION "}


def _session_settings(con) -> dict[str, str]:
    """The connection's values of the settings an ingest changes."""
    names = list(_INGEST_SETTINGS)
    row = con.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in names)).fetchone()
    return dict(zip(names, row))


def _set_session_settings(con, values: dict[str, str]) -> None:
    """Put back settings saved by :func:`_session_settings` (never hides the error on its way up)."""
    try:
        for name, value in values.items():
            quoted = str(value).replace("'", "''")
            con.execute(f"SET {_INGEST_SETTINGS[name]}{name} = '{quoted}'")
    except Exception:  # pragma: no cover
        pass
