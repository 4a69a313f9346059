"""DuckDB ``map_batches`` on a process pool: same table as in one process, errors surface, no hangs."""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager

import pandas as pd
import pyarrow as pa
import pytest

from engineroom.analyses import run_analyses
from engineroom.engines import duckdb as engines_duckdb
from engineroom.engines.pool import WORKERS_ENV, run_forked, worker_count

SCHEMA = pa.schema([("i", pa.int64()), ("label", pa.string()), ("x", pa.float64()), ("pid", pa.int64())])


@contextmanager
def deadline(seconds: int):
    """Fail (instead of hanging the test run) if the block takes longer than ``seconds``."""
    def expire(signum, frame):
        raise TimeoutError(f"no result within {seconds} s: map_batches hangs")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def numbers(corpus):
    corpus.con.execute("CREATE TABLE nums AS SELECT range AS i, 'row ' || range AS s FROM range(10000)")
    return corpus


def table(corpus, name: str) -> pd.DataFrame:
    return corpus.con.execute(f'SELECT * FROM "{name}"').df()


def run(corpus, fn, workers, name="out", batch_size=700):
    eng = corpus.engine()
    return eng.map_batches(name, eng.table("nums"), fn, SCHEMA, batch_size=batch_size, workers=workers)


def test_pool_gives_the_same_table_as_one_process(numbers):
    scale = 0.5  # a closure over local state: forked workers need no pickling of fn

    def fn(df: pd.DataFrame) -> pd.DataFrame:
        keep = df[df["i"] % 3 != 0]  # some rows dropped, batches of different sizes
        return pd.DataFrame({"pid": os.getpid(), "label": keep["s"].str.upper(), "x": keep["i"] * scale,
                             "i": keep["i"]})  # columns in another order than the schema

    assert run(numbers, fn, workers=1, name="one") == 6666
    with deadline(120):
        assert run(numbers, fn, workers=2, name="two") == 6666
    one, two = table(numbers, "one"), table(numbers, "two")
    assert (one["pid"] == os.getpid()).all()
    assert two["pid"].nunique() == 2 and os.getpid() not in set(two["pid"])  # really on two workers
    cols = ["i", "label", "x"]
    pd.testing.assert_frame_equal(one[cols], two[cols])  # same rows, same order
    assert one["i"].is_monotonic_increasing


def test_fn_may_return_arrow_and_nothing(numbers):
    def fn(df: pd.DataFrame):
        if df["i"].iloc[0] >= 5000:
            return None  # no rows for this batch
        return pa.table({"i": pa.array(df["i"], pa.int32()), "label": df["s"], "x": df["i"] / 2, "pid": [os.getpid()] * len(df),
                         "extra": [1] * len(df)})  # an int32 column cast to the schema, an extra column dropped

    with deadline(120):
        n = run(numbers, fn, workers=2)
    out = table(numbers, "out")
    assert n == len(out) == 5600 and list(out.columns) == SCHEMA.names
    assert out["i"].tolist() == list(range(5600))


def test_error_in_a_worker_is_raised_not_hung(numbers):
    def fn(df: pd.DataFrame) -> pd.DataFrame:
        if 4000 <= df["i"].iloc[0] < 4700:
            raise ValueError("bad batch")
        return pd.DataFrame({"i": df["i"], "label": "x", "x": 0.0, "pid": os.getpid()})

    with deadline(120), pytest.raises(ValueError, match="bad batch") as err:
        run(numbers, fn, workers=2)
    assert any("map_batches('out')" in note and "worker" in note for note in err.value.__notes__)
    assert err.value.__cause__ is not None and "bad batch" in str(err.value.__cause__)  # the worker's traceback


def test_dead_worker_is_an_error_not_a_hang(numbers):
    def fn(df: pd.DataFrame) -> pd.DataFrame:
        if df["i"].iloc[0] >= 2100:
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
        return pd.DataFrame({"i": df["i"], "label": "x", "x": 0.0, "pid": os.getpid()})

    with deadline(120), pytest.raises(RuntimeError, match="worker process died"):
        run(numbers, fn, workers=2)
    # the corpus connection still works afterwards
    assert numbers.con.execute("SELECT count(*) FROM nums").fetchone()[0] == 10000


