"""Narrative packs (YAML), scoring, and the narratives analysis."""

from __future__ import annotations

import json

import pytest

from engineroom.narratives import (
    ENV_VAR,
    NarrativePackError,
    NarrativeScorer,
    load_narratives,
    load_pack,
)

GOOD = """
pack: mine
narratives:
  - name: ulez_scam
    kind: narrative
    description: ULEZ is a scam to make money
    threshold: 0.3
    exemplars:
      - "ULEZ is nothing but a cash grab scam by the mayor"
      - "The clean air zone is a tax on working people"
    keywords: [ulez scam, cash grab]
"""


def test_default_pack_has_the_required_narratives():
    names = {n.name: n for n in load_narratives(user=False, env=False)}
    assert {"antisemitism_smear", "israel_lobby_control", "counter_speech_antisemitism", "tories_killing_children"} <= set(names)
    assert names["counter_speech_antisemitism"].kind == "counter_speech"
    assert all(n.exemplars and n.description for n in names.values())


def test_user_pack_file_param_and_env(tmp_path, monkeypatch):
    p = tmp_path / "mine.yaml"
    p.write_text(GOOD)
    ns = load_narratives([p], user=False, env=False)
    assert "ulez_scam" in {n.name for n in ns} and "antisemitism_smear" in {n.name for n in ns}
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    ns = load_narratives(defaults=False, user=False)
    assert [n.name for n in ns] == ["ulez_scam"] and ns[0].pack == "mine"


@pytest.mark.parametrize("body,message", [
    ("narratives:\n  - name: x\n    description: d\n    exemplars: [a]\n", r"narratives\[0\] \(x\): missing field 'kind'"),
    ("narratives:\n  - name: x\n    kind: story\n    description: d\n    exemplars: [a]\n", r"\(x\): field 'kind' must be one of narrative, counter_speech"),
    ("narratives:\n  - name: x\n    kind: narrative\n    description: d\n    exemplars: []\n", r"\(x\): field 'exemplars' needs at least one entry"),
    ("narratives:\n  - name: x\n    kind: narrative\n    description: d\n    exemplars: [a]\n    threshold: 3\n", r"\(x\): field 'threshold' must be a number"),
    ("narratives:\n  - name: x\n    kind: narrative\n    description: d\n    exemplars: [a]\n    keywords: oops\n", r"\(x\): field 'keywords' must be a list"),
    ("narratives:\n  - name: x\n    kind: narrative\n    description: d\n    exemplars: [a]\n    exemplar: [b]\n", r"\(x\): unknown field\(s\) exemplar"),
    ("narratives:\n  - kind: narrative\n", r"narratives\[0\]: missing field 'name'"),
    ("narratives:\n  - name: has space\n", r"field 'name' must be letters"),
    ("something: else\n", r"missing field 'narratives'"),
    ("narratives: [\n", r"not valid YAML"),
])
def test_bad_pack_names_file_and_field(tmp_path, body, message):
    p = tmp_path / "bad_pack.yaml"
    p.write_text(body)
    with pytest.raises(NarrativePackError, match=message) as err:
        load_pack(p)
    assert "bad_pack.yaml" in str(err.value)


def test_missing_pack_file(tmp_path):
    with pytest.raises(NarrativePackError, match="not found"):
        load_narratives([tmp_path / "nope.yaml"], user=False, env=False)


def test_scoring_finds_narratives_with_evidence():
    scorer = NarrativeScorer(load_narratives(user=False, env=False))
    texts = [
        "This antisemitism smear is just a witch hunt to stop Jeremy",
        "Zionists control the BBC and parliament, wake up",
        "I condemn this vile antisemitic abuse, there is no place for it",
        "Tory cuts are killing our kids",
        "Lovely weather in Leeds today, off to the park",
        "Israel reports 3 new covid cases",
    ]
    got: dict[int, set[str]] = {}
    for m in scorer.score(texts):
        got.setdefault(m.row, set()).add(m.narrative)
        ev = json.loads(m.evidence)
        assert {"similarity", "exemplar", "keywords", "pack"} <= set(ev)
        assert 0 < m.score <= 1
    assert "antisemitism_smear" in got[0]
    assert "israel_lobby_control" in got[1]
    assert "counter_speech_antisemitism" in got[2]
    assert "tories_killing_children" in got[3]
    assert 4 not in got and 5 not in got


def test_obfuscated_keyword_counts(tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text(GOOD)
    scorer = NarrativeScorer(load_narratives([p], defaults=False, user=False, env=False))
    ms = scorer.score(["total #ULEZScam again", "c.a.s.h g.r.a.b by sadiq"])
    assert {m.row for m in ms} == {0, 1}


def _insert_posts(corpus, texts, kinds=None):
    rows = [("twitter", str(i), f"a{i % 3}", t, (kinds or ["post"] * len(texts))[i]) for i, t in enumerate(texts)]
    corpus.con.executemany("INSERT INTO posts (platform, post_id, account_id, text, kind) VALUES (?, ?, ?, ?, ?)", rows)


def test_analysis_writes_tables(corpus, tmp_path):
    from engineroom.analyses import run_analyses

    p = tmp_path / "mine.yaml"
    p.write_text(GOOD)
    _insert_posts(corpus, [
        "The antisemitism smear is a witch hunt against the left",
        "ULEZ is a cash grab scam",
        "nice day",
        "The antisemitism smear is a witch hunt against the left",
        None,
    ], kinds=["post", "post", "post", "retweet", "post"])
    res = run_analyses(corpus, only=["narratives"], params={"narratives": {"packs": [str(p)]}})["narratives"]
    df = corpus.table("narratives")
    assert set(df.columns) >= {"platform", "post_id", "account_id", "narrative", "kind", "score", "evidence"}
    pairs = set(zip(df.post_id, df.narrative))
    assert ("0", "antisemitism_smear") in pairs and ("1", "ulez_scam") in pairs
    assert "2" not in set(df.post_id) and "3" not in set(df.post_id)  # no match / retweet skipped
    defs = corpus.table("narrative_defs")
    assert {"antisemitism_smear", "ulez_scam"} <= set(defs.name)
    assert set(defs.columns) >= {"name", "kind", "description", "pack"}
    assert res["matches"] == len(df)
