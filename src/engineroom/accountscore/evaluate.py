"""Measure the operation-likeness score on labelled accounts (``engineroom eval accounts``).

* :func:`evaluate_corpus` — a corpus plus a CSV ``account_id,label``: scores from the
  ``account_scores`` table (the ``accounts`` analysis is run first when the table is missing).
* :func:`evaluate_profiles` — a cresci-style profile CSV (Twitter v1.1 user fields:
  ``screen_name``, ``name``, ``description``, ``statuses_count``, ``followers_count``,
  ``friends_count``, ``favourites_count``, ``listed_count``, ``created_at``, ``default_profile``,
  ... and a ``label`` column) scored from profile fields alone by the shipped profile model.

Labels: ``1``/``0``, ``true``/``false``, ``bot``/``human``, ``ira``/``organic``,
``operation``/``organic``, ``fake``/``genuine``. Figures: ROC AUC, precision at k (k defaults
to the number of positives), n, and for a corpus the precision and recall of the ``flagged``
column.

Training overlap: the shipped behaviour model was trained on some accounts of the
IRA-vs-organic development corpus (``training_accounts.csv`` next to the models, role
``train``). When labelled accounts are among them, :func:`evaluate_corpus` says so in
``warning`` and reports the figures over the other accounts as ``held_out``: only those are
held-out figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

POSITIVE = {"1", "true", "t", "yes", "bot", "ira", "operation", "fake", "spam", "spambot", "troll"}
NEGATIVE = {"0", "false", "f", "no", "human", "organic", "genuine", "real"}


def parse_labels(values: pd.Series) -> pd.Series:
    """Label column to 1/0; raises ValueError on a value that is neither."""
    v = values.astype(str).str.strip().str.lower()
    bad = sorted(set(v[~v.isin(POSITIVE | NEGATIVE)]))
    if bad:
        raise ValueError(f"labels must be 1/0 or bot/human (also ira/organic); got {', '.join(map(repr, bad[:5]))}")
    return v.isin(POSITIVE).astype(int)


def metrics(y: np.ndarray, score: np.ndarray, k: int | None = None) -> dict[str, Any]:
    """ROC AUC, precision at k (default: number of positives) and n."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y, dtype=int)
    score = np.asarray(score, dtype=float)
    n = int(len(y))
    if n == 0:
        raise ValueError("no labelled accounts to evaluate")
    if k is None:
        k = int(y.sum())
    k = max(1, min(int(k), n))
    order = np.argsort(-score, kind="stable")
    auc = float(roc_auc_score(y, score)) if 0 < y.sum() < n else None
    return {"auc": auc, "precision_at_k": float(y[order[:k]].mean()), "k": k, "n": n,
            "positives": int(y.sum())}


def evaluate_profiles(path: str | Path, k: int | None = None, by: str | None = "cresci_group") -> dict[str, Any]:
    """Score a profile CSV with the shipped profile model; AUC and precision at k (and per group)."""
    from .model import load_models
    from .signals import profile_features
    from .train import profiles_to_accounts

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no profile file at {path}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "label" not in df.columns:
        raise ValueError(f"{path} has no 'label' column")
    models = load_models()
    if models.profile is None:
        raise ValueError("no profile model in the package: run 'engineroom train accounts'")
    y = parse_labels(df["label"]).to_numpy()
    acc, seen = profiles_to_accounts(df)
    X = profile_features(acc, models.lm_profile, observed_at=seen)
    score = models.profile.predict(X)
    result = metrics(y, score, k)
    if by and by in df.columns:
        groups = {}
        for g in sorted(set(df[by])):
            in_g = (df[by] == g).to_numpy()
            if y[in_g].sum() == 0:
                continue  # the human group: every family below is measured against all humans
            mask = in_g | (y == 0)
            groups[g] = {"auc": metrics(y[mask], score[mask])["auc"], "n": int(in_g.sum())}
        result["by_group"] = groups
    return result


def training_accounts(models_dir: str | Path | None = None) -> pd.DataFrame:
    """The shipped models' account roles (corpus, account_id, role: train / calibration / test);
    empty where the models folder has none."""
    from .model import data_dir

    path = Path(models_dir) / "training_accounts.csv" if models_dir else data_dir() / "training_accounts.csv"
    if not path.exists():
        return pd.DataFrame(columns=["corpus", "account_id", "role"])
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _figures(m: pd.DataFrame, k: int | None) -> dict[str, Any]:
    out = metrics(m["y"].to_numpy(), m["score"].to_numpy(), k)
    if "flagged" in m and m["flagged"].notna().all():
        y, f = m["y"].to_numpy(dtype=int), m["flagged"].to_numpy(dtype=bool)
        tp = int((f & (y == 1)).sum())
        out.update(flagged=int(f.sum()), precision=tp / max(int(f.sum()), 1), recall=tp / max(int(y.sum()), 1))
    return out


def evaluate_corpus(db_path: str | Path, labels_path: str | Path, k: int | None = None,
                    max_posts_per_account: int | None = None) -> dict[str, Any]:
    """AUC and precision at k of ``account_scores.operation_score`` against a label CSV.

    Runs the ``accounts`` analysis first when the corpus has no ``account_scores`` table (or when
    ``max_posts_per_account`` is given: then the table is rewritten with that cap). Labelled
    accounts that the corpus does not hold are reported as ``missing`` and left out.
    """
    import engineroom

    db_path, labels_path = Path(db_path), Path(labels_path)
    if not db_path.exists():
        raise FileNotFoundError(f"no corpus at {db_path}")
    if not labels_path.exists():
        raise FileNotFoundError(f"no label file at {labels_path}")
    labels = pd.read_csv(labels_path, dtype=str, keep_default_na=False)
    for col in ("account_id", "label"):
        if col not in labels.columns:
            raise ValueError(f"{labels_path} needs columns account_id,label (missing {col})")
    labels["y"] = parse_labels(labels["label"])
    with engineroom.open(db_path) as corpus:
        if max_posts_per_account is not None or not corpus.has_table("account_scores"):
            corpus.analyze(only=["accounts"], params={"accounts": {"max_posts_per_account": max_posts_per_account}})
        cols = set(corpus.query("SELECT * FROM account_scores LIMIT 0").columns)
        flag = ", bool_or(flagged) AS flagged" if "flagged" in cols else ""
        scores = corpus.query(f"SELECT account_id, max(operation_score) AS score{flag} FROM account_scores GROUP BY account_id")
    m = labels.merge(scores, on="account_id", how="left")
    missing = int(m["score"].isna().sum())
    m = m.dropna(subset=["score"])
    result = _figures(m, k)
    result["missing"] = missing
    roles = training_accounts()
    trained = set(roles.loc[roles["role"] == "train", "account_id"])
    seen = m["account_id"].isin(trained)
    result["training_overlap"] = int(seen.sum())
    if seen.any():
        corpora = ", ".join(sorted(set(roles["corpus"]))) or "?"
        result["warning"] = (f"{int(seen.sum())} of the {len(m)} labelled accounts trained the shipped behaviour model "
                             f"({corpora}): figures over all of them are optimistic; held-out figures are over the "
                             f"other {int((~seen).sum())}")
        held = m[~seen]
        result["held_out"] = _figures(held, None) if len(held) and 0 < held["y"].sum() < len(held) else {"n": int(len(held))}
    return result
