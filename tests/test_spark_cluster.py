"""Spark as a cluster: a standalone master and two workers, each its own process on 127.0.0.1.

``engineroom analyze --engine spark --spark-master spark://127.0.0.1:PORT`` runs every analysis
(default parameters) against the cluster in a fresh process; every findings table must equal the
one a DuckDB run writes on a copy of the same corpus, and Spark's event log must show tasks on both
workers. What this covers that ``local[2]`` does not: functions and models pickled to executor JVMs
and their Python workers in other processes, shuffles between executors, Parquet read from and
written to a path every worker sees.

Run it with ``python -m pytest -m slow tests/test_spark_cluster.py`` (about two minutes on an idle
2-core machine). Skips without Java.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

import engineroom
from engineroom.engines import spark as spark_mod
from engineroom.analyses import registry, run_analyses
from engineroom.engines.cluster import LocalCluster, group_members
from spark_parity import build_corpus, compare_tables

pytestmark = [pytest.mark.spark, pytest.mark.slow]

_reason = spark_mod.spark_unavailable_reason()
if _reason:  # pragma: no cover - depends on the machine
    pytest.skip(_reason, allow_module_level=True)


def test_every_analysis_on_a_two_worker_cluster_equals_duckdb(tmp_path):
    base = build_corpus(tmp_path / "base.duckdb")
    duck_db, spark_db = tmp_path / "duck.duckdb", tmp_path / "cluster.duckdb"
    shutil.copy(base, duck_db)
    shutil.copy(base, spark_db)
    with engineroom.open(duck_db) as corpus:
        run_analyses(corpus)

    cluster = LocalCluster(workers=2, worker_cores=1, worker_memory="1g", folder=tmp_path / "cluster")
    with cluster:
        env = cluster.client_env()
        env.update(ENGINEROOM_SPARK_DRIVER_MEMORY="1g",
                   # short-lived JVMs on small data: the C1 JIT alone halves Spark's CPU time
                   ENGINEROOM_SPARK_JAVA_OPTS="-XX:TieredStopAtLevel=1")
        proc = subprocess.run(
            [sys.executable, "-m", "engineroom.cli", "analyze", "--db", str(spark_db), "--engine", "spark",
             "--spark-master", cluster.master_url, "--json"],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=1200,
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
        usage = cluster.task_usage()
        state = cluster.master_state()
        assert len(group_members([p.pid for p in cluster.procs])) >= 3  # master, workers (, executors)
    # stopped: no daemon, executor or Python worker of the cluster is left
    assert len(cluster.stopped_groups) == 3 and group_members(cluster.stopped_groups) == []

    assert len(state["workers"]) == 2 and len(usage["apps"]) == 1
    assert [a["id"] for a in state["completedapps"]] == usage["apps"]
    # tasks ran on both workers, and stages were split into several tasks
    tasks = usage["tasks_per_worker"]
    assert set(tasks) == {"worker-0", "worker-1"} and min(tasks.values()) >= 20, usage
    assert usage["failed_tasks"] == 0 and usage["stages_with_several_tasks"] >= 20, usage
    summaries = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(summaries) == set(registry())

    with engineroom.open(duck_db, read_only=True) as d, engineroom.open(spark_db, read_only=True) as s:
        engines = dict(s.con.execute("SELECT analysis, engine FROM runs").fetchall())
        assert set(engines.values()) == {"spark"} and set(engines) == set(registry())
        for name, cls in sorted(registry().items()):
            for table in cls.tables:
                assert d.has_table(table) == s.has_table(table), f"{table} written on one engine only"
                if d.has_table(table):
                    compare_tables(d.table(table), s.table(table), f"{name}:{table}")
