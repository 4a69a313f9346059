"""The report's content: one function per section, each reading its findings tables defensively.

A section function returns ``None`` when its findings table is absent (the analysis has not run),
so the report shows what exists. Each returns plain data (strings, numbers, lists, dicts and
Plotly figure dicts); :mod:`engineroom.report` renders it with an autoescaping template and, for
a pseudonymised report, passes all of it through the pseudonymiser first.
"""

from __future__ import annotations

import html
import json
import random
from collections import Counter, defaultdict
from typing import Any, Callable

from ..links import is_shortener, post_link, registered_domain
from .netmap import STAR_MIN_TIES, STAR_SHARE, community_layout, distinctive_terms, star_hub
from .evidence import chips, highlight, terms, words
from .data import Findings, clean, describe_evidence, parse_json, post_ids_in, q, truthy
from .summary import headline  # noqa: F401  (the opening summary: report/summary.py)

#: rows shown in long tables
TOP = 40
#: nodes and edges drawn in the network map (the strongest ones)
MAP_NODES = 1500
MAP_EDGES = 6000


# -- formatting helpers ---------------------------------------------------------------------
def fmt(v: Any) -> str:
    """A cell value as text: thousands separators, 3 significant digits, yes/no."""
    v = clean(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v.is_integer() and abs(v) >= 1000:
            return f"{int(v):,}"
        return f"{v:.3g}"
    if isinstance(v, (list, dict)):
        return describe_evidence(v)
    return str(v)


def pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def table(caption: str, columns: list[str], rows: list[list[Any]], note: str = "", detail: bool = False) -> dict:
    """A table block; ``detail=True`` shows each row's last cell (evidence) in a full-width row below it."""
    return {"kind": "table", "caption": caption, "columns": columns, "rows": rows, "note": note, "detail": detail}


def figure(fig_id: str, fig: Any, caption: str = "") -> dict:
    """A Plotly figure as a JSON-able dict (rendered in the page by the inlined plotly.js)."""
    d = json.loads(fig.to_json())
    d.pop("config", None)
    return {"kind": "figure", "id": fig_id, "figure": d, "caption": caption}


def hover(s: Any) -> str:
    """Text for a Plotly hover label: Plotly renders a subset of HTML, so escape it."""
    return html.escape("" if s is None else str(s), quote=True)


class Context:
    """What every section needs: the findings, post lookup and whether URLs may be linked."""

    def __init__(self, f: Findings, link_urls: bool = True) -> None:
        self.f = f
        self.link_urls = link_urls
        self._handles: dict[tuple[str, str], str] | None = None
        self._post_cache: dict[str, dict | None] = {}
        self.platform_default = None
        #: posts shown without a link, and the first reason (the methods section says why)
        self.unlinked = 0
        self.unlinked_reason: str | None = None
        if f.has("posts"):
            plats = f.rows("SELECT DISTINCT platform FROM posts LIMIT 2")
            if len(plats) == 1:
                self.platform_default = plats[0]["platform"]

    def prefetch_posts(self, ids: list[str]) -> None:
        """Look up many posts in one query (each lookup scans the posts table, so a section that
        shows posts for many rows asks for all of them first); :meth:`posts` then reads the cache."""
        if not self.f.has("posts"):
            return
        wanted = list(dict.fromkeys(str(i) for i in ids if i is not None and str(i) not in self._post_cache))
        if not wanted:
            return
        rows = self.f.rows(
            "SELECT platform, post_id, account_id, handle, created_at, text, url, kind FROM posts "
            "WHERE post_id IN (SELECT unnest(?::VARCHAR[]))",
            [wanted],
        )
        for r in rows:
            self._post_cache.setdefault(r["post_id"], r)
        for i in wanted:
            self._post_cache.setdefault(i, None)  # not in the corpus

    def posts(self, ids: list[tuple[str | None, str]], limit: int = 5) -> list[dict]:
        """Posts by (platform, post_id), as dicts for the template (text, handle, time, url)."""
        ids = [(p, str(i)) for p, i in ids if i is not None][: max(limit, 0)]
        if not ids or not self.f.has("posts"):
            return []
        self.prefetch_posts([i for _, i in ids])
        by_id = self._post_cache
        out = []
        for plat, pid in ids:
            r = by_id.get(pid)
            if r is None:
                continue
            out.append(self.post_dict(r))
        return out

    def post_dict(self, r: dict, evidence: Any = None) -> dict:
        """A post for the template; with ``evidence``, its matched words marked and its chips."""
        url, why = post_link(r.get("platform"), r.get("handle"), r.get("post_id"), r.get("url"))
        if url is None:
            self.unlinked += 1
            self.unlinked_reason = self.unlinked_reason or why
        text = r.get("text") or ""
        if len(text) > 600:
            text = text[:597] + "..."
        marks = terms(evidence) if evidence is not None else []
        return {
            "segments": highlight(text, marks) if marks else None,
            "chips": chips(evidence) if evidence is not None else [],
            "post_id": r.get("post_id"),
            "handle": r.get("handle") or r.get("account_id"),
            "time": (r.get("created_at") or "")[:16],
            "text": text,
            "url": url if self.link_urls else None,
            "no_link": None if url else why,
            "label": r.get("label"),
        }

    def handle_of(self, platform: str | None, account_id: str | None) -> str | None:
        if account_id is None:
            return None
        if self._handles is None:
            self._handles = {}
        key = (platform or "", str(account_id))
        if key not in self._handles and self.f.has("accounts"):
            r = self.f.rows(
                "SELECT handle FROM accounts WHERE account_id = ? AND (? = '' OR platform = ?) LIMIT 1",
                [str(account_id), platform or "", platform or ""],
            )
            self._handles[key] = r[0]["handle"] if r and r[0]["handle"] else str(account_id)
        return self._handles.get(key, str(account_id))


# -- sections ----------------------------------------------------------------------------------
def corpus_counts(ctx: Context) -> dict | None:
    f = ctx.f
    if not f.has("posts"):
        return None
    from .. import schema

    rows = [[t.name, fmt(f.count(t.name))] for t in schema.CORPUS_TABLES + (schema.QUARANTINE,) if f.has(t.name)]
    blocks = [table("Rows per corpus table", ["table", "rows"], rows)]
    plat = f.rows("SELECT platform, count(*) AS posts, count(DISTINCT account_id) AS accounts, "
                  "min(created_at) AS first, max(created_at) AS last FROM posts GROUP BY 1 ORDER BY 2 DESC")
    if plat:
        blocks.append(table("Posts per platform", ["platform", "posts", "accounts", "first post", "last post"],
                            [[r["platform"], fmt(r["posts"]), fmt(r["accounts"]), fmt(r["first"]), fmt(r["last"])] for r in plat]))
    if f.nonempty("posts") and f.has("posts", "kind"):
        kinds = f.rows("SELECT coalesce(kind, '(unknown)') AS kind, count(*) AS n FROM posts GROUP BY 1 ORDER BY 2 DESC")
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
    if f.has("hate", "post_id", "label"):
        joins.append("LEFT JOIN (SELECT platform, post_id, any_value(label) AS label FROM hate GROUP BY ALL) h "
                     "ON h.platform = p.platform AND h.post_id = p.post_id")
        cols += ["count(*) FILTER (WHERE h.label = 'antisemitic') AS antisemitic",
                 "count(*) FILTER (WHERE h.label = 'other_hate') AS other_hate"]
    if f.has("narratives", "post_id"):
        kind = "WHERE kind = 'narrative'" if f.has("narratives", "kind") else ""
        joins.append(f"LEFT JOIN (SELECT DISTINCT platform, post_id, TRUE AS hit FROM narratives {kind}) nr "
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


def hate_section(ctx: Context) -> dict | None:
    f = ctx.f
    if not f.nonempty("hate") or not f.has("hate", "post_id", "label"):
        return None
    blocks = []
    labels = f.rows("SELECT label, count(*) AS n, count(DISTINCT account_id) AS accounts FROM hate GROUP BY 1 ORDER BY 2 DESC"
                    if f.has("hate", "account_id") else
                    "SELECT label, count(*) AS n, NULL AS accounts FROM hate GROUP BY 1 ORDER BY 2 DESC")
    total = sum(r["n"] for r in labels)
    blocks.append(table("Posts by label", ["label", "posts", "share", "accounts"],
                        [[r["label"], fmt(r["n"]), pct(r["n"], total), fmt(r["accounts"])] for r in labels]))
    if f.has("hate", "category"):
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
    if f.has("hate", "counter_speech"):
        cs = f.scalar("SELECT count(*) FROM hate WHERE counter_speech")
        blocks.append({"kind": "text", "text": f"{cs:,} posts were recognised as counter-speech (condemning hate) "
                                               "and are not counted as hateful."})
    order = "score DESC" if f.has("hate", "score") else "post_id"
    cat = "h.category" if f.has("hate", "category") else "NULL"
    ev = "h.evidence" if f.has("hate", "evidence") else "NULL"
    score = "h.score" if f.has("hate", "score") else "NULL"
    top = f.rows(f"""SELECT p.platform, p.post_id, p.account_id, p.handle, p.created_at, p.text, p.url, p.kind,
                            {score} AS score, {cat} AS category, {ev} AS evidence
                     FROM hate h JOIN posts p ON p.platform = h.platform AND p.post_id = h.post_id
                     WHERE h.label = 'antisemitic' ORDER BY {order.replace('score', 'h.score') + ', p.post_id' if score != 'NULL' else 'p.post_id'}
                     LIMIT 25""") if f.has("posts") else []
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
    f = ctx.f
    if not f.nonempty("narratives") or not f.has("narratives", "narrative", "post_id"):
        return None
    kind = "kind" if f.has("narratives", "kind") else "'narrative'"
    acc = "count(DISTINCT account_id)" if f.has("narratives", "account_id") else "NULL"
    rows = f.rows(f"SELECT narrative, {kind} AS kind, count(DISTINCT post_id) AS posts, {acc} AS accounts "
                  "FROM narratives GROUP BY ALL ORDER BY posts DESC")
    descs = {}
    if f.has("narrative_defs", "name"):
        dcol = "description" if f.has("narrative_defs", "description") else "NULL"
        descs = {r["name"]: r["d"] for r in f.rows(f"SELECT name, {dcol} AS d FROM narrative_defs")}
    blocks = [table("Narratives and counter-speech found", ["narrative", "kind", "posts", "accounts", "description"],
                    [[r["narrative"], r["kind"], fmt(r["posts"]), fmt(r["accounts"]), descs.get(r["narrative"]) or ""]
                     for r in rows])]
    score = "score" if f.has("narratives", "score") else "0"
    for r in rows[:6]:
        evc = "evidence" if f.has("narratives", "evidence") else "NULL"
        ex = f.rows(f"SELECT platform, post_id, {evc} AS evidence FROM narratives WHERE narrative = ? "
                    f"ORDER BY {score} DESC, post_id LIMIT 3", [r["narrative"]])
        ctx.prefetch_posts([e["post_id"] for e in ex])
        posts = [ctx.post_dict(ctx._post_cache[e["post_id"]], e["evidence"]) for e in ex
                 if ctx._post_cache.get(e["post_id"]) is not None]
        if posts:
            blocks.append({"kind": "posts", "caption": f"Examples: {r['narrative']}", "posts": posts})
    return {"id": "narratives", "title": "Narratives",
            "intro": "Posts matched to each named narrative (and counter-speech).", "blocks": blocks}


def accounts_in(v: Any, n: int = 6) -> str:
    """'@a, @b, ...' from a JSON list of accounts (dicts with handle / account_id, or plain handles)."""
    items = parse_json(v)
    if not isinstance(items, list):
        return describe_evidence(v, 200)
    out = []
    for it in items[:n]:
        if isinstance(it, dict):
            h = it.get("handle") or it.get("account_id")
            extra = next((it[k] for k in ("posts", "n", "count") if k in it), None)
            out.append(f"@{h}" + (f" ({fmt(extra)})" if extra is not None else ""))
        elif isinstance(it, (list, tuple)) and it:
            out.append(f"@{it[0]}")
        else:
            out.append(f"@{it}")
    more = len(items) - n
    return ", ".join(out) + (f" and {more} more" if more > 0 else "")


def generic_rows(ctx: Context, name: str, order: list[str], limit: int = TOP,
                 drop: tuple[str, ...] = ("platform",), prefer: list[str] | None = None
                 ) -> tuple[list[str], list[list[Any]]]:
    """Any findings table: its columns (those of ``prefer`` that exist, else all minus ``drop``),
    top ``limit`` rows by the first ``order`` column present, JSON cells described briefly, lists
    of accounts as handles, long text cut."""
    f = ctx.f
    cols = [c for c in (prefer or []) if f.has(name, c)] or [c for c in f.cols(name) if c not in drop]
    by = f.pick(name, order)
    rows = f.rows(f"SELECT {', '.join(q(c) for c in cols)} FROM {q(name)}"
                  + (f" ORDER BY {q(by)} DESC NULLS LAST" if by else "") + f" LIMIT {int(limit)}")
    out = []
    for r in rows:
        line = []
        for c in cols:
            v = r[c]
            if c in ("first_movers", "top_accounts", "accounts_list", "members"):
                line.append(accounts_in(v))
            elif c in ("evidence", "top_signals", "signals", "params", "details") or (
                    isinstance(v, str) and v[:1] in "[{" and isinstance(parse_json(v), (dict, list))):
                line.append({"chips": chips(v)})
            elif c == "post_ids":
                line.append(describe_evidence(v, 200))
            else:
                s = fmt(v)
                line.append(s if len(s) <= 200 else s[:197] + "...")
        out.append(line)
    return cols, out


def trends_section(ctx: Context) -> dict | None:
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
    for name, caption, order, prefer in (
        ("campaigns", "Hashtag campaigns aimed at named people", ["score", "posts", "accounts", "peak_count"],
         ["hashtag", "target_name", "target_handle", "verb", "posts", "accounts", "start", "peak_at", "end",
          "top_accounts", "coordinated_share", "operation_share", "hateful_share"]),
        ("trends", "Hashtags that burst into trends", ["score", "burst_score", "zscore", "peak_posts", "posts"],
         ["tag", "resolution", "onset", "peak_at", "peak_posts", "posts", "accounts", "share_in_burst",
          "first_movers"]),
        ("targets", "Who the narratives and campaigns target", ["posts", "score", "mentions", "accounts"],
         ["source", "target_kind", "handle", "display_name", "posts", "accounts", "first_at", "last_at", "peak_day"]),
    ):
        if f.nonempty(name):
            cols, rows = generic_rows(ctx, name, order, 25, prefer=prefer)
            blocks.append(table(caption, [c.replace("_", " ") for c in cols], rows))
    if not blocks or not any(f.nonempty(t) for t in ("trends", "campaigns", "targets", "hashtags")):
        return None
    return {"id": "trends", "title": "Trending hashtags and campaigns",
            "intro": "The hashtags used most, those that burst, and campaigns with their targets.", "blocks": blocks}


def engine_room_section(ctx: Context) -> dict | None:
    f = ctx.f
    if not f.nonempty("engine_room") or not f.has("engine_room", "account_id"):
        return None
    wanted = ["rank", "handle", "narrative", "score", "in_core", "narrative_posts", "amplifications", "amplifiers",
              "pagerank", "active_days", "posted_hate", "followers"]
    cols = [c for c in wanted if f.has("engine_room", c)]
    where = "WHERE in_core" if f.has("engine_room", "in_core") else ""
    order = "rank" if f.has("engine_room", "rank") else ("score DESC" if f.has("engine_room", "score") else "account_id")
    ev = "evidence" if f.has("engine_room", "evidence") else "NULL"
    narr = "narrative" if f.has("engine_room", "narrative") else "'all'"
    base = (f"SELECT platform, account_id, {narr} AS __narrative, {ev} AS evidence"
            f"{''.join(', ' + q(c) for c in cols)}, row_number() OVER (PARTITION BY {narr} ORDER BY {order}) AS __n "
            "FROM engine_room")
    rows = f.rows(f"SELECT * FROM ({base} {where}) WHERE __n <= 60 ORDER BY __narrative, __n")
    if not rows and where:
        rows = f.rows(f"SELECT * FROM ({base}) WHERE __n <= 30 ORDER BY __narrative, __n")
    if len(rows) > 300:
        rows = rows[:300]
    tables: dict[Any, list] = {}
    ctx.prefetch_posts([i for r in rows for i in post_ids_in(r["evidence"], 2)])
    for r in rows:
        ids = post_ids_in(r["evidence"], 2)
        posts = ctx.posts([(r["platform"], i) for i in ids], 2)
        if not posts and f.has("narratives", "account_id", "post_id"):
            nar = "AND narrative = ?" if "narrative" in r and f.has("narratives", "narrative") and r.get("narrative") else ""
            params = [r["account_id"]] + ([r["narrative"]] if nar else [])
            score = "score DESC, " if f.has("narratives", "score") else ""
            ex = f.rows(f"SELECT platform, post_id FROM narratives WHERE account_id = ? {nar} "
                        f"ORDER BY {score}post_id LIMIT 3", params)
            posts = ctx.posts([(e["platform"], e["post_id"]) for e in ex], 3)
        line = []
        for c in cols:
            v = r[c]
            if c == "handle" and not v:
                v = ctx.handle_of(r["platform"], r["account_id"])
            line.append(fmt(v) if c != "posted_hate" else ("" if v is None else "yes" if truthy(v) else "no"))
        line.append({"posts": posts} if posts else {"chips": chips(r["evidence"])})
        tables.setdefault(r["__narrative"], []).append(line)
    # one table per narrative: its name is in the caption; in_core is true for every row shown
    drop = {i for i, c in enumerate(cols) if c == "narrative" or (c == "in_core" and where)}
    blocks = [table(f"Core accounts of “{n}” ({len(lines)})" if n != "all" else f"Core accounts ({len(lines)})",
                    [words(c) for i, c in enumerate(cols) if i not in drop] + ["evidence"],
                    [[v for i, v in enumerate(line[:-1]) if i not in drop] + [line[-1]] for line in lines],
                    detail=True,
                    note="" if k else "Score (0-1): the weighted mean of the account's scaled signals in this narrative: "
                         "amplifications and amplifiers (weight 2 each), PageRank in the narrative's diffusion "
                         "graph, original posts and active days (1 each, by default); the core is the head of "
                         "the score curve up to its knee (Kneedle).")
              for k, (n, lines) in enumerate(tables.items())]
    return {"id": "engine-room", "title": "The engine room",
            "intro": "The small core of accounts that propels each narrative, ranked; with the posts that are the "
                     "evidence for each (its most amplified ones).", "blocks": blocks}


def _edge_columns(f: Findings) -> tuple[str, str, str | None] | None:
    src = f.pick("graph_edges", ["source", "source_account_id", "src", "account_1", "from_account", "from"])
    dst = f.pick("graph_edges", ["target", "target_account_id", "dst", "account_2", "to_account", "to"])
    if not src or not dst:
        return None
    w = f.pick("graph_edges", ["weight", "count", "n", "interactions"])
    return src, dst, w


#: the map's node attributes (id, community, handle, PageRank) when no table has them
NO_NODES_SQL = "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS c, NULL::VARCHAR AS h, NULL::DOUBLE AS p WHERE false"


def network_section(ctx: Context) -> dict | None:
    """The interaction network's communities, laid out in Python (igraph) and drawn in the page."""
    f = ctx.f
    if not f.nonempty("graph_edges"):
        return None
    ec = _edge_columns(f)
    if ec is None:
        return None
    src, dst, w = ec
    import igraph as ig
    import plotly.graph_objects as go

    wexpr = f"sum(CAST({q(w)} AS DOUBLE))" if w else "count(*)"
    # Only the drawn nodes and edges come into Python: strength, the node ranking and the edge
    # selection run in SQL (a 10M-post corpus has millions of edges).
    edges_sql = (f"SELECT CAST({q(src)} AS VARCHAR) AS s, CAST({q(dst)} AS VARCHAR) AS t, {wexpr} AS w "
                 f"FROM graph_edges WHERE {q(src)} IS NOT NULL AND {q(dst)} IS NOT NULL AND {q(src)} <> {q(dst)} "
                 f"GROUP BY 1, 2")
    strength_sql = ("SELECT n, sum(coalesce(w, 0)) AS strength FROM "
                    "(SELECT s AS n, w FROM e UNION ALL SELECT t AS n, w FROM e) GROUP BY n")
    # node attributes: community, handle, pagerank (one row per node id)
    nodes_sql = None  # SELECT id, c, h, p
    comm_from_table = False
    if f.has("graph_nodes"):
        idc = f.pick("graph_nodes", ["account_id", "id", "node", "name"])
        if idc:
            cc = f.pick("graph_nodes", ["community", "community_id"])
            hc = f.pick("graph_nodes", ["handle", "label", "screen_name"])
            pc = f.pick("graph_nodes", ["pagerank", "score", "degree", "strength"])
            nodes_sql = (f"SELECT CAST({q(idc)} AS VARCHAR) AS id, max(CAST({q(cc) if cc else 'NULL'} AS VARCHAR)) AS c, "
                         f"max(CAST({q(hc) if hc else 'NULL'} AS VARCHAR)) AS h, max(CAST({q(pc) if pc else 'NULL'} AS DOUBLE)) AS p "
                         "FROM graph_nodes GROUP BY 1")
            comm_from_table = bool(cc) and bool(f.scalar(f"SELECT count(*) > 0 FROM graph_nodes WHERE {q(cc)} IS NOT NULL"))
    if not comm_from_table and f.has("communities"):
        idc = f.pick("communities", ["account_id", "id", "node"])
        cc = f.pick("communities", ["community", "community_id"])
        if idc and cc:
            base = nodes_sql or NO_NODES_SQL
            comm_sql = (f"SELECT CAST({q(idc)} AS VARCHAR) AS id, max(CAST({q(cc)} AS VARCHAR)) AS c "
                        f"FROM communities WHERE {q(cc)} IS NOT NULL GROUP BY 1")
            nodes_sql = (f"SELECT coalesce(b.id, k.id) AS id, k.c AS c, b.h AS h, b.p AS p "
                         f"FROM ({base}) b FULL JOIN ({comm_sql}) k ON b.id = k.id")
            comm_from_table = bool(f.scalar(f"SELECT count(*) > 0 FROM ({comm_sql})"))
    if nodes_sql is None:
        nodes_sql = NO_NODES_SQL
    with_sql = f"WITH e AS ({edges_sql}), st AS ({strength_sql}), nd AS ({nodes_sql}) "
    # the MAP_NODES most connected nodes: by PageRank where known, else by strength
    kept = f.rows(with_sql + "SELECT st.n, st.strength, nd.c, nd.h, nd.p FROM st LEFT JOIN nd ON st.n = nd.id "
                  f"ORDER BY coalesce(nd.p, st.strength) DESC, st.n LIMIT {MAP_NODES}")
    if not kept:
        return None
    keep = [r["n"] for r in kept]
    strength: dict[str, float] = {r["n"]: float(r["strength"] or 0) for r in kept}
    comm: dict[str, str] = {r["n"]: r["c"] for r in kept if r["c"] is not None}
    handle: dict[str, str] = {r["n"]: r["h"] for r in kept if r["h"]}
    size_attr: dict[str, float] = {r["n"]: float(r["p"]) for r in kept if r["p"] is not None}
    # the MAP_EDGES heaviest edges between drawn nodes
    import pyarrow as pa

    sub = f.rows_with("_map_nodes", pa.table({"n": pa.array(keep, pa.string())}),
                      with_sql.replace("WITH ", "WITH km AS (SELECT n FROM _map_nodes), ", 1)
                      + "SELECT s, t, w FROM e WHERE s IN (SELECT n FROM km) AND t IN (SELECT n FROM km) "
                      f"ORDER BY coalesce(w, 0) DESC, s, t LIMIT {MAP_EDGES}")
    index = {n: i for i, n in enumerate(keep)}
    pairs = [(index[e["s"]], index[e["t"]], float(e["w"] or 1)) for e in sub]
    if not comm and not comm_from_table:  # no community table: find communities here, only to colour the map
        if sub:
            g = ig.Graph(n=len(keep), edges=[(a, b) for a, b, _ in pairs], directed=False)
            g.es["weight"] = [w for _, _, w in pairs]
            ig.set_random_number_generator(random.Random(0))
            try:
                part = g.community_multilevel(weights="weight")
            finally:
                ig.set_random_number_generator(random)
            for i, c in enumerate(part.membership):
                comm[keep[i]] = str(c)
    # community sizes: every account of the community (not only the drawn ones)
    sizes: dict[str, int] = defaultdict(int)
    if comm_from_table:
        for r in f.rows(with_sql + "SELECT c, count(*) AS k FROM nd WHERE c IS NOT NULL GROUP BY c"):
            sizes[str(r["c"])] = int(r["k"])
    else:
        for n in keep:
            if n in comm:
                sizes[str(comm[n])] += 1
    import pyarrow as pa

    def memb_rows(sql: str) -> list[dict]:
        """``sql`` (which may read ``e``, ``nd`` and ``mb`` = account id, community) as rows."""
        if comm_from_table:
            return f.rows(with_sql + ", mb AS (SELECT id, c FROM nd WHERE c IS NOT NULL) " + sql)
        data = pa.table({"id": pa.array(list(comm), pa.string()), "c": pa.array([str(v) for v in comm.values()], pa.string())})
        return f.rows_with("_map_comm", data, with_sql + ", mb AS (SELECT id, c FROM _map_comm) " + sql)

    # hubs and most connected accounts: degree over ties inside the community (directed pairs).
    # "same community" is counted with FILTER / HAVING, never written as a join condition: as one,
    # DuckDB may join the members to each other on the community first (community size squared:
    # hundreds of millions of rows at 1M posts)
    ties = {str(r["c"]): int(r["k"]) for r in memb_rows(
        "SELECT m1.c, count(*) FILTER (WHERE m1.c = m2.c) AS k FROM e JOIN mb m1 ON e.s = m1.id "
        "JOIN mb m2 ON e.t = m2.id GROUP BY 1 HAVING k > 0")}
    top_deg: dict[str, list[tuple[str, int, str | None]]] = defaultdict(list)
    for r in memb_rows(
            "SELECT c, n, deg, h FROM (SELECT m1.c, x.n, count(*) FILTER (WHERE m1.c = m2.c) AS deg, "
            "any_value(nd.h) FILTER (WHERE m1.c = m2.c) AS h, row_number() OVER "
            "(PARTITION BY m1.c ORDER BY deg DESC, x.n) AS r FROM (SELECT s AS n, t AS m FROM e UNION ALL "
            "SELECT t AS n, s AS m FROM e) x JOIN mb m1 ON x.n = m1.id JOIN mb m2 ON x.m = m2.id "
            "LEFT JOIN nd ON nd.id = x.n GROUP BY 1, 2 HAVING deg > 0) WHERE r <= 5 ORDER BY c, r"):
        top_deg[str(r["c"])].append((r["n"], int(r["deg"]), r["h"]))
    hub_of: dict[str, tuple[str, float, str | None]] = {}
    for c, lst in top_deg.items():
        hub = star_hub([(n, d) for n, d, _ in lst], ties.get(c, 0))
        if hub is not None:
            hub_of[c] = (hub[0], hub[1], next((h for n, d, h in lst if n == hub[0]), None))
    # labels: each community's distinctive hashtags against the whole corpus (log-odds, Monroe et al.)
    labels: dict[str, str] = {}
    if f.has("hashtags", "post_id", "tag") and f.has("posts", "account_id"):
        counts: dict[str, Counter] = defaultdict(Counter)
        for r in memb_rows("SELECT mb.c, h.tag, count(*) AS k FROM hashtags h JOIN posts p ON p.platform = h.platform "
                           "AND p.post_id = h.post_id JOIN mb ON mb.id = p.account_id GROUP BY 1, 2 HAVING count(*) >= 2"):
            counts[str(r["c"])][r["tag"]] = int(r["k"])
        for c, tags in distinctive_terms(counts, k=3).items():
            if tags:
                labels[c] = " ".join("#" + t for t, _ in tags)
    if not handle and f.has("accounts"):
        for r in f.rows("SELECT account_id, handle FROM accounts WHERE account_id IN (SELECT unnest(?::VARCHAR[]))", [keep]):
            if r["handle"]:
                handle[r["account_id"]] = r["handle"]
    core: set[str] = set()
    if f.has("engine_room", "account_id"):
        where = "WHERE in_core" if f.has("engine_room", "in_core") else ""
        core = {r["account_id"] for r in f.rows(f"SELECT DISTINCT account_id FROM engine_room {where}")}

    def name_of(c: str) -> str:
        return f"community {c}" + (f" · {labels[c]}" if c in labels else "")

    # the layout: communities apart, each laid out on its own (netmap.community_layout)
    drawn_sizes: dict[str, int] = defaultdict(int)
    for n in keep:
        drawn_sizes[str(comm.get(n, "?"))] += 1
    order = sorted(drawn_sizes, key=lambda c: (-sizes.get(c, drawn_sizes[c]), c))
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
               "#bcbd22", "#393b79", "#637939", "#843c39"]
    shown = [c for c in order if c != "?"][:12]
    group = [str(comm.get(n, "?")) if str(comm.get(n, "?")) in shown else "other" for n in keep]
    # the coloured communities each in their own area; the many small ones share one (grey) area
    coords = community_layout(len(keep), pairs, group, seed=0)
    ex, ey = [], []
    for a, b, _ in pairs:
        ex += [coords[a][0], coords[b][0], None]
        ey += [coords[a][1], coords[b][1], None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", line={"width": 0.4, "color": "rgba(120,120,120,0.3)"},
                             hoverinfo="skip", showlegend=False, name="edges"))
    maxs = max((size_attr.get(n, strength[n]) for n in keep), default=1) or 1
    colour = {c: palette[i] for i, c in enumerate(shown)}

    def hover_text(n: str) -> str:
        c = str(comm.get(n, "?"))
        return hover("@" + str(handle.get(n, n)) + (" (engine room)" if n in core else "")
                     + f" · community {c} · strength {strength[n]:.0f}")

    n_other = len([c for c in sizes if c not in shown])
    for c in shown + (["other"] if "other" in group else []):
        nodes = [n for n, gname in zip(keep, group) if gname == c]
        if not nodes:
            continue
        label = (f"{name_of(c)} ({sizes.get(c, len(nodes)):,})" if c != "other"
                 else f"{n_other:,} smaller communities ({sum(v for k, v in sizes.items() if k not in shown):,})")
        fig.add_trace(go.Scatter(
            x=[coords[index[n]][0] for n in nodes], y=[coords[index[n]][1] for n in nodes], mode="markers",
            name=label, marker={"size": [4 + 16 * (size_attr.get(n, strength[n]) / maxs) ** 0.5 for n in nodes],
                                "color": colour.get(c, "#c8c8c8"), "line": {"width": 0}},
            text=[hover_text(n) for n in nodes], hovertemplate="%{text}<extra></extra>"))
    core_drawn = [n for n in keep if n in core]
    if core_drawn:
        fig.add_trace(go.Scatter(
            x=[coords[index[n]][0] for n in core_drawn], y=[coords[index[n]][1] for n in core_drawn], mode="markers",
            name=f"engine-room core ({len(core_drawn):,} drawn)",
            marker={"size": 11, "symbol": "diamond", "color": [colour.get(str(comm.get(n, "?")), "#c8c8c8") for n in core_drawn],
                    "line": {"width": 1.5, "color": "#000"}},
            text=[hover_text(n) for n in core_drawn], hovertemplate="%{text}<extra></extra>"))
    stars = {c for c, h in hub_of.items() if h[1] >= STAR_SHARE and ties.get(c, 0) >= STAR_MIN_TIES}
    hubs_drawn = [(c, h) for c, h in hub_of.items() if c in stars and c in shown and h[0] in index]
    if hubs_drawn:
        fig.add_trace(go.Scatter(
            x=[coords[index[h[0]]][0] for _, h in hubs_drawn], y=[coords[index[h[0]]][1] for _, h in hubs_drawn],
            mode="markers+text", name="hub of a star-shaped community (coloured ones)",
            marker={"size": 16, "symbol": "star", "color": "#ffd400", "line": {"width": 1, "color": "#000"}},
            text=["@" + str(h[2] or handle.get(h[0], h[0])) for _, h in hubs_drawn], textposition="top center",
            textfont={"size": 11}, hovertemplate="%{text} (hub)<extra></extra>"))
    # community names on the map, at each coloured community's centre
    ann_x, ann_y, ann_t = [], [], []
    for c in shown:
        pts = [coords[index[n]] for n, gname in zip(keep, group) if gname == c]
        if pts:
            ann_x.append(sum(p[0] for p in pts) / len(pts))
            ann_y.append(max(p[1] for p in pts))
            ann_t.append(" ".join(labels[c].split(" ")[:2]) if c in labels else f"community {c}")
    if ann_t:
        fig.add_trace(go.Scatter(x=ann_x, y=ann_y, mode="text", text=ann_t, textposition="top center",
                                 textfont={"size": 12, "color": "#1d2330"}, hoverinfo="skip", showlegend=False,
                                 name="community labels"))
    fig.update_layout(height=900, margin={"l": 10, "r": 10, "t": 10, "b": 10}, dragmode="pan",
                      xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x"},
                      legend={"itemsizing": "constant", "font": {"size": 11}, "orientation": "h", "y": -0.02,
                              "yanchor": "top", "x": 0, "xanchor": "left"}, plot_bgcolor="#fff")
    blocks = [figure("fig-network", fig, f"The {len(keep):,} most connected accounts and their {len(sub):,} strongest "
                                         "ties. Each community is drawn in its own area (colour = community, legend "
                                         "counts = all its accounts); diamonds = engine-room core; stars = hubs whose "
                                         "ties make their community a star. Scroll to zoom, drag to pan, hover for "
                                         "the account.")]
    # community table: the analysis's own figures where it wrote them, names and hubs from here
    extra: dict[str, dict] = {}
    if f.nonempty("communities") and f.has("communities", "community"):
        want = [c for c in ("top_domains", "top_narrative", "hate_share") if f.has("communities", c)]
        if want:
            for r in f.rows(f"SELECT CAST(community AS VARCHAR) AS community, {', '.join(q(c) for c in want)} "
                            "FROM communities"):
                extra[str(r["community"])] = r
    rows = []
    for c in sorted(sizes, key=lambda c: (-sizes[c], c)):
        hub = hub_of.get(c)
        hub_txt = ""
        if hub:
            hub_txt = f"@{hub[2] or handle.get(hub[0], hub[0])} ({100 * hub[1]:.0f}% of its ties)"
            if c in stars:
                hub_txt = "star: " + hub_txt
        connected = ", ".join("@" + str(h or handle.get(n, n)) for n, _, h in top_deg.get(c, []))
        line = [c, fmt(sizes[c]), labels.get(c, ""), hub_txt, connected]
        e = extra.get(c, {})
        if "top_domains" in e or extra:
            items = parse_json(e.get("top_domains"))
            if isinstance(items, list):  # a shortener's links are unresolved, a cut URL names no domain
                items = [it for it in items if isinstance(it, (list, tuple)) and it
                         and not is_shortener(None, str(it[0])) and registered_domain(str(it[0]))]
                line.append(", ".join(f"{it[0]} ({fmt(it[1])})" if len(it) > 1 else str(it[0]) for it in items[:4]))
            else:
                line.append("")
            line.append(fmt(e.get("top_narrative")))
            hs = e.get("hate_share")
            line.append("" if hs is None else f"{100 * float(hs):.1f}%")
        rows.append(line)
    cols = ["community", "accounts", "distinctive hashtags", "hub (share of the community's ties)",
            "most connected accounts"]
    if extra:
        cols += ["top domains", "top narrative", "hate share"]
    blocks.append(table("Communities, largest first", cols, rows,
                        note="Distinctive hashtags: those a community uses far more than the corpus as a whole "
                             "(weighted log-odds with an informative Dirichlet prior, Monroe et al. 2008, z ≥ 1.96). "
                             "Hub: the account touching most of the community's internal ties; a star when "
                             f"it touches {100 * STAR_SHARE:.0f}% or more of them (and there are {STAR_MIN_TIES} "
                             "or more)."))
    return {"id": "network", "title": "The network map",
            "intro": "Who retweets, quotes, replies to and mentions whom; communities found in that network, "
                     "named by their distinctive hashtags, with their hubs.",
            "blocks": blocks}


