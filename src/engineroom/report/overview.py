"""Report sections about the corpus itself: what was ingested, posts over time, and the methods
(data range, files read, every analysis's parameters and model version)."""

from __future__ import annotations

from .. import schema
from .blocks import figure, fmt, table
from .context import Context
from .data import parse_json
from .evidence import chips
from .tables import generic_rows


def corpus_counts(ctx: Context) -> dict | None:
    """Rows per corpus table, posts per platform and per kind."""
    f = ctx.f
    if not f.exists("posts"):
        return None
    rows = [[t.name, fmt(f.count(t.name))] for t in schema.CORPUS_TABLES + (schema.QUARANTINE,) if f.exists(t.name)]
    blocks = [table("Rows per corpus table", ["table", "rows"], rows)]
    plat = f.rows("SELECT platform, count(*) AS posts, count(DISTINCT account_id) AS accounts, "
                  "min(created_at) AS first, max(created_at) AS last FROM posts GROUP BY 1 ORDER BY 2 DESC, 1")
    if plat:
        blocks.append(table("Posts per platform", ["platform", "posts", "accounts", "first post", "last post"],
                            [[r["platform"], fmt(r["posts"]), fmt(r["accounts"]), fmt(r["first"]), fmt(r["last"])] for r in plat]))
    if f.nonempty("posts"):
        kinds = f.rows("SELECT coalesce(kind, '(unknown)') AS kind, count(*) AS n FROM posts GROUP BY 1 ORDER BY 2 DESC, 1")
        blocks.append(table("Posts by kind", ["kind", "posts"], [[r["kind"], fmt(r["n"])] for r in kinds]))
    return {"id": "corpus", "title": "The corpus", "intro": "What was ingested, from where and when.", "blocks": blocks}


def over_time(ctx: Context) -> dict | None:
    """Posts per day (or week), with the shares that are hateful and that push a narrative."""
    f = ctx.f
    if not f.nonempty("posts"):
        return None
    span = f.rows("SELECT min(created_at) AS a, max(created_at) AS b, "
                  "date_diff('day', min(created_at), max(created_at)) AS d FROM posts")[0]
    if span["a"] is None:
        return None
    unit = "day" if (span["d"] or 0) <= 180 else "week"
    joins, cols = [], []
    if f.exists("hate"):
        # only the hateful rows join (``hate`` has one row per scored post; a post labelled none
        # counts in neither column either way): thousands of rows, not one per post
        joins.append("LEFT JOIN (SELECT platform, post_id, any_value(label) AS label FROM hate "
                     "WHERE label IN ('antisemitic', 'other_hate') GROUP BY ALL) h "
                     "ON h.platform = p.platform AND h.post_id = p.post_id")
        cols += ["count(*) FILTER (WHERE h.label = 'antisemitic') AS antisemitic",
                 "count(*) FILTER (WHERE h.label = 'other_hate') AS other_hate"]
    if f.exists("narratives"):
        joins.append("LEFT JOIN (SELECT DISTINCT platform, post_id, TRUE AS hit FROM narratives "
                     "WHERE kind = 'narrative') nr "
                     "ON nr.platform = p.platform AND nr.post_id = p.post_id")
        cols.append("count(*) FILTER (WHERE nr.hit) AS narrative")
    sql = (f"SELECT date_trunc('{unit}', p.created_at) AS t, count(*) AS posts"
           + "".join(", " + c for c in cols)
           + " FROM posts p " + " ".join(joins)
           + " WHERE p.created_at IS NOT NULL GROUP BY 1 ORDER BY 1")
    rows = f.rows(sql)
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    xs = [r["t"] for r in rows]
    fig.add_trace(go.Bar(x=xs, y=[r["posts"] for r in rows], name=f"posts per {unit}",
                         marker_color="#b8c4d6"), secondary_y=False)
    for col, label, color in (("antisemitic", "antisemitic share", "#c0392b"),
                              ("other_hate", "other hate share", "#e67e22"),
                              ("narrative", "narrative share", "#2c3e91")):
        if rows and col in rows[0]:
            fig.add_trace(go.Scatter(x=xs, y=[100.0 * (r[col] or 0) / r["posts"] if r["posts"] else 0 for r in rows],
                                     name=label, mode="lines+markers", line={"color": color}), secondary_y=True)
    fig.update_layout(height=380, margin={"l": 50, "r": 50, "t": 30, "b": 40}, legend={"orientation": "h"},
                      bargap=0.1, hovermode="x unified")
    fig.update_yaxes(title_text="posts", secondary_y=False)
    fig.update_yaxes(title_text="share of posts (%)", secondary_y=True, rangemode="tozero")
    return {"id": "time", "title": "Posts over time",
            "intro": f"Posts per {unit}; lines give the share of each {unit}'s posts that the hate classifier "
                     "labelled antisemitic or other hate, and that matched a narrative.",
            "blocks": [figure("fig-time", fig)]}



