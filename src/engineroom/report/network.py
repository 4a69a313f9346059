"""The report's network map: the interaction network's communities, laid out in Python and drawn
in the page, with each community's distinctive hashtags, hub and most connected accounts."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..links import is_shortener, registered_domain
from .blocks import figure, fmt, hover, table
from .context import Context
from .data import Findings, parse_json
from .netmap import STAR_MIN_TIES, STAR_SHARE, community_layout, distinctive_terms, star_hub

#: nodes and edges drawn in the network map (the strongest ones)
MAP_NODES = 1500
MAP_EDGES = 6000


@dataclass
class MapData:
    """What the map and the community table show, read from the network analysis's tables."""

    #: the drawn accounts (the :data:`MAP_NODES` strongest), by id
    keep: list[str]
    #: summed tie weight of each drawn account
    strength: dict[str, float]
    #: community of each drawn account (as text)
    comm: dict[str, str]
    #: handle of each drawn account, where known
    handle: dict[str, str]
    #: PageRank of each drawn account, where known (marker size; strength otherwise)
    size_attr: dict[str, float]
    #: the drawn ties (the :data:`MAP_EDGES` heaviest among drawn accounts): (index, index, weight)
    pairs: list[tuple[int, int, float]]
    #: accounts per community (every account of it, not only the drawn ones)
    sizes: dict[str, int]
    #: ties inside each community (directed pairs)
    ties: dict[str, int]
    #: each community's five most connected accounts: (id, degree inside it, handle)
    top_deg: dict[str, list[tuple[str, int, str | None]]]
    #: each community's hub: (id, share of the community's ties it touches, handle)
    hub_of: dict[str, tuple[str, float, str | None]]
    #: each community's distinctive hashtags, "#a #b #c"
    labels: dict[str, str]
    #: engine-room core accounts
    core: set[str]
    #: communities whose hub makes them a star (:data:`.netmap.STAR_SHARE`, :data:`.netmap.STAR_MIN_TIES`)
    stars: set[str] = field(default_factory=set)

    @property
    def index(self) -> dict[str, int]:
        """Position of each drawn account in :attr:`keep`."""
        return {n: i for i, n in enumerate(self.keep)}

    def name_of(self, c: str) -> str:
        """A community's name: its number and distinctive hashtags."""
        return f"community {c}" + (f" · {self.labels[c]}" if c in self.labels else "")