def coordination_section(ctx: Context) -> dict | None:
    f = ctx.f
    if not f.nonempty("coordination_clusters") or not f.has("coordination_clusters", "cluster_id", "account_id"):
        return None
    meth = "any_value(method)" if f.has("coordination_clusters", "method") else "NULL"
    nets = "any_value(networks)" if f.has("coordination_clusters", "networks") else "NULL"
    ev = "any_value(evidence)" if f.has("coordination_clusters", "evidence") else "NULL"
    clusters = f.rows(f"""SELECT CAST(cluster_id AS VARCHAR) AS cluster_id, any_value(platform) AS platform,
                                 count(DISTINCT account_id) AS size, {meth} AS method, {nets} AS networks,
                                 {ev} AS evidence, list(DISTINCT account_id ORDER BY account_id) AS members
                          FROM coordination_clusters GROUP BY cluster_id ORDER BY size DESC, cluster_id LIMIT 25""")
    if not clusters:
        return None
    tie_posts: dict[str, list[str]] = defaultdict(list)
    tie_nets: dict[str, dict[str, float]] = defaultdict(dict)
    if f.has("coordination", "account_1", "account_2"):
        member_rows = [(c["cluster_id"], a) for c in clusters for a in c["members"]]
        import pyarrow as pa

        # m2 is looked up by (account, cluster) as one key: with the cluster as a join condition of
        # its own, DuckDB joins the members to each other on it first (cluster size squared)
        members = pa.table({"cluster_id": [m[0] for m in member_rows], "account_id": [str(m[1]) for m in member_rows],
                            "member_key": [str(m[1]) + "\x00" + m[0] for m in member_rows]})
        net = "c.network" if f.has("coordination", "network") else "'co-activity'"
        pids = "c.post_ids" if f.has("coordination", "post_ids") else "NULL"
        wt = "c.weight" if f.has("coordination", "weight") else "1"
        ties = f.rows_with("__er_members", members, f"""
            SELECT m1.cluster_id, {net} AS network, {pids} AS post_ids, {wt} AS weight
            FROM coordination c
            JOIN __er_members m1 ON CAST(c.account_1 AS VARCHAR) = m1.account_id
            JOIN __er_members m2 ON CAST(c.account_2 AS VARCHAR) || chr(0) || m1.cluster_id = m2.member_key
            ORDER BY weight DESC LIMIT 20000""")
        for t in ties:
            d = tie_nets[t["cluster_id"]]
            d[t["network"]] = d.get(t["network"], 0) + (t["weight"] or 0)
            if len(tie_posts[t["cluster_id"]]) < 6:
                for pid in post_ids_in(t["post_ids"], 6):
                    if pid not in tie_posts[t["cluster_id"]]:
                        tie_posts[t["cluster_id"]].append(pid)
    rows = []
    ctx.prefetch_posts([i for c in clusters for i in (tie_posts.get(c["cluster_id"]) or post_ids_in(c["evidence"], 4))[:4]])
    for c in clusters:
        handles = ["@" + str(ctx.handle_of(c["platform"], a)) for a in c["members"][:12]]
        if len(c["members"]) > 12:
            handles.append(f"and {len(c['members']) - 12} more")
        nets_desc = ", ".join(f"{k} ({v:.0f})" for k, v in sorted(tie_nets.get(c["cluster_id"], {}).items(),
                                                                  key=lambda kv: -kv[1])) or describe_evidence(c["networks"])
        ids = tie_posts.get(c["cluster_id"]) or post_ids_in(c["evidence"], 4)
        posts = ctx.posts([(c["platform"], i) for i in ids], 4)
        rows.append([c["cluster_id"], fmt(c["size"]), c["method"] or "", nets_desc, ", ".join(handles),
                     {"posts": posts} if posts else {"chips": chips(c["evidence"])}])
    n_edges = f.rows("SELECT " + ("network, " if f.has("coordination", "network") else "'all' AS network, ")
                     + "count(*) AS n FROM coordination GROUP BY 1 ORDER BY 2 DESC") if f.has("coordination") else []
    blocks = [table("Coordinated clusters (largest first)",
                    ["cluster", "accounts", "method", "networks (weight)", "accounts in it", "posts that tie them"], rows,
                    detail=True)]
    if n_edges:
        blocks.append(table("Coordination edges per network", ["network", "account pairs"],
                            [[r["network"], fmt(r["n"])] for r in n_edges]))
    return {"id": "coordination", "title": "Coordinated behaviour",
            "intro": "Accounts that acted together (same retweets, same text, same links, same hashtag sequences, "
                     "same images, within a short window), with the posts that tie them.", "blocks": blocks}