def methods_section(ctx: Context, meta: dict) -> dict:
    """The data range, the files ingested, every analysis's latest run (parameters, model
    version, headline figures), the narrative definitions and the quarantine count."""
    f = ctx.f
    blocks: list[dict] = []
    items = [("report written", meta["generated_at"]), ("engineroom version", meta["version"]),
             ("pseudonymised", "yes (keyed HMAC-SHA256 pseudonyms)" if meta["pseudonymized"] else "no")]
    if f.nonempty("posts"):
        r = f.rows("SELECT min(created_at) AS a, max(created_at) AS b, count(*) AS n, "
                   "count(DISTINCT account_id) AS acc, string_agg(DISTINCT platform, ', ') AS plats FROM posts")[0]
        items += [("posts from", fmt(r["a"])), ("posts to", fmt(r["b"])), ("posts", fmt(r["n"])),
                  ("authors", fmt(r["acc"])), ("platforms", r["plats"] or "")]
    blocks.append({"kind": "kv", "items": items})
    if f.nonempty("ingests"):
        ing = f.rows("SELECT file, format, records_read, records_stored, records_duplicate, records_quarantined, "
                     "finished_at FROM ingests ORDER BY started_at")
        blocks.append(table("Ingested files", ["file", "format", "read", "stored", "duplicate", "quarantined", "finished"],
                            [[str(r["file"]).rsplit("/", 1)[-1], r["format"] or "", fmt(r["records_read"]),
                              fmt(r["records_stored"]), fmt(r["records_duplicate"]), fmt(r["records_quarantined"]),
                              fmt(r["finished_at"])] for r in ing]))
    if f.nonempty("runs"):
        runs = f.rows("""SELECT analysis, engine, version, params, summary, started_at, finished_at FROM (
                           SELECT *, row_number() OVER (PARTITION BY analysis ORDER BY finished_at DESC) AS rn FROM runs)
                         WHERE rn = 1 ORDER BY analysis""")
        rows = []
        for r in runs:
            params = parse_json(r["params"])
            summary = parse_json(r["summary"])
            rows.append([r["analysis"], r["version"] or "", r["engine"] or "",
                         {"chips": chips(params, None, True)} if isinstance(params, (dict, list)) else str(params or ""),
                         {"chips": chips(summary, 40, True)} if isinstance(summary, (dict, list)) else str(summary or ""),
                         fmt(r["started_at"]), fmt(r["finished_at"])])
        blocks.append(table("Analyses run (latest run of each), with every parameter and model version",
                            ["analysis", "version", "engine", "parameters", "headline figures", "started (UTC)",
                             "finished (UTC)"], rows))
        n_all = f.count("runs")
        if n_all > len(runs):
            blocks.append({"kind": "text", "text": f"{n_all:,} runs in all are recorded in the corpus's runs table."})
    if f.nonempty("narrative_defs"):
        cols, rows = generic_rows(ctx, "narrative_defs", "name", 100)
        blocks.append(table("Narrative definitions", cols, rows))
    if f.exists("quarantine"):
        nq = f.count("quarantine")
        blocks.append({"kind": "text", "text": f"{nq:,} input records could not be stored and are kept in the "
                                               "quarantine table with their file, line and reason."})
    return {"id": "methods", "title": "Methods and data",
            "intro": "Everything needed to reproduce these findings: the data range, the files read, and each "
                     "analysis's parameters and model version as recorded when it ran.", "blocks": blocks}
