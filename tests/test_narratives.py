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
    assert {"antisemitism_smear", "israel_lobby_control", "counter_speech_antisemitism"} <= set(names)
    assert names["counter_speech_antisemitism"].kind == "counter_speech"
    assert all(n.exemplars and n.description for n in names.values())
    # every default narrative says what must be present, and the pack says what it is for
    assert all(n.require and n.language == "en" and n.context != "unspecified" for n in names.values())
    assert "tories_killing_children" not in names  # an uncalibrated example, shipped opt-in


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
    from engineroom.narratives import default_pack_dir

    example = default_pack_dir() / "examples" / "uk_austerity.yaml"
    scorer = NarrativeScorer(load_narratives([example], user=False, env=False))
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


# --- concept groups, excluded contexts, pack metadata -------------------------------------------

def _default_scorer():
    return NarrativeScorer(load_narratives(user=False, env=False))


def test_required_concepts_decide_the_smear_narrative():
    """'witch hunt' / 'smear' alone (US politics) is not the antisemitism-is-a-smear narrative."""
    texts = [
        "The TRUTH About Mueller's Crooked Witch Hunt",                      # investigation of a president
        "Megyn Kelly Exploit San Bernardino Shooting To Smear #BlackLivesMatter",
        "The anti-Semitism smears are a witch-hunt to stop Corbyn",        # antisemitism + dismissal
        "Antisemitism is real and calling it a smear hurts Jewish people",  # counter-speech quoting the frame
        "That's the truth",
    ]
    got: dict[int, set[str]] = {}
    for m in _default_scorer().score(texts):
        got.setdefault(m.row, set()).add(m.narrative)
    assert 0 not in got and 1 not in got and 4 not in got
    assert got[2] == {"antisemitism_smear"}
    assert got[3] == {"counter_speech_antisemitism"}


def test_concept_evidence_and_prefix_phrases():
    ms = _default_scorer().score(["Weaponising ANTI-SEMITISM to purge the left"])
    assert [m.narrative for m in ms] == ["antisemitism_smear"]
    ev = json.loads(ms[0].evidence)
    assert "antisemit*" in ev["concepts"]["antisemitism"]
    assert "weaponi*" in ev["concepts"]["dismissal"]