def operations_section(ctx: Context) -> dict | None:
    f = ctx.f
    if not f.nonempty("account_scores") or not f.has("account_scores", "account_id"):
        return None
    score = "operation_score" if f.has("account_scores", "operation_score") else None
    where = "WHERE operation_label" if f.has("account_scores", "operation_label") else ""
    sig = "top_signals" if f.has("account_scores", "top_signals") else "NULL"
    hc = "handle" if f.has("account_scores", "handle") else "NULL"
    rows = f.rows(f"SELECT platform, account_id, {hc} AS handle, {score or 'NULL'} AS score, {sig} AS signals "
                  f"FROM account_scores {where} ORDER BY {score + ' DESC' if score else 'account_id'} LIMIT 60")
    total = f.count("account_scores")
    flagged = f.scalar(f"SELECT count(*) FROM account_scores {where}") if where else None
    out = [["@" + str(r["handle"] or ctx.handle_of(r["platform"], r["account_id"])), fmt(r["score"]),
            {"chips": chips(r["signals"])}] for r in rows]
    intro = "Accounts that look like a state-backed or commercial operation, with the signals behind each score."
    if flagged is not None:
        intro += (f" {flagged:,} of {total:,} scored accounts reach the flag threshold: a list to review, not a count "
                  "of operations (the threshold is calibrated on IRA accounts against news-thread repliers; on ordinary "
                  "accounts of other corpora it also flags many, see docs/accounts.md). Sort by the score.")
    blocks = [table("Operation-like accounts (highest score first)", ["account", "operation score", "signals"], out,
                    note="Operation score (0-1): half the transparent rule score plus half the mean probability "
                         "of the shipped profile and behaviour models that the account belongs to a state-backed "
                         "or commercial operation; each chip is a signal with its value and the reason it counts.")]
    if score:
        import plotly.graph_objects as go
        hist = f.rows(f"SELECT floor({score} * 20) / 20 AS b, count(*) AS n FROM account_scores "
                      f"WHERE {score} IS NOT NULL GROUP BY 1 ORDER BY 1")
        fig = go.Figure(go.Bar(x=[r["b"] for r in hist], y=[r["n"] for r in hist], marker_color="#8e44ad"))
        fig.update_layout(height=260, margin={"l": 50, "r": 20, "t": 20, "b": 40}, xaxis_title="operation score",
                          yaxis_title="accounts", yaxis_type="log")
        blocks.append(figure("fig-opscore", fig, "Distribution of operation scores"))
    return {"id": "operations", "title": "Operation-like accounts", "intro": intro, "blocks": blocks}


