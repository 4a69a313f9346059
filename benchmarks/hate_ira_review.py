"""Precision of the `hate` analysis's antisemitic labels on a real corpus, against hand judgements.

    engineroom ingest ../shared/data/ira_vs_organic_dev/posts.csv.gz --db /tmp/ira.duckdb
    engineroom analyze --db /tmp/ira.duckdb --only hate
    python benchmarks/hate_ira_review.py --db /tmp/ira.duckdb [--judgements FILE.csv] [--show]

Reads the ``hate`` findings table and the hand judgements (``benchmarks/hate_ira_judgements.csv``:
``file``, ``post_id``, ``model_label``, ``judgement`` = ``correct`` | ``wrong``, ``note``; references
to rows of the corpus file, never its texts) and prints: how many posts are labelled antisemitic,
how many of them are judged, the precision over the judged ones, and the labelled posts that have
no judgement yet (``--show`` prints their texts on the terminal so they can be judged; nothing is
written). The same is reported for the judged sample of ``other_hate`` labels.

How the judgements were made is described in ``docs/hate.md`` (section "Measured on real posts").
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb
import pandas as pd

HERE = Path(__file__).resolve().parent
JUDGEMENTS = HERE / "hate_ira_judgements.csv"


def review(db: str | Path, judgements: str | Path = JUDGEMENTS) -> dict:
    """Precision of each judged label of the ``hate`` table in ``db`` (see the module docstring)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        flagged = con.sql("SELECT h.post_id, h.label, h.score, h.evidence, p.text FROM hate h "
                          "JOIN posts p USING (platform, post_id) WHERE h.label <> 'none'").df()
    finally:
        con.close()
    j = pd.read_csv(judgements, dtype=str, keep_default_na=False)
    if not {"file", "post_id", "model_label", "judgement", "note"} <= set(j.columns):
        raise SystemExit(f"{judgements}: needs columns file, post_id, model_label, judgement, note")
    out: dict = {}
    for label in ("antisemitic", "other_hate"):
        got = flagged[flagged["label"] == label]
        judged = j[j["model_label"] == label]
        both = got.merge(judged[["post_id", "judgement", "note"]], on="post_id", how="left")
        done = both[both["judgement"].isin(["correct", "wrong"])]
        out[label] = {
            "labelled": int(len(got)), "judged": int(len(done)),
            "correct": int((done["judgement"] == "correct").sum()),
            "precision": float((done["judgement"] == "correct").mean()) if len(done) else None,
            "unjudged": both.loc[~both["judgement"].isin(["correct", "wrong"]), ["post_id", "score", "text", "evidence"]],
            "wrong": done.loc[done["judgement"] == "wrong", ["post_id", "note"]],
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--judgements", type=Path, default=JUDGEMENTS)
    ap.add_argument("--show", action="store_true", help="print the texts of unjudged antisemitic labels")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    res = review(a.db, a.judgements)
    summary = {k: {m: v[m] for m in ("labelled", "judged", "correct", "precision")} for k, v in res.items()}
    an = res["antisemitic"]
    summary["antisemitic"]["unjudged_post_ids"] = an["unjudged"]["post_id"].tolist()
    if a.json:
        print(json.dumps(summary))
        return
    for k, v in summary.items():
        print(f"{k}: labelled {v['labelled']}, judged {v['judged']}, correct {v['correct']}, precision {v['precision']}")
    for r in an["wrong"].itertuples():
        print(f"  wrong {r.post_id}: {r.note}")
    if len(an["unjudged"]):
        print(f"antisemitic labels without a judgement: {len(an['unjudged'])}")
        for r in an["unjudged"].itertuples():
            print(f"  {r.post_id} {r.score:.3f}" + (f" | {r.text!r} | {r.evidence}" if a.show else ""))


if __name__ == "__main__":
    main()
