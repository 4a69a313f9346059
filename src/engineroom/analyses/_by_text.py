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

Both analyses normalise every distinct text (:func:`engineroom.hate.normalize.normalize`, a pure
function of the text). On DuckDB, an analysis that computes the normalised texts anyway (``hate``)
stores them with ``save_norms`` in the table :func:`norm_table` (text → normalised text, named by
the normaliser's :data:`~engineroom.hate.normalize.VERSION`, so a changed normaliser never reads an
old one), and one that needs them (``narratives``) reads them with ``use_norms``: its scoring
function gets each text's stored normalised text (NULL for a text not stored, which it normalises
itself) and the texts come ordered by it, so copies that normalise alike are next to each other.
The last reader drops the table (``drop_norms``): it lives from ``hate`` to ``narratives`` in one
``engineroom analyze`` run.
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

#: prefix of the table of stored normalised texts (see :func:`norm_table`)
NORM_PREFIX = "_text_norms_"

#: what the batch order ignores: links and @-mentions (RE2 syntax, as the engines run it)
_NEAR_COPY = r"https?://\S+|@\w+"


def distinct_texts(posts: ibis.Table) -> ibis.Table:
    """The distinct values of ``posts.text``, near-copies next to each other (see the module doc)."""
    texts = posts.select("text").distinct()
    key = texts.text.re_replace(_NEAR_COPY, "").lower()
    return texts.order_by([key, texts.text])


def norm_table() -> str:
    """Name of the table of stored normalised texts under the present normaliser."""
    from ..hate.normalize import VERSION

    return f"{NORM_PREFIX}{VERSION}"


def texts_with_norms(posts: ibis.Table, norms: ibis.Table) -> ibis.Table:
    """The distinct values of ``posts.text`` with their stored normalised text (``norm``, NULL when
    not stored), ordered by it (then by the text; texts without one last, by their near-copy key)."""
    texts = posts.select("text").distinct()
    joined = texts.left_join(norms, texts.text == norms.text).select(texts.text, norms.norm)
    key = ibis.ifelse(joined.norm.isnull(), joined.text.re_replace(_NEAR_COPY, "").lower(), None)
    return joined.order_by([joined.norm.asc(nulls_first=False), key, joined.text])


def _stored_norms(engine: "Engine") -> ibis.Table | None:
    """The table of stored normalised texts, when this engine keeps one and it exists."""
    if engine.name != "duckdb" or not engine.has_table(norm_table()):
        return None
    return engine.table(norm_table())


def drop_norms(engine: "Engine") -> None:
    """Drop the table of stored normalised texts (an older normaliser's is never read)."""
    if engine.name == "duckdb":
        engine.drop_table(norm_table())


def score_by_text(
    engine: "Engine",
    name: str,
    posts: ibis.Table,
    fn: "Callable[[pd.DataFrame], pd.DataFrame]",
    schema: pa.Schema,
    keep: Sequence[str] = ("platform", "post_id", "account_id"),
    batch_size: int = 20000,
    memory_limit: str | None = None,
    save_norms: bool = False,
    use_norms: bool = False,
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

    ``save_norms``: ``fn`` returns one row per text, with its normalised text (a ``norm`` column);
    the scratch table is then written as :func:`norm_table` and kept for a later analysis (see the
    module doc; DuckDB only). ``use_norms``: ``fn``'s frame also has a ``norm`` column,
    the stored normalised text or NULL (always NULL when none is stored, or off DuckDB).
    """
    # saved norms: the scratch table is written as the norm table and kept (DuckDB only)
    keep_scratch = save_norms and engine.name == "duckdb"
    scratch = norm_table() if keep_scratch else f"_{name}_texts"
    out = [f.name for f in schema if f.name not in keep and f.name != "text"]
    extra = [pa.field("norm", pa.string())] if save_norms else []
    by_text = pa.schema([pa.field("text", pa.string())] + [schema.field(c) for c in out] + extra)
    limit = {"memory_limit": memory_limit} if memory_limit and engine.name == "duckdb" else {}
    if use_norms:
        stored = _stored_norms(engine)
        texts = (texts_with_norms(posts, stored) if stored is not None else
                 distinct_texts(posts).mutate(norm=ibis.null().cast("string")))
    else:
        texts = distinct_texts(posts)
    with engine.settings(limit):
        _score_and_join(engine, name, scratch, posts, texts, fn, by_text, keep, out, batch_size, keep_scratch)


def _score_and_join(engine: "Engine", name: str, scratch: str, posts: ibis.Table, texts: ibis.Table,
                    fn: "Callable[[pd.DataFrame], pd.DataFrame]", by_text: pa.Schema,
                    keep: Sequence[str], out: list[str], batch_size: int, keep_scratch: bool) -> None:
    """The body of :func:`score_by_text`: score ``texts`` into ``scratch``, join to ``name``
    (``scratch`` dropped at the end unless ``keep_scratch``, or on failure)."""
    ok = False
    try:
        engine.map_batches(scratch, texts, fn, by_text, batch_size=batch_size)
        s = engine.table(scratch)
        joined = posts.join(s, posts.text == s.text).select(*[posts[c] for c in keep], *[s[c] for c in out])
        # rows in one order on every run (a join's output order is not): analyses that read the
        # table in order (e.g. a graph built from it, then PageRank) give the same floats each time
        engine.write(name, joined.order_by([*keep, *out]))
        ok = True
    finally:
        if not (ok and keep_scratch):
            engine.drop_table(scratch)
