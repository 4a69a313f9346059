"""A Spark standalone cluster on this machine: one master and N workers as separate processes.

What a cluster adds over ``local[*]`` (one JVM, executors inside the driver) is that functions and
models travel to executor JVMs and their Python workers in other processes, shuffles cross
executors, data is read from a path every worker sees, and findings are written by executors.
:class:`LocalCluster` starts exactly that, with the launcher the pyspark wheel ships
(``pyspark/bin/spark-class``), bound to 127.0.0.1, so the tests and ``benchmarks/spark_cluster.py``
can run ``engineroom analyze --engine spark --spark-master spark://127.0.0.1:PORT`` the way it runs
against a real cluster::

    from engineroom.engines.cluster import LocalCluster

    with LocalCluster(workers=2, worker_cores=1, worker_memory="1g") as cluster:
        env = cluster.client_env()          # SPARK_CONF_DIR with the executor settings
        subprocess.run(["engineroom", "analyze", "--db", "c.duckdb", "--engine", "spark",
                        "--spark-master", cluster.master_url], env=env, check=True)
        usage = cluster.task_usage()        # tasks per worker, from Spark's event log

The cluster is always stopped: on leaving the ``with`` block, on :meth:`stop`, and at interpreter
exit (``atexit``) if neither ran. Each daemon runs in its own process group, so stopping a worker
also ends the executor JVMs and Python workers it started.

Settings for a small shared machine (defaults): master and worker daemons with 256 MB heaps, each
worker offering 1 core and 1 GB to executors, executors of 1 core and 640 MB, 8 default / shuffle
partitions (so every stage of a small corpus has several tasks) and an event log in the cluster's
folder (:meth:`task_usage` reads it). The client settings are written to a ``spark-defaults.conf``
that ``SPARK_CONF_DIR`` points to, Spark's own way to configure an application; settings the
engine sets itself (driver memory, SQL settings) are not overridden by it.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any


def spark_home() -> Path:
    """The Spark distribution inside the pyspark wheel (it has ``bin/spark-class`` and ``jars/``)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ClusterError(RuntimeError):
    """The cluster did not come up (its daemons' logs are named in the message)."""


