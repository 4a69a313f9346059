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