def domains_section(ctx: Context) -> dict | None:
    """Where links point: news and other sites with their credibility, platforms apart, shortened
    links counted as unresolved (their destination is unknown), links cut short not counted."""
    f = ctx.f
    if not f.nonempty("domains") or not f.has("domains", "domain"):
        return None
    has = {c: f.has("domains", c) for c in ("kind", "shortener", "credibility", "low_credibility",
                                            "coordinated_accounts", "links", "accounts")}
    if has["kind"]:
        kind = "kind"
    elif has["shortener"]:
        kind = "CASE WHEN shortener THEN 'shortener' ELSE 'site' END"
    else:
        kind = "'site'"
    links = "links" if has["links"] else "posts"
    rows = f.rows(f"""SELECT domain, {kind} AS kind, sum(posts) AS posts, sum({links}) AS links,
                             {'sum(accounts)' if has['accounts'] else 'NULL'} AS accounts,
                             {'max(credibility)' if has['credibility'] else 'NULL'} AS credibility,
                             {'bool_or(low_credibility)' if has['low_credibility'] else 'NULL'} AS low,
                             {'sum(coordinated_accounts)' if has['coordinated_accounts'] else 'NULL'} AS coord
                      FROM domains GROUP BY 1, 2 ORDER BY posts DESC, domain""")
    # older tables (before the kind column) still keep shorteners and platforms apart
    from ..links import is_platform

    for r in rows:
        if r["kind"] == "site" and is_shortener(None, r["domain"]):
            r["kind"] = "shortener"
        elif r["kind"] == "site" and is_platform(None, r["domain"]):
            r["kind"], r["credibility"], r["low"] = "platform", None, None
    sites = [r for r in rows if r["kind"] == "site"]
    plats = [r for r in rows if r["kind"] == "platform"]
    short = [r for r in rows if r["kind"] == "shortener"]
    total = sum(r["links"] or 0 for r in rows)
    n_short = sum(r["links"] or 0 for r in short)
    blocks: list[dict] = []
    summary = (f"{fmt(total)} links point to {fmt(len(sites))} news and other sites, {fmt(len(plats))} platforms "
               f"and {fmt(len(short))} URL shorteners.")
    if short:
        summary += (f" {fmt(n_short)} links ({pct(n_short, total)}) go through a shortener "
                    f"({', '.join(r['domain'] for r in short[:5])}) whose destination the export did not give: "
                    "they are counted as unresolved, not as a domain.")
    run = f.rows("SELECT summary FROM runs WHERE analysis = 'domains' ORDER BY finished_at DESC LIMIT 1") \
        if f.has("runs", "analysis", "summary") else []
    cut = (parse_json(run[0]["summary"]) or {}).get("links_without_domain") if run else None
    if isinstance(cut, int) and cut:
        summary += (f" {fmt(cut)} links name no domain at all (cut short by the export, such as https://t.c) "
                     "and are not counted.")
    blocks.append({"kind": "text", "text": summary})
    source = ("Credibility: the aggregate news-domain quality rating pc1 (0 = lowest, 1 = highest) of Lin et al., "
              "“High level of correspondence across different news domain quality rating sets”, PNAS Nexus 2023, "
              "bundled with engineroom; low credibility = pc1 below the domains analysis's threshold "
              "(default 0.4); “not rated” = the domain is not among their 11,520. Platforms are not rated: "
              "they host anyone's content.")
    if sites:
        blocks.append(table("News and other sites, most linked first",
                            ["domain", "posts", "links", "accounts", "coordinated accounts", "credibility (pc1)"],
                            [[r["domain"], fmt(r["posts"]), fmt(r["links"]), fmt(r["accounts"]), fmt(r["coord"]),
                              "not rated" if r["credibility"] is None else
                              f"{r['credibility']:.2f}" + (" · low" if truthy(r["low"]) else "")]
                             for r in sites]))
        low = [r for r in sites if truthy(r["low"])]
        if low:
            blocks.insert(1, table("Low-credibility sites", ["domain", "posts", "accounts", "credibility (pc1)"],
                                   [[r["domain"], fmt(r["posts"]), fmt(r["accounts"]), f"{r['credibility']:.2f}"]
                                    for r in low]))
    if plats:
        blocks.append(table("Platforms linked (hosting anyone's content; not rated)",
                            ["platform", "posts", "links", "accounts", "coordinated accounts"],
                            [[r["domain"], fmt(r["posts"]), fmt(r["links"]), fmt(r["accounts"]), fmt(r["coord"])]
                             for r in plats]))
    if short:
        blocks.append(table("Unresolved links (URL shorteners)", ["shortener", "posts", "links", "accounts"],
                            [[r["domain"], fmt(r["posts"]), fmt(r["links"]), fmt(r["accounts"])] for r in short]))
    blocks.append({"kind": "text", "text": source})
    return {"id": "domains", "title": "Domains and their credibility",
            "intro": "Where links in the corpus point: sites with their credibility rating where one is known, "
                     "platforms apart, and links whose destination is unknown.",
            "blocks": blocks}