class LocalCluster:
    """A Spark standalone master and ``workers`` workers on 127.0.0.1, each its own process.

    Parameters
    ----------
    workers:
        Number of worker daemons (each runs its executors in JVMs of their own).
    worker_cores, worker_memory:
        What each worker offers to executors (``--cores``, ``--memory``).
    executor_memory:
        ``spark.executor.memory`` of applications (must fit in ``worker_memory``).
    daemon_memory:
        Heap of the master and worker daemons themselves (``SPARK_DAEMON_MEMORY``).
    parallelism:
        ``spark.default.parallelism`` and ``spark.sql.shuffle.partitions`` for applications.
    folder:
        Where logs, work folders, the event log and the client configuration go (default: a new
        temporary folder, removed by :meth:`stop` unless ``keep`` is true).
    conf:
        Extra client settings written to ``spark-defaults.conf``.
    start_timeout:
        Seconds to wait for the master and every worker to register.
    """

    def __init__(
        self,
        workers: int = 2,
        worker_cores: int = 1,
        worker_memory: str = "1g",
        executor_memory: str = "640m",
        daemon_memory: str = "256m",
        parallelism: int = 8,
        folder: str | os.PathLike | None = None,
        conf: dict[str, str] | None = None,
        start_timeout: float = 180.0,
        keep: bool = False,
    ) -> None:
        self.n_workers = int(workers)
        self.worker_cores = int(worker_cores)
        self.worker_memory = worker_memory
        self.executor_memory = executor_memory
        self.daemon_memory = daemon_memory
        self.parallelism = int(parallelism)
        self._own_folder = folder is None
        self.folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="engineroom-cluster-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self.extra_conf = dict(conf or {})
        self.start_timeout = start_timeout
        self.host = "127.0.0.1"
        self.master_port = free_port()
        self.master_ui_port = free_port()
        self.worker_ui_ports: list[int] = []
        self.procs: list[subprocess.Popen] = []
        self.stopped_groups: list[int] = []  # process groups of the daemons, once stopped
        self._logs: list[Path] = []
        self.event_dir = self.folder / "events"
        self.conf_dir = self.folder / "conf"

    # -- addresses --------------------------------------------------------------------
    @property
    def master_url(self) -> str:
        """The URL applications connect to: ``spark://127.0.0.1:PORT``."""
        return f"spark://{self.host}:{self.master_port}"

    @property
    def master_ui(self) -> str:
        return f"http://{self.host}:{self.master_ui_port}"

    def worker_dir(self, i: int) -> Path:
        """Work folder of worker ``i`` (one sub-folder per application and executor)."""
        return self.folder / f"worker-{i}"

    # -- life cycle -------------------------------------------------------------------
    def __enter__(self) -> "LocalCluster":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _daemon_env(self) -> dict[str, str]:
        env = dict(os.environ)
        home = spark_home()
        env.update(
            SPARK_HOME=str(home),
            SPARK_LOCAL_IP=self.host,
            SPARK_DAEMON_MEMORY=self.daemon_memory,
            SPARK_LOG_DIR=str(self.folder / "logs"),
            SPARK_NO_DAEMONIZE="1",
            # the daemons need no Python; executors get PYTHONPATH from this environment
            SPARK_WORKER_OPTS="-Dspark.worker.cleanup.enabled=false",
        )
        env.pop("SPARK_CONF_DIR", None)
        return env

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = self.folder / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        self._logs.append(log)
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [str(spark_home() / "bin" / "spark-class"), *args],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self._daemon_env(), cwd=self.folder, start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def start(self) -> "LocalCluster":
        """Start the master, then the workers; return when all workers are ALIVE on the master."""
        atexit.register(self.stop)
        self._write_client_conf()
        try:
            self._spawn("master", ["org.apache.spark.deploy.master.Master", "--host", self.host,
                                   "--port", str(self.master_port), "--webui-port", str(self.master_ui_port)])
            for i in range(self.n_workers):
                port = free_port()
                self.worker_ui_ports.append(port)
                self.worker_dir(i).mkdir(parents=True, exist_ok=True)
                self._spawn(f"worker-{i}", [
                    "org.apache.spark.deploy.worker.Worker", self.master_url, "--host", self.host,
                    "--webui-port", str(port), "--cores", str(self.worker_cores),
                    "--memory", self.worker_memory, "--work-dir", str(self.worker_dir(i)),
                ])
            self._wait_for_workers()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_workers(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        last: Any = None
        while time.monotonic() < deadline:
            for proc, log in zip(self.procs, self._logs):
                if proc.poll() is not None:
                    raise ClusterError(f"a Spark daemon exited with {proc.returncode}: see {log}")
            try:
                state = self.master_state()
                alive = [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]
                last = f"{len(alive)} of {self.n_workers} workers alive"
                if state.get("status") == "ALIVE" and len(alive) >= self.n_workers:
                    return
            except OSError as exc:  # not listening yet
                last = exc
            time.sleep(0.5)
        raise ClusterError(f"the cluster did not come up in {self.start_timeout:.0f}s ({last}); "
                           f"logs in {self.folder / 'logs'}")

    def stop(self) -> None:
        """Stop every daemon (and the executors they started); safe to call more than once."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=15)
            # anything left in the daemon's group (an executor, its Python workers)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        groups = [p.pid for p in self.procs]
        deadline = time.monotonic() + 20
        while group_members(groups) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.stopped_groups = groups
        self.procs.clear()
        try:
            atexit.unregister(self.stop)
        except Exception:  # pragma: no cover
            pass
        if self._own_folder and not self.keep:
            import shutil

            shutil.rmtree(self.folder, ignore_errors=True)

    # -- clients ----------------------------------------------------------------------
    def client_conf(self) -> dict[str, str]:
        """The settings an application on this cluster gets from ``spark-defaults.conf``."""
        conf = {
            "spark.executor.memory": self.executor_memory,
            "spark.executor.cores": str(self.worker_cores),
            "spark.cores.max": str(self.worker_cores * self.n_workers),
            "spark.default.parallelism": str(self.parallelism),
            "spark.sql.shuffle.partitions": str(self.parallelism),
            "spark.eventLog.enabled": "true",
            "spark.eventLog.dir": self.event_dir.as_uri(),
            "spark.eventLog.compress": "false",
        }
        conf.update(self.extra_conf)
        return conf

    def _write_client_conf(self) -> None:
        self.event_dir.mkdir(parents=True, exist_ok=True)
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        lines = [f"{k} {v}" for k, v in self.client_conf().items()]
        (self.conf_dir / "spark-defaults.conf").write_text("\n".join(lines) + "\n")

    def client_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for a process that runs an application here (``engineroom analyze``)."""
        env = dict(os.environ if base is None else base)
        env.update(SPARK_CONF_DIR=str(self.conf_dir), SPARK_LOCAL_IP=self.host)
        return env

    # -- what ran where -----------------------------------------------------------------
    def master_state(self) -> dict[str, Any]:
        """The master's status (``/json``): workers, running and completed applications."""
        with urllib.request.urlopen(self.master_ui + "/json/", timeout=5) as resp:
            return json.loads(resp.read())

    def task_usage(self) -> dict[str, Any]:
        """Tasks and stages of the applications run so far, per worker, from the event logs.

        Which executor ran on which worker comes from the workers' folders
        (``worker-N/<app id>/<executor id>``); what each executor ran comes from Spark's event log
        (``SparkListenerTaskEnd``, ``SparkListenerStageCompleted``). Returns ``{"apps": [...],
        "tasks_per_worker": {worker: n}, "stages": n, "stages_with_several_tasks": n,
        "failed_tasks": n, "executor_cpu_s": s}`` (CPU seconds of the executors' task threads, as Spark
        measures them; their Python workers' CPU is not in it).
        """
        executor_worker: dict[tuple[str, str], int] = {}
        for i in range(self.n_workers):
            for app in self.worker_dir(i).glob("app-*"):
                for ex in app.iterdir():
                    executor_worker[(app.name, ex.name)] = i
        tasks: Counter = Counter()
        stages = several = failed = cpu_ns = 0
        apps = []
        for log in sorted(self.event_dir.iterdir()):
            app_id = None
            # Spark 4 writes a folder per application (rolling event log), older ones one file
            files = sorted(log.glob("events_*"), key=_event_file_number) if log.is_dir() else [log]
            for line in (line for f in files for line in f.open()):
                try:
                    event = json.loads(line)
                except ValueError:  # a line being written
                    continue
                kind = event.get("Event")
                if kind == "SparkListenerApplicationStart":
                    app_id = event.get("App ID")
                    apps.append(app_id)
                elif kind == "SparkListenerTaskEnd":
                    info = event.get("Task Info", {})
                    if info.get("Failed"):
                        failed += 1
                        continue
                    cpu_ns += (event.get("Task Metrics") or {}).get("Executor CPU Time", 0) or 0
                    worker = executor_worker.get((app_id, str(info.get("Executor ID"))))
                    tasks[f"worker-{worker}" if worker is not None else "unknown"] += 1
                elif kind == "SparkListenerStageCompleted":
                    stages += 1
                    if event.get("Stage Info", {}).get("Number of Tasks", 0) > 1:
                        several += 1
        return {"apps": apps, "tasks_per_worker": dict(sorted(tasks.items())), "stages": stages,
                "stages_with_several_tasks": several, "failed_tasks": failed,
                "executor_cpu_s": round(cpu_ns / 1e9, 1)}


def group_members(groups: list[int]) -> list[int]:
    """Live processes (not zombies) in the process groups ``groups`` (Linux ``/proc``)."""
    wanted, found = set(groups), []
    if not wanted:
        return found
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if fields[0] != "Z" and int(fields[2]) in wanted:
            found.append(int(entry.name))
    return found


def _event_file_number(path: Path) -> int:
    """Order of a rolling event-log file (``events_<n>_<app id>``)."""
    try:
        return int(path.name.split("_")[1])
    except (IndexError, ValueError):
        return 0
