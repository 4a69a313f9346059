"""Report sections about who acts: the engine room of each narrative, coordinated clusters, and
operation-like accounts."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .blocks import figure, fmt, table
from .context import Context
from .data import describe_evidence, post_ids_in, q, truthy
from .evidence import chips, words


#: the engine room's columns shown, in order (its evidence follows in the row below)
ENGINE_ROOM_COLUMNS = ["rank", "handle", "narrative", "score", "in_core", "narrative_posts", "amplifications",
                       "amplifiers", "pagerank", "active_days", "posted_hate", "followers"]


def engine_room_section(ctx: Context) -> dict | None:
    """One table per narrative of its core accounts, ranked, each with the posts that are its
    evidence (its most amplified ones, else its best-matching narrative posts)."""
    f = ctx.f
    if not f.nonempty("engine_room"):
        return None
    cols = ENGINE_ROOM_COLUMNS
    where = "WHERE in_core"
    base = ("SELECT platform, account_id, narrative AS __narrative, evidence AS evidence"
            f"{''.join(', ' + q(c) for c in cols)}, row_number() OVER (PARTITION BY narrative ORDER BY rank) AS __n "
            "FROM engine_room")
    rows = f.rows(f"SELECT * FROM ({base} {where}) WHERE __n <= 60 ORDER BY __narrative, __n")
    if not rows:
        rows = f.rows(f"SELECT * FROM ({base}) WHERE __n <= 30 ORDER BY __narrative, __n")
    if len(rows) > 300:
        rows = rows[:300]
    tables: dict[Any, list] = {}
    ctx.prefetch_posts([i for r in rows for i in post_ids_in(r["evidence"], 2)])
    for r in rows:
        ids = post_ids_in(r["evidence"], 2)
        posts = ctx.posts([(r["platform"], i) for i in ids], 2)
        if not posts and f.exists("narratives"):
            nar = "AND narrative = ?" if r.get("narrative") else ""
            params = [r["account_id"]] + ([r["narrative"]] if nar else [])
            ex = f.rows(f"SELECT platform, post_id FROM narratives WHERE account_id = ? {nar} "
                        "ORDER BY score DESC, post_id LIMIT 3", params)
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
    drop = {i for i, c in enumerate(cols) if c in ("narrative", "in_core")}
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


def coordination_section(ctx: Context) -> dict | None:
    """The largest coordinated clusters with their method, the networks that tie them (by weight),
    their accounts and the posts that tie them; and coordination edges per network."""
    f = ctx.f
    if not f.nonempty("coordination_clusters"):
        return None
    clusters = f.rows("""SELECT CAST(cluster_id AS VARCHAR) AS cluster_id, any_value(platform) AS platform,
                                 count(DISTINCT account_id) AS size, any_value(method) AS method, any_value(networks) AS networks,
                                 any_value(evidence) AS evidence, list(DISTINCT account_id ORDER BY account_id) AS members
                          FROM coordination_clusters GROUP BY cluster_id ORDER BY size DESC, cluster_id LIMIT 25""")
    if not clusters:
        return None
    tie_posts: dict[str, list[str]] = defaultdict(list)
    tie_nets: dict[str, dict[str, float]] = defaultdict(dict)
    if f.exists("coordination"):
        member_rows = [(c["cluster_id"], a) for c in clusters for a in c["members"]]
        import pyarrow as pa

        # m2 is looked up by (account, cluster) as one key: with the cluster as a join condition of
        # its own, DuckDB joins the members to each other on it first (cluster size squared)
        members = pa.table({"cluster_id": [m[0] for m in member_rows], "account_id": [str(m[1]) for m in member_rows],
                            "member_key": [str(m[1]) + "\x00" + m[0] for m in member_rows]})
        ties = f.rows_with("__er_members", members, """
            SELECT m1.cluster_id, c.network AS network, c.post_ids AS post_ids, c.weight AS weight
            FROM coordination c
            JOIN __er_members m1 ON CAST(c.account_1 AS VARCHAR) = m1.account_id
            JOIN __er_members m2 ON CAST(c.account_2 AS VARCHAR) || chr(0) || m1.cluster_id = m2.member_key
            ORDER BY weight DESC, m1.cluster_id, c.network, c.account_1, c.account_2 LIMIT 20000""")
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
    n_edges = f.rows("SELECT network, count(*) AS n FROM coordination GROUP BY 1 ORDER BY 2 DESC, 1") \
        if f.exists("coordination") else []
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
    """The flagged accounts with the highest operation scores and the signals behind each, and the
    distribution of scores."""
    f = ctx.f
    if not f.nonempty("account_scores"):
        return None
    rows = f.rows("SELECT platform, account_id, handle AS handle, operation_score AS score, top_signals AS signals "
                  "FROM account_scores WHERE operation_label ORDER BY operation_score DESC, platform, account_id LIMIT 60")
    total = f.count("account_scores")
    flagged = f.scalar("SELECT count(*) FROM account_scores WHERE operation_label")
    out = [["@" + str(r["handle"] or ctx.handle_of(r["platform"], r["account_id"])), fmt(r["score"]),
            {"chips": chips(r["signals"])}] for r in rows]
    intro = "Accounts that look like a state-backed or commercial operation, with the signals behind each score."
    intro += (f" {flagged:,} of {total:,} scored accounts reach the flag threshold: a list to review, not a count "
              "of operations (the threshold is calibrated on IRA accounts against news-thread repliers; on ordinary "
              "accounts of other corpora it also flags many, see docs/accounts.md). Sort by the score.")
    blocks = [table("Operation-like accounts (highest score first)", ["account", "operation score", "signals"], out,
                    note="Operation score (0-1): half the transparent rule score plus half the mean probability "
                         "of the shipped profile and behaviour models that the account belongs to a state-backed "
                         "or commercial operation; each chip is a signal with its value and the reason it counts.")]
    import plotly.graph_objects as go
    hist = f.rows("SELECT floor(operation_score * 20) / 20 AS b, count(*) AS n FROM account_scores "
                  "WHERE operation_score IS NOT NULL GROUP BY 1 ORDER BY 1")
    fig = go.Figure(go.Bar(x=[r["b"] for r in hist], y=[r["n"] for r in hist], marker_color="#8e44ad"))
    fig.update_layout(height=260, margin={"l": 50, "r": 20, "t": 20, "b": 40}, xaxis_title="operation score",
                      yaxis_title="accounts", yaxis_type="log")
    blocks.append(figure("fig-opscore", fig, "Distribution of operation scores"))
    return {"id": "operations", "title": "Operation-like accounts", "intro": intro, "blocks": blocks}

