"""Precision and recall of the `hate` labels on labelled real hate-speech data (general hate, not
only antisemitism), plus the antisemitism checks that must not move.

    python benchmarks/hate_other_eval.py [--data ../shared/data] [--davidson-sample 5000] [--json]

Prints, for the shipped model:

* **Davidson et al. 2017** (``davidson_hate_offensive``): a random sample (``random_state=16``) of
  the 24,783 tweets; positive = majority class ``hate speech``; predicted = labelled ``other_hate``
  (and, separately, any hate label). Caveat: the any-hate head was trained on all of Davidson, so
  this is an in-sample figure for the score; the target rule is not fitted to it.
* **HateXplain test split** (never used for training): positive = majority ``hatespeech``; posts
  whose majority targets include Jews are left out (the antisemitism label's job); predicted =
  labelled ``other_hate``.
* The antisemitism checks: HateXplain Jewish-target F1 (the test in ``tests/test_hate_model.py``)
  and the false-positive rate on ``tests/data/hate/false_positives.csv``.

Only aggregate figures are printed; nothing per post or per user.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _pr(y: np.ndarray, p: np.ndarray) -> dict:
    tp = int((y & p).sum())
    prec = tp / p.sum() if p.sum() else float("nan")
    rec = tp / y.sum() if y.sum() else float("nan")
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"n": int(len(y)), "positives": int(y.sum()), "predicted": int(p.sum()),
            "precision": round(float(prec), 3), "recall": round(float(rec), 3), "f1": round(float(f1), 3)}


def measure(data: Path, davidson_sample: int = 5000) -> dict:
    from engineroom.hate.evaluate import evaluate_frame
    from engineroom.hate.model import shipped_model

    m = shipped_model()
    out: dict = {}
    d = pd.read_csv(data / "davidson_hate_offensive" / "labeled_data.csv.gz", dtype=str, keep_default_na=False)
    d = d.sample(min(davidson_sample, len(d)), random_state=16)
    lab = np.array(m.predict(d["tweet"].tolist(), explain=False).label)
    y = (d["class"] == "0").to_numpy()
    out["davidson_other_hate"] = _pr(y, lab == "other_hate")
    out["davidson_any_label"] = _pr(y, lab != "none")
    offensive = (d["class"] == "1").to_numpy()
    out["davidson_offensive_labelled_other_hate"] = round(float((lab[offensive] == "other_hate").mean()), 4)

    h = pd.read_csv(data / "hatexplain" / "hatexplain_posts.csv.gz", dtype=str, keep_default_na=False)
    test = h[h["split"] == "test"]
    nj = test[test["target_jewish"] != "1"]
    lab = np.array(m.predict(nj["text"].tolist(), explain=False).label)
    out["hatexplain_test_non_jewish_other_hate"] = _pr((nj["majority_label"] == "hatespeech").to_numpy(), lab == "other_hate")

    jt = test[test["target_jewish"] == "1"]
    jt = jt.assign(label=jt["majority_label"].isin(["hatespeech", "offensive"]).astype(int))
    r = evaluate_frame(jt, "text", "label")
    out["hatexplain_jewish_target"] = {k: round(float(r[k]), 3) for k in ("n", "precision", "recall", "f1") if k in r}
    fp = pd.read_csv(ROOT / "tests" / "data" / "hate" / "false_positives.csv", dtype=str, keep_default_na=False)
    flagged = np.array(m.predict(fp["text"].tolist(), explain=False).label) == "antisemitic"
    out["false_positive_rate"] = {"n": int(len(fp)), "flagged": int(flagged.sum()), "rate": round(float(flagged.mean()), 4)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data")
    ap.add_argument("--davidson-sample", type=int, default=5000)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    res = measure(a.data, a.davidson_sample)
    if a.json:
        print(json.dumps(res))
        return
    for k, v in res.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
