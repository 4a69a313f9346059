"""Antisemitic labels on a real corpus (the IRA / organic development corpus) against hand judgements.

Every post the shipped model labels antisemitic there must have a judgement in
``benchmarks/hate_ira_judgements.csv`` (references: file + post_id, never texts), and the judged
precision must be at least 0.9; the judged random sample of 60 ``other_hate`` labels must still be
labelled, with precision at least 0.8 under docs/hate.md's reading (a campaign hashtag such as
#IslamKills counts). Only post-level figures are checked; nothing per account.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from conftest import shared_dataset

ROOT = Path(__file__).resolve().parents[1]


def _review_module():
    spec = importlib.util.spec_from_file_location("hate_ira_review", ROOT / "benchmarks" / "hate_ira_review.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_every_antisemitic_label_on_the_ira_corpus_is_judged_and_precise(tmp_path):
    import engineroom

    posts = shared_dataset("ira_vs_organic_dev") / "posts.csv.gz"
    c = engineroom.open(tmp_path / "ira.duckdb")
    try:
        c.ingest(posts)
        c.analyze(only=["hate"])
    finally:
        c.close()
    res = _review_module().review(tmp_path / "ira.duckdb")
    an = res["antisemitic"]
    assert an["labelled"] > 0
    assert an["unjudged"].empty, f"labelled antisemitic but not judged: {an['unjudged']['post_id'].tolist()}"
    assert an["precision"] >= 0.9, (an["precision"], an["wrong"].to_dict("records"))
    # other hate: the judged random sample of 60 labels (benchmarks/hate_ira_judgements.csv, sample
    # i16h2_other60) is still labelled, and precise under docs/hate.md's reading
    other = res["other_hate"]
    assert other["judged"] == 60, other["judged"]
    assert other["precision"] >= 0.8, (other["precision"], other["wrong"].to_dict("records"))
