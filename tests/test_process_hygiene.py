"""Worker processes of ``map_batches`` end with their parent: SIGKILL ``engineroom analyze``
mid-run and no engineroom process is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import engineroom
import er_sample

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killed_analyze_leaves_no_worker_behind(tmp_path):
    db = tmp_path / "k.duckdb"
    with engineroom.open(db) as c:
        er_sample.build(c, n_accounts=400, n_posts=60_000, findings=False)
    env = dict(os.environ, ENGINEROOM_WORKERS="2", PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "engineroom.cli", "analyze", "--db", str(db), "--only", "hate"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            workers = _children(proc.pid)
            if len(workers) >= 2:
                break
            time.sleep(0.02)
        assert len(workers) >= 2, "analyze ended before its worker processes were seen"
        time.sleep(0.3)  # the workers are at work
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.05)
        assert [w for w in workers if _alive(w)] == []
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in workers:  # the test's own leftovers, by id
            if _alive(w):
                os.kill(w, signal.SIGKILL)