def images_section(ctx: Context) -> dict | None:
    f = ctx.f
    if not f.nonempty("image_clusters"):
        return None
    cols, rows = generic_rows(ctx, "image_clusters", ["size", "posts", "accounts"], 30)
    return {"id": "images", "title": "Shared images", "intro": "Near-identical images posted by several accounts.",
            "blocks": [table("Image clusters", cols, rows)]}


def methods_section(ctx: Context, meta: dict) -> dict:
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
    if f.nonempty("narrative_defs") and f.has("narrative_defs", "name"):
        cols, rows = generic_rows(ctx, "narrative_defs", ["name"], 100, drop=())
        blocks.append(table("Narrative definitions", cols, rows))
    if f.has("quarantine"):
        nq = f.count("quarantine")
        blocks.append({"kind": "text", "text": f"{nq:,} input records could not be stored and are kept in the "
                                               "quarantine table with their file, line and reason."})
    return {"id": "methods", "title": "Methods and data",
            "intro": "Everything needed to reproduce these findings: the data range, the files read, and each "
                     "analysis's parameters and model version as recorded when it ran.", "blocks": blocks}


SECTIONS: list[Callable[[Context], dict | None]] = [
    corpus_counts, over_time, hate_section, narratives_section, trends_section, engine_room_section,
    network_section, coordination_section, operations_section, domains_section, images_section,
]
