"""Precision of the `hate` analysis's antisemitic labels on a real corpus, against hand judgements.

    engineroom ingest ../shared/data/ira_vs_organic_dev/posts.csv.gz --db /tmp/ira.duckdb
    engineroom analyze --db /tmp/ira.duckdb --only hate
    python benchmarks/hate_ira_review.py --db /tmp/ira.duckdb [--judgements FILE.csv] [--show]

Reads the ``hate`` findings table and the hand judgements (``benchmarks/hate_ira_judgements.csv``:
``file``, ``post_id``, ``model_label``, ``judgement`` = ``correct`` | ``wrong`` | ``hashtag_only``
(other hate only: the text itself attacks nobody, a campaign hashtag such as #IslamKills does),
``note``, ``sample`` (which judged sample the row belongs to: ``all_antisemitic``, ``i16h_other30``
= the 30 ``other_hate`` labels judged before targets were required, ``i16h2_other60`` = the 60
judged after); references
to rows of the corpus file, never its texts) and prints: how many posts are labelled antisemitic,
how many of them are judged, the precision over the judged ones, and the labelled posts that have
no judgement yet (``--show`` prints their texts on the terminal so they can be judged; nothing is
written). The same is reported for the judged sample of ``other_hate`` labels: ``--sample-other N``
prints the texts of N of them drawn with ``pandas.DataFrame.sample(N, random_state=16)`` from the
posts labelled ``other_hate`` (ordered by post_id), which is how the judged sample was drawn.

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


#: the judged sample of ``other_hate`` labels that :func:`review` reads by default (column ``sample``)
OTHER_SAMPLE = "i16h2_other60"


def review(db: str | Path, judgements: str | Path = JUDGEMENTS, other_sample: str | None = OTHER_SAMPLE) -> dict:
    """Precision of each judged label of the ``hate`` table in ``db`` (see the module docstring).

    ``other_sample``: which judged sample of ``other_hate`` labels to read (the ``sample`` column;
    None: all of them, each post once)."""
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
        if label == "other_hate" and other_sample and "sample" in judged.columns:
            judged = judged[judged["sample"] == other_sample]
        judged = judged.drop_duplicates("post_id", keep="last")
        both = got.merge(judged[["post_id", "judgement", "note"]], on="post_id", how="left")
        kinds = ["correct", "wrong", "hashtag_only"]
        done = both[both["judgement"].isin(kinds)]
        ok = done["judgement"] != "wrong"
        out[label] = {
            "labelled": int(len(got)), "judged": int(len(done)), "correct": int(ok.sum()),
            "precision": float(ok.mean()) if len(done) else None,
            # hashtag-only judgements counted as wrong
            "strict_precision": float((done["judgement"] == "correct").mean()) if len(done) else None,
            "unjudged": both.loc[~both["judgement"].isin(kinds), ["post_id", "score", "text", "evidence"]],
            "wrong": done.loc[done["judgement"] == "wrong", ["post_id", "note"]],
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--judgements", type=Path, default=JUDGEMENTS)
    ap.add_argument("--show", action="store_true", help="print the texts of unjudged antisemitic labels")
    ap.add_argument("--sample-other", type=int, default=0, metavar="N",
                    help="print N other_hate labels (the judged sample's draw) with their texts")
    ap.add_argument("--other-sample", default=OTHER_SAMPLE,
                    help=f"judged other_hate sample to read (default {OTHER_SAMPLE}; 'all' for every one)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.sample_other:
        con = duckdb.connect(str(a.db), read_only=True)
        o = con.sql("SELECT h.post_id, h.hate_score, p.text FROM hate h JOIN posts p USING (platform, post_id) "
                    "WHERE h.label = 'other_hate' ORDER BY h.post_id").df()
        con.close()
        for r in o.sample(min(a.sample_other, len(o)), random_state=16).itertuples():
            print(f"{r.post_id} {r.hate_score:.3f} | {r.text!r}")
        return
    res = review(a.db, a.judgements, None if a.other_sample == "all" else a.other_sample)
    summary = {k: {m: v[m] for m in ("labelled", "judged", "correct", "precision", "strict_precision")}
               for k, v in res.items()}
    an = res["antisemitic"]
    summary["antisemitic"]["unjudged_post_ids"] = an["unjudged"]["post_id"].tolist()
    if a.json:
        print(json.dumps(summary))
        return
    for k, v in summary.items():
        print(f"{k}: labelled {v['labelled']}, judged {v['judged']}, correct {v['correct']}, precision "
              f"{v['precision']}, strict (hashtag-only counted wrong) {v['strict_precision']}")
    for r in an["wrong"].itertuples():
        print(f"  wrong {r.post_id}: {r.note}")
    if len(an["unjudged"]):
        print(f"antisemitic labels without a judgement: {len(an['unjudged'])}")
        for r in an["unjudged"].itertuples():
            print(f"  {r.post_id} {r.score:.3f}" + (f" | {r.text!r} | {r.evidence}" if a.show else ""))


if __name__ == "__main__":
    main()
