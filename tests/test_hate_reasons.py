"""No post is labelled antisemitic without a reason in it (issue 16, point 3).

Each test pins one rule of :mod:`engineroom.hate.lexicon` / :mod:`engineroom.hate.model`; the
example texts are paraphrases of the failures seen on the IRA development corpus (not copies).
"""

from __future__ import annotations

import json

import pytest

from engineroom.analyses import run_analyses
from engineroom.hate.lexicon import LexiconError, default_lexicon, load_lexicon
from engineroom.hate.model import STOP_WORDS, reason, shipped_model


def tropes(text: str) -> list[tuple[str, str]]:
    return [(h.entry.canonical or h.entry.term, h.entry.category)
            for h in default_lexicon().match(text) if h.entry.kind == "trope"]


def predict(text: str):
    p = shipped_model().predict([text])
    return p.label[0], float(p.score[0]), json.loads(p.evidence[0]), p.reason[0]


# -- phrases match whole --------------------------------------------------------------------------

def test_a_phrase_does_not_fire_on_its_tail():
    text = "#StopIslam So we let nazi's in by the thousands? Isis is the new Nazi's genius"
    assert tropes(text) == []
    label, _, _, why = predict(text)
    assert label != "antisemitic" and why is None


def test_the_whole_phrase_and_a_referent_still_match():
    assert ("jews are the new nazis", "nazi_comparison") in tropes("jews are the new nazis")
    assert {c for _, c in tropes("the zionists are the new nazis")} == {"nazi_comparison"}
    # the generic comparison is its own entry, and counts where the post refers to Israel
    assert {c for _, c in tropes("Israel? the new nazis, worse than hitler")} == {"nazi_comparison"}


def test_a_lexicon_whose_variant_is_a_shorter_tail_is_refused(tmp_path):
    bad = tmp_path / "tail.yaml"
    bad.write_text("entries:\n  - {term: jews are the new nazis, category: nazi_comparison, weight: 0.9, "
                   "source: test, variants: [the new nazis]}\n")
    with pytest.raises(LexiconError, match=r"'the new nazis' is a shorter tail of 'jews are the new nazis'"):
        load_lexicon([bad])
    # a tail that drops only stop words is the same phrase
    ok = tmp_path / "ok.yaml"
    ok.write_text("entries:\n  - {term: the goyim knew, coded: true, category: dehumanisation_slurs, weight: 0.9, "
                  "source: test, variants: [goyim knew]}\n")
    assert any((h.entry.canonical or h.entry.term) == "the goyim knew" for h in load_lexicon([ok]).match("goyim knew it"))


# -- a trope needs a Jewish referent ----------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Children are still dying in ritual killings in Gabon, the report says",
    "They harvest organs from prisoners in China",
    "The globalists and the new world order want open borders",
    "Cultural marxism is destroying our universities",
    "Soros is funding the protests again",
])
def test_a_trope_without_a_jewish_referent_is_not_evidence(text):
    assert tropes(text) == []
    label, _, _, why = predict(text)
    assert label != "antisemitic" and why is None


def test_blood_libel_with_a_jewish_referent_matches():
    assert ("ritual murder", "blood_libel") in tropes("the jews commit ritual killings of christian kids")
    assert {c for _, c in tropes("they use christian blood for the passover matzah")} == {"blood_libel"}


def test_coded_terms_are_a_reason_on_their_own():
    for text in ["the holohoax again", "ZOG runs this country", "Rothschild bankers own it all", "gas the kikes"]:
        hits = default_lexicon().match(text)
        assert reason(hits) == "trope", text
    assert reason(default_lexicon().match("a lovely day at the beach")) is None
    assert reason(default_lexicon().match("Israeli police said")) == "israel"
    assert reason(default_lexicon().match("my Jewish neighbour")) == "jews"


@pytest.mark.parametrize("text", [
    "Isis is the new Nazi's, wake up", "these globalist bankers are criminals who destroy america",
    "ritual killings of albinos must stop", "the media are liars and parasites who control everything",
])
def test_no_label_without_a_reason_at_any_threshold(corpus, text):
    corpus.con.execute("INSERT INTO posts (platform, post_id, account_id, text, kind) VALUES ('t', '1', 'a', ?, 'post')",
                       [text])
    run_analyses(corpus, only=["hate"], params={"hate": {"threshold": 0.0}})
    df = corpus.table("hate")
    assert df["label"].iloc[0] != "antisemitic", (text, df["score"].iloc[0])


# -- rebuttal, reporting, events in Israel ---------------------------------------------------------

def test_a_partial_description_is_not_the_trope():
    label, score, ev, _ = predict("Some media owned by Jews. Some by Christians. Many by Muslims. "
                                  "You would know if you had actually worked there")
    assert label != "antisemitic", score
    assert ev["lexicon"] and ev["lexicon"][0].get("hedged") is True
    assert predict("the jews own the media and the banks")[0] == "antisemitic"
    # the quantifier must scope over something other than Jews
    hits = [h for h in default_lexicon().match("some jews control the media") if h.entry.kind == "trope"]
    assert hits and not any(h.hedged for h in hits)
    # a negated quantifier hedges the trope it scopes over, even one that starts with Jews (but
    # "not all jews are ..., just the ones ..." is a common preface to the trope: the "all jews"
    # generalisation itself is not hedged, the model weighs the rest)
    hits = {h.text: h.hedged for h in default_lexicon().match("not all jews control the media")
            if h.entry.kind == "trope"}
    assert hits == {"all jews": False, "jews control the media": True}, hits


@pytest.mark.parametrize("text", [
    "Palestinians, Israeli police clash at al-Aqsa",
    "Israeli army says two rockets fired from Gaza were intercepted",
    "Police are investigating antisemitic graffiti that claimed jews control the media",
    "It is a myth that jews control the media, and repeating it is antisemitic",
])
def test_reports_and_rebuttals_are_not_flagged_for_that_alone(text):
    label, score, _, _ = predict(text)
    assert label != "antisemitic", (text, score)


# -- evidence --------------------------------------------------------------------------------------

def test_evidence_tokens_leave_out_stop_words():
    for text in ["George Soros, the liberal Jew destroying America, is actually by the Rothschild bankers",
                 "the holohoax is a lie told by the jews, actually"]:
        label, _, ev, why = predict(text)
        assert label == "antisemitic" and ev["reason"] == why == "trope"
        toks = [t["token"] for t in ev["tokens"]]
        assert toks and not set(toks) & (STOP_WORDS | {"the", "by", "actually"}), toks
