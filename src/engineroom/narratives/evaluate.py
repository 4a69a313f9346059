"""Measure the narrative scorer on labelled posts (``engineroom eval narratives --data FILE.csv``).

The file has a ``text`` column and a ``narrative`` column: the one narrative the post pushes (or
the counter-speech it is), empty for none. For each narrative of the loaded packs: precision (of
the posts the scorer matched to it, the share labelled with it), recall (of the posts labelled
with it, the share matched), F1, and the counts behind them; ``precision`` / ``recall`` / ``f1``
at the top level are their macro averages over the narratives with labelled posts; ``posts_per_s`` is the throughput of
:meth:`NarrativeScorer.score` on the file. Labels naming a narrative no pack defines are an error.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from ..labelled_csv import read_labelled_csv
from .packs import load_narratives
from .scorer import NarrativeScorer


def scorer_for(packs: Sequence[str | Path] | None = None, defaults: bool = True) -> NarrativeScorer:
    """The scorer the ``narratives`` analysis uses (IDF from the shipped hate model when present)."""
    idf = None
    try:
        from ..hate.model import shipped_model

        idf = shipped_model().idf
    except (FileNotFoundError, ValueError):
        idf = None
    return NarrativeScorer(load_narratives(packs, defaults=defaults, user=False, env=False), idf=idf)


def evaluate_frame(df: pd.DataFrame, scorer: NarrativeScorer | None = None) -> dict[str, Any]:
    """Per-narrative precision / recall / F1 of ``scorer`` on a ``text, narrative`` frame."""
    scorer = scorer or scorer_for()
    names = [n.name for n in scorer.narratives]
    labels = df["narrative"].fillna("").astype(str).str.strip().tolist()
    unknown = sorted({x for x in labels if x and x not in names})
    if unknown:
        raise ValueError(f"labels name narratives no loaded pack defines: {', '.join(unknown)} (loaded: {', '.join(names)})")
    texts = df["text"].fillna("").astype(str).tolist()
    t0 = time.perf_counter()
    matches = scorer.score(texts)
    seconds = time.perf_counter() - t0
    pred: dict[int, set[str]] = {}
    for m in matches:
        pred.setdefault(m.row, set()).add(m.narrative)
    out: dict[str, Any] = {"n": len(df), "by_narrative": {}}
    for name in names:
        tp = sum(1 for i, y in enumerate(labels) if y == name and name in pred.get(i, ()))
        fp = sum(1 for i, y in enumerate(labels) if y != name and name in pred.get(i, ()))
        fn = sum(1 for i, y in enumerate(labels) if y == name and name not in pred.get(i, ()))
        p = tp / (tp + fp) if tp + fp else None
        r = tp / (tp + fn) if tp + fn else None
        f1 = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
        out["by_narrative"][name] = {"n": tp + fn, "predicted": tp + fp, "tp": tp, "fp": fp, "fn": fn,
                                     "precision": p, "recall": r, "f1": f1}
    # macro averages over the narratives that have labelled posts (the --json headline metrics)
    rated = [m for m in out["by_narrative"].values() if m["n"]]
    for k in ("precision", "recall", "f1"):
        vals = [m[k] or 0.0 for m in rated]
        out[k] = sum(vals) / len(vals) if vals else None
    out["posts_per_s"] = float(len(texts) / seconds) if seconds > 0 else None
    return out


def evaluate_file(path: str | Path, packs: Sequence[str | Path] | None = None) -> dict[str, Any]:
    """Read a ``text,narrative`` CSV and evaluate (clear errors for a missing file or columns)."""
    path = Path(path)
    df = read_labelled_csv(path)
    lower = {c.lower(): c for c in df.columns}
    for col in ("text", "narrative"):
        if col not in lower:
            raise ValueError(f"{path}: no {col} column (found {', '.join(map(str, df.columns))})")
    df = df.rename(columns={lower["text"]: "text", lower["narrative"]: "narrative"})
    return evaluate_frame(df, scorer_for(packs))
