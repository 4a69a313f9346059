"""`hate` and `narratives` score each distinct text once and join the findings back to the posts:
every post must get exactly what scoring its own text gives, whatever batch its text landed in."""

from __future__ import annotations

import json

import pytest

from engineroom.analyses import run_analyses

# copies, near-copies (mentions, links, case, spacing) and unrelated texts, interleaved
TEXTS = [
    "The holohoax is a lie and (((they))) control the media",
    "@anna The holohoax is a lie and (((they))) control the media https://t.co/x1",
    "Lovely day in Leeds",
    "Antisemitism is being weaponised to silence critics of Israel",
    "THE HOLOHOAX IS A LIE AND (((THEY))) CONTROL THE MEDIA",
    "@bob antisemitism is being weaponised to silence critics of Israel https://t.co/y2",
    "Calling people kikes is antisemitic, I condemn it and reported the account",
    "Lovely day in Leeds",
    "The Israel lobby controls Congress and every US president obeys it",
    "Muslims are vermin and should be deported",
    "@carl Lovely  day in Leeds",
    "The holohoax is a lie and (((they))) control the media",
    "Antisemitism is being weaponised to silence critics of Israel",
]


def _load(corpus) -> None:
    rows = [(str(i), f"acc{i % 4}", t) for i, t in enumerate(TEXTS)]
    rows.append(("99", "acc9", TEXTS[0]))  # a retweet: not scored
    corpus.con.executemany(
        "INSERT INTO posts (platform, post_id, account_id, text, kind) VALUES ('twitter', ?, ?, ?, 'post')", rows[:-1])
    corpus.con.execute("INSERT INTO posts (platform, post_id, account_id, text, kind) VALUES ('twitter', ?, ?, ?, 'retweet')",
                       list(rows[-1]))


@pytest.mark.parametrize("batch_size", [pytest.param(3, marks=pytest.mark.slow), 20000])  # 3: several batches, workers
def test_hate_gives_each_post_its_own_texts_findings(corpus, batch_size):
    from engineroom.hate.model import shipped_model

    _load(corpus)
    res = run_analyses(corpus, only=["hate"], params={"hate": {"batch_size": batch_size}})["hate"]
    df = corpus.table("hate").set_index("post_id")
    assert sorted(df.index) == sorted(str(i) for i in range(len(TEXTS)))  # one row per post, no retweet
    assert res["posts"] == len(TEXTS)
    model = shipped_model()
    for pid, row in df.iterrows():
        p = model.predict([TEXTS[int(pid)]])
        assert row["account_id"] == f"acc{int(pid) % 4}"
        category = None if row["category"] is None or row["category"] != row["category"] else row["category"]
        assert (row["label"], category, row["evidence"], bool(row["counter_speech"])) == (
            p.label[0], p.category[0] if p.label[0] == "antisemitic" else None, p.evidence[0], p.counter_speech[0])
        assert row["score"] == float(p.score[0]) and row["hate_score"] == float(p.hate_score[0])
    assert df.loc["0", "label"] == "antisemitic" and df.loc["2", "label"] == "none"
    assert not corpus.has_table("_hate_texts")  # the scratch table is gone


@pytest.mark.parametrize("batch_size", [pytest.param(2, marks=pytest.mark.slow), 20000])
def test_narratives_give_each_post_its_own_texts_matches(corpus, batch_size):
    from engineroom.hate.model import shipped_model
    from engineroom.narratives import NarrativeScorer, load_narratives

    _load(corpus)
    run_analyses(corpus, only=["narratives"], params={"narratives": {"batch_size": batch_size}})
    got = sorted((r.post_id, r.account_id, r.narrative, r.kind, r.score, json.loads(r.evidence)["similarity"])
                 for r in corpus.table("narratives").itertuples())
    scorer = NarrativeScorer(load_narratives(None), idf=shipped_model().idf)
    want = sorted((str(m.row), f"acc{m.row % 4}", m.narrative, m.kind, m.score, json.loads(m.evidence)["similarity"])
                  for m in scorer.score(TEXTS))
    assert got == want
    assert {g[0] for g in got} >= {"3", "5", "12"}  # the smear and its near-copies
    assert not corpus.has_table("_narratives_texts")


def test_normalizer_is_normalize():
    """The memoising normaliser gives what normalize gives, for copies that differ only in links or
    mentions and for every other kind of text (accents, emoji, hashtags, leetspeak, escapes)."""
    from engineroom.hate.normalize import _strip_accents, normalize, normalizer

    texts = TEXTS + ["", None, "a\\nb @x http://y.z/1", "a\\nb @y http://q", "@@x <user> hi", "Jéws ✡️🐀 #ZioNaziMedia",
                     "k1ke z.i.o.n.a.z.i (((Soros)))", "www.example.com @someone_else", "Crème brûlée ﬁne ＡＢＣ"]
    norm = normalizer()
    assert [norm(t) for t in texts + texts] == [normalize(t) for t in texts + texts]
    assert _strip_accents("Crème ﬁne Ångström") == "Creme fine Angstrom"


