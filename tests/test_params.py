"""Analysis parameters: stored as passed (scikit-learn's rule), settable from the command line
(``analyze --set NAME.PARAM=VALUE``) and the notebook, recorded in ``runs``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import engineroom
from engineroom.analyses import parameters, parse_settings, parse_value, registry
from engineroom.cli import app
from engineroom.synth import synthesize


def _as_text(value):
    """How a user would write ``value`` after ``--set NAME.PARAM=``."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def test_constructor_stores_every_parameter_as_passed():
    for name, cls in registry().items():
        params = parameters(cls)
        assert params, name
        got = cls().get_params()
        assert set(got) == set(params), name
        for p, spec in params.items():
            assert got[p] == spec.default, (name, p)  # the default as written, not a derived value
            if isinstance(spec.default, tuple) and spec.default:
                passed = list(spec.default)  # a list stays the list that was passed
                assert cls(**{p: passed}).get_params()[p] is passed, (name, p)


@pytest.mark.parametrize("name, param, passed", [
    ("engine_room", "hashtags", ["#SackTom", "Out"]),
    ("engine_room", "keywords", ["Tom"]),
    ("engine_room", "weights", {"pagerank": 2.0}),
    ("targets", "hashtags", ["#Watson"]),
    ("coordination", "networks", "co_retweet,co_tweet"),
    ("coordination", "min_weight", 3.0),
    ("images", "hash_banks", ["bank.csv"]),
    ("narratives", "packs", ("p.yaml",)),
])
def test_values_derived_from_parameters_are_not_written_back(name, param, passed):
    assert registry()[name](**{param: passed}).get_params()[param] is passed


def test_every_parameter_can_be_set_from_text():
    """Each parameter's default, written as a user would, reads back as the default."""
    for name, cls in registry().items():
        for p, spec in parameters(cls).items():
            value = parse_value(cls, p, _as_text(spec.default))
            assert value == spec.default and type(value) is type(spec.default), (name, p, value)


def test_values_are_read_as_the_parameters_type():
    params = parse_settings([
        "coordination.networks=co_retweet, co_tweet", "coordination.time_window=auto",
        "coordination.min_weight=3", "network.resolution=0.5", "hate.include_retweets=yes",
        "hate.threshold=0.7", "accounts.max_posts_per_account=none", "engine_room.weights=pagerank:2,amplifiers:1",
        "targets.hashtags=#A,b", "engine_room.narrative_name=x=y",
    ])
    assert params == {
        "coordination": {"networks": ("co_retweet", "co_tweet"), "time_window": "auto", "min_weight": 3},
        "network": {"resolution": 0.5},
        "hate": {"include_retweets": True, "threshold": 0.7},
        "accounts": {"max_posts_per_account": None},
        "engine_room": {"weights": {"pagerank": 2.0, "amplifiers": 1.0}, "narrative_name": "x=y"},
        "targets": {"hashtags": ["#A", "b"]},
    }
    assert parse_settings(["coordination.time_window=30"])["coordination"]["time_window"] == 30


@pytest.mark.parametrize("setting, message", [
    ("nope.seed=1", "unknown analysis 'nope'; known: accounts, campaigns,"),
    ("network.sed=1", "analysis network has no parameter 'sed'; its parameters: kinds, resolution, seed,"),
    ("network.seed=seven", "network.seed is a whole number, not 'seven'"),
    ("hate.include_retweets=maybe", "hate.include_retweets is true or false, not 'maybe'"),
    ("network.seed", "--set takes NAME.PARAM=VALUE"),
    ("seed=1", "--set takes NAME.PARAM=VALUE"),
])
def test_bad_settings_give_one_line_errors(setting, message):
    with pytest.raises(ValueError) as info:
        parse_settings([setting])
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_notebook_params_are_checked_before_anything_runs(corpus):
    with pytest.raises(ValueError, match="analysis network has no parameter 'sed'"):
        corpus.analyze(only=["hate"], params={"network": {"sed": 1}})
    assert corpus.count("runs") == 0


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("params")
    synthesize(posts=400, out=folder / "p.jsonl", format="twarc2", seed=5)
    with engineroom.open(folder / "c.duckdb") as c:
        c.ingest([folder / "p.jsonl"])
    return folder / "c.duckdb"


def _runs(db):
    with engineroom.open(db, read_only=True) as c:
        return [(n, json.loads(p)) for n, p in c.con.execute("SELECT analysis, params FROM runs ORDER BY started_at").fetchall()]


def test_analyze_set_reaches_the_analysis_and_the_runs_table(small_db):
    res = CliRunner().invoke(app, ["analyze", "--db", str(small_db), "--only", "trends",
                                   "--set", "trends.resolutions=day", "--set", "trends.min_posts=4", "--json"])
    assert res.exit_code == 0, res.output
    name, params = _runs(small_db)[-1]
    assert name == "trends" and params["resolutions"] == ["day"] and params["min_posts"] == 4
    with engineroom.open(small_db, read_only=True) as c:  # the value changed what was computed
        assert {r[0] for r in c.con.execute("SELECT DISTINCT resolution FROM trends").fetchall()} <= {"day"}


def test_notebook_params_reach_the_runs_table(small_db):
    with engineroom.open(small_db) as c:
        c.analyze(only=["network"], params={"network": {"seed": 7, "kinds": ["retweet"]}})
    name, params = _runs(small_db)[-1]
    assert name == "network" and params["seed"] == 7 and params["kinds"] == ["retweet"]


def test_analyze_set_rejects_an_unknown_parameter_in_one_line(small_db):
    before = len(_runs(small_db))
    res = CliRunner().invoke(app, ["analyze", "--db", str(small_db), "--set", "trends.nope=1"])
    assert res.exit_code == 1
    message = " ".join(res.output.split())  # the console wraps long lines
    assert message.startswith("error: analysis trends has no parameter 'nope'; its parameters: resolutions, s, gamma")
    assert len(_runs(small_db)) == before  # nothing ran
