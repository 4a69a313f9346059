"""The Spark engine: the same analyses, with their set work on Apache Spark.

Analyses build Ibis expressions on ``engine.table(name)``; on this engine those tables are Spark
views over Parquet, and Ibis compiles the expressions to Spark SQL. Nothing in an analysis changes.

Data flow::

    corpus.duckdb ──export (DuckDB COPY)──▶ <db>.parquet/corpus/<table>/      (posts, interactions:
                                                                             one folder per day)
                   Spark reads the Parquet, runs the joins / windows / group-bys
    findings ◀──load (DuckDB read_parquet)── <db>.parquet/findings/<table>/<write id>/  ◀── Spark writes

* The corpus tables are exported once per corpus state (a manifest of row counts and ingests says
  when the export is stale) to ``<db>.parquet/`` beside the corpus file. ``posts`` and
  ``interactions`` are partitioned by UTC day (``day=YYYY-MM-DD`` folders), the layout a cluster
  would read from object storage.
* :meth:`SparkEngine.write` computes on Spark, writes Parquet, then loads it into the corpus
  DuckDB file, so ``report``, ``serve`` and ``export`` read Spark's findings exactly as DuckDB's.
  With ``keep_post_findings`` the per-post findings (``hate``, ``narratives``) stay in Parquet and
  the corpus file gets a view over them instead.
* :meth:`SparkEngine.map_batches` runs per-row Python work on the executors (``mapInArrow``: Arrow
  batches in and out, so the function sees the same pandas batches as on DuckDB).
* ``to_pandas`` / ``to_arrow`` collect to the driver: only for small (account-level) results.

The session is local (``local[*]``) unless a master URL is given (``--spark-master
spark://host:7077``; on a cluster the Parquet folder must be on a path every worker reads, see
:mod:`engineroom.engines.cluster` for a standalone cluster on one machine). Session settings chosen for a small machine: 2 GB driver memory
(``ENGINEROOM_SPARK_DRIVER_MEMORY``), 8 shuffle partitions with adaptive execution, UTC session
time zone, ANSI mode off (division by zero gives NULL as on DuckDB), an in-memory catalog with a
temporary warehouse folder (no ``./spark-warehouse`` or ``metastore_db`` left behind), no UI and
error-level logging.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import schema
from .base import Engine, check_setting_name

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

    from ..store import Store

#: corpus tables partitioned by UTC day in the Parquet layout (they have ``created_at``)
PARTITIONED_BY_DAY = ("posts", "interactions")

#: findings with one row per post: with ``keep_post_findings`` they stay in Parquet and the
#: corpus file gets a view over them instead of a copy (``hate``, ``narratives``)
POST_FINDINGS = ("hate", "narratives")

#: seconds a drop of a findings folder waits for Spark jobs still running (see ``drop_table``)
_DROP_WAIT = 60.0

_LOG4J2 = """\
status = error
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.spark.name = org.apache.spark
logger.spark.level = error
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = error
logger.parquet.name = org.apache.parquet
logger.parquet.level = error
"""


def spark_unavailable_reason() -> str | None:
    """Why Spark cannot run here (no pyspark, no Java), or None when it can."""
    try:
        import pyspark  # noqa: F401
        import ibis.backends.pyspark  # noqa: F401
    except ImportError as exc:
        return f"pyspark / ibis[pyspark] not installed ({exc}): pip install 'engineroom[spark]'"
    java_home = os.environ.get("JAVA_HOME")
    if not (shutil.which("java") or (java_home and Path(java_home, "bin", "java").exists())):
        return "no Java runtime found (Spark needs Java 17): install a JDK or set JAVA_HOME"
    return None


def build_session(
    master: str | None = None,
    driver_memory: str | None = None,
    shuffle_partitions: int | None = None,
    conf: dict[str, str] | None = None,
    app_name: str = "engineroom",
) -> "SparkSession":
    """Start (or join) a Spark session configured for engineroom.

    ``master`` defaults to ``local[*]`` (all cores of this machine). Java options, memory and the
    warehouse folder only take effect when this call starts the JVM; a session already running in
    this process is reused with its JVM settings (the SQL settings are applied to it).
    """
    reason = spark_unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # executors' Python workers must be this interpreter (it has engineroom and its deps)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    scratch = Path(tempfile.mkdtemp(prefix="engineroom-spark-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    log_conf = scratch / "log4j2.properties"
    log_conf.write_text(_LOG4J2)
    java_opts = f"-Dlog4j2.configurationFile=file:{log_conf} -Dderby.system.home={scratch / 'derby'} -Duser.timezone=UTC"
    if os.environ.get("ENGINEROOM_SPARK_JAVA_OPTS"):
        java_opts += " " + os.environ["ENGINEROOM_SPARK_JAVA_OPTS"]
    builder = (
        SparkSession.builder.appName(app_name)
        .master(master or os.environ.get("ENGINEROOM_SPARK_MASTER", "local[*]"))
        .config("spark.driver.memory", driver_memory or os.environ.get("ENGINEROOM_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.driver.extraJavaOptions", java_opts)
        .config("spark.executor.extraJavaOptions", java_opts)
        .config("spark.driver.host", os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"))
        .config("spark.driver.bindAddress", os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"))
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
        .config("spark.local.dir", str(scratch / "local"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or 8))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.python.worker.reuse", "true")
        # a busy small machine can starve heartbeats for a while: don't declare the executor lost
        .config("spark.network.timeout", "800s")
        .config("spark.executor.heartbeatInterval", "60s")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    for key, value in _sql_conf(shuffle_partitions, conf).items():
        session.conf.set(key, value)
    return session


def _sql_conf(shuffle_partitions: int | None, conf: dict[str, str] | None) -> dict[str, str]:
    """The per-session SQL settings (also applied to sessions created with ``newSession``)."""
    out = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(shuffle_partitions or 8),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.ansi.enabled": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    }
    for key, value in (conf or {}).items():
        if key.startswith("spark.sql."):
            out[key] = value
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class SparkEngine(Engine):
    """Run analyses on Apache Spark; findings land in the corpus DuckDB file as with DuckDB.

    Parameters
    ----------
    corpus:
        The corpus (its DuckDB file is the source of the Parquet export and the sink of findings).
    master:
        Spark master URL; default ``local[*]``. On a cluster, ``workdir`` must be a path every
        executor can read (a shared file system).
    session:
        An existing SparkSession to use (tests share one); the engine then works in its own
        ``newSession()`` (own temporary views) and does not stop it on :meth:`close`.
    workdir:
        Folder of the Parquet layout; default ``<corpus file>.parquet`` beside the corpus.
    driver_memory, shuffle_partitions, conf:
        Session settings (defaults: ``2g``, ``8``, none). ``conf`` is any extra Spark settings.
    refresh:
        Re-export the corpus tables even when the manifest says the export is current.
    keep_post_findings:
        Leave the per-post findings (:data:`POST_FINDINGS`) in Parquet where the executors wrote
        them; the corpus file gets a view over those files (``CREATE VIEW hate AS SELECT * FROM
        read_parquet(...)``) instead of a copy, so ``report``, ``serve`` and ``export`` read them
        as before while the corpus file holds only account-level and aggregate findings. The
        views need the Parquet folder to stay where it is.
    """

    name = "spark"

    def __init__(
        self,
        corpus: "Store",
        master: str | None = None,
        session: "SparkSession | None" = None,
        workdir: str | os.PathLike | None = None,
        driver_memory: str | None = None,
        shuffle_partitions: int | None = None,
        conf: dict[str, str] | None = None,
        refresh: bool = False,
        keep_post_findings: bool = False,
    ) -> None:
        import ibis.backends.pyspark  # noqa: F401  (fail early without the extra)

        self.corpus = corpus
        self.parquet_findings = frozenset(POST_FINDINGS if keep_post_findings else ())
        self._owns_session = session is None
        if session is None:
            session = build_session(master, driver_memory, shuffle_partitions, conf)
            self.session = session
        else:
            self.session = session.newSession()
            for key, value in _sql_conf(shuffle_partitions, conf).items():
                self.session.conf.set(key, value)
        self.backend = ibis.pyspark.connect(self.session)
        self.workdir = Path(workdir) if workdir is not None else default_workdir(corpus)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._views: dict[str, str] = {}  # table name -> Parquet folder registered for it
        self._prefix = "er_" + uuid.uuid4().hex[:8] + "_"
        self.export_corpus(refresh=refresh)

    # -- the Parquet layout -----------------------------------------------------------
    def export_corpus(self, refresh: bool = False) -> dict[str, int]:
        """Export the corpus tables to Parquet (see :func:`export_parquet`) and register them."""
        counts = export_parquet(self.corpus, self.workdir, refresh=refresh)
        for t in schema.CORPUS_TABLES:
            self._register(t.name, self.workdir / "corpus" / t.name,
                           partitioned=(t.name in PARTITIONED_BY_DAY and counts[t.name] > 0))
        return counts

    def _register(self, name: str, folder: Path, partitioned: bool = False, spark_schema=None) -> None:
        """Make the Parquet under ``folder`` the Spark view of ``name``.

        The schema is given to the reader (from the file footer via pyarrow, or from the DataFrame
        that wrote it) so Spark runs no schema-inference job per table.
        """
        from pyspark.sql.pandas.types import from_arrow_schema

        if spark_schema is None:
            first = next(iter(sorted(folder.rglob("*.parquet"))), None)
            if first is not None:
                spark_schema = from_arrow_schema(_spark_safe_schema(pq.read_schema(first)), prefer_timestamp_ntz=True)
        reader = self.session.read
        if spark_schema is not None:
            if partitioned:
                from pyspark.sql import types as T

                spark_schema = T.StructType([f for f in spark_schema.fields if f.name != "day"]).add("day", T.StringType())
            reader = reader.schema(spark_schema)
        df = reader.parquet(str(folder))
        if partitioned and "day" in df.columns:
            df = df.drop("day")
        df.createOrReplaceTempView(self._prefix + name)
        self._views[name] = str(folder)

    def _export_from_duckdb(self, name: str) -> None:
        """Make a DuckDB table (findings of an earlier run, bookkeeping) readable by Spark."""
        con = self.corpus.con
        cols = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema='main' AND table_name=? ORDER BY ordinal_position",
            [name],
        ).fetchall()
        select = ", ".join(_export_column(c, t) for c, t in cols)
        folder = self._new_folder(name)
        con.execute(
            f"COPY (SELECT {select} FROM {_q(name)}) TO {_sql_path(folder / 'part-0.parquet')} (FORMAT PARQUET)"
        )
        self._register(name, folder)

    def _new_folder(self, name: str) -> Path:
        folder = self.workdir / "findings" / name / uuid.uuid4().hex[:12]
        folder.mkdir(parents=True)
        return folder

    # -- the Engine interface ---------------------------------------------------------
    def table(self, name: str) -> ibis.Table:
        if name not in self._views:
            if not self.corpus.has_table(name):
                raise KeyError(f"no table {name!r} in {self.corpus.path}")
            self._export_from_duckdb(name)
        return self.backend.table(self._prefix + name)

    def has_table(self, name: str) -> bool:
        return name in self._views or self.corpus.has_table(name)

    def forget(self, name: str) -> None:
        """Drop Spark's view of ``name`` (it was rewritten in DuckDB); the next use re-exports it."""
        if self._views.pop(name, None) is not None:
            self.session.catalog.dropTempView(self._prefix + name)

    def drop_table(self, name: str) -> None:
        """Drop ``name``: Spark's view, its Parquet folders under ``findings/`` and the DuckDB table.

        Spark may still run a job that reads the folder after the query that needed it returned
        (adaptive execution leaves a broadcast it no longer needs to finish in the background);
        the folder is removed once no job is active (at most ``_DROP_WAIT`` seconds), so that no
        task fails on a vanished file."""
        self.forget(name)
        self._wait_for_jobs()
        folder = self.workdir / "findings" / name
        if folder.resolve().parent == (self.workdir / "findings").resolve():  # never outside findings/
            shutil.rmtree(folder, ignore_errors=True)
        self.corpus.con.execute(f"DROP TABLE IF EXISTS {_q(name)}")

    def _wait_for_jobs(self, timeout: float | None = None) -> None:
        """Wait until the session runs no job (``timeout``: ``_DROP_WAIT`` seconds)."""
        tracker = self.session.sparkContext.statusTracker()
        deadline = time.monotonic() + (_DROP_WAIT if timeout is None else timeout)
        while tracker.getActiveJobsIds() and time.monotonic() < deadline:
            time.sleep(0.05)

    @contextmanager
    def settings(self, values: dict[str, Any]):
        """Spark configuration keys (``spark.sql.shuffle.partitions``, ...) set on this engine's
        session while the block runs, the previous values (or unset) put back after it."""
        conf = self.session.conf
        previous: dict[str, Any] = {}
        try:
            for key, value in values.items():
                previous[key] = conf.get(check_setting_name(key), None)
                conf.set(key, str(value))
            yield
        finally:
            for key, value in previous.items():
                if value is None:
                    conf.unset(key)
                else:
                    conf.set(key, value)

    def spark_df(self, expr: ibis.Expr) -> "DataFrame":
        """The Spark DataFrame of an Ibis expression built on this engine's tables."""
        table = expr.as_table() if not isinstance(expr, ibis.Table) else expr
        self.backend._run_pre_execute_hooks(table)
        return self.session.sql(self.backend.compile(table))

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        from ibis.formats.pyarrow import PyArrowData

        table_expr = expr.as_table()
        result = self.spark_df(table_expr).toArrow()
        result = PyArrowData.convert_table(result, table_expr.schema())
        return expr.__pyarrow_result__(result)

    def to_pandas(self, expr: ibis.Expr) -> pd.DataFrame:
        result = self.to_arrow(expr)
        return result.as_py() if isinstance(result, pa.Scalar) else result.to_pandas()

    def write(self, name: str, data: "ibis.Table | pd.DataFrame | pa.Table") -> None:
        folder = self._new_folder(name)
        spark_schema = None
        if isinstance(data, ibis.Expr):
            spark_schema = self._write_spark(self.spark_df(data), folder)
        else:
            if isinstance(data, pd.DataFrame):
                data = pa.Table.from_pandas(data, preserve_index=False)
            data = _spark_safe_arrow(data)
            pq.write_table(data, folder / "part-0.parquet", coerce_timestamps="us", allow_truncated_timestamps=True)
        self._publish(name, folder)
        self._register(name, folder, spark_schema=spark_schema)
        self._drop_old_folders(name, keep=folder)

    def map_batches(
        self,
        name: str,
        expr: ibis.Table,
        fn: "Callable[[pd.DataFrame], pd.DataFrame]",
        schema: pa.Schema,
        batch_size: int = 50_000,
    ) -> int:
        from pyspark.sql.pandas.types import from_arrow_schema

        schema = _spark_safe_schema(schema)
        names = list(schema.names)

        def apply(batches):  # runs in the executors' Python workers
            for batch in batches:
                out = fn(batch.to_pandas())
                if out is None or len(out) == 0:
                    continue
                if isinstance(out, pa.Table):  # Arrow out, as DuckDB's map_batches also takes
                    table = out.select(names).cast(schema)
                else:
                    table = pa.Table.from_pandas(out[names], schema=schema, preserve_index=False)
                yield from table.to_batches()

        self.session.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(int(batch_size)))
        out = self.spark_df(expr).mapInArrow(apply, from_arrow_schema(schema, prefer_timestamp_ntz=True))
        folder = self._new_folder(name)
        spark_schema = self._write_spark(out, folder)
        self._publish(name, folder)
        self._register(name, folder, spark_schema=spark_schema)
        self._drop_old_folders(name, keep=folder)
        return int(self.corpus.con.execute(f"SELECT count(*) FROM {_q(name)}").fetchall()[0][0])

    def _publish(self, name: str, folder: Path) -> None:
        """Make what Spark wrote to ``folder`` the corpus's table ``name``: a copy, or a view
        over the Parquet for the findings kept on the cluster (``keep_post_findings``)."""
        if name in self.parquet_findings:
            self._view_in_duckdb(name, folder)
        else:
            self._load_into_duckdb(name, folder)

    def close(self) -> None:
        for name in list(self._views):
            try:
                self.session.catalog.dropTempView(self._prefix + name)
            except Exception:  # pragma: no cover - session already gone
                pass
        self._views.clear()
        if self._owns_session:
            self.session.stop()

    # -- helpers ----------------------------------------------------------------------
    @staticmethod
    def _write_spark(df: "DataFrame", folder: Path):
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        # session-zone timestamps become naive UTC, the corpus's convention
        for field in df.schema.fields:
            if isinstance(field.dataType, T.TimestampType):
                df = df.withColumn(field.name, F.col(field.name).cast(T.TimestampNTZType()))
        df.write.mode("overwrite").parquet(str(folder))
        return df.schema

    def _drop_old_folders(self, name: str, keep: Path) -> None:
        """Earlier writes of ``name`` (no view reads them any more; a job still running may: waited for)."""
        olds = [old for old in (self.workdir / "findings" / name).iterdir() if old != keep and old.is_dir()]
        if olds:
            self._wait_for_jobs()
        for old in olds:
            shutil.rmtree(old, ignore_errors=True)

    def _load_into_duckdb(self, name: str, folder: Path) -> None:
        drop_relation(self.corpus.con, name, keep="BASE TABLE")
        self.corpus.con.execute(f"CREATE OR REPLACE TABLE {_q(name)} AS SELECT * FROM read_parquet({_file_list(folder, name)})")

    def _view_in_duckdb(self, name: str, folder: Path) -> None:
        drop_relation(self.corpus.con, name, keep="VIEW")
        self.corpus.con.execute(f"CREATE OR REPLACE VIEW {_q(name)} AS SELECT * FROM read_parquet({_file_list(folder, name)})")