@pytest.mark.parametrize("commit_rows", [250_000, 1_500])
def test_failed_run_leaves_the_table_as_it_was(numbers, monkeypatch, commit_rows):
    # (with 1,500 the failed run has committed several chunks of its rows before its error)
    monkeypatch.setattr(engines_duckdb, "COMMIT_ROWS", commit_rows)

    def ok(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"i": df["i"], "label": "old", "x": 0.0, "pid": os.getpid()})

    def fails_late(df: pd.DataFrame) -> pd.DataFrame:
        if df["i"].iloc[0] >= 7000:
            raise ValueError("bad batch")
        return pd.DataFrame({"i": df["i"], "label": "new", "x": 1.0, "pid": os.getpid()})

    for workers in (1, 2):
        assert run(numbers, ok, workers=workers) == 10000
        with deadline(120), pytest.raises(ValueError, match="bad batch"):
            run(numbers, fails_late, workers=workers)
        # none of the failed run's rows (written before its error) replaced the previous table,
        # no scratch table and no open transaction are left
        out = table(numbers, "out")
        assert len(out) == 10000 and set(out["label"]) == {"old"}
        assert numbers.con.execute("SELECT count(*) FROM information_schema.tables "
                                   "WHERE table_name LIKE '%writing%'").fetchone()[0] == 0
        numbers.con.execute("BEGIN TRANSACTION")
        numbers.con.execute("ROLLBACK")


def test_one_batch_runs_in_this_process(numbers):
    def fn(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"i": df["i"], "label": "x", "x": 0.0, "pid": os.getpid()})

    assert run(numbers, fn, workers=2, batch_size=50_000) == 10000
    assert set(table(numbers, "out")["pid"]) == {os.getpid()}


def test_worker_count(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert worker_count() == 3
    assert worker_count(1) == 1  # the parameter wins
    monkeypatch.setenv(WORKERS_ENV, "0")
    assert worker_count() == 1
    monkeypatch.setenv(WORKERS_ENV, "many")
    with pytest.raises(ValueError, match=WORKERS_ENV):
        worker_count()
    monkeypatch.delenv(WORKERS_ENV)
    assert worker_count() == len(os.sched_getaffinity(0))


def _hate_and_narratives(corpus, workers: str, monkeypatch) -> dict[str, pd.DataFrame]:
    monkeypatch.setenv(WORKERS_ENV, workers)
    for name in ("hate", "narratives"):
        run_analyses(corpus, only=[name], params={name: {"batch_size": 40}})
    return {name: corpus.con.execute(f"SELECT * FROM {name} ORDER BY ALL").df() for name in ("hate", "narratives")}


def test_hate_and_narratives_same_findings_on_the_pool(corpus, monkeypatch):
    texts = ["The holohoax is a lie and (((they))) control the media", "Lovely day in Leeds",
             "Calling people kikes is antisemitic, I condemn it", "The antisemitism smear is a witch hunt",
             "Z10N4Z1 scum", "@someone the Rothschild bankers own the news #ZioNaziMedia", ""]
    rows = [(str(i), f"a{i % 7}", texts[i % len(texts)] + (f" {i}" if i % 3 else "")) for i in range(300)]
    corpus.con.executemany("INSERT INTO posts (platform, post_id, account_id, text, kind) "
                           "VALUES ('twitter', ?, ?, ?, 'post')", rows)
    one = _hate_and_narratives(corpus, "1", monkeypatch)
    with deadline(300):
        two = _hate_and_narratives(corpus, "2", monkeypatch)
    empty = sum(1 for r in rows if r[2] == "")
    assert empty > 0 and len(one["hate"]) == 300 - empty  # empty texts are not scored
    assert set(one["hate"]["label"]) >= {"antisemitic", "none"} and len(one["narratives"]) > 0
    for name in one:
        pd.testing.assert_frame_equal(one[name], two[name])  # scores equal to the last bit


# ---------------------------------------------------------------------------------------------
# run_forked: one call in a forked child
# ---------------------------------------------------------------------------------------------
def _child_facts(values):
    """What the child saw (its pid, the inherited values' sum) and that it was not this process."""
    return os.getpid(), int(sum(values))


def _raises(message):
    raise ValueError(message)


def _dies():
    os.kill(os.getpid(), signal.SIGKILL)


def test_run_forked_returns_the_childs_value(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "2")  # forks even on a one-core machine
    big = list(range(100_000))  # inherited by the fork, not pickled
    with deadline(60):
        pid, total = run_forked(_child_facts, big).result()
    assert pid != os.getpid() and total == sum(big)


def test_run_forked_raises_the_childs_error_and_a_death(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "2")  # forks even on a one-core machine
    with deadline(60):
        with pytest.raises(ValueError, match="bad input") as info:
            run_forked(_raises, "bad input").result()
        assert any("forked process" in note for note in info.value.__notes__)
        with pytest.raises(RuntimeError, match="ended without a result"):
            run_forked(_dies).result()


def test_run_forked_in_this_process_with_one_worker(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "1")
    pid, total = run_forked(_child_facts, [1, 2, 3]).result()
    assert pid == os.getpid() and total == 6
