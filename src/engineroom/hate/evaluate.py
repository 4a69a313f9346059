"""Measure the hate model on a labelled CSV (``engineroom eval hate --data FILE.csv``).

The file needs a text column and a label column (1 = antisemitic, 0 = not). Column names are
matched case-insensitively: ``text`` (or ``fulltext``, ``tweet``, ``comment``) and ``label`` (or
``biased``), so the ISCA/Jikeli file can be evaluated as it is. ``by`` names a column to break the
figures down by (e.g. the sampling keyword). Posts per second is the throughput of
:meth:`HateModel.predict` (normalisation, lexicon, features, both heads, evidence) on this file.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

from ..labelled_csv import read_labelled_csv
from .model import HateModel, shipped_model

TEXT_COLUMNS = ("text", "fulltext", "tweet", "comment")
LABEL_COLUMNS = ("label", "biased")


def _pick(df: pd.DataFrame, names: tuple[str, ...], what: str, path: Path) -> str:
    lower = {c.lower(): c for c in df.columns}
    for n in names:
        if n in lower:
            return lower[n]
    raise ValueError(f"{path}: no {what} column (looked for {', '.join(names)}; found {', '.join(map(str, df.columns))})")


def metrics(y: np.ndarray, p: np.ndarray, threshold: float, flagged: np.ndarray | None = None) -> dict[str, Any]:
    """Precision, recall, F1 (of ``flagged``, default ``p >= threshold``) and ROC AUC (of ``p``; None
    with one class) for labels ``y``."""
    pred = (p >= threshold).astype(int) if flagged is None else np.asarray(flagged).astype(int)
    pr, rc, f1, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else None
    return {"n": int(len(y)), "positives": int(y.sum()), "precision": float(pr), "recall": float(rc),
            "f1": float(f1), "auc": auc}


def evaluate_frame(df: pd.DataFrame, text_col: str = "text", label_col: str = "label", by: str | None = None,
                   model: HateModel | None = None) -> dict[str, Any]:
    """Evaluate the model on a frame; see :func:`evaluate_file`."""
    model = model or shipped_model()
    texts = df[text_col].fillna("").astype(str).tolist()
    t0 = time.perf_counter()
    pred = model.predict(texts)
    seconds = time.perf_counter() - t0
    y = df[label_col].to_numpy()
    # what the analysis labels: score over the threshold AND a reason in the post
    flagged = np.array([lab == "antisemitic" for lab in pred.label], dtype=bool)
    result = metrics(y, pred.score, model.threshold, flagged)
    result["threshold"] = model.threshold
    result["posts_per_s"] = float(len(texts) / seconds) if seconds > 0 else None
    result["seconds"] = round(seconds, 3)
    if by is not None:
        groups = df[by].fillna("").astype(str).to_numpy()
        result["by"] = {g: metrics(y[groups == g], pred.score[groups == g], model.threshold, flagged[groups == g])
                        for g in sorted(set(groups))}
    return result


def evaluate_file(path: str | Path, by: str | None = None, model: HateModel | None = None) -> dict[str, Any]:
    """Precision, recall, F1, ROC AUC, n and posts/s of the hate model on a labelled CSV.

    Raises ``FileNotFoundError`` / ``ValueError`` with a clear message for a missing file, missing
    columns or labels other than 0/1.
    """
    path = Path(path)
    df = read_labelled_csv(path)
    text_col = _pick(df, TEXT_COLUMNS, "text", path)
    label_col = _pick(df, LABEL_COLUMNS, "label", path)
    if by is not None and by not in df.columns:
        raise ValueError(f"{path}: no column {by!r} to break down by (found {', '.join(df.columns)})")
    labels = df[label_col].str.strip()
    bad = ~labels.isin(["0", "1"])
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{path}: column {label_col!r} must be 0 or 1; row {first + 2} has {df[label_col].iloc[first]!r}")
    if df.empty:
        raise ValueError(f"{path}: no rows")
    df = df.assign(**{label_col: labels.astype(int)})
    return evaluate_frame(df, text_col, label_col, by=by, model=model)
