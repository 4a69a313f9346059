"""The review app's load check (benchmarks/bench_serve.py) runs end to end on a small corpus:
its client logs in, keeps sessions, sends CSRF tokens, and every accepted decision is stored once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_serve_small(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_serve.py"), "--posts", "5000", "--db",
                        str(tmp_path / "b.duckdb"), "--reviewers", "4", "--seconds", "3", "--workers", "2", "--json"],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["errors"] == 0, out["error_samples"]
    d = out["decisions"]
    assert d["accepted"] > 0 and d["accepted_stored_once"] == d["accepted"]
    assert d["refused_but_stored"] == 0 and d["stored_twice_or_more"] == 0
    assert out["queue"]["n"] > 0 and out["export"]["n"] >= 0 and out["queue_rows"] > 0
    # CPU per request over the timed window, the logins (scrypt) counted apart
    assert out["server_cpu_ms_per_request"] > 0 and out["client_cpu_ms_per_request"] > 0
    assert out["login_server_cpu_s"] > 0