def read_map(f: Findings) -> MapData | None:
    """The drawn accounts and ties, community sizes, hubs, names and the engine-room core (None
    when no tie has two ends). Only these come into Python: the node ranking and the edge
    selection run in SQL (a 10M-post corpus has millions of edges). Ties are summed over kinds."""
    edges_sql = ("SELECT CAST(source AS VARCHAR) AS s, CAST(target AS VARCHAR) AS t, sum(CAST(weight AS DOUBLE)) AS w "
                 "FROM graph_edges WHERE source IS NOT NULL AND target IS NOT NULL AND source <> target "
                 "GROUP BY 1, 2")
    strength_sql = ("SELECT n, sum(coalesce(w, 0)) AS strength FROM "
                    "(SELECT s AS n, w FROM e UNION ALL SELECT t AS n, w FROM e) GROUP BY n")
    # node attributes: community, handle, pagerank (one row per node id; the network analysis
    # writes graph_nodes with graph_edges)
    nodes_sql = ("SELECT CAST(account_id AS VARCHAR) AS id, max(CAST(community AS VARCHAR)) AS c, "
                 "max(CAST(handle AS VARCHAR)) AS h, max(CAST(pagerank AS DOUBLE)) AS p "
                 "FROM graph_nodes GROUP BY 1")
    # the summed ties ``e`` and the node attributes ``nd`` are computed once, as Arrow tables that
    # every query below reads (at 10M posts ``e`` is a group-by over millions of edges)
    shared = {"e": f.arrow(edges_sql), "nd": f.arrow(nodes_sql)}
    with_sql = f"WITH st AS ({strength_sql}) "
    # the MAP_NODES most connected nodes: by PageRank where known, else by strength
    kept = f.rows_over(shared, with_sql + "SELECT st.n, st.strength, nd.c, nd.h, nd.p FROM st LEFT JOIN nd "
                       f"ON st.n = nd.id ORDER BY coalesce(nd.p, st.strength) DESC, st.n LIMIT {MAP_NODES}")
    if not kept:
        return None
    keep = [r["n"] for r in kept]
    strength: dict[str, float] = {r["n"]: float(r["strength"] or 0) for r in kept}
    comm: dict[str, str] = {r["n"]: r["c"] for r in kept if r["c"] is not None}
    handle: dict[str, str] = {r["n"]: r["h"] for r in kept if r["h"]}
    size_attr: dict[str, float] = {r["n"]: float(r["p"]) for r in kept if r["p"] is not None}
    # the MAP_EDGES heaviest edges between drawn nodes
    import pyarrow as pa

    sub = f.rows_over({**shared, "_map_nodes": pa.table({"n": pa.array(keep, pa.string())})},
                      "WITH km AS (SELECT n FROM _map_nodes) "
                      "SELECT s, t, w FROM e WHERE s IN (SELECT n FROM km) AND t IN (SELECT n FROM km) "
                      f"ORDER BY coalesce(w, 0) DESC, s, t LIMIT {MAP_EDGES}")
    index = {n: i for i, n in enumerate(keep)}
    pairs = [(index[e["s"]], index[e["t"]], float(e["w"] or 1)) for e in sub]
    # community sizes: every account of the community (not only the drawn ones)
    sizes: dict[str, int] = defaultdict(int)
    for r in f.rows_over(shared, "SELECT c, count(*) AS k FROM nd WHERE c IS NOT NULL GROUP BY c"):
        sizes[str(r["c"])] = int(r["k"])

    def memb_rows(sql: str) -> list[dict]:
        """``sql`` (which may read ``e``, ``nd`` and ``mb`` = account id, community) as rows."""
        return f.rows_over(shared, "WITH mb AS (SELECT id, c FROM nd WHERE c IS NOT NULL) " + sql)

    # hubs and most connected accounts: degree over ties inside the community (directed pairs).
    # "same community" is counted with FILTER / HAVING, never written as a join condition: as one,
    # DuckDB may join the members to each other on the community first (community size squared:
    # hundreds of millions of rows at 1M posts)
    ties = {str(r["c"]): int(r["k"]) for r in memb_rows(
        "SELECT m1.c, count(*) FILTER (WHERE m1.c = m2.c) AS k FROM e JOIN mb m1 ON e.s = m1.id "
        "JOIN mb m2 ON e.t = m2.id GROUP BY 1 HAVING k > 0")}
    top_deg: dict[str, list[tuple[str, int, str | None]]] = defaultdict(list)
    for r in memb_rows(
            # the handle is joined to the (community, account) degrees, not to every tie end
            "SELECT c, n, deg, h FROM (SELECT g.c, g.n, g.deg, nd.h, row_number() OVER "
            "(PARTITION BY g.c ORDER BY g.deg DESC, g.n) AS r FROM (SELECT m1.c, x.n, "
            "count(*) FILTER (WHERE m1.c = m2.c) AS deg FROM (SELECT s AS n, t AS m FROM e UNION ALL "
            "SELECT t AS n, s AS m FROM e) x JOIN mb m1 ON x.n = m1.id JOIN mb m2 ON x.m = m2.id "
            "GROUP BY 1, 2 HAVING deg > 0) g LEFT JOIN nd ON nd.id = g.n) WHERE r <= 5 ORDER BY c, r"):
        top_deg[str(r["c"])].append((r["n"], int(r["deg"]), r["h"]))
    hub_of: dict[str, tuple[str, float, str | None]] = {}
    for c, lst in top_deg.items():
        hub = star_hub([(n, d) for n, d, _ in lst], ties.get(c, 0))
        if hub is not None:
            hub_of[c] = (hub[0], hub[1], next((h for n, d, h in lst if n == hub[0]), None))
    # labels: each community's distinctive hashtags against the whole corpus (log-odds, Monroe et al.)
    labels: dict[str, str] = {}
    if f.exists("hashtags") and f.exists("posts"):
        counts: dict[str, Counter] = defaultdict(Counter)
        for r in memb_rows("SELECT mb.c, h.tag, count(*) AS k FROM hashtags h JOIN posts p ON p.platform = h.platform "
                           "AND p.post_id = h.post_id JOIN mb ON mb.id = p.account_id GROUP BY 1, 2 HAVING count(*) >= 2"):
            counts[str(r["c"])][r["tag"]] = int(r["k"])
        for c, tags in distinctive_terms(counts, k=3).items():
            if tags:
                labels[c] = " ".join("#" + t for t, _ in tags)
    if not handle and f.exists("accounts"):
        for r in f.rows("SELECT account_id, handle FROM accounts WHERE account_id IN (SELECT unnest(?::VARCHAR[]))", [keep]):
            if r["handle"]:
                handle[r["account_id"]] = r["handle"]
    core: set[str] = set()
    if f.exists("engine_room"):
        core = {r["account_id"] for r in f.rows("SELECT DISTINCT account_id FROM engine_room WHERE in_core")}
    stars = {c for c, h in hub_of.items() if h[1] >= STAR_SHARE and ties.get(c, 0) >= STAR_MIN_TIES}
    return MapData(keep, strength, comm, handle, size_attr, pairs, sizes, ties, top_deg, hub_of, labels, core, stars)


