"""Train the shipped hate / antisemitism model (``engineroom train hate``).

Recipe (chosen by 5-fold cross-validation on ``jikeli_antisemitism_dev``; see
``engineroom/data/hate/README.md`` for the figures):

1. Normalise every text and featurise it (:mod:`engineroom.hate.features`): hashed word 1–2-grams,
   in-word character 2–5-grams (sublinear TF-IDF) and lexicon features.
2. *Antisemitic* head: L2 logistic regression (liblinear, ``C``) on the Jikeli tweets (weight 1)
   plus down-weighted extra examples: HateXplain **train+val** posts (Jewish-target hateful/offensive
   = 1; normal = 0; hate posts whose target is unknown are left out), RedditBias stereotype
   annotations. HateXplain's test split is never used for training (it is an evaluation set).
3. *Any hate* head: the same features, trained on HateXplain train+val hate speech, Davidson hate
   speech and Jikeli antisemitic tweets.
4. Context adjustment (:func:`engineroom.hate.model.adjust_scores`): explicit counter-speech,
   news reports and identity statements scale the score down; strong lexicon tropes outside such
   context lift it.
5. Calibration: Platt scaling of each head on out-of-fold decision values (5-fold for the
   shipped antisemitic head, 3-fold for the hate head and inside cross-validation); the antisemitic
   threshold maximises F1 on the out-of-fold Jikeli predictions.

The returned record holds the cross-validated metrics (precision, recall, F1, ROC AUC, per
sampling keyword), the HateXplain test-split figures, and where the model was written.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_recall_fscore_support, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from ..progress import progress
from . import data as ds
from .features import LEX_FEATURES, Featurizer, fit_idf, lexicon_matrix, tfidf
from .lexicon import default_lexicon, default_lexicon_path
from .model import CONTEXT, HateModel, adjust_scores, default_model_dir
from .normalize import normalize

#: hyper-parameters of the shipped model (chosen by CV; see README)
DEFAULTS: dict[str, Any] = {
    "n_features": 2**19,
    "C_as": 4.0,
    "C_hate": 2.0,
    "lex_scale": 1.0,
    "w_hatexplain": 0.3,
    "w_redditbias": 0.3,
    "seed": 13,
}


def _metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float | int | None]:
    if len(y) == 0:
        return {"n": 0, "positives": 0, "precision": None, "recall": None, "f1": None, "auc": None}
    pred = (p >= threshold).astype(int)
    pr, rc, f1, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    auc = roc_auc_score(y, p) if len(set(y.tolist())) == 2 else None
    return {"n": int(len(y)), "positives": int(y.sum()), "precision": float(pr), "recall": float(rc),
            "f1": float(f1), "auc": None if auc is None else float(auc)}


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    lr = LogisticRegression(C=1e4, solver="lbfgs").fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    grid = np.linspace(0.15, 0.85, 71)
    scores = [f1_score(y, (p >= t).astype(int), zero_division=0) for t in grid]
    return float(grid[int(np.argmax(scores))])


class _Data:
    """All training texts featurised once: raw counts, lexicon features, labels, weights."""

    def __init__(self, frames: pd.DataFrame, featurizer: Featurizer, lex_scale: float) -> None:
        lex = default_lexicon()
        self.frame = frames.reset_index(drop=True)
        raws = self.frame["text"].astype(str).tolist()
        with progress("Featurising", total=len(raws)) as bar:
            norms = []
            for i in range(0, len(raws), 5000):
                norms.extend(normalize(t) for t in raws[i:i + 5000])
                bar.advance(min(5000, len(raws) - i))
        self.counts = featurizer.counts(norms)
        F, self.hits = lexicon_matrix(lex, norms, raws)
        self.lex = sp.csr_matrix(F * lex_scale)

    def X(self, rows: np.ndarray, idf: np.ndarray) -> sp.csr_matrix:
        return sp.hstack([tfidf(self.counts[rows], idf), self.lex[rows]], format="csr")


def _fit_head(X: sp.csr_matrix, y: np.ndarray, w: np.ndarray, C: float, seed: int) -> LogisticRegression:
    lr = LogisticRegression(C=C, solver="liblinear", class_weight="balanced", max_iter=200, random_state=seed)
    lr.fit(X, y, sample_weight=w)
    return lr


def _as_rows(d: _Data, weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f = d.frame
    ok = f["label"].notna() & ~((f["source"] == "hatexplain") & (f.get("split", "") == "test"))
    w = f["source"].map({"jikeli": 1.0, "hatexplain": weights["w_hatexplain"], "redditbias": weights["w_redditbias"]}).fillna(0.0)
    ok &= w > 0
    rows = np.flatnonzero(ok.values)
    return rows, f["label"].values[rows].astype(int), w.values[rows].astype(float)


def _fit_as(d: _Data, rows: np.ndarray, y: np.ndarray, w: np.ndarray, params: dict, is_jikeli: np.ndarray,
            inner: bool = True) -> dict:
    """Fit the antisemitic head on ``rows`` with OOF Platt calibration and threshold."""
    idf = fit_idf(d.counts[rows])
    X = d.X(rows, idf)
    out: dict[str, Any] = {"idf": idf}
    if inner:
        z = np.zeros(len(rows))
        skf = StratifiedKFold(3, shuffle=True, random_state=params["seed"])
        for tr, te in skf.split(np.zeros(len(rows)), y * 2 + is_jikeli):
            m = _fit_head(X[tr], y[tr], w[tr], params["C_as"], params["seed"])
            z[te] = m.decision_function(X[te])
        a, b = _platt(z[is_jikeli == 1], y[is_jikeli == 1])
        p = adjust_scores(1 / (1 + np.exp(-(a * z + b))), [d.hits[r] for r in rows])
        out["platt"] = (a, b)
        out["threshold"] = _best_threshold(y[is_jikeli == 1], p[is_jikeli == 1])
    out["model"] = _fit_head(X, y, w, params["C_as"], params["seed"])
    return out


def _predict_as(d: _Data, rows: np.ndarray, fit: dict) -> np.ndarray:
    z = fit["model"].decision_function(d.X(rows, fit["idf"]))
    a, b = fit["platt"]
    return adjust_scores(1 / (1 + np.exp(-(a * z + b))), [d.hits[r] for r in rows])


def load_frames(data_dir: Path) -> pd.DataFrame:
    """The training and evaluation frames from ``data_dir`` (jikeli is required; others optional)."""
    frames = [ds.jikeli(data_dir)]
    for reader in (ds.hatexplain, ds.redditbias, ds.davidson):
        try:
            frames.append(reader(data_dir))
        except FileNotFoundError:
            pass
    return pd.concat(frames, ignore_index=True)


def cross_validate(d: _Data, params: dict, folds: int = 5) -> dict[str, Any]:
    """Stratified (label × keyword) k-fold CV on Jikeli: extra datasets join every training fold,
    never a test fold; calibration and threshold come from inner CV on the training fold only."""
    f = d.frame
    rows, y, w = _as_rows(d, params)
    src = f["source"].values[rows]
    jik = (src == "jikeli").astype(int)
    jrows = np.flatnonzero(jik)
    strat = pd.Series(y[jrows]).astype(str) + f["keyword"].values[rows][jrows]
    p_oof = np.zeros(len(jrows))
    t_oof = np.zeros(len(jrows))
    skf = StratifiedKFold(folds, shuffle=True, random_state=params["seed"])
    with progress("Cross-validating", total=folds) as bar:
        for tr, te in skf.split(np.zeros(len(jrows)), strat):
            train_idx = np.concatenate([jrows[tr], np.flatnonzero(jik == 0)])
            fit = _fit_as(d, rows[train_idx], y[train_idx], w[train_idx], params, jik[train_idx])
            p_oof[te] = _predict_as(d, rows[jrows[te]], fit)
            t_oof[te] = fit["threshold"]
            bar.advance(1)
    yj = y[jrows]
    pred = (p_oof >= t_oof).astype(int)
    pr, rc, f1, _ = precision_recall_fscore_support(yj, pred, average="binary", zero_division=0)
    res: dict[str, Any] = {"folds": folds, "n": int(len(yj)), "positives": int(yj.sum()), "precision": float(pr),
                           "recall": float(rc), "f1": float(f1), "auc": float(roc_auc_score(yj, p_oof)),
                           "threshold_mean": float(t_oof.mean())}
    kw = f["keyword"].values[rows][jrows]
    res["by_keyword"] = {}
    for k in sorted(set(kw)):
        m = kw == k
        ppr, rrc, ff1, _ = precision_recall_fscore_support(yj[m], pred[m], average="binary", zero_division=0)
        res["by_keyword"][k] = {"n": int(m.sum()), "positives": int(yj[m].sum()), "precision": float(ppr),
                                "recall": float(rrc), "f1": float(ff1),
                                "auc": float(roc_auc_score(yj[m], p_oof[m])) if len(set(yj[m])) == 2 else None}
    return res


def _hate_rows(d: _Data) -> tuple[np.ndarray, np.ndarray]:
    f = d.frame
    ok = f["hate"].notna() & ~((f["source"] == "hatexplain") & (f.get("split", "") == "test"))
    rows = np.flatnonzero(ok.values)
    return rows, f["hate"].values[rows].astype(int)


def fit_model(d: _Data, params: dict, featurizer: Featurizer) -> HateModel:
    """Fit both heads on all training rows and assemble a :class:`HateModel`."""
    rows, y, w = _as_rows(d, params)
    jik = (d.frame["source"].values[rows] == "jikeli").astype(int)
    # one IDF for both heads: fitted on every training text of either head
    hrows, hy = _hate_rows(d)
    all_rows = np.union1d(rows, hrows)
    idf = fit_idf(d.counts[all_rows])
    X = d.X(rows, idf)
    m_as = _fit_head(X, y, w, params["C_as"], params["seed"])
    # hate head with OOF calibration
    Xh = d.X(hrows, idf)
    wh = np.ones(len(hrows))
    z = np.zeros(len(hrows))
    for tr, te in StratifiedKFold(3, shuffle=True, random_state=params["seed"]).split(np.zeros(len(hrows)), hy):
        z[te] = _fit_head(Xh[tr], hy[tr], wh[tr], params["C_hate"], params["seed"]).decision_function(Xh[te])
    platt_h = _platt(z, hy)
    ph = 1 / (1 + np.exp(-(platt_h[0] * z + platt_h[1])))
    thr_h = _best_threshold(hy, ph)
    m_hate = _fit_head(Xh, hy, wh, params["C_hate"], params["seed"])
    # recalibrate the AS head on the shared IDF with OOF decision values
    z = np.zeros(len(rows))
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=params["seed"]).split(np.zeros(len(rows)), y * 2 + jik):
        z[te] = _fit_head(X[tr], y[tr], w[tr], params["C_as"], params["seed"]).decision_function(X[te])
    platt_as = _platt(z[jik == 1], y[jik == 1])
    pa = adjust_scores(1 / (1 + np.exp(-(platt_as[0] * z + platt_as[1]))), [d.hits[r] for r in rows])
    thr_as = _best_threshold(y[jik == 1], pa[jik == 1])
    lex_hash = hashlib.sha256(default_lexicon_path().read_bytes()).hexdigest()[:16]
    meta = {
        "featurizer": featurizer.params(),
        "lex_features": list(LEX_FEATURES),
        "intercept_as": float(m_as.intercept_[0]), "intercept_hate": float(m_hate.intercept_[0]),
        "platt_as": list(platt_as), "platt_hate": list(platt_h),
        "threshold_as": thr_as, "threshold_adjusted": thr_as, "threshold_hate": thr_h, "context": dict(CONTEXT),
        "params": params, "lexicon_sha256_16": lex_hash,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "n_train_as": int(len(rows)), "n_train_hate": int(len(hrows)),
    }
    arrays = {"idf": idf, "coef_as": m_as.coef_[0].astype(np.float32), "coef_hate": m_hate.coef_[0].astype(np.float32),
              "lex_scale": np.full(len(LEX_FEATURES), params["lex_scale"], dtype=np.float32)}
    # the tf-idf/lex split of the coefficient vectors is (n_features, len(LEX_FEATURES))
    return HateModel(arrays, meta)


def hatexplain_test(model: HateModel, frame: pd.DataFrame) -> dict[str, Any]:
    """HateXplain test split: (a) Jewish-target posts only (label 1 = hatespeech/offensive);
    (b) all test posts, label 1 = hatespeech/offensive with a Jewish majority target."""
    hx = frame[(frame["source"] == "hatexplain") & (frame["split"] == "test")]
    if hx.empty:
        return {}
    p = model.predict_proba(hx["text"].tolist())
    y = hx["label"].astype(int).values
    jt = (hx["target_jewish"] == "1").values
    return {"jewish_target_only": _metrics(y[jt], p[jt], model.threshold),
            "all_test_posts": _metrics(y, p, model.threshold)}


def train(out: Path | None = None, data_dir: Path = Path("../shared/data"), console=None,
          params: dict | None = None, cv: bool = True, sample: int | None = None) -> dict[str, Any]:
    """Train, cross-validate and save the model; return the measured figures.

    ``out`` defaults to the package's own model folder (so the weights ship). ``sample`` trains
    on a random subset of that many rows per dataset (for tests).
    """
    params = {**DEFAULTS, **(params or {})}
    t0 = time.perf_counter()
    frames = load_frames(Path(data_dir))
    if sample:
        frames = pd.concat([g.sample(min(len(g), sample), random_state=params["seed"])
                            for _, g in frames.groupby("source")], ignore_index=True)
    featurizer = Featurizer(n_features=int(params["n_features"]))
    d = _Data(frames, featurizer, params["lex_scale"])
    result: dict[str, Any] = {"params": params}
    if cv:
        result["cv_jikeli"] = cross_validate(d, params)
        if console is not None:
            c = result["cv_jikeli"]
            console.print(f"5-fold CV on jikeli: P {c['precision']:.3f} R {c['recall']:.3f} F1 {c['f1']:.3f} AUC {c['auc']:.3f}")
    model = fit_model(d, params, featurizer)
    result["hatexplain_test"] = hatexplain_test(model, d.frame)
    model.meta["metrics"] = {k: v for k, v in result.items() if k != "params"}
    folder = Path(out) if out else default_model_dir()
    path = model.save(folder)
    result["model"] = str(path)
    result["model_bytes"] = path.stat().st_size
    result["seconds"] = round(time.perf_counter() - t0, 1)
    if console is not None and result["hatexplain_test"]:
        h = result["hatexplain_test"]["jewish_target_only"]
        console.print(f"HateXplain test, Jewish-target posts: F1 {h['f1']:.3f} (n={h['n']})")
    return json.loads(json.dumps(result, default=float))
