"""Score each distinct post text once, then give every post the findings of its text.

Per-post text analyses (``hate``, ``narratives``) compute a result that depends on the text alone,
and corpora hold many copies: retweet-free IO archives still repeat templates, campaigns post the
same message from many accounts, and texts that differ only in mentions or links normalise to the
same string. :func:`score_by_text` runs the per-row Python on the corpus's *distinct* texts and
joins the results back to the posts in the engine, so the Python cost grows with the distinct
texts, not the posts.

The distinct texts go to the scoring function ordered by their text with links and @-mentions
removed and case folded (then by the text itself, so the order and the batches are the same on
every run). Texts that differ only there — the most common kind of near-copy — land in the same
batch, where the scorers' own grouping by normalised text scores them once. The order is for
speed only: what a text gets does not depend on its batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import ibis
import pyarrow as pa

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..engines import Engine

#: DuckDB's memory limit while a per-text analysis runs (its ``memory_limit`` parameter's default)
MEMORY_LIMIT = "2GB"

#: what the batch order ignores: links and @-mentions (RE2 syntax, as the engines run it)
_NEAR_COPY = r"https?://\S+|@\w+"


def distinct_texts(posts: ibis.Table) -> ibis.Table:
    """The distinct values of ``posts.text``, near-copies next to each other (see the module doc)."""
    texts = posts.select("text").distinct()
    key = texts.text.re_replace(_NEAR_COPY, "").lower()
    return texts.order_by([key, texts.text])


def score_by_text(
    engine: "Engine",
    name: str,
    posts: ibis.Table,
    fn: "Callable[[pd.DataFrame], pd.DataFrame]",
    schema: pa.Schema,
    keep: Sequence[str] = ("platform", "post_id", "account_id"),
    batch_size: int = 20000,
    memory_limit: str | None = None,
) -> None:
    """Write findings table ``name``: ``keep`` columns of each post of ``posts`` beside the rows
    ``fn`` returned for its text.

    ``fn`` gets a frame with one ``text`` column (distinct texts) and returns a frame with a
    ``text`` column and ``schema``'s other columns: zero, one or several rows per text. Posts
    whose text got no row get none; the rows are sorted by their columns (``keep`` first). The
    distinct texts' results stay in the scratch table ``_<name>_texts`` only while the join runs.

    ``memory_limit`` (DuckDB only; None: the connection's own) is DuckDB's memory while the distinct
    texts are sorted, their results stored and joined back (beyond it DuckDB spills to disk; the
    previous limit is put back): the worker processes scoring the texts need memory of their own
    beside it.
    """
    scratch = f"_{name}_texts"
    out = [f.name for f in schema if f.name not in keep and f.name != "text"]
    by_text = pa.schema([pa.field("text", pa.string())] + [schema.field(c) for c in out])
    limit = {"memory_limit": memory_limit} if memory_limit and engine.name == "duckdb" else {}
    with engine.settings(limit):
        _score_and_join(engine, name, scratch, posts, fn, by_text, keep, out, batch_size)


def _score_and_join(engine: "Engine", name: str, scratch: str, posts: ibis.Table,
                    fn: "Callable[[pd.DataFrame], pd.DataFrame]", by_text: pa.Schema,
                    keep: Sequence[str], out: list[str], batch_size: int) -> None:
    """The body of :func:`score_by_text`: score the distinct texts into ``scratch``, join to ``name``."""
    try:
        engine.map_batches(scratch, distinct_texts(posts), fn, by_text, batch_size=batch_size)
        s = engine.table(scratch)
        joined = posts.join(s, posts.text == s.text).select(*[posts[c] for c in keep], *[s[c] for c in out])
        # rows in one order on every run (a join's output order is not): analyses that read the
        # table in order (e.g. a graph built from it, then PageRank) give the same floats each time
        engine.write(name, joined.order_by([*keep, *out]))
    finally:
        engine.drop_table(scratch)
