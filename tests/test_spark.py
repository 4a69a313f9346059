"""The Spark engine and DuckDB/Spark parity.

One SparkSession (local[2]) serves the whole module; each engine works in its own
``newSession()``. The parity harness iterates the analysis registry, so every analysis that declares
``spark`` in ``engines`` is covered as soon as it lands: it runs on DuckDB and on Spark over copies
of the same corpus, and every findings table it declares must agree (same rows; floats within
tolerance; JSON lists compared as sets; community / cluster labels compared as partitions).

Skips cleanly without pyspark or Java.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]  # a JVM per module: the full tier only

import engineroom.spark as spark_mod  # noqa: E402  (the package's own module: an import error fails)

_reason = spark_mod.spark_unavailable_reason()
if _reason:  # pragma: no cover - depends on the machine
    pytest.skip(_reason, allow_module_level=True)

# short-lived JVMs on small data: the C1 JIT alone halves Spark's CPU time here
os.environ.setdefault("ENGINEROOM_SPARK_JAVA_OPTS", "-XX:TieredStopAtLevel=1")

import engineroom  # noqa: E402
from engineroom.analyses import order, registry  # noqa: E402
from engineroom.engine import DuckDBEngine  # noqa: E402
from engineroom.spark import SparkEngine  # noqa: E402

# ---------------------------------------------------------------------------------------------
# a small corpus with structure every analysis can find something in
# ---------------------------------------------------------------------------------------------
T0 = datetime(2024, 3, 1)
TAGS = ["news", "politics", "smearcampaign", "weaponised", "sackjones", "football", "music", "uk"]
DOMAINS = ["bbc.co.uk", "theguardian.com", "fakenewsdaily.net", "bit.ly", "example.org"]
TEXTS = [
    "Great match today, what a goal",
    "Antisemitism is just a smear used to silence critics",
    "The so-called antisemitism crisis is weaponised by the lobby",
    "Jews control the media and the banks",
    "We stand with our Jewish neighbours against hate",
    "New album out now, listen here",
    "Sack Jones now, the council must act",
    "Read this report on the election",
]


def build_corpus(path: Path, n_posts: int = 2500, seed: int = 7) -> Path:
    """Write a small deterministic corpus (accounts, posts, interactions, hashtags, urls)."""
    rng = random.Random(seed)
    accounts = [f"{1000 + i}" for i in range(80)]
    ring = accounts[:8]  # a coordinated group: retweets and links within seconds of each other
    acc_rows = [
        dict(platform="twitter", account_id=a, handle=f"user{a}" if a not in ring else f"xq{a}zz{i}",
             display_name=f"User {a}", bio="news and views" if a not in ring else "Patriot. Truth. News.",
             created_at=T0 - timedelta(days=400 + (3 if a in ring else rng.randint(0, 3000))),
             followers=rng.randint(0, 5000) if a not in ring else rng.randint(0, 20),
             following=rng.randint(0, 2000), posts_count=rng.randint(10, 50000), verified=False,
             default_profile=a in ring, default_profile_image=a in ring)
        for i, a in enumerate(accounts)
    ]
    posts, inter, tags, urls = [], [], [], []
    pid = 1

    def add_post(account, when, text, kind="post", rt=None, reply=None, hashtags=(), links=(), mentions=()):
        nonlocal pid
        post_id = str(pid)
        pid += 1
        row = dict(platform="twitter", post_id=post_id, account_id=account,
                   handle=next(r["handle"] for r in acc_rows if r["account_id"] == account),
                   created_at=when, text=text, lang="en", kind=kind,
                   like_count=rng.randint(0, 30), retweet_count=rng.randint(0, 10),
                   reply_count=rng.randint(0, 5), quote_count=0,
                   client="Twitter Web App" if account not in ring else "autopost")
        if rt is not None:
            row.update(retweet_of_post_id=rt[0], retweet_of_account_id=rt[1])
            inter.append(dict(platform="twitter", post_id=post_id, kind="retweet", source_account_id=account,
                              target_account_id=rt[1], target_handle=None, target_post_id=rt[0],
                              created_at=when, target_key=rt[1]))
        if reply is not None:
            row.update(reply_to_post_id=reply[0], reply_to_account_id=reply[1], conversation_id=reply[0])
            inter.append(dict(platform="twitter", post_id=post_id, kind="reply", source_account_id=account,
                              target_account_id=reply[1], target_handle=None, target_post_id=reply[0],
                              created_at=when, target_key=reply[1]))
        for m in mentions:
            inter.append(dict(platform="twitter", post_id=post_id, kind="mention", source_account_id=account,
                              target_account_id=m, target_handle=f"user{m}", target_post_id=None,
                              created_at=when, target_key=m))
        for i, tag in enumerate(dict.fromkeys(hashtags)):
            tags.append(dict(platform="twitter", post_id=post_id, tag=tag, tag_raw=tag, position=i))
        for i, dom in enumerate(links):
            u = f"https://{dom}/story/{rng.randint(1, 6)}"
            urls.append(dict(platform="twitter", post_id=post_id, position=i, url=u, expanded_url=u,
                             domain=dom, host=dom))
        posts.append(row)
        return post_id

    originals: list[tuple[str, str, datetime]] = []
    while pid <= n_posts:
        when = T0 + timedelta(seconds=rng.randint(0, 10 * 86400))
        roll = rng.random()
        if roll < 0.08 and originals:
            # the ring retweets one post within a minute, and shares the same link
            src = rng.choice(originals)
            for j, a in enumerate(ring):
                t = when + timedelta(seconds=5 * j + rng.randint(0, 3))
                text = rng.choice(TEXTS[1:4])
                add_post(a, t, f"RT: {text}", kind="retweet", rt=(src[0], src[1]),
                         hashtags=["smearcampaign", "weaponised"][: 1 + j % 2])
                add_post(a, t + timedelta(seconds=20), f"{TEXTS[1]} https://fakenewsdaily.net/story/1",
                         hashtags=["smearcampaign"], links=["fakenewsdaily.net"])
        elif roll < 0.35 and originals:
            src = rng.choice(originals)
            a = rng.choice(accounts)
            add_post(a, max(when, src[2] + timedelta(seconds=30)), "RT " + rng.choice(TEXTS), kind="retweet",
                     rt=(src[0], src[1]))
        elif roll < 0.5 and originals:
            src = rng.choice(originals)
            a = rng.choice(accounts)
            add_post(a, max(when, src[2] + timedelta(seconds=60)), "@reply " + rng.choice(TEXTS), kind="reply",
                     reply=(src[0], src[1]), mentions=[src[1]])
        else:
            a = rng.choice(accounts)
            k = rng.randint(0, 3)
            post_id = add_post(a, when, rng.choice(TEXTS) + f" #{rng.choice(TAGS)}",
                               hashtags=rng.sample(TAGS, k),
                               links=rng.sample(DOMAINS, rng.randint(0, 1)),
                               mentions=rng.sample(accounts, rng.randint(0, 2)))
            originals.append((post_id, a, when))
    with engineroom.open(path) as corpus:
        con = corpus.con
        for name, rows in (("accounts", acc_rows), ("posts", posts), ("interactions", inter),
                           ("hashtags", tags), ("urls", urls)):
            df = pd.DataFrame(rows)
            con.register("__rows", df)
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM __rows")
            con.unregister("__rows")
        con.execute("INSERT INTO ingests (ingest_id, file, format, records_read, records_stored, records_duplicate, "
                    "records_quarantined, started_at, finished_at) VALUES ('test', 'generated', 'test', ?, ?, 0, 0, "
                    "now()::TIMESTAMP, now()::TIMESTAMP)", [len(posts), len(posts)])
    return path


@pytest.fixture(scope="module")
def spark_session():
    session = spark_mod.build_session("local[2]", shuffle_partitions=4)
    yield session
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
LABEL_COLUMNS = {"community", "cluster_id", "cluster", "component"}  # arbitrary ids: compare as partitions
REL, ABS = 1e-6, 1e-9


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


def _normalise_json(value):
    if isinstance(value, str) and value[:1] in "[{":
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return json.dumps(_canonical(parsed), sort_keys=True)
    return value


def _canonical(obj):
    if isinstance(obj, dict):
        return {k: _canonical(v) for k, v in obj.items()}
    if isinstance(obj, list):
        items = [_canonical(v) for v in obj]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(obj, float):
        return round(obj, 6)
    return obj


def _partition_signature(df: pd.DataFrame, label: str, others: list[str]) -> set:
    """The partition a label column induces over rows (labels themselves are arbitrary)."""
    groups = df.groupby(label, dropna=False).apply(
        lambda g: tuple(sorted("|".join(map(str, row)) for row in g[others].itertuples(index=False))),
        include_groups=False,
    )
    return set(groups.tolist())


def compare_tables(a: pd.DataFrame, b: pd.DataFrame, table: str) -> None:
    """Assert two findings tables agree: same columns and rows; floats within tolerance."""
    assert sorted(a.columns) == sorted(b.columns), f"{table}: columns differ {set(a.columns) ^ set(b.columns)}"
    assert len(a) == len(b), f"{table}: {len(a)} rows on DuckDB, {len(b)} on Spark"
    if len(a) == 0:
        return
    b = b[list(a.columns)]
    labels = [c for c in a.columns if c in LABEL_COLUMNS]
    floats = [c for c in a.columns if pd.api.types.is_float_dtype(a[c]) or pd.api.types.is_float_dtype(b[c])]
    for df in (a, b):
        for c in df.columns:
            if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
                df[c] = df[c].map(_normalise_json)
    keys = [c for c in a.columns if c not in floats and c not in labels]
    for label in labels:
        others = keys or [c for c in a.columns if c != label]
        assert _partition_signature(a, label, others) == _partition_signature(b, label, others), (
            f"{table}: {label} groups differ")
    sort_cols = keys + floats
    a = a.assign(**{c: a[c].round(6) for c in floats}).sort_values(sort_cols, kind="stable").reset_index(drop=True) \
        if floats else a.sort_values(sort_cols, kind="stable").reset_index(drop=True)
    b = b.assign(**{c: b[c].round(6) for c in floats}).sort_values(sort_cols, kind="stable").reset_index(drop=True) \
        if floats else b.sort_values(sort_cols, kind="stable").reset_index(drop=True)
    for c in keys:
        left, right = a[c].astype(object).where(a[c].notna(), None), b[c].astype(object).where(b[c].notna(), None)
        if pd.api.types.is_numeric_dtype(a[c]) and pd.api.types.is_numeric_dtype(b[c]):
            left, right = a[c].astype(float), b[c].astype(float)
            bad = ~((left == right) | (left.isna() & right.isna()))
        else:
            bad = pd.Series([x != y for x, y in zip(left.map(str), right.map(str))])
        assert not bad.any(), f"{table}.{c}: {int(bad.sum())} rows differ, e.g. {left[bad].head(3).tolist()} vs {right[bad].head(3).tolist()}"
    for c in floats:
        x, y = a[c].astype(float), b[c].astype(float)
        ok = [(math.isnan(p) and math.isnan(q)) or math.isclose(p, q, rel_tol=REL * 1000, abs_tol=ABS * 1000)
              for p, q in zip(x, y)]
        assert all(ok), f"{table}.{c}: values differ beyond tolerance"


SPARK_ANALYSES = sorted(n for n, c in registry().items() if "spark" in c.engines)


@pytest.mark.slow
@pytest.mark.parametrize("name", SPARK_ANALYSES or ["<none yet>"])
def test_parity(name, parity_runs):
    if name == "<none yet>":
        pytest.skip("no analysis declares spark yet")
    duck_db, spark_db, duck, spark = parity_runs
    if isinstance(duck[name], Exception):  # a failure on DuckDB fails the test, it is not a skip
        raise AssertionError(f"{name} failed on DuckDB: {duck[name]!r}") from duck[name]
    if isinstance(spark[name], Exception):
        raise AssertionError(f"{name} failed on Spark: {spark[name]!r}") from spark[name]
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
