"""The second blind batch of labelled real posts (split ``test2``) resolves to real rows.

Only the references are checked here (file, key, one label per row, no overlap with the earlier
splits); the batch's figures are measured once, by the narratives evaluation, not by this file.
"""

import pandas as pd
import pytest

from conftest import SHARED_DATA, shared_dataset
from engineroom.narratives.labelled import LABELS, SPLITS, load_labelled

SOURCES = ("jikeli_antisemitism_dev", "ira_vs_organic_dev", "hatexplain", "redditbias_jews", "davidson_hate_offensive")


def _ref() -> pd.DataFrame:
    return pd.read_csv(LABELS, dtype=str, keep_default_na=False)


def test_test2_is_a_known_split_and_its_keys_are_new():
    """Every test2 row is a row no earlier split labelled, and its label is a default narrative or none."""
    assert "test2" in SPLITS
    ref = _ref()
    assert not ref.duplicated(["file", "key"]).any()
    t2 = ref[ref["split"] == "test2"]
    assert len(t2) > 0
    assert set(t2["narrative"]) <= {"", "antisemitism_smear", "israel_lobby_control", "counter_speech_antisemitism"}
    earlier = set(zip(ref.loc[ref["split"] != "test2", "file"], ref.loc[ref["split"] != "test2", "key"]))
    assert not earlier & set(zip(t2["file"], t2["key"]))


@pytest.mark.slow  # reads five source files (about 6 s)
def test_test2_resolves_to_real_rows():
    """The batch joins to its texts (Jikeli, HateXplain, RedditBias, Davidson, IRA): counts reconcile."""
    for name in SOURCES:
        shared_dataset(name)
    ref = _ref()
    t2 = load_labelled(SHARED_DATA.parent, "test2")
    assert len(t2) == (ref["split"] == "test2").sum()
    assert (t2["text"].str.len() > 0).all()
    assert set(t2["file"]) == set(ref.loc[ref["split"] == "test2", "file"])
    counts = t2["narrative"].value_counts()
    for name in ("antisemitism_smear", "israel_lobby_control", "counter_speech_antisemitism", ""):
        assert counts.get(name, 0) > 0, name
