"""Report sections about what was posted: hateful content, narratives, trending hashtags and
campaigns, shared images."""

from __future__ import annotations

from .blocks import figure, fmt, hover, pct, table
from .context import Context
from .evidence import words
from .tables import generic_rows


def hate_section(ctx: Context) -> dict | None:
    """Posts by hate label, antisemitic posts by IHRA category, counter-speech, and the
    highest-scored antisemitic posts with their evidence."""
    f = ctx.f
    if not f.nonempty("hate"):
        return None
    blocks = []
    labels = f.rows("SELECT label, count(*) AS n, count(DISTINCT account_id) AS accounts FROM hate GROUP BY 1 ORDER BY 2 DESC")
    total = sum(r["n"] for r in labels)
    blocks.append(table("Posts by label", ["label", "posts", "share", "accounts"],
                        [[r["label"], fmt(r["n"]), pct(r["n"], total), fmt(r["accounts"])] for r in labels]))
    cats = f.rows("SELECT category, count(*) AS n FROM hate "
                  "WHERE label = 'antisemitic' AND category IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1")
    uncat = f.scalar("SELECT count(*) FROM hate WHERE label = 'antisemitic' AND category IS NULL")
    if cats:
        import plotly.graph_objects as go
        fig = go.Figure(go.Bar(x=[r["n"] for r in cats][::-1], y=[hover(words(r["category"])) for r in cats][::-1],
                               orientation="h", marker_color="#c0392b"))
        fig.update_layout(height=max(220, 28 * len(cats) + 80), margin={"l": 230, "r": 20, "t": 20, "b": 40},
                          xaxis_title="antisemitic posts")
        cap = "Antisemitic posts by IHRA category"
        if uncat:
            cap += f" ({uncat:,} antisemitic posts matched no category's lexicon and are not in the chart)"
        blocks.append(figure("fig-hate-categories", fig, cap))
    cs = f.scalar("SELECT count(*) FROM hate WHERE counter_speech")
    blocks.append({"kind": "text", "text": f"{cs:,} posts were recognised as counter-speech (condemning hate) "
                                           "and are not counted as hateful."})
    top = f.rows("""SELECT p.platform, p.post_id, p.account_id, p.handle, p.created_at, p.text, p.url, p.kind,
                           h.score AS score, h.category AS category, h.evidence AS evidence
                    FROM hate h JOIN posts p ON p.platform = h.platform AND p.post_id = h.post_id
                    WHERE h.label = 'antisemitic' ORDER BY h.score DESC, p.post_id
                    LIMIT 25""")
    if top:
        blocks.append(table("Antisemitic posts with the highest scores",
                            ["post (matched words marked) and its evidence", "score", "IHRA category"],
                            [[{"posts": [ctx.post_dict(r, r["evidence"])]}, fmt(r["score"]), words(r["category"] or "")]
                             for r in top],
                            note="Score: the classifier's calibrated probability that the post is antisemitic (0-1). "
                                 "Chips: lexicon entries matched (with their weight and source), context cues, and "
                                 "the words that weighed most in the model."))
    return {"id": "hate", "title": "Hateful content",
            "intro": "Labels from the hate analysis (antisemitism by IHRA category; other hate).", "blocks": blocks}


def narratives_section(ctx: Context) -> dict | None:
    """Each narrative (and counter-speech) found with its posts, accounts and description, and
    example posts of the six largest with their evidence."""
    f = ctx.f
    if not f.nonempty("narratives"):
        return None
    rows = f.rows("SELECT narrative, kind AS kind, count(DISTINCT post_id) AS posts, count(DISTINCT account_id) AS accounts "
                  "FROM narratives GROUP BY ALL ORDER BY posts DESC, narrative, kind")
    descs = {}
    if f.exists("narrative_defs"):
        descs = {r["name"]: r["d"] for r in f.rows("SELECT name, description AS d FROM narrative_defs")}
    blocks = [table("Narratives and counter-speech found", ["narrative", "kind", "posts", "accounts", "description"],
                    [[r["narrative"], r["kind"], fmt(r["posts"]), fmt(r["accounts"]), descs.get(r["narrative"]) or ""]
                     for r in rows])]
    for r in rows[:6]:
        ex = f.rows("SELECT platform, post_id, evidence AS evidence FROM narratives WHERE narrative = ? "
                    "ORDER BY score DESC, post_id LIMIT 3", [r["narrative"]])
        ctx.prefetch_posts([e["post_id"] for e in ex])
        posts = [ctx.post_dict(ctx._post_cache[e["post_id"]], e["evidence"]) for e in ex
                 if ctx._post_cache.get(e["post_id"]) is not None]
        if posts:
            blocks.append({"kind": "posts", "caption": f"Examples: {r['narrative']}", "posts": posts})
    return {"id": "narratives", "title": "Narratives",
            "intro": "Posts matched to each named narrative (and counter-speech).", "blocks": blocks}


def trends_section(ctx: Context) -> dict | None:
    """The most used hashtags, hashtag campaigns aimed at named people, bursts, and targets."""
    f = ctx.f
    blocks: list[dict] = []
    if f.nonempty("hashtags"):
        top = f.rows("SELECT tag, count(*) AS posts FROM hashtags GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 25")
        if top:
            import plotly.graph_objects as go
            fig = go.Figure(go.Bar(x=[r["posts"] for r in top][::-1], y=["#" + hover(r["tag"]) for r in top][::-1],
                                   orientation="h", marker_color="#2c3e91"))
            fig.update_layout(height=max(260, 22 * len(top) + 80), margin={"l": 180, "r": 20, "t": 20, "b": 40},
                              xaxis_title="posts")
            blocks.append(figure("fig-hashtags", fig, "Most used hashtags"))
    for name, caption, order, columns in (
        ("campaigns", "Hashtag campaigns aimed at named people", "posts",
         ["hashtag", "target_name", "target_handle", "verb", "posts", "accounts", "start", "peak_at", "end",
          "top_accounts", "coordinated_share", "operation_share", "hateful_share"]),
        ("trends", "Hashtags that burst into trends", "peak_posts",
         ["tag", "resolution", "onset", "peak_at", "peak_posts", "posts", "accounts", "share_in_burst",
          "first_movers"]),
        ("targets", "Who the narratives and campaigns target", "posts",
         ["source", "target_kind", "handle", "display_name", "posts", "accounts", "first_at", "last_at", "peak_day"]),
    ):
        if f.nonempty(name):
            cols, rows = generic_rows(ctx, name, order, 25, columns)
            blocks.append(table(caption, [c.replace("_", " ") for c in cols], rows))
    if not blocks or not any(f.nonempty(t) for t in ("trends", "campaigns", "targets", "hashtags")):
        return None
    return {"id": "trends", "title": "Trending hashtags and campaigns",
            "intro": "The hashtags used most, those that burst, and campaigns with their targets.", "blocks": blocks}


def images_section(ctx: Context) -> dict | None:
    """Clusters of near-identical images posted by several accounts."""
    f = ctx.f
    if not f.nonempty("image_clusters"):
        return None
    cols, rows = generic_rows(ctx, "image_clusters", "size", 30)
    return {"id": "images", "title": "Shared images", "intro": "Near-identical images posted by several accounts.",
            "blocks": [table("Image clusters", cols, rows)]}

