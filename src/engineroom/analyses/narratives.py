"""Analysis ``narratives``: which posts push a named narrative, and which are counter-speech.

Method: narratives are defined in YAML packs (name, kind, description, exemplar posts, keywords,
required concept groups, excluded contexts, optional threshold; the pack declares its language and
context; see :mod:`engineroom.narratives.packs`). A post matches a narrative when it holds a phrase
of every required concept group (e.g. a reference to antisemitism *and* a frame that dismisses it),
no excluded context, and its score reaches the threshold: the highest TF-IDF cosine similarity
(hashed word 1–2-grams + in-word character 2–5-grams over obfuscation-normalised text) to the
narrative's exemplars plus 0.2 per distinct keyword found (at most two), i.e. nearest-exemplar
matching (seed-post similarity, as analysts do by hand when they collect posts "like these") made
explicit and reproducible, gated by what the narrative means. The default pack's groups and
thresholds are calibrated on labelled real posts (docs/narratives.md). Users add
packs without code: a folder ``~/.config/engineroom/narratives/``, the environment variable
``ENGINEROOM_NARRATIVE_PACKS``, or the ``packs`` parameter.

Findings tables:

* ``narratives``: one row per (post, narrative) that matched — platform, post_id, account_id,
  narrative, kind (``narrative`` | ``counter_speech``), score (0–1), evidence (JSON: similarity,
  closest exemplar, keywords found, pack);
* ``narrative_defs``: name, kind, description, pack, language, context, threshold, keywords (JSON),
  exemplars (JSON), require (JSON: concept group → phrases), exclude (JSON), source (pack file).

The run summary lists the packs that ran (``packs``: pack, language, context, file, narratives), so
the report can say which narratives were looked for, and ``by_narrative`` the posts matched.

Parameters (defaults): ``packs`` = None (extra pack files/folders); ``defaults`` = True (load the
shipped default pack); ``include_retweets`` = False (a retweet repeats its original's text);
``batch_size`` = 20000; ``memory_limit`` = "2GB" (DuckDB's memory while the texts are sorted,
scored and joined back: the scoring workers need room beside it; None: the connection's own,
``ENGINEROOM_MEMORY_LIMIT``).

Each distinct text is scored once (:mod:`engineroom.analyses._by_text`: the distinct texts, near-copies
batched together, then the matches joined back to the posts in the engine), in batches on
``map_batches``' worker processes (one per core; ``ENGINEROOM_WORKERS``, see docs/scaling.md);
within a batch each distinct normalised text is scored once. On DuckDB, after ``hate`` in the same
run, the normalised texts ``hate`` stored are read instead of computed again (then dropped).
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import pandas as pd
import pyarrow as pa

from . import Analysis, findings_table
from ..hate.normalize import unpacked
from ._by_text import MEMORY_LIMIT, drop_norms, score_by_text

SCHEMA = pa.schema([
    ("platform", pa.string()), ("post_id", pa.string()), ("account_id", pa.string()),
    ("narrative", pa.string()), ("kind", pa.string()), ("score", pa.float64()), ("evidence", pa.string()),
])


class Narratives(Analysis):
    """Match posts to narratives and counter-speech defined in YAML packs."""

    name = "narratives"
    version = "2"
    reads = ("posts",)
    writes = (
        findings_table(
            "narratives", "One row per (post, narrative) that matched.",
            ("platform", "VARCHAR", "the post's platform"),
            ("post_id", "VARCHAR", "the post"),
            ("account_id", "VARCHAR", "its author"),
            ("narrative", "VARCHAR", "the narrative's name (from its pack)"),
            ("kind", "VARCHAR", "'narrative' or 'counter_speech'"),
            ("score", "DOUBLE", "0-1: nearest-exemplar TF-IDF cosine plus 0.2 per keyword found (at most two); only posts holding every required concept group and no excluded context are scored"),
            ("evidence", "VARCHAR", "JSON: similarity, closest exemplar, keywords found, the phrase found for each required concept group, pack"),
        ),
        findings_table(
            "narrative_defs", "One row per narrative loaded for the run.",
            ("name", "VARCHAR", "the narrative's name"),
            ("kind", "VARCHAR", "'narrative' or 'counter_speech'"),
            ("description", "VARCHAR", "what the narrative claims, as its pack says"),
            ("pack", "VARCHAR", "the pack's name"),
            ("threshold", "DOUBLE", "score from which a post matches"),
            ("keywords", "VARCHAR", "JSON list of keywords"),
            ("exemplars", "VARCHAR", "JSON list of exemplar posts"),
            ("language", "VARCHAR", "the language the pack is written for"),
            ("context", "VARCHAR", "the context (country, debate) the pack is written for"),
            ("require", "VARCHAR", "JSON: concept group -> phrases; a post needs a phrase of every group (or, under \"or\", of every group of one alternative set; under \"near\", groups whose phrases must lie within that many words)"),
            ("exclude", "VARCHAR", "JSON list of phrases that rule a post out (excluded contexts)"),
            ("source", "VARCHAR", "the pack file it came from"),
        ),
    )

    def __init__(self, packs: Sequence[str] | None = None, defaults: bool = True,
                 include_retweets: bool = False, batch_size: int = 20000,
                 memory_limit: str | None = MEMORY_LIMIT) -> None:
        self.packs = packs
        self.defaults = defaults
        self.include_retweets = include_retweets
        self.batch_size = batch_size
        self.memory_limit = memory_limit

    def run(self, engine) -> dict[str, Any]:
        from ..narratives import NarrativeScorer, load_narratives

        narratives = load_narratives(list(self.packs) if self.packs else None, defaults=self.defaults)
        idf = None
        try:
            from ..hate.model import shipped_model

            idf = shipped_model().idf
        except (FileNotFoundError, ValueError):  # no model: IDF from the exemplars
            idf = None
        scorer = NarrativeScorer(narratives, idf=idf)
        engine.write("narrative_defs", pd.DataFrame({
            "name": [n.name for n in narratives], "kind": [n.kind for n in narratives],
            "description": [n.description for n in narratives], "pack": [n.pack for n in narratives],
            "threshold": [n.threshold for n in narratives],
            "keywords": [json.dumps(list(n.keywords), ensure_ascii=False) for n in narratives],
            "exemplars": [json.dumps(list(n.exemplars), ensure_ascii=False) for n in narratives],
            "language": [n.language for n in narratives], "context": [n.context for n in narratives],
            "require": [json.dumps({**{g: list(p) for g, p in n.require},
                                    **({"or": [{g: list(p) for g, p in alt} for alt in n.or_require]} if n.or_require else {}),
                                    **({"near": [{"groups": list(g), "words": w} for g, w in n.near] if len(n.near) > 1
                                                 else {"groups": list(n.near[0][0]), "words": n.near[0][1]}} if n.near else {})},
                                   ensure_ascii=False) for n in narratives],
            "exclude": [json.dumps(list(n.exclude), ensure_ascii=False) for n in narratives],
            "source": [n.source for n in narratives],
        }))
        packs: dict[str, dict[str, Any]] = {}
        for n in narratives:
            packs.setdefault(n.pack, {"pack": n.pack, "language": n.language, "context": n.context,
                                      "file": n.source, "narratives": []})["narratives"].append(n.name)
        posts = engine.table("posts")
        expr = posts.filter(posts.text.notnull() & (posts.text != ""))
        if not self.include_retweets:
            expr = expr.filter(posts.kind.isnull() | (posts.kind != "retweet"))
        expr = expr.select("platform", "post_id", "account_id", "text")

        def score(batch: pd.DataFrame) -> pd.DataFrame:
            stored = batch["norm"].tolist()  # packed by hate (None: not stored)
            matches = scorer.score(batch["text"].tolist(),
                                   norms=[unpacked(n) if isinstance(n, str) else None for n in stored])
            if not matches:
                return pd.DataFrame(columns=["text"] + SCHEMA.names[3:])
            rows = [m.row for m in matches]
            return pd.DataFrame({
                "text": batch["text"].values[rows], "narrative": [m.narrative for m in matches],
                "kind": [m.kind for m in matches], "score": [m.score for m in matches],
                "evidence": [m.evidence for m in matches],
            })

        # each distinct text scored once, its matches joined to every post that has it
        # (with the normalised texts ``hate`` stored in this run, when it ran: see _by_text)
        try:
            score_by_text(engine, "narratives", expr, score, SCHEMA, batch_size=self.batch_size,
                          memory_limit=self.memory_limit, use_norms=True)
        finally:
            drop_norms(engine)
        t = engine.table("narratives")
        counts = engine.to_pandas(t.group_by("narrative").aggregate(posts=t.count()))
        return {"matches": int(sum(counts["posts"])), "narratives": len(narratives), "packs": list(packs.values()),
                "by_narrative": {k: int(v) for k, v in zip(counts["narrative"], counts["posts"])}}
