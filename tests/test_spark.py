"""The Spark engine and DuckDB/Spark parity.

One SparkSession (local[2]) serves the whole module; each engine works in its own
``newSession()``. The parity harness iterates the analysis registry, so every analysis that declares
``spark`` in ``engines`` is covered as soon as it lands: it runs on DuckDB and on Spark over copies
of the same corpus, and every findings table it declares must agree (same rows; floats within
tolerance; JSON lists compared as sets; community / cluster labels compared as partitions).

Skips cleanly without pyspark or Java.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from engineroom.engines import spark as spark_mod  # the package's own module: an import error fails
from spark_parity import build_corpus, compare_tables, jvm_logging, jvm_post_mortem

pytestmark = [pytest.mark.spark, pytest.mark.slow]  # a JVM per module: the full tier only

_reason = spark_mod.spark_unavailable_reason()
if _reason:  # pragma: no cover - depends on the machine
    pytest.skip(_reason, allow_module_level=True)

# short-lived JVMs on small data: the C1 JIT alone halves Spark's CPU time here; a JVM that dies
# leaves its GC log (and a crash its fatal-error file) in JVM_LOGS for the failure message
JVM_LOGS = Path(tempfile.mkdtemp(prefix="engineroom-jvm-logs-"))
atexit.register(shutil.rmtree, JVM_LOGS, ignore_errors=True)
os.environ.setdefault("ENGINEROOM_SPARK_JAVA_OPTS", f"-XX:TieredStopAtLevel=1 {jvm_logging(JVM_LOGS)}")

import engineroom  # noqa: E402
from engineroom.analyses import order, registry  # noqa: E402
from engineroom.engines.duckdb import DuckDBEngine  # noqa: E402
from engineroom.engines.spark import SparkEngine  # noqa: E402


@pytest.fixture(scope="module")
def spark_session():
    session = spark_mod.build_session("local[2]", shuffle_partitions=4)
    yield session
    if session.sparkContext._gateway.proc.poll() is None:  # a JVM that died is reported by the tests that used it
        session.stop()


@pytest.fixture(scope="module")
def base_corpus(tmp_path_factory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("spark") / "base.duckdb")


def copy_corpus(src: Path, dst: Path) -> Path:
    shutil.copy(src, dst)
    return dst


# ---------------------------------------------------------------------------------------------
# the engine
# ---------------------------------------------------------------------------------------------
def test_engine_reads_writes_and_maps(spark_session, base_corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be left in the working directory
    db = copy_corpus(base_corpus, tmp_path / "c.duckdb")
    with engineroom.open(db) as corpus:
        duck = DuckDBEngine(corpus)
        eng = SparkEngine(corpus, session=spark_session)
        try:
            # the Parquet layout: posts partitioned by day, beside the corpus
            days = sorted(p.name for p in (tmp_path / "c.duckdb.parquet" / "corpus" / "posts").iterdir())
            assert days[0] == "day=2024-03-01" and len(days) >= 10
            assert eng.has_table("posts") and not eng.has_table("nope")
            with pytest.raises(KeyError):
                eng.table("nope")

            def per_account(e):
                p = e.table("posts")
                return (p.group_by("account_id")
                        .agg(n=p.count(), first=p.created_at.min(), days=p.created_at.date().nunique(),
                             likes=p.like_count.mean())
                        .order_by("account_id"))

            spark_df = eng.to_pandas(per_account(eng))
            duck_df = duck.to_pandas(per_account(duck))
            pd.testing.assert_frame_equal(spark_df, duck_df, check_dtype=False)
            assert str(spark_df["first"].dtype).startswith("datetime64")
            assert eng.to_pandas(eng.table("posts").count()) == corpus.count("posts")

            # write(expr): computed on Spark, stored in the corpus file with DuckDB's types
            eng.write("per_account", per_account(eng))
            stored = corpus.query("SELECT * FROM per_account ORDER BY account_id")
            pd.testing.assert_frame_equal(stored, duck_df, check_dtype=False)
            types = dict(corpus.con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                            "WHERE table_name='per_account'").fetchall())
            assert types["first"] == "TIMESTAMP" and types["n"] == "BIGINT"
            # and readable again on Spark
            assert eng.to_pandas(eng.table("per_account").count()) == len(stored)

            # write(pandas / arrow), including a nanosecond timestamp and an all-null column
            frame = pd.DataFrame({"k": ["a", "b"], "at": pd.to_datetime(["2024-01-01 00:00:01.5", None]),
                                  "empty": [None, None]})
            eng.write("frame", frame)
            back = eng.to_pandas(eng.table("frame").order_by("k"))
            assert back["k"].tolist() == ["a", "b"] and back["at"].iloc[0] == pd.Timestamp("2024-01-01 00:00:01.5")
            eng.write("arrow_t", pa.table({"x": [1, 2, 3]}))
            assert corpus.query("SELECT sum(x) AS s FROM arrow_t")["s"][0] == 6

            # a table written by DuckDB (an earlier run) is exported to Spark on first use
            corpus.con.execute("CREATE TABLE from_duck AS SELECT 1 AS one, '{\"a\": 1}'::JSON AS j")
            assert eng.to_pandas(eng.table("from_duck"))["j"][0] == '{"a": 1}'

            # map_batches: per-row Python on the executors, same result as DuckDB's
            out_schema = pa.schema([("post_id", pa.string()), ("chars", pa.int64()), ("at", pa.timestamp("us")),
                                    ("shouty", pa.bool_())])

            def fn(batch: pd.DataFrame) -> pd.DataFrame:
                keep = batch[batch["text"].str.contains("smear", case=False, na=False)]
                return pd.DataFrame({"post_id": keep["post_id"], "chars": keep["text"].str.len(),
                                     "at": keep["created_at"], "shouty": keep["text"].str.isupper()})

            def posts_expr(e):
                return e.table("posts").select("post_id", "text", "created_at")

            n_spark = eng.map_batches("mapped_s", posts_expr(eng), fn, out_schema, batch_size=500)
            n_duck = duck.map_batches("mapped_d", posts_expr(duck), fn, out_schema, batch_size=500)
            assert n_spark == n_duck > 0
            a = corpus.query("SELECT * FROM mapped_s ORDER BY post_id")
            b = corpus.query("SELECT * FROM mapped_d ORDER BY post_id")
            pd.testing.assert_frame_equal(a, b)
            # a function returning nothing still creates the (empty) table
            assert eng.map_batches("nothing", posts_expr(eng), lambda b: b.iloc[:0], out_schema) == 0
            assert corpus.count("nothing") == 0
        finally:
            eng.close()
    assert not (tmp_path / "spark-warehouse").exists() and not (tmp_path / "metastore_db").exists()


def test_export_is_reused_until_the_corpus_changes(spark_session, base_corpus, tmp_path):
    db = copy_corpus(base_corpus, tmp_path / "c.duckdb")
    manifest = tmp_path / "c.duckdb.parquet" / "corpus" / "_manifest.json"
    with engineroom.open(db) as corpus:
        SparkEngine(corpus, session=spark_session).close()
        first = manifest.stat().st_mtime_ns
        SparkEngine(corpus, session=spark_session).close()
        assert manifest.stat().st_mtime_ns == first  # current: not exported again
        corpus.con.execute("DELETE FROM posts WHERE post_id = '1'")
        eng = SparkEngine(corpus, session=spark_session)
        try:
            assert manifest.stat().st_mtime_ns != first
            assert eng.to_pandas(eng.table("posts").count()) == corpus.count("posts")
        finally:
            eng.close()


@pytest.mark.slow
def test_cli_analyze_with_spark_engine(base_corpus, tmp_path, parity_runs):
    """``engineroom analyze --engine spark`` end to end, in a fresh process (its own JVM)."""
    import subprocess
    import sys

    duck = parity_runs[2]
    # a cheap analysis that runs on both engines and needs no trained model
    names = [n for n in ("trends", "targets", "campaigns", "network")
             if n in duck and not isinstance(duck[n], Exception) and "spark" in registry()[n].engines]
    if not names:
        pytest.skip("no cheap analysis that runs on Spark yet")
    db = copy_corpus(base_corpus, tmp_path / "cli.duckdb")
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1")
    proc = subprocess.run(
        [sys.executable, "-m", "engineroom.cli", "analyze", "--db", str(db), "--engine", "spark",
         "--spark-master", "local[2]", "--only", names[0], "--json"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert names[0] in json.loads(proc.stdout.strip().splitlines()[-1])
    with engineroom.open(db, read_only=True) as corpus:
        runs = corpus.query("SELECT analysis, engine FROM runs")
    assert (runs["engine"] == "spark").all() and names[0] in set(runs["analysis"])
    assert not (tmp_path / "spark-warehouse").exists()


# ---------------------------------------------------------------------------------------------
# parity: every analysis on DuckDB and on Spark, over copies of the same corpus
# ---------------------------------------------------------------------------------------------
#: parameters for the parity run where an analysis's defaults would multiply Spark jobs without
#: covering new code: coordination's networks share one pair/edge code path (co_action_pairs,
#: edges_from_pairs), so four networks of different action kinds, including MinHash-LSH
#: co_similar_tweet and binned sync, stand for all ten.
PARITY_PARAMS: dict[str, dict] = {
    "coordination": {"networks": ("co_retweet", "co_similar_tweet", "co_link", "sync")},
}
TIMES: dict[str, dict[str, float]] = {}


def _run_all(db: Path, engine_kind: str, session) -> dict[str, object]:
    """Run every registered analysis in dependency order; return {name: summary or exception}.

    On the Spark side an analysis that does not declare spark runs on DuckDB (in the same corpus
    file) so the analyses that read its findings see the same input as on the DuckDB side.
    """
    available = registry()
    out: dict[str, object] = {}
    with engineroom.open(db) as corpus:
        duck = DuckDBEngine(corpus)
        spark = SparkEngine(corpus, session=session) if engine_kind == "spark" else None
        try:
            for name in order(sorted(available), available):
                cls = available[name]
                eng = spark if (spark is not None and "spark" in cls.engines) else duck
                t0 = time.perf_counter()
                try:
                    out[name] = cls(**PARITY_PARAMS.get(name, {})).run(eng)
                except Exception as exc:  # noqa: BLE001 - reported per analysis below
                    out[name] = exc
                TIMES.setdefault(engine_kind, {})[name] = round(time.perf_counter() - t0, 2)
                if spark is not None and eng is duck:
                    for t in cls.tables:
                        spark.forget(t)
        finally:
            if spark is not None:
                spark.close()
    return out


@pytest.fixture(scope="module")
def parity_runs(spark_session, base_corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("parity")
    duck_db = copy_corpus(base_corpus, folder / "duck.duckdb")
    spark_db = copy_corpus(base_corpus, folder / "spark.duckdb")
    duck = _run_all(duck_db, "duckdb", None)
    spark = _run_all(spark_db, "spark", spark_session)
    # seconds per analysis on each engine, for docs/scaling.md and for spotting slow ones
    artifacts = Path(__file__).resolve().parents[1] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "spark_parity_times.json").write_text(json.dumps(TIMES, indent=1, sort_keys=True))
    return duck_db, spark_db, duck, spark


SPARK_ANALYSES = sorted(n for n, c in registry().items() if "spark" in c.engines)


@pytest.mark.slow
@pytest.mark.parametrize("name", SPARK_ANALYSES or ["<none yet>"])
def test_parity(name, parity_runs, spark_session):
    if name == "<none yet>":
        pytest.skip("no analysis declares spark yet")
    duck_db, spark_db, duck, spark = parity_runs
    if isinstance(duck[name], Exception):  # a failure on DuckDB fails the test, it is not a skip
        raise AssertionError(f"{name} failed on DuckDB: {duck[name]!r}") from duck[name]
    if isinstance(spark[name], Exception):
        raise AssertionError(f"{name} failed on Spark: {spark[name]!r}; "
                             f"{jvm_post_mortem(spark_session, JVM_LOGS)}") from spark[name]
    cls = registry()[name]
    with engineroom.open(duck_db, read_only=True) as d, engineroom.open(spark_db, read_only=True) as s:
        for table in cls.tables:
            assert d.has_table(table) == s.has_table(table), f"{table} written on one engine only"
            if d.has_table(table):
                compare_tables(d.table(table), s.table(table), f"{name}:{table}")


# ---------------------------------------------------------------------------------------------
# scratch tables and settings go through the engine
# ---------------------------------------------------------------------------------------------
def test_drop_table_removes_the_parquet_folders_and_settings_are_put_back(spark_session, base_corpus, tmp_path):
    db = copy_corpus(base_corpus, tmp_path / "scratch.duckdb")
    with engineroom.open(db) as corpus:
        eng = SparkEngine(corpus, session=spark_session)
        try:
            eng.write("_scratch", pd.DataFrame({"a": [1, 2]}))
            folder = eng.workdir / "findings" / "_scratch"
            assert folder.is_dir() and corpus.has_table("_scratch")
            eng.drop_table("_scratch")
            assert not folder.exists() and not corpus.has_table("_scratch") and not eng.has_table("_scratch")
            eng.drop_table("_scratch")  # nothing left: no error
            key = "spark.sql.shuffle.partitions"
            before = eng.session.conf.get(key)
            with eng.settings({key: 3}):
                assert eng.session.conf.get(key) == "3"
            assert eng.session.conf.get(key) == before
        finally:
            eng.close()


@pytest.mark.slow
def test_a_spark_run_leaves_no_scratch_tables_or_folders(parity_runs):
    """network, engine_room, targets, campaigns and coordination write scratch tables on their way."""
    _duck_db, spark_db, _duck, spark = parity_runs
    with engineroom.open(spark_db, read_only=True) as corpus:
        assert not [t for t in corpus.tables() if t.startswith("_")]
        findings_dir = spark_mod.default_workdir(corpus) / "findings"
    folders = sorted(p.name for p in findings_dir.iterdir())
    assert not [f for f in folders if f.startswith("_")], folders
    assert "graph_nodes" in folders  # findings written on Spark stay


@pytest.mark.slow
def test_post_findings_can_stay_in_parquet(spark_session, base_corpus, tmp_path):
    """``keep_post_findings``: hate and narratives stay where the executors wrote them; the corpus
    file gets views over that Parquet, and the report and the review app read them as before."""
    import re

    from fastapi.testclient import TestClient

    from engineroom.report import write_report
    from engineroom.serve import create_app
    from engineroom.serve.auth import add_user

    analyses = ("hate", "narratives", "engine_room")  # engine_room reads both
    duck_db = copy_corpus(base_corpus, tmp_path / "duck.duckdb")
    with engineroom.open(duck_db) as corpus:
        for name in analyses:
            registry()[name]().run(DuckDBEngine(corpus))
    db = copy_corpus(base_corpus, tmp_path / "keep.duckdb")

    def kinds(corpus) -> dict[str, str]:
        return dict(corpus.con.execute("SELECT table_name, table_type FROM information_schema.tables "
                                       "WHERE table_schema = 'main'").fetchall())

    with engineroom.open(db) as corpus:
        eng = SparkEngine(corpus, session=spark_session, keep_post_findings=True)
        try:
            for name in analyses:
                registry()[name]().run(eng)
        finally:
            eng.close()
        types = kinds(corpus)
        assert types["hate"] == types["narratives"] == "VIEW"
        assert types["narrative_defs"] == types["engine_room"] == "BASE TABLE"
        view_sql = corpus.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'hate'").fetchall()[0][0]
        assert str(tmp_path / "keep.duckdb.parquet" / "findings" / "hate") in view_sql
        with engineroom.open(duck_db, read_only=True) as d:
            for table in analyses:
                compare_tables(d.table(table), corpus.table(table), table)
        flagged = corpus.query("SELECT count(*) AS n FROM hate WHERE label <> 'none'")["n"][0]
        n_hate = corpus.count("hate")
        assert flagged > 0
        add_user(corpus, "alice", "correct horse battery staple")
        report = write_report(corpus, tmp_path / "report.html")
        assert report.stat().st_size > 10_000

    app = create_app(db)
    client = TestClient(app)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": "alice", "password": "correct horse battery staple",
                                       "csrf_token": token, "next": "/queue"}, follow_redirects=False).status_code == 303
    queue = client.get("/queue")
    assert queue.status_code == 200 and 'value="hate"' in queue.text
    # a post page finds its hate row by key (a view over Parquet has no row ids)
    with engineroom.open(db, read_only=True) as corpus:
        platform, post_id, label = corpus.con.execute(
            "SELECT platform, post_id, label FROM hate WHERE label <> 'none' ORDER BY post_id LIMIT 1").fetchall()[0]
    page = client.get(f"/post/{platform}/{post_id}")
    assert page.status_code == 200 and label in page.text
    app.state.reader.close()  # the app's read-only connection, before this process opens the file to write

    # a later DuckDB run writes a table in the view's place
    with engineroom.open(db) as corpus:
        registry()["hate"]().run(DuckDBEngine(corpus))
        assert kinds(corpus)["hate"] == "BASE TABLE" and corpus.count("hate") == n_hate


def test_keep_post_findings_needs_the_spark_engine(base_corpus, tmp_path):
    from typer.testing import CliRunner

    from engineroom.cli import app

    db = copy_corpus(base_corpus, tmp_path / "c.duckdb")
    res = CliRunner().invoke(app, ["analyze", "--db", str(db), "--only", "trends", "--keep-post-findings"])
    assert res.exit_code == 1 and "--keep-post-findings needs --engine spark" in " ".join(res.output.split())