def _file_list(folder: Path, name: str) -> str:
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise RuntimeError(f"Spark wrote no Parquet files for {name} in {folder}")
    return "[" + ", ".join(_sql_path(f.resolve()) for f in files) + "]"


def drop_relation(con, name: str, keep: str | None = None) -> None:
    """Drop table or view ``name`` from the corpus unless it is of type ``keep`` (``BASE TABLE`` or
    ``VIEW``): ``CREATE OR REPLACE`` cannot turn one kind into the other."""
    rows = con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' "
                       "AND table_name = ?", [name]).fetchall()
    if rows and rows[0][0] != keep:
        con.execute(f"DROP {'VIEW' if rows[0][0] == 'VIEW' else 'TABLE'} {_q(name)}")


def _export_column(name: str, type_: str) -> str:
    # JSON columns travel as text (Spark has no JSON type)
    if type_.upper() == "JSON":
        return f"CAST({_q(name)} AS VARCHAR) AS {_q(name)}"
    return _q(name)


def _fingerprint(corpus: "Store") -> dict[str, Any]:
    """What the export reflects: row counts of the corpus tables and the ingests so far."""
    con = corpus.con
    counts = {t.name: corpus.count(t.name) for t in schema.CORPUS_TABLES}
    ingests = con.execute("SELECT count(*), max(finished_at) FROM ingests").fetchall()[0]
    return {
        "corpus": str(corpus.path.resolve()),
        "counts": counts,
        "ingests": [int(ingests[0]), str(ingests[1])],
        "layout": 1,
    }