def map_figure(d: MapData) -> "go.Figure":
    """The map: each of the 12 largest communities coloured in its own area
    (:func:`.netmap.community_layout`), the rest grey; engine-room core as diamonds, hubs of
    star-shaped communities as named stars, community names at their centres."""
    import plotly.graph_objects as go

    keep, comm, handle, strength, size_attr, sizes, core = d.keep, d.comm, d.handle, d.strength, d.size_attr, d.sizes, d.core
    pairs, hub_of, labels, stars, index = d.pairs, d.hub_of, d.labels, d.stars, d.index
    name_of = d.name_of
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
    return fig


def community_table(f: Findings, d: MapData) -> dict:
    """The communities, largest first: size, distinctive hashtags, hub, most connected accounts,
    and the network analysis's top domains, top narrative and hate share."""
    sizes, hub_of, handle, stars, top_deg, labels = d.sizes, d.hub_of, d.handle, d.stars, d.top_deg, d.labels
    # community table: the analysis's own figures where it wrote them, names and hubs from here
    extra: dict[str, dict] = {}
    if f.nonempty("communities"):
        for r in f.rows("SELECT CAST(community AS VARCHAR) AS community, top_domains, top_narrative, hate_share "
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
    return table("Communities, largest first", cols, rows,
                        note="Distinctive hashtags: those a community uses far more than the corpus as a whole "
                             "(weighted log-odds with an informative Dirichlet prior, Monroe et al. 2008, z ≥ 1.96). "
                             "Hub: the account touching most of the community's internal ties; a star when "
                             f"it touches {100 * STAR_SHARE:.0f}% or more of them (and there are {STAR_MIN_TIES} "
                             "or more).")


def network_section(ctx: Context) -> dict | None:
    """The interaction network's communities (``graph_edges`` / ``graph_nodes`` of the network
    analysis), laid out in Python (:func:`.netmap.community_layout`) and drawn in the page; a table
    of the communities with their distinctive hashtags, hubs and most connected accounts."""
    f = ctx.f
    if not f.nonempty("graph_edges"):
        return None
    d = read_map(f)
    if d is None:
        return None
    fig = map_figure(d)
    keep, pairs = d.keep, d.pairs
    blocks = [figure("fig-network", fig, f"The {len(keep):,} most connected accounts and their {len(pairs):,} strongest "
                                         "ties. Each community is drawn in its own area (colour = community, legend "
                                         "counts = all its accounts); diamonds = engine-room core; stars = hubs whose "
                                         "ties make their community a star. Scroll to zoom, drag to pan, hover for "
                                         "the account.")]
    blocks.append(community_table(f, d))
    return {"id": "network", "title": "The network map",
            "intro": "Who retweets, quotes, replies to and mentions whom; communities found in that network, "
                     "named by their distinctive hashtags, with their hubs.",
            "blocks": blocks}

