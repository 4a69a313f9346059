"""Analysis ``hate``: which posts are antisemitic or otherwise hateful, which trope, and why.

Method: the shipped model of :mod:`engineroom.hate` — obfuscation-robust normalisation, a trope
lexicon with IHRA categories (slurs and dehumanisation; Jewish power over media, finance,
government; blood libel; Holocaust denial; Nazi comparisons; dual loyalty; collective
responsibility; denying self-determination) matched by Aho-Corasick, and two calibrated logistic
regression heads over hashed word/character n-grams plus lexicon and context features (counter-
speech, identity statements, news reports), trained on the ISCA/Jikeli IHRA-annotated tweets
(Jikeli et al. 2023, arXiv:2304.14599), HateXplain (Mathew et al. 2021), RedditBias (Barikeri et al.
2021) and Davidson et al. (2017). Run ``engineroom eval hate`` to measure it.

Findings table ``hate``: one row per post with text — platform, post_id, account_id, label
(``antisemitic`` | ``other_hate`` | ``none``), score (calibrated P(antisemitic)), hate_score
(P(any hate)), category (IHRA key for antisemitic posts with a lexicon trope, else NULL), evidence
(JSON: ``lexicon`` matches with term/category/weight/source, context ``cues``, the ``reason`` the
post can be antisemitic at all — ``trope``, ``jews`` or ``israel``, see
:func:`engineroom.hate.model.reason`; no post is labelled antisemitic without one — for ``other_hate``
the ``target``: the protected groups the post names or slurs and ``via`` ``text`` or ``hashtag``, see
:mod:`engineroom.hate.targets`; no post is labelled other_hate without one — and for flagged
posts the content-word ``tokens`` that pushed the learned score up), counter_speech (the post condemns or
reports antisemitism and is not itself flagged).

Parameters (defaults): ``threshold`` = None (use the model's own, chosen by cross-validation);
``model_dir`` = None (the shipped model); ``include_retweets`` = False (retweets repeat their
original's text: scored once, on the original); ``batch_size`` = 20000; ``memory_limit`` = "2GB"
(DuckDB's memory while the texts are sorted, scored and joined back: the scoring workers need
room beside it; None: the connection's own, ``ENGINEROOM_MEMORY_LIMIT``).

Each distinct text is scored once (:mod:`engineroom.analyses._by_text`: the distinct texts, near-copies
batched together, then joined back to the posts in the engine), in batches on ``map_batches``' worker
processes (one per core; ``ENGINEROOM_WORKERS``, see docs/scaling.md); within a batch each distinct
normalised text is scored once. On DuckDB the normalised texts are kept for ``narratives``
(``_text_norms_<version>``, see :mod:`engineroom.analyses._by_text`), which drops them.
"""

from __future__ import annotations

import ibis

from typing import Any

import pandas as pd
import pyarrow as pa

from . import Analysis, findings_table
from ._by_text import MEMORY_LIMIT, score_by_text

SCHEMA = pa.schema([
    ("platform", pa.string()), ("post_id", pa.string()), ("account_id", pa.string()),
    ("label", pa.string()), ("score", pa.float64()), ("hate_score", pa.float64()),
    ("category", pa.string()), ("evidence", pa.string()), ("counter_speech", pa.bool_()),
])


class Hate(Analysis):
    """Label every post antisemitic / other hate / none with a calibrated score and evidence."""

    name = "hate"
    version = "3"
    reads = ("posts",)
    writes = (findings_table(
        "hate", "One row per post with text that was scored (retweets scored once, on their original).",
        ("platform", "VARCHAR", "the post's platform"),
        ("post_id", "VARCHAR", "the post"),
        ("account_id", "VARCHAR", "its author"),
        ("label", "VARCHAR", "'antisemitic', 'other_hate' (attacks a protected group other than Jews, named or slurred in the post or its hashtags; see docs/hate.md) or 'none'"),
        ("score", "DOUBLE", "calibrated probability that the post is antisemitic (scaled down when the post names no Jews, Israel, Zionism or coded term; never labelled without one)"),
        ("hate_score", "DOUBLE", "calibrated probability that the post is hateful (any target)"),
        ("category", "VARCHAR", "IHRA category key of the lexicon trope for antisemitic posts, else NULL"),
        ("evidence", "VARCHAR", "JSON: the reason (trope, jews, israel or none), lexicon matches, context cues, for other_hate the target (groups, terms, via 'text' or 'hashtag': whether the post's own words or only its hashtags name the group) and, for flagged posts, the tokens that raised the score (stop-words left out)"),
        ("counter_speech", "BOOLEAN", "the post condemns or reports antisemitism and is not itself flagged"),
    ),)

    def __init__(self, threshold: float | None = None, model_dir: str | None = None,
                 include_retweets: bool = False, batch_size: int = 20000,
                 memory_limit: str | None = MEMORY_LIMIT) -> None:
        self.threshold = threshold
        self.model_dir = model_dir
        self.include_retweets = include_retweets
        self.batch_size = batch_size
        self.memory_limit = memory_limit

    def run(self, engine) -> dict[str, Any]:
        from ..hate.model import shipped_model

        model = shipped_model(self.model_dir)
        threshold = model.threshold if self.threshold is None else float(self.threshold)
        posts = engine.table("posts")
        expr = posts.filter(posts.text.notnull() & (posts.text != ""))
        if not self.include_retweets:
            expr = expr.filter(posts.kind.isnull() | (posts.kind != "retweet"))
        expr = expr.select("platform", "post_id", "account_id", "text")

        model_dir = self.model_dir

        def score(batch: pd.DataFrame) -> pd.DataFrame:
            if batch.empty:
                return pd.DataFrame(columns=["text"] + SCHEMA.names[3:] + ["norm"])
            # loaded once per worker process (on Spark the function runs on the executors)
            from engineroom.hate.model import shipped_model as _load

            from engineroom.hate.normalize import normalizer, packed

            texts = batch["text"].tolist()
            norm = normalizer()
            norms = [norm(t) for t in texts]  # stored for narratives (see _by_text)
            pred = _load(model_dir).predict(texts, norms=norms)
            labels = pred.label
            if self.threshold is not None:  # never without a reason in the post, at any threshold
                labels = ["antisemitic" if s >= threshold and r is not None else ("none" if l == "antisemitic" else l)
                          for s, l, r in zip(pred.score, labels, pred.reason)]
            return pd.DataFrame({
                "text": batch["text"].values, "label": labels,
                "score": pred.score.astype(float), "hate_score": pred.hate_score.astype(float),
                "category": [c if l == "antisemitic" else None for c, l in zip(pred.category, labels)],
                "evidence": pred.evidence, "counter_speech": pred.counter_speech,
                "norm": [packed(n) for n in norms],
            })

        # each distinct text scored once, its findings joined to every post that has it
        score_by_text(engine, "hate", expr, score, SCHEMA, batch_size=self.batch_size,
                      memory_limit=self.memory_limit, save_norms=True)
        t = engine.table("hate")
        counts = engine.to_pandas(t.group_by("label").aggregate(n=ibis._.count()))
        by_label = dict(zip(counts["label"], counts["n"].astype(int)))
        with_cat = t.filter(t.category.notnull())
        cats = engine.to_pandas(with_cat.group_by("category").aggregate(n=ibis._.count()))
        return {
            "posts": int(sum(by_label.values())),
            "antisemitic": by_label.get("antisemitic", 0),
            "other_hate": by_label.get("other_hate", 0),
            "none": by_label.get("none", 0),
            "categories": {k: int(v) for k, v in zip(cats["category"], cats["n"])},
            "threshold": threshold,
        }
