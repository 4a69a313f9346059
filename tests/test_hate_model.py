"""The shipped hate model, its false-positive rate, `engineroom eval hate`, and tiny training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import TEST_DATA, shared_dataset
from engineroom.cli import app
from engineroom.hate.lexicon import CATEGORIES
from engineroom.hate.model import load_model, shipped_model

FP_SET = TEST_DATA / "hate" / "false_positives.csv"
SMALL = TEST_DATA / "hate" / "eval_small.csv"


def test_shipped_model_loads_without_pickle_and_is_small():
    from engineroom.hate.model import MODEL_FILE, default_model_dir

    path = default_model_dir() / MODEL_FILE
    assert path.exists(), "the trained model must ship in the package (engineroom train hate)"
    assert path.stat().st_size < 8_000_000
    with np.load(path, allow_pickle=False) as z:
        assert {"idf", "coef_as", "coef_hate", "meta"} <= set(z.files)
    m = load_model()
    assert 0 < m.threshold < 1


@pytest.mark.parametrize("text,category", [
    ("The holohoax is the biggest lie ever told, six gorillion my foot", "holocaust_denial"),
    ("(((They))) control the media, the goyim know", None),
    ("Rothschild bankers own every government and the Jews control the media", "jewish_power_conspiracy"),
    ("ZioNazi scum, the zionazis are worse than Hitler", "nazi_comparison"),
    ("gas the kikes", "dehumanisation_slurs"),
])
def test_clear_antisemitism_is_flagged_with_category_and_evidence(text, category):
    p = shipped_model().predict([text])
    assert p.label[0] == "antisemitic", (text, float(p.score[0]))
    assert p.category[0] in CATEGORIES
    if category:
        assert p.category[0] == category
    ev = json.loads(p.evidence[0])
    assert ev["lexicon"], ev
    assert p.hate_score[0] >= p.score[0]


def test_false_positive_rate_under_5_percent():
    df = pd.read_csv(FP_SET, dtype=str, keep_default_na=False)
    assert len(df) >= 200 and set(df["kind"]) == {"identity", "counter_speech", "news_report", "factual"}
    assert (df["label"] == "0").all()
    pred = shipped_model().predict(df["text"].tolist(), explain=False)
    flagged = np.array(pred.label) == "antisemitic"
    rate = flagged.mean()
    per_kind = {k: flagged[(df["kind"] == k).to_numpy()].mean() for k in sorted(set(df["kind"]))}
    assert rate < 0.05, (rate, per_kind, df["text"][flagged].tolist())
    # a fact about Israel or Zionism (no Jews named, no trope) is never antisemitic for that alone
    factual = (df["kind"] == "factual").to_numpy()
    israel_only = np.array([r == "israel" for r in pred.reason])
    assert (factual & israel_only).sum() >= 10 and not flagged[factual & israel_only].any(), \
        df["text"][factual & israel_only & flagged].tolist()
    # counter-speech is marked as such
    cs = np.array(pred.counter_speech)[(df["kind"] == "counter_speech").to_numpy()]
    assert cs.mean() > 0.5


def test_scores_are_probabilities():
    p = shipped_model().predict(["hello world", "", None, "jews " * 500])
    assert ((p.score >= 0) & (p.score <= 1)).all() and ((p.hate_score >= 0) & (p.hate_score <= 1)).all()
    assert p.label[0] == "none" and p.label[1] == "none"


def test_eval_cli_small_file():
    r = CliRunner().invoke(app, ["eval", "hate", "--data", str(SMALL), "--by", "group", "--json"])
    assert r.exit_code == 0, r.output
    last = json.loads(r.output.strip().splitlines()[-1])
    assert {"precision", "recall", "f1", "auc", "n", "posts_per_s", "by"} <= set(last)
    assert last["n"] == 20
    assert last["f1"] >= 0.8 and last["auc"] >= 0.9
    assert set(last["by"]) == {"denial", "power", "nazi", "slur", "loyalty", "self_determination", "blood",
                               "identity", "counter", "news", "other"}
    assert last["by"]["identity"]["n"] == 3 and last["by"]["identity"]["auc"] is None


def test_eval_cli_bad_files(tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text("words,label\nhello,0\n")
    r = runner.invoke(app, ["eval", "hate", "--data", str(bad)])
    assert r.exit_code != 0 and "no text column" in " ".join(r.output.split())
    bad.write_text("text,label\nhello,maybe\n")
    r = runner.invoke(app, ["eval", "hate", "--data", str(bad)])
    assert r.exit_code != 0 and "must be 0 or 1" in " ".join(r.output.split())
    r = runner.invoke(app, ["eval", "hate", "--data", str(tmp_path / "missing.csv")])
    assert r.exit_code != 0 and "no such file" in " ".join(r.output.split())


def test_hatexplain_jewish_target_test_split():
    """Held-out: HateXplain's test split is never used for training."""
    path = shared_dataset("hatexplain") / "hatexplain_posts.csv.gz"
    from engineroom.hate.evaluate import evaluate_frame

    d = pd.read_csv(path, dtype=str, keep_default_na=False)
    d = d[(d["split"] == "test") & (d["target_jewish"] == "1")]
    d = d.assign(label=d["majority_label"].isin(["hatespeech", "offensive"]).astype(int))
    res = evaluate_frame(d, "text", "label")
    assert res["n"] == 188
    assert res["f1"] >= 0.6, res


@pytest.mark.slow
def test_training_on_a_tiny_sample(tmp_path):
    data = shared_dataset("jikeli_antisemitism_dev").parent
    from engineroom.hate.train import train

    res = train(out=tmp_path, data_dir=data, sample=60, cv=False)
    m = load_model(tmp_path)
    assert Path(res["model"]).exists()
    p = m.predict(["the holohoax is a lie", "a lovely day"])
    assert len(p.label) == 2 and 0 <= p.score[0] <= 1


def test_fast_scoring_path_is_bit_for_bit_the_stacked_one():
    """`_scores` (descending-order TF-IDF, lexicon columns added column by column) gives the same
    TF-IDF matrix and the same float32 decision values as `tfidf(counts)` stacked with the
    lexicon columns and multiplied out."""
    from engineroom.hate.features import tfidf
    from engineroom.hate.normalize import normalize

    m = shipped_model()
    raws = ["the goyim know, shut it down", "Jews control the media and the banks", "",
            "lovely weather in Haifa today", "\"Zionist\" bankers own everything", "RT @x: some jews are bankers",
            "Holocaust never happened, holohoax", "a b", "je ne sais pas ça", "gas the kikes"] * 3
    norms = [normalize(t) for t in raws]
    X, hits, z_as, z_hate = m._scores(norms, raws)
    ref = tfidf(m.featurizer.counts(norms), m.idf)
    assert (X.indptr == ref.indptr).all() and (X.indices == ref.indices).all()
    assert X.data.tobytes() == ref.data.tobytes()
    Xs, hits_s = m._features(norms, raws)
    r_as, r_hate = m.decision(Xs)
    assert z_as.dtype == r_as.dtype and z_as.tobytes() == r_as.tobytes()
    assert z_hate.tobytes() == r_hate.tobytes()
    assert hits == hits_s
