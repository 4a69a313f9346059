"""other_hate needs a target: a protected group named or slurred, outside a report of racism.

Each rule here failed before it existed: the any-hate head alone labelled "kill those mother
fuckers!" (about terrorists), Black Lives Matter posts about police violence and a headline about
Senator Coons as other_hate.
"""

from __future__ import annotations

import json

import pytest

from engineroom.hate.model import shipped_model
from engineroom.hate.targets import Targets, load_targets, target_of


@pytest.fixture(scope="module")
def model():
    return shipped_model()


def _pred(model, text):
    p = model.predict([text])
    return p.label[0], float(p.hate_score[0]), json.loads(p.evidence[0])


@pytest.mark.parametrize("text", [
    "@BreakingNews kill those mother fuckers!",                                     # no group at all
    "US police kill another black teen near Ferguson #BlackLivesMatter",          # reports violence
    "We got to #StayWoke all the time because these cops are trying to kill us #BlackLivesMatter",
    "Casey, Coons back Obama on the nuke deal",                                      # a senator's name
])
def test_hateful_sounding_posts_without_a_target_are_not_other_hate(model, text):
    label, hate, _ = _pred(model, text)
    assert hate >= model.hate_threshold  # the any-hate head alone would label it
    assert label == "none"


@pytest.mark.parametrize("text,group,via", [
    ("Your filthy ISLAM must be eradicated. Lying is part of your pond scum faith.", "religion", "text"),
    ("Refugees are rapists and terrorists, send them all back", "migration", "text"),
    ("Who decided this? Our leaders did. Enough. #IslamKills #StopIslam", "religion", "hashtag"),
])
def test_posts_that_attack_a_group_are_other_hate_with_their_target(model, text, group, via):
    label, _, ev = _pred(model, text)
    assert label == "other_hate"
    assert group in ev["target"]["groups"]
    assert ev["target"]["via"] == via


def test_a_slur_keeps_a_post_labelled_in_an_anti_racism_frame():
    t = target_of("BlackLivesMatter niggers leave racist effigy on campus")
    assert t.slur and t.frame and t.attacks_group
    t = target_of("Racism against blacks is still everywhere, police officers too")
    assert t.frame and not t.slur and not t.attacks_group


def test_terms_match_whole_words_with_plurals():
    tg = load_targets()
    assert tg.find("moslems are here") == ["moslem"]      # "moslem" + plural s
    assert tg.find("the gaysorn mall") == []                # not inside a longer word
    assert target_of("Brussels: 34 dead #IslamKills").via == "hashtag"
    assert target_of("no group named here").via is None


def test_a_bad_target_list_fails_with_the_entry_named():
    with pytest.raises(ValueError, match=r"entries\[0\]"):
        Targets([{"kind": "nonsense", "terms": ["x"]}], "t.yaml")


def test_zionist_state_is_not_a_trope():
    from engineroom.hate.lexicon import default_lexicon

    hits = default_lexicon().match("The Zionist state was founded in 1948")
    assert not [h for h in hits if h.entry.kind == "trope"]
