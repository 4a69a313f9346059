"""The trope lexicon and obfuscation-robust matching."""

from __future__ import annotations

import pytest

from engineroom.hate.lexicon import CATEGORIES, LexiconError, default_lexicon, load_lexicon
from engineroom.hate.normalize import normalize

# For every IHRA category: a plain form and obfuscated forms that must all match it.
OBFUSCATED = {
    "dehumanisation_slurs": ["kike", "k1ke", "k.i.k.e", "k i k e", "K-I-K-E", "ｋｉｋｅ", "кikе", "(((Goldberg)))",
                             "✡️🐀", ":star_of_david: :rat:", "the g0yim know", "#OvenDodgers", "h1tler w4s r1ght"],
    "jewish_power_conspiracy": ["jews control the media", "j3ws c0ntrol the media", "J.E.W.S control the media",
                                "#JewMedia", "Rothschild bankers", "r0thsch1ld", "#RothschildBanks",
                                "Zionist Occupied Government", "Z.O.G", "jеws соntrol thе mеdiа", "khazarian mafia"],
    "blood_libel": ["blood libel", "ritual murder", "drink the blood of christian children", "adrenochrome",
                    "adr3n0chr0me", "#RitualMurder", "christ k1llers"],
    "holocaust_denial": ["holohoax", "h0l0h0@x", "H.O.L.O.H.O.A.X", "#HolohoaxExposed", "six gorillion",
                         "6 gorillion", "the holocaust never happened", "h0l0caust n3ver happ3ned", "hoḷohoax"],
    "nazi_comparison": ["zionazi", "ZioNazi", "z1onaz1", "Zio-Nazi", "z i o n a z i", "#ZioNaziMedia",
                        "zionazis", "Israhell", "#IsraHell", "ʐionazi".replace("ʐ", "z")],
    "dual_loyalty": ["dual loyalty", "dual l0yalty", "israel firsters", "#IsraelFirst", "loyal to israel",
                     "l0yal t0 israel"],
    "collective_responsibility": ["jews are responsible", "j3ws are responsible", "blame the jews", "#BlameTheJews",
                                  "jewish terrorists"],
    "denying_self_determination": ["israel has no right to exist", "isr4el has no right to exist",
                                   "zionist entity", "#ZionistEntity", "racist endeavour", "zionism is racism"],
}


def categories_of(text: str) -> set[str]:
    return {h.entry.category for h in default_lexicon().match(text) if h.entry.kind == "trope"}


def test_every_category_is_covered():
    assert set(OBFUSCATED) == set(CATEGORIES)
    lex = default_lexicon()
    for cat in CATEGORIES:
        assert any(e.category == cat for e in lex.entries), cat


@pytest.mark.parametrize("category,form", [(c, f) for c, forms in OBFUSCATED.items() for f in forms])
def test_obfuscated_forms_match(category, form):
    # a trope counts only in a post that refers to Jews, Israel or Zionism (or is a coded term)
    assert category in categories_of(f"look at this, about jews: {form} !!"), (form, normalize(form))


@pytest.mark.parametrize("text", [
    "I love my new jewelry", "Kikeriki is what a German rooster says", "the zoo is open on Sunday",
    "the holocene epoch", "Israel reported three new cases", "Jews celebrate Passover in spring",
    "ziona is a lovely name", "we went to the nazareth festival", "she is so loyal to her friends",
])
def test_innocent_words_do_not_match(text):
    assert categories_of(text) == set()


def test_evidence_records_term_category_weight_source():
    hits = [h for h in default_lexicon().match("The #ZioNaziMedia lies") if h.entry.kind == "trope"]
    ev = hits[0].as_evidence()
    assert ev["category"] == "nazi_comparison"
    assert ev["term"] == "zionazi"
    assert 0 < ev["weight"] <= 1 and ev["source"]


def test_cues_are_found():
    cats = {h.entry.category for h in default_lexicon().match("As a Jew, I condemn this antisemitic trope, police said")}
    assert {"identity", "counter_speech", "jewish_reference", "report"} <= cats


def test_every_entry_has_weight_and_source():
    for e in default_lexicon().entries:
        assert 0 <= e.weight <= 1
        assert e.source


def test_bad_lexicon_file_names_the_field(tmp_path):
    bad = tmp_path / "extra.yaml"
    bad.write_text("entries:\n  - {term: foo, category: nonsense, weight: 0.5, source: me}\n")
    with pytest.raises(LexiconError, match=r"extra\.yaml: entries\[0\] \(foo\): field 'category'"):
        load_lexicon([bad])
    bad.write_text("entries:\n  - {term: foo, category: blood_libel, source: me}\n")
    with pytest.raises(LexiconError, match="missing field 'weight'"):
        load_lexicon([bad])


def test_extra_lexicon_file_adds_terms(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("entries:\n  - {term: snorkelbank, category: jewish_power_conspiracy, weight: 0.9, source: test}\n")
    lex = load_lexicon([extra])
    assert any(h.entry.term == "snorkelbank" for h in lex.match("the jews and the sn0rkelbank again"))