def test_excluded_context_rules_out(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("""
pack: x
language: en
context: test
narratives:
  - name: hunt
    kind: narrative
    description: hunt
    threshold: 0.01
    exemplars: ["a witch hunt against the party"]
    require: {hunt: [witch hunt*]}
    exclude: [mueller]
""")
    scorer = NarrativeScorer(load_narratives([p], defaults=False, user=False, env=False))
    assert {m.row for m in scorer.score(["#WitchHunt against the party", "Mueller witch hunt", "a hunt"])} == {0}
    pack = load_pack(p)
    assert (pack.language, pack.context) == ("en", "test") and pack.narratives[0].language == "en"


def test_exclusions_without_required_groups(tmp_path):
    """A narrative with `exclude` and no `require` matches on its score unless an excluded phrase is there."""
    p = tmp_path / "ex.yaml"
    p.write_text("narratives:\n  - name: hunt\n    kind: narrative\n    description: d\n"
                 "    exemplars: [a witch hunt against the party]\n    keywords: [witch hunt]\n    threshold: 0.1\n"
                 "    exclude: [mueller]\n")
    scorer = NarrativeScorer(load_pack(p).narratives)
    assert {m.row for m in scorer.score(["a witch hunt against the party", "Mueller witch hunt"])} == {0}


def test_or_require_is_an_alternative_set_of_groups(tmp_path):
    """A post qualifies with every group of `require` OR every group of one `or_require` set."""
    p = tmp_path / "x.yaml"
    p.write_text("""
pack: x
narratives:
  - name: hunt
    kind: narrative
    description: hunt
    threshold: 0.01
    exemplars: ["a witch hunt against the party"]
    require: {topic: [antisemit*], frame: [witch hunt*]}
    or_require:
      - {who: [jews], frame: [witch hunt*], side: [labour]}
""")
    scorer = NarrativeScorer(load_narratives([p], defaults=False, user=False, env=False))
    texts = ["the antisemitism witch hunt", "Labour's witch hunt against Jews", "a witch hunt against Jews", "Labour party"]
    assert {m.row for m in scorer.score(texts)} == {0, 1}
    ev = json.loads(scorer.score(texts[1:2])[0].evidence)
    assert {"or0.who", "or0.frame", "or0.side"} <= set(ev["concepts"])


def test_default_smear_said_without_the_word_and_counter_speech_is_not_an_epithet():
    """Paraphrases of real misses: the witch-hunt against Jews in Labour is the smear narrative;
    'antisemite' hurled at an opponent, or the complaint that antisemitism is protected, is not counter-speech."""
    texts = [
        "Labour's witch-hunters go after Jews who stand up for Palestinians",    # smear, no 'antisemitism'
        "Trump investigation is a witch hunt, say Jews for Trump",               # no side: not the smear
        "Traitor senator happily stood next to anti-Semitic neo-Nazis",          # epithet for an opponent
        "You go to jail for anti semitism but insulting any religion is free",   # antisemitism 'protected'
        "Antisemitism leads to people killing Jews, we must call it out",        # counter-speech
    ]
    got: dict[int, set[str]] = {}
    for m in _default_scorer().score(texts):
        got.setdefault(m.row, set()).add(m.narrative)
    assert got.get(0) == {"antisemitism_smear"} and 1 not in got
    assert 2 not in got and 3 not in got
    assert got.get(4) == {"counter_speech_antisemitism"}


def test_default_frames_generalise_beyond_the_tuning_phrases():
    """Composed sentences, not real posts: each frame said in words the tuning posts did not use."""
    texts = [
        "They play the antisemitism card every time someone questions the war",        # smear: a tool
        "Supporting Palestinian rights is now branded antisemitic by the party",      # smear: silencing frame
        "Those baseless antisemitism allegations were a ploy to stop the left",        # smear: invented
        "Their weapons were seized; antisemitic graffiti was found nearby",            # literal weapons: no smear
        "Every senator obeys the Zionist lobby, the UN too",                           # lobby: obeying
        "Wake up, you are living under ZOG",                                           # lobby: coded name
        "The Zionists run everything, wake up",                                        # lobby: total control
        "Israel sent aid to the region and the UN thanked it",                         # Israel news: no lobby
        "Radical groups funded by the Senate and Israel, says the minister",           # funding, not control
    ]
    got: dict[int, set[str]] = {}
    for m in _default_scorer().score(texts):
        got.setdefault(m.row, set()).add(m.narrative)
    assert got.get(0) == {"antisemitism_smear"} and got.get(1) == {"antisemitism_smear"}
    assert got.get(2) == {"antisemitism_smear"}
    assert "antisemitism_smear" not in got.get(3, set())
    assert got.get(4) == {"israel_lobby_control"} and got.get(5) == {"israel_lobby_control"}
    assert got.get(6) == {"israel_lobby_control"}
    assert 7 not in got and 8 not in got


@pytest.mark.parametrize("body,message", [
    ("narratives:\n  - name: x\n    kind: narrative\n    description: d\n    exemplars: [a]\n    or_require: [{g: [a]}]\n", r"'or_require' needs a 'require'"),
    ("narratives:\n  - name: x\n    kind: narrative\n    description: d\n    exemplars: [a]\n    require: {g: [a]}\n    or_require: {g: [a]}\n", r"field 'or_require' must be a list"),
    ("narratives:\n  - name: x\n    kind: narrative\n    description: d\n    exemplars: [a]\n    require: [a, b]\n", r"field 'require' must be a mapping"),
    ("narratives:\n  - name: x\n    kind: narrative\n    description: d\n    exemplars: [a]\n    require: {g: []}\n", r"'require.g' needs at least one entry"),
    ("narratives:\n  - name: x\n    kind: narrative\n    description: d\n    exemplars: [a]\n    exclude: oops\n", r"field 'exclude' must be a list"),
    ("language: 3\nnarratives:\n  - name: x\n    kind: narrative\n    description: d\n    exemplars: [a]\n", r"field 'language' must be a non-empty string"),
    ("langauge: en\nnarratives:\n  - name: x\n    kind: narrative\n    description: d\n    exemplars: [a]\n", r"unknown pack field\(s\) langauge"),
])
def test_bad_concept_fields(tmp_path, body, message):
    p = tmp_path / "bad_pack.yaml"
    p.write_text(body)
    with pytest.raises(NarrativePackError, match=message):
        load_pack(p)


def test_analysis_records_which_packs_ran(corpus):
    from engineroom.analyses import run_analyses

    _insert_posts(corpus, ["Weaponised antisemitism smears against the left", "nice day"])
    res = run_analyses(corpus, only=["narratives"])["narratives"]
    assert res["packs"] and res["packs"][0]["pack"] == "default" and res["packs"][0]["language"] == "en"
    defs = corpus.table("narrative_defs")
    assert {"language", "context", "require", "exclude"} <= set(defs.columns)


# --- evaluation on labelled posts -------------------------------------------------------------

def test_eval_cli_on_a_small_file(tmp_path):
    from typer.testing import CliRunner

    from engineroom.cli import app

    f = tmp_path / "l.csv"
    f.write_text('text,narrative\n"The antisemitism smear is a witch hunt against Corbyn",antisemitism_smear\n'
                 '"Mueller witch hunt",\n"We condemn this vile antisemitic abuse",counter_speech_antisemitism\n')
    r = CliRunner().invoke(app, ["eval", "narratives", "--data", str(f), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output.strip().splitlines()[-1])
    sm = res["by_narrative"]["antisemitism_smear"]
    assert (sm["tp"], sm["fp"], sm["fn"]) == (1, 0, 0) and res["n"] == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("text,narrative\nhello,no_such_narrative\n")
    r = CliRunner().invoke(app, ["eval", "narratives", "--data", str(bad)])
    assert r.exit_code != 0 and "no_such_narrative" in r.output


def test_labelled_real_posts_held_out():
    """The shipped labels resolve to real rows (counts reconcile); held-out figures hold."""
    from conftest import SHARED_DATA, shared_dataset
    from engineroom.narratives.evaluate import evaluate_frame
    from engineroom.narratives.labelled import LABELS, load_labelled

    shared_dataset("jikeli_antisemitism_dev")
    shared_dataset("ira_vs_organic_dev")
    import pandas as pd

    ref = pd.read_csv(LABELS, dtype=str, keep_default_na=False)
    assert set(ref.columns) == {"file", "key", "narrative", "split"} and not ref.duplicated(["file", "key"]).any()
    held = load_labelled(SHARED_DATA.parent, "heldout")
    assert len(held) == (ref["split"] == "heldout").sum()
    res = evaluate_frame(held[["text", "narrative"]])["by_narrative"]
    for name in ("antisemitism_smear", "israel_lobby_control", "counter_speech_antisemitism"):
        assert res[name]["precision"] >= 0.8, (name, res[name])
    for name in ("antisemitism_smear", "israel_lobby_control", "counter_speech_antisemitism"):
        assert res[name]["recall"] >= 0.7, (name, res[name])
    # the fresh batch (never tuned on) resolves to real rows too; its figures are reported, not
    # asserted against the target (docs/narratives.md: the pack misses most of its smear / lobby posts)
    fresh = load_labelled(SHARED_DATA.parent, "fresh")
    assert len(fresh) == (ref["split"] == "fresh").sum() > 0
    assert evaluate_frame(fresh[["text", "narrative"]])["by_narrative"]["counter_speech_antisemitism"]["precision"] >= 0.7


def test_labelled_blind_test_batch_resolves():
    """The blind ``test`` batch (Jikeli, HateXplain, RedditBias, IRA rows) resolves to real rows, one per key."""
    from conftest import SHARED_DATA, shared_dataset
    from engineroom.narratives.labelled import LABELS, load_labelled

    for name in ("jikeli_antisemitism_dev", "ira_vs_organic_dev", "hatexplain", "redditbias_jews"):
        shared_dataset(name)
    import pandas as pd

    ref = pd.read_csv(LABELS, dtype=str, keep_default_na=False)
    test = load_labelled(SHARED_DATA.parent, "test")
    assert len(test) == (ref["split"] == "test").sum() > 0
    counts = test["narrative"].value_counts()
    assert counts["antisemitism_smear"] > 0 and counts["israel_lobby_control"] > 0
    # measured blind once, then joined the tuning set: its figures now guard against regressions only
    from engineroom.narratives.evaluate import evaluate_frame
    from engineroom.narratives.labelled import SPLITS

    res = evaluate_frame(test[["text", "narrative"]])["by_narrative"]
    for name in ("antisemitism_smear", "israel_lobby_control"):
        assert res[name]["precision"] >= 0.8 and res[name]["recall"] >= 0.7, (name, res[name])
    assert "test2" in SPLITS  # the second blind batch, measured once by whoever did not tune the pack


def _split_figures(split: str, *more_sources: str) -> dict:
    """The default pack's figures per narrative on labelled split ``split`` (skips when a source
    dataset under ../shared/data is absent)."""
    from conftest import SHARED_DATA, shared_dataset
    from engineroom.narratives.evaluate import evaluate_frame
    from engineroom.narratives.labelled import load_labelled

    for name in ("jikeli_antisemitism_dev", "hatexplain", "redditbias_jews", "davidson_hate_offensive",
                 "ira_vs_organic_dev", *more_sources):
        shared_dataset(name)
    rows = load_labelled(SHARED_DATA.parent, split)
    return evaluate_frame(rows[["text", "narrative"]])["by_narrative"]


@pytest.mark.slow  # reads five source files (1.7 s warm, about 6 s cold)
def test_labelled_test2_now_tuned_on_holds():
    """test2 was measured blind once (session 9) and is tuning data since: its figures guard against
    regressions of the frames widened from it (they say nothing about unseen posts)."""
    res = _split_figures("test2")
    for name in ("antisemitism_smear", "israel_lobby_control"):
        assert res[name]["precision"] >= 0.9 and res[name]["recall"] >= 0.8, (name, res[name])
    cs = res["counter_speech_antisemitism"]
    assert cs["precision"] >= 0.7 and cs["recall"] >= 0.5, cs


def test_labelled_reference_to_a_missing_row_is_an_error(tmp_path):
    from conftest import SHARED_DATA, shared_dataset
    from engineroom.narratives.labelled import load_labelled

    shared_dataset("jikeli_antisemitism_dev")
    bad = tmp_path / "labels.csv"
    bad.write_text("file,key,narrative,split\ndata/jikeli_antisemitism_dev/tweets.csv.gz,999,antisemitism_smear,dev\n")
    with pytest.raises(ValueError, match="1 labelled rows not found"):
        load_labelled(SHARED_DATA.parent, labels=bad)


def test_default_frames_widened_by_kind():
    """Composed sentences, not real posts: the kinds of frame added after the blind batch, and the
    contexts that share their words but are something else."""
    texts = [
        "Every time you mention Gaza they start crying antisemitism again",            # smear: the reflex accusation
        "Jews always cry wolf, they just play the holocaust card",                      # smear: Jews as referent
        "Apparently telling the truth is antisemitic now, amazing",                    # smear: truth branded
        "So the chief rabbi is lying again to hurt Labour before the vote",             # smear: named accuser
        "This is an antisemitic lie and I condemn it",                                  # counter-speech, not smear
        "They smear Jews with the blood libel, shameful",                               # a smear aimed at Jews
        "Half the senators kneel to the Israel lobby and it shows in Congress",         # lobby: submission
        "Our boys die in wars for Israel while Washington looks away",                  # lobby: wars fought for it
        "He loves his own country, Israel, and says so in every interview on TV",       # 'own' without an object
        "israel firstitards and boomers, get off my timeline",                          # an insult, no politics
    ]
    got: dict[int, set[str]] = {}
    for m in _default_scorer().score(texts):
        got.setdefault(m.row, set()).add(m.narrative)
    for i in (0, 1, 2, 3):
        assert got.get(i) == {"antisemitism_smear"}, (i, got.get(i))
    assert "antisemitism_smear" not in got.get(4, set()) and "antisemitism_smear" not in got.get(5, set())
    assert got.get(6) == {"israel_lobby_control"} and got.get(7) == {"israel_lobby_control"}
    assert "israel_lobby_control" not in got.get(8, set()) and 9 not in got


def test_default_frames_from_test2_generalise():
    """Composed sentences, not real posts: each frame family added from test2's misses said in words
    test2 does not use (another inflection, synonym or spelling), and what shares their words but is
    something else."""
    texts = [
        "They call you an antisemite the moment you ask a question, bad goy",          # smear: branded + mockery
        "Funny how it's antisemitic to notice who owns the banks",                      # smear: questioning forbidden
        "Every time he gets caught he plays the shoah card",                            # smear: the card with its referent
        "So now I'm an antisemite because I support Palestinians? lol",                 # smear: the speaker branded
        "The senator is an obedient lapdog of Israel and everyone in Congress knows it",  # lobby: servitude, near
        "Congress votes however the Israel lobby dictates, they are run by AIPAC",      # lobby: run by
        "No more American blood spilt in wars for Israel",                              # lobby: wars for Israel
        "Blessed be Israel, my servant, whom I have chosen",                            # scripture, not a politician
        "Iran will never bow to Israel or its allies in the UN",                        # refusal, not submission
        "Scapegoating Jews for the virus is vile and it has to stop",                   # counter-speech without the word
        "Greedy Jews who control the banks? That's nazi shit and you know it",          # counter-speech: trope rejected
        "Two men were arrested after attacking a bus driver, police say, Jews among the passengers",  # no stance against hostility to Jews
    ]
    got: dict[int, set[str]] = {}
    for m in _default_scorer().score(texts):
        got.setdefault(m.row, set()).add(m.narrative)
    for i in (0, 1, 2, 3):
        assert got.get(i) == {"antisemitism_smear"}, (i, got.get(i))
    for i in (4, 5, 6):
        assert got.get(i) == {"israel_lobby_control"}, (i, got.get(i))
    assert 7 not in got and 8 not in got, (got.get(7), got.get(8))
    for i in (9, 10):
        assert got.get(i) == {"counter_speech_antisemitism"}, (i, got.get(i))
    assert 11 not in got, got.get(11)


def test_near_ties_groups_together(tmp_path):
    p = tmp_path / "near.yaml"
    p.write_text(
        "narratives:\n  - name: lobby\n    kind: narrative\n    description: d\n    exemplars: [the lobby controls congress]\n"
        "    threshold: 0.0001\n    keywords: [lobby, zog]\n"
        "    require: {actor: [lobby], control: [control*], domain: [congress]}\n"
        "    or_require: [{coded: [zog]}]\n"
        "    near: {groups: [actor, control], words: 3}\n")
    scorer = NarrativeScorer(load_pack(p).narratives)
    texts = ["The lobby controls Congress",                                             # adjacent
             "Congress voted; the lobby was there and, in other news, crowd control failed",  # 8 words apart
             "Congress #LobbyControl",                                                  # the hashtag view
             "ZOG again"]                                                               # a set without the near groups
    got = {m.row for m in scorer.score(texts)}
    assert got == {0, 2, 3}, got


def test_near_rules_per_group_set(tmp_path):
    """A list of `near` rules: each binds the group sets that hold all its groups, with its own distance."""
    p = tmp_path / "near2.yaml"
    p.write_text(
        "narratives:\n  - name: lobby\n    kind: narrative\n    description: d\n    exemplars: [the lobby controls congress]\n"
        "    threshold: 0.0001\n"
        "    require: {actor: [lobby], control: [control*], domain: [congress]}\n"
        "    or_require: [{actor: [lobby], servant: [shill*, tool]}]\n"
        "    near: [{groups: [actor, control], words: 8}, {groups: [actor, servant], words: 2}]\n")
    scorer = NarrativeScorer(load_pack(p).narratives)
    texts = ["Congress: the lobby, as we all know, controls it",       # control 5 words from the actor: the first rule allows 8
             "He is a lobby shill",                                    # adjacent: the second rule
             "The lobby met today and the mayor, a tool salesman, spoke",  # servant word 7 words away: the second rule says no
             "shill"]                                                  # no actor
    got = {m.row for m in scorer.score(texts)}
    assert got == {0, 1}, got
    assert load_pack(p).narratives[0].near == ((("actor", "control"), 8), (("actor", "servant"), 2))


@pytest.mark.parametrize("near,message", [
    ("{groups: [actor], words: 3}", r"'near.groups' needs at least two"),
    ("{groups: [actor, nope], words: 3}", r"no one group set has all of"),
    ("{groups: [actor, control], words: 0}", r"'near.words' must be a whole number"),
    ("[actor, control]", r"field 'near' must be a mapping"),
    ("[{groups: [actor, control], words: 2}, {groups: [actor, nope], words: 2}]", r"no one group set has all of"),
])
def test_bad_near_field(tmp_path, near, message):
    p = tmp_path / "bad_near.yaml"
    p.write_text("narratives:\n  - name: x\n    kind: narrative\n    description: d\n    exemplars: [a]\n"
                 f"    require: {{actor: [a], control: [b]}}\n    near: {near}\n")
    with pytest.raises(NarrativePackError, match=message):
        load_pack(p)


def test_default_frames_from_test3_generalise():
    """Composed sentences, not real posts: each frame family added from test3's misses and false
    matches said in words test3 does not use, and what shares their words but is something else."""
    texts = [
        "Stating facts isn't antisemitic, no matter what the Board says",               # smear: facts said not antisemitic
        "Jews are good with money, calling that antisemitic? It's a compliment",        # smear: the trope passed off as praise
        "They scream antisemitism whenever critics of Israel open their mouths",        # smear: claimed whenever critics speak
        "Another bomb dropped by the Zionazi USA, paid for by taxpayers",              # lobby: the US as a ZioNazi possession
        "The Zionists plan to dominate the world by the end of the century",           # lobby: world domination
        "Iraq was one more of the wars fought for Israel with our blood",              # lobby: wars fought for Israel
        "Saying jewish people are greedy by nature is textbook antisemitism",           # counter-speech: the trope named
        "The old canard that Jews poison wells is antisemitic and it keeps coming back",  # counter-speech: documented as a canard
        "Jews are simultaneously communists and bankers? Pick one, bigot",              # counter-speech: the contradiction mocked
        "Jews are the devil, lol, but im not antisemitic though, sure",                 # counter-speech: the disclaimer mocked
        "im not antisemitic but jews are greedy and run the banks",                     # a disclaimer leading into a trope
        "Criticism of Israel does not equal antisemitism, even if jews are behind it",  # a statement of the definition
        "Home of the antisemites, that whole party",                                    # the agent noun as an epithet
        "lol all this jew hate talk, go back to your club",                             # 'jew hate' is not a condemnation
    ]
    got: dict[int, set[str]] = {}
    for m in _default_scorer().score(texts):
        got.setdefault(m.row, set()).add(m.narrative)
    for i in (0, 1, 2):
        assert got.get(i) == {"antisemitism_smear"}, (i, got.get(i))
    for i in (3, 4, 5):
        assert got.get(i) == {"israel_lobby_control"}, (i, got.get(i))
    for i in (6, 7, 8, 9):
        assert got.get(i) == {"counter_speech_antisemitism"}, (i, got.get(i))
    for i in (10, 11, 12, 13):
        assert i not in got, (i, got.get(i))


@pytest.mark.slow  # reads eight source files
def test_labelled_test3_now_tuned_on_holds():
    """test3 was measured blind once (session 10) and is tuning data since: its figures guard against
    regressions of the frames widened from it (they say nothing about unseen posts)."""
    res = _split_figures("test3", "real_exports")
    assert res["antisemitism_smear"]["recall"] >= 0.8 and res["antisemitism_smear"]["precision"] >= 0.9
    lobby = res["israel_lobby_control"]
    assert lobby["precision"] >= 0.9 and lobby["recall"] >= 0.8, lobby
    cs = res["counter_speech_antisemitism"]
    assert cs["precision"] >= 0.75 and cs["recall"] >= 0.75, cs