def _narrative_rows(corpus) -> list[tuple]:
    return sorted(corpus.table("narratives").itertuples(index=False, name=None))


def _norm_tables(corpus) -> list[str]:
    return [r[0] for r in corpus.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, '_text_norms_')").fetchall()]


def test_hate_stores_norms_that_narratives_reads_and_drops(corpus):
    """On DuckDB, hate keeps each distinct text's normalised text for narratives (named by the
    normaliser's version); narratives gives the same matches with it as without, then drops it."""
    from engineroom.analyses._by_text import norm_table
    from engineroom.hate.normalize import VERSION, normalize, unpacked

    _load(corpus)
    run_analyses(corpus, only=["narratives"])
    alone = _narrative_rows(corpus)
    assert alone and _norm_tables(corpus) == []
    run_analyses(corpus, only=["hate"])
    assert _norm_tables(corpus) == []  # no narratives in that run: dropped at its end
    run_analyses(corpus, only=["hate"], keep_text_norms=True)
    assert _norm_tables(corpus) == [norm_table()] and norm_table().endswith(VERSION)
    stored = corpus.con.execute(f'SELECT text, norm FROM "{norm_table()}"').fetchall()
    assert sorted(t for t, _ in stored) == sorted(set(TEXTS))  # one row per distinct scored text
    assert all(unpacked(n) == normalize(t) and len(n) <= len(normalize(t)) for t, n in stored)
    run_analyses(corpus, only=["narratives"])
    assert _narrative_rows(corpus) == alone
    assert _norm_tables(corpus) == []
    run_analyses(corpus, only=["hate", "narratives"])  # one run: hate stores, narratives reads and drops
    assert _narrative_rows(corpus) == alone and _norm_tables(corpus) == []


def test_narratives_ignore_an_old_normalisers_table_and_normalise_missing_texts(corpus):
    """A norm table of another normaliser version is never read (here it holds wrong norms), and
    texts the table lacks are normalised by narratives itself: the matches stay the same."""
    from engineroom.analyses._by_text import norm_table

    _load(corpus)
    run_analyses(corpus, only=["narratives"])
    alone = _narrative_rows(corpus)
    corpus.con.execute("CREATE TABLE _text_norms_0ld0ld0ld0ld AS SELECT DISTINCT text, 'lovely day' AS norm FROM posts")
    run_analyses(corpus, only=["narratives"])
    assert _narrative_rows(corpus) == alone
    corpus.con.execute("DROP TABLE _text_norms_0ld0ld0ld0ld")
    run_analyses(corpus, only=["hate"], keep_text_norms=True)
    corpus.con.execute(f"DELETE FROM \"{norm_table()}\" WHERE text ILIKE '%antisemitism%'")  # a partial table
    run_analyses(corpus, only=["narratives"])
    assert _narrative_rows(corpus) == alone


def test_scorers_take_normalised_texts():
    """HateModel.predict and NarrativeScorer.score give the same with the texts' norms passed in."""
    from engineroom.hate.model import shipped_model
    from engineroom.hate.normalize import normalize
    from engineroom.narratives import NarrativeScorer, load_narratives

    texts = TEXTS + ["", "Jews control the banks #ZioNaziMedia"]
    norms = [normalize(t) for t in texts]
    model = shipped_model()
    a, b = model.predict(texts), model.predict(texts, norms=norms)
    assert (a.label, a.evidence, a.score.tolist()) == (b.label, b.evidence, b.score.tolist())
    scorer = NarrativeScorer(load_narratives(None), idf=model.idf)
    assert scorer.score(texts, norms=norms) == scorer.score(texts)
    assert scorer.score(texts, norms=[None] * len(texts)) == scorer.score(texts)
    with pytest.raises(ValueError):
        model.predict(texts, norms=norms[:-1])


def test_packed_norms_unpack_to_the_normalised_text():
    """The stored form of a normalised text gives it back, and is shorter when both views agree."""
    from engineroom.hate.normalize import normalize, packed, unpacked

    texts = TEXTS + ["", "!!!", "k1ke z.i.o.n.a.z.i", "#ZioNaziMedia", "a | b", "Lovely day"]
    for t in texts:
        assert unpacked(packed(normalize(t))) == normalize(t)
    assert packed(normalize("Lovely day")) == "lovely day"
    assert packed(normalize("k1ke")) == normalize("k1ke")  # the views differ: stored whole
