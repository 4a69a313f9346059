"""Progress bars for long steps: shown on a terminal, silent in pipes and CI.

Use :func:`progress` as a context manager around a long step::

    with progress("Ingesting", total=n) as bar:
        for chunk in chunks:
            ...
            bar.advance(len(chunk))

When standard error is not a terminal, or ``CI`` / ``ENGINEROOM_QUIET`` is set, the bar does
nothing (and costs nothing).
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from typing import Iterator


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its child processes that have ended
    (``map_batches`` workers, a CNT subprocess)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Stopwatch:
    """Wall and CPU seconds since it was made (CPU as :func:`cpu_seconds`)."""

    def __init__(self) -> None:
        self.start_wall, self.start_cpu = time.perf_counter(), cpu_seconds()

    def wall(self) -> float:
        return time.perf_counter() - self.start_wall

    def cpu(self) -> float:
        return cpu_seconds() - self.start_cpu


def enabled() -> bool:
    """Whether progress bars are drawn: only on an interactive terminal, never in CI."""
    if os.environ.get("ENGINEROOM_QUIET") or os.environ.get("CI"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _NullBar:
    def advance(self, n: float = 1) -> None:
        pass

    def update(self, completed: float | None = None, total: float | None = None, description: str | None = None) -> None:
        pass


class _RichBar:
    def __init__(self, prog, task) -> None:
        self._p, self._t = prog, task
        self._pid = os.getpid()

    def advance(self, n: float = 1) -> None:
        # in a process forked from the one drawing the bar (a map_batches worker) the bar's lock
        # may have been copied while held by the drawing thread: leave the bar alone there
        if os.getpid() == self._pid:
            self._p.advance(self._t, n)

    def update(self, completed: float | None = None, total: float | None = None, description: str | None = None) -> None:
        if os.getpid() != self._pid:
            return
        kw = {k: v for k, v in (("completed", completed), ("total", total), ("description", description)) if v is not None}
        self._p.update(self._t, **kw)


@contextmanager
def progress(description: str, total: float | None = None) -> Iterator[_NullBar | _RichBar]:
    """A progress bar for one step; ``total=None`` draws a spinner-style bar."""
    if not enabled():
        yield _NullBar()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as prog:
        task = prog.add_task(description, total=total)
        yield _RichBar(prog, task)


def track(iterable, description: str, total: float | None = None):
    """Iterate with a progress bar (see :func:`progress`)."""
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    with progress(description, total) as bar:
        for item in iterable:
            yield item
            bar.advance(1)