def default_workdir(corpus: "Store") -> Path:
    """Where the Parquet layout of a corpus lives by default: ``<corpus file>.parquet``."""
    return corpus.path.with_name(corpus.path.name + ".parquet")


def export_parquet(corpus: "Store", workdir: str | os.PathLike | None = None, refresh: bool = False) -> dict[str, int]:
    """Write the corpus tables to ``workdir/corpus/<table>/`` as Parquet (no JVM needed).

    ``posts`` and ``interactions`` are partitioned by UTC day of ``created_at``
    (``day=YYYY-MM-DD`` folders, ``day=unknown`` without a time); the other tables are one file
    each. JSON columns become text. A manifest records the corpus state exported; when it matches,
    nothing is written again (``refresh`` forces it). Returns the row counts per table.
    """
    base = Path(workdir if workdir is not None else default_workdir(corpus)) / "corpus"
    manifest = base / "_manifest.json"
    fp = _fingerprint(corpus)
    if not refresh and manifest.exists():
        try:
            if json.loads(manifest.read_text()) == fp:
                return fp["counts"]
        except (ValueError, OSError):
            pass
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    con = corpus.con
    for t in schema.CORPUS_TABLES:
        out = base / t.name
        cols = ", ".join(_export_column(c.name, c.type) for c in t.columns)
        if t.name in PARTITIONED_BY_DAY and fp["counts"][t.name] > 0:
            day = "coalesce(strftime(created_at, '%Y-%m-%d'), 'unknown') AS day"
            con.execute(
                f"COPY (SELECT {cols}, {day} FROM {_q(t.name)}) TO {_sql_path(out)} "
                "(FORMAT PARQUET, PARTITION_BY (day), COMPRESSION ZSTD)"
            )
        else:
            out.mkdir()
            con.execute(
                f"COPY (SELECT {cols} FROM {_q(t.name)}) TO {_sql_path(out / 'part-0.parquet')} "
                "(FORMAT PARQUET, COMPRESSION ZSTD)"
            )
    manifest.write_text(json.dumps(fp))
    return fp["counts"]


def _spark_safe_schema(schema: pa.Schema) -> pa.Schema:
    """Arrow types Spark reads: nanosecond times → microseconds, null / large types → plain ones."""
    fields = []
    for f in schema:
        t = f.type
        if pa.types.is_timestamp(t) and t.unit != "us":
            t = pa.timestamp("us", tz=t.tz)
        elif pa.types.is_null(t) or pa.types.is_large_string(t):
            t = pa.string()
        elif pa.types.is_large_binary(t):
            t = pa.binary()
        elif pa.types.is_dictionary(t):
            t = t.value_type
        elif pa.types.is_unsigned_integer(t):
            t = pa.int64()
        fields.append(pa.field(f.name, t, f.nullable))
    return pa.schema(fields)


def _spark_safe_arrow(table: pa.Table) -> pa.Table:
    target = _spark_safe_schema(table.schema)
    return table if target.equals(table.schema) else table.cast(target)
