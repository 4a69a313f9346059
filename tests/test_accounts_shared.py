"""Account models on the real development data (skipped where ../shared/data is absent).

Small, fast versions of what ``engineroom train accounts`` measures (its full figures are in
``engineroom/data/accounts/model_card.json``): held-out AUC of the profile model on cresci-2017
and of the behaviour model on IRA vs organic with at most three posts per account. Only
aggregate figures are asserted; nothing per account is printed.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import shared_dataset
from engineroom.accountscore import train as T
from engineroom.accountscore.evaluate import evaluate_profiles
from engineroom.accountscore.model import PROFILE_FEATURES, fit_forest
from engineroom.accountscore.signals import HandleLM


@pytest.mark.slow
def test_profile_model_held_out_cresci():
    from sklearn.metrics import roc_auc_score

    data = shared_dataset("cresci2017_account_profiles").parent
    shared_dataset("ira_vs_organic_dev")
    cres = T.load_cresci(data)
    _, labels = T.load_ira(data)
    lm = HandleLM().fit(labels.loc[labels["y"] == 0, "screen_name"])
    X = T.cresci_features(cres, lm)
    y = cres["y"].to_numpy()
    rng = np.random.default_rng(0)
    test = rng.random(len(y)) < 0.3
    f = fit_forest(X[~test], y[~test], PROFILE_FEATURES, n_estimators=60, n_jobs=1)
    assert roc_auc_score(y[test], f.predict(X[test])) >= 0.99


@pytest.mark.slow
def test_behaviour_model_held_out_three_posts():
    from sklearn.metrics import roc_auc_score

    data = shared_dataset("ira_vs_organic_dev").parent
    shared_dataset("cresci2017_account_profiles")
    posts, labels = T.load_ira(data)
    cres = T.load_cresci(data)
    lm = HandleLM().fit(cres.loc[cres["y"] == 0, "screen_name"])
    kdist = T._k_distribution(labels)
    accounts = T.ira_account_frame(posts)
    rng = np.random.default_rng(0)
    ids = labels["account_id"].to_numpy()
    test = rng.random(len(ids)) < 0.3  # account-disjoint split
    lab = labels.set_index("account_id")["y"]
    Xtr = T.behaviour_matrix(T.sample_posts(posts, ids[~test], kdist, rng), accounts, lm)
    Xte = T.behaviour_matrix(T.sample_posts(posts, ids[test], kdist, rng, draw=1), accounts, lm)
    f = fit_forest(Xtr, lab.reindex(Xtr["account_id"]).to_numpy(), T.BEHAVIOUR_FEATURES, n_estimators=60, n_jobs=1)
    assert Xte["account_id"].value_counts().max() == 1  # one sample of <= 3 posts per account
    assert roc_auc_score(lab.reindex(Xte["account_id"]).to_numpy(), f.predict(Xte)) >= 0.95


def test_evaluate_profiles_cli_shape(tmp_path):
    """--profiles on a small cresci-style file (label bot/human) returns the contract keys."""
    import pandas as pd

    data = shared_dataset("cresci2017_account_profiles")
    df = pd.read_csv(data / "users.csv.gz", dtype=str, keep_default_na=False)
    df = pd.concat([df[df["label"] == lab].sample(60, random_state=1) for lab in ("bot", "human")])
    path = tmp_path / "profiles.csv"
    df.to_csv(path, index=False)
    res = evaluate_profiles(path, k=30)
    assert set(res) >= {"auc", "precision_at_k", "n", "k"} and res["n"] == 120 and res["k"] == 30
    assert 0.0 <= res["auc"] <= 1.0


@pytest.mark.slow
def test_ira_flags_on_held_out_accounts_and_the_training_warning(tmp_path):
    """The accounts analysis with default settings on the ingested IRA dev corpus: on the test
    accounts (never in training, not used for the threshold) the flags have precision >= 0.95 and
    recall >= 0.6; eval accounts on all labels warns that most trained the model."""
    import engineroom
    import pandas as pd

    from engineroom.accountscore.evaluate import evaluate_corpus, training_accounts
    from engineroom.analyses.accounts import Accounts

    folder = shared_dataset("ira_vs_organic_dev")
    db = tmp_path / "ira.duckdb"
    with engineroom.open(db) as corpus:
        corpus.ingest([folder / "posts.csv.gz"])
        Accounts().run(corpus.engine())
        flags = corpus.query("SELECT account_id, bool_or(flagged) AS flagged FROM account_scores GROUP BY 1")
    labels = pd.read_csv(folder / "account_labels.csv")
    roles = training_accounts()
    test_ids = set(roles.loc[roles["role"] == "test", "account_id"])
    m = labels[labels.account_id.isin(test_ids)].merge(flags, on="account_id")
    ira, flagged = (m.label == "ira").to_numpy(), m.flagged.to_numpy(dtype=bool)
    assert len(m) == len(test_ids) > 500
    precision, recall = (ira & flagged).sum() / flagged.sum(), (ira & flagged).sum() / ira.sum()
    assert precision >= 0.95 and recall >= 0.6, (precision, recall)
    result = evaluate_corpus(db, folder / "account_labels.csv")
    assert result["training_overlap"] == (roles["role"] == "train").sum() and "optimistic" in result["warning"]
    assert result["held_out"]["n"] == len(labels) - result["training_overlap"]


@pytest.mark.slow
def test_train_accounts_reproduces_the_shipped_models(tmp_path):
    """``engineroom train accounts --no-cv`` writes the shipped models, roles and threshold again."""
    import json

    from engineroom.accountscore.model import data_dir

    data = shared_dataset("ira_vs_organic_dev").parent
    shared_dataset("cresci2017_account_profiles")
    card = T.train(out=tmp_path, data_dir_=data, cv=False)
    shipped = data_dir()
    for name in ("profile_model.npz", "behaviour_model.npz"):
        a, b = np.load(shipped / name, allow_pickle=True), np.load(tmp_path / name, allow_pickle=True)
        assert sorted(a.files) == sorted(b.files) and all(np.array_equal(a[k], b[k]) for k in a.files), name
    for name in ("training_accounts.csv", "handle_lm.json"):
        assert (shipped / name).read_text() == (tmp_path / name).read_text(), name
    assert card["flag"] == json.loads((shipped / "model_card.json").read_text())["flag"]
