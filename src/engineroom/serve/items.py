"""The review app's item pages: a post (its text with the evidence highlighted, its hate and
narrative rows, its flags and decisions), an account (profile, signals, engine-room rows,
community, clusters, strongest coordination ties, neighbours, timeline) and a coordinated
cluster (members, ties, posts). Flagged posts and accounts are read from the queue's copy in the
review store (:mod:`engineroom.serve.snapshot`); everything else from the corpus, read-only.
"""

from __future__ import annotations

from typing import Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from .. import findings
from ..report.data import describe_evidence, post_ids_in
from . import snapshot
from .pages import _fmt_num, _rows, table_exists
from .queue import QUEUE_TABLE
from .reader import CorpusReader, NotReady
from .reader import corpus_view as _corpus_view
from .store import ReviewStore


def add_item_routes(app: FastAPI, db, store: ReviewStore, reader: CorpusReader, render: Callable[..., HTMLResponse]) -> None:
    """Add ``/post/{platform}/{id}``, ``/account/{platform}/{id}`` and ``/cluster/{id}`` to ``app``."""
    templates = app.state.templates
    def _found(cur, table: str) -> bool:
        """Whether the analysis that writes findings table ``table`` has run (then the table has
        its declared columns: :mod:`engineroom.findings`)."""
        return findings.exists(_corpus_view(db, cur), table)

    def _history(cur, item_type: str, platform: str | None, item_id: str) -> list[dict]:
        return store.log(item=(item_type, platform, item_id), limit=200)

    def _flags(cur, item_type: str, platform: str | None, item_id: str) -> list[dict]:
        return _rows(cur, f"SELECT * FROM {QUEUE_TABLE} WHERE item_type = ? AND coalesce(platform, '') = coalesce(?, '') "
                          "AND item_id = ? ORDER BY score DESC, qrank", [item_type, platform, item_id])

    def _post_by_rows(cur, platform: str, post_id: str):
        """(post, hate, narratives, flags) rows of a post through ``review_post_rows`` (row ids,
        found by a hash), or None when that table is missing or does not match the tables."""
        if not table_exists(cur, "review_post_rows"):
            return None
        look = cur.execute("SELECT post_row, hate_rows, narrative_rows, queue_rows FROM review_post_rows "
                           "WHERE h = hash(?::VARCHAR, ?::VARCHAR) AND platform = ? AND post_id = ?",
                           [platform, post_id, platform, post_id]).fetchall()
        if not look:
            return [], [], [], []
        post_row, hate_rows, narr_rows, queue_rows = look[0]

        def by_rows(table: str, rows: list | None, order: str = "") -> list[dict]:
            if not rows:
                return []
            return _rows(cur, f"SELECT * FROM {table} WHERE rowid IN ({', '.join(str(int(r)) for r in rows)}) {order}")

        post = _rows(cur, "SELECT * EXCLUDE (extra) FROM posts WHERE rowid = ?", [int(post_row)])
        hate, narr = by_rows("hate", hate_rows), by_rows("narratives", narr_rows)
        flags = by_rows(QUEUE_TABLE, queue_rows, "ORDER BY score DESC, qrank")
        rows = post + hate + narr
        if any(r.get("platform") != platform or r.get("post_id") != post_id for r in rows) or any(
                f.get("item_id") != post_id for f in flags):
            return None  # the tables changed since the lookup was built
        return post, hate, narr, flags

    def _posts_by_ids(cur, ids: list[str], limit: int = 30) -> list[dict]:
        ids = list(dict.fromkeys(str(i) for i in ids))[:limit]
        if not ids:
            return []
        return _rows(cur, "SELECT platform, post_id, account_id, handle, created_at, text, url, kind FROM posts "
                          "WHERE post_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY created_at", [ids])

    def _author(platform: str, account_id: str) -> dict | None:
        with reader.cursor(decisions=False) as cur:
            found = _rows(cur, "SELECT * EXCLUDE (extra) FROM accounts WHERE platform = ? AND account_id = ?",
                          [platform, account_id])
        return found[0] if found else None

    @app.get("/post/{platform}/{post_id:path}", response_class=HTMLResponse)
    async def post_page(request: Request, platform: str, post_id: str):
        """A flagged post's page from the copy in the review store, on the event loop (SQLite
        reads in WAL mode never wait); any other post's from the corpus, in a thread."""
        copied = snapshot.post_page(store, platform, post_id) if snapshot.has_snapshot(store) else None
        if copied is None:
            return await run_in_threadpool(post_page_from_corpus, request, platform, post_id)
        post, hate, narr = copied
        flags = snapshot.flags_of(store, "post", platform, post_id)
        author_page = snapshot.account_page(store, platform, post.get("account_id") or "")
        author = author_page["account"] if author_page else None
        if author is None and post.get("account_id"):
            author = await run_in_threadpool(_author, platform, post["account_id"])
        evidence = [h.get("evidence") for h in hate] + [n.get("evidence") for n in narr] + [f.get("evidence") for f in flags]
        return render(request, "post.html", post=post, author=author, hate=hate, narratives=narr, flags=flags,
                      history=_history(None, "post", platform, post_id), evidence=evidence)

    def post_page_from_corpus(request: Request, platform: str, post_id: str) -> HTMLResponse:
        with reader.cursor(decisions=False) as cur:
            found = _post_by_rows(cur, platform, post_id)
            if found is None:  # no lookup table (or it is out of date): compare every id
                post = _rows(cur, "SELECT * EXCLUDE (extra) FROM posts WHERE platform = ? AND post_id = ?", [platform, post_id])
                hate = _rows(cur, "SELECT * FROM hate WHERE platform = ? AND post_id = ?", [platform, post_id]) \
                    if _found(cur, "hate") else []
                narr = _rows(cur, "SELECT * FROM narratives WHERE platform = ? AND post_id = ?", [platform, post_id]) \
                    if _found(cur, "narratives") else []
                flags = _flags(cur, "post", platform, post_id)
            else:
                post, hate, narr, flags = found
            if not post:
                return render(request, "error.html", status=404, message="No such post.")
            post = post[0]
            author = _rows(cur, "SELECT * EXCLUDE (extra) FROM accounts WHERE platform = ? AND account_id = ?",
                           [platform, post["account_id"]]) if post.get("account_id") else []
            history = _history(cur, "post", platform, post_id)
        evidence = [h.get("evidence") for h in hate] + [n.get("evidence") for n in narr] + [f.get("evidence") for f in flags]
        return render(request, "post.html", post=post, author=author[0] if author else None, hate=hate,
                      narratives=narr, flags=flags, history=history, evidence=evidence)

    def _timeline_of(platform: str, account_id: str) -> list[dict]:
        with reader.cursor(decisions=False) as cur:
            return _timeline(cur, platform, account_id)

    #: the middle of account pages (signals ... timeline: templates/serve/_account_body.html) of
    #: accounts the queue names, rendered once per account and version of the copy: it shows
    #: only the corpus and the copy, never the decisions (the flags and the audit log around it do)
    bodies: dict = {}

    @app.get("/account/{platform}/{account_id:path}", response_class=HTMLResponse)
    async def account_page(request: Request, platform: str, account_id: str):
        """An account the queue names: from the copy in the review store, on the event loop, with
        its timeline from the corpus (here when the corpus is open, else in a thread); the page's
        middle is kept per account until the copy changes. Any other account from the corpus."""
        sig = snapshot.snapshot_signature(store)
        copied = snapshot.account_page(store, platform, account_id) if sig is not None else None
        if copied is None:
            return await run_in_threadpool(account_page_from_corpus, request, platform, account_id)
        if bodies.get("__sig__") != sig or len(bodies) > 500:
            bodies.clear()
            bodies["__sig__"] = sig
        body = bodies.get((platform, account_id))
        if body is None:
            try:  # the corpus open already: one quick DuckDB lookup, here; else opened in a thread
                with reader.cursor(decisions=False, if_open=True) as cur:
                    timeline = _timeline(cur, platform, account_id)
            except NotReady:
                timeline = await run_in_threadpool(_timeline_of, platform, account_id)
            body = bodies[(platform, account_id)] = account_body(
                platform, signals=copied["signals"] or [], er=copied["engine_room"] or [], timeline=timeline,
                out_n=copied["neighbours_out"] or [], in_n=copied["neighbours_in"] or [],
                coord=copied["coordination"] or [], clusters=[{"cluster_id": c} for c in copied["clusters"] or []],
                post_flags=snapshot.post_flags_of_account(store, platform, account_id))
        return render_account(request, platform, account_id, acc=copied["account"],
                              flags=snapshot.flags_of(store, "account", platform, account_id),
                              community=copied["community"], body=body)

    def account_page_from_corpus(request: Request, platform: str, account_id: str) -> HTMLResponse:
        with reader.cursor(decisions=False) as cur:
            acc = _rows(cur, "SELECT * EXCLUDE (extra) FROM accounts WHERE platform = ? AND account_id = ?",
                        [platform, account_id])
            flags = _flags(cur, "account", platform, account_id)
            if not acc and not flags:
                return render(request, "error.html", status=404, message="No such account.")
            signals = _rows(cur, "SELECT * FROM account_scores WHERE platform = ? AND account_id = ?",
                            [platform, account_id]) if _found(cur, "account_scores") else []
            er = _rows(cur, "SELECT * FROM engine_room WHERE platform = ? AND account_id = ? ORDER BY score DESC",
                       [platform, account_id]) if _found(cur, "engine_room") else []
            timeline = _timeline(cur, platform, account_id)
            out_n = _rows(cur, """SELECT o.kind, o.target AS other, coalesce(a.handle, o.target_handle) AS handle, o.n
                                  FROM (SELECT * FROM review_neighbours_out WHERE h = hash(?::VARCHAR, ?::VARCHAR)
                                        AND platform = ? AND source_account_id = ? ORDER BY n DESC, target, kind LIMIT 25) o
                                  LEFT JOIN accounts a ON a.platform = o.platform AND a.account_id = o.target
                                  ORDER BY o.n DESC, o.target, o.kind""", [platform, account_id, platform, account_id])
            in_n = _rows(cur, """SELECT i.kind, i.source_account_id AS other, a.handle, i.n
                                 FROM (SELECT * FROM review_neighbours_in WHERE h = hash(?::VARCHAR, ?::VARCHAR)
                                       AND platform = ? AND target = ? ORDER BY n DESC, source_account_id, kind LIMIT 25) i
                                 LEFT JOIN accounts a ON a.platform = i.platform AND a.account_id = i.source_account_id
                                 ORDER BY i.n DESC, i.source_account_id, i.kind""", [platform, account_id, platform, account_id])
            coord = _rows(cur, """SELECT c.network, CASE WHEN c.account_1 = ? THEN c.account_2 ELSE c.account_1 END AS other,
                                         c.weight, a.handle
                                  FROM coordination c LEFT JOIN accounts a ON a.platform = c.platform
                                       AND a.account_id = CASE WHEN c.account_1 = ? THEN c.account_2 ELSE c.account_1 END
                                  WHERE c.platform = ? AND (c.account_1 = ? OR c.account_2 = ?)
                                  ORDER BY c.weight DESC, other, c.network LIMIT 25""",
                          [account_id, account_id, platform, account_id, account_id]) \
                if _found(cur, "coordination") else []
            clusters = _rows(cur, "SELECT DISTINCT CAST(cluster_id AS VARCHAR) AS cluster_id FROM coordination_clusters "
                                  "WHERE account_id = ? ORDER BY 1", [account_id]) \
                if _found(cur, "coordination_clusters") else []
            community = _rows(cur, "SELECT community, pagerank FROM graph_nodes WHERE platform = ? AND account_id = ?",
                              [platform, account_id]) if _found(cur, "graph_nodes") else []
            qrows = [int(r[0]) for r in cur.execute(
                "SELECT unnest(queue_rows) FROM review_account_posts WHERE h = hash(?::VARCHAR, ?::VARCHAR) "
                "AND platform = ? AND account_id = ?", [platform, account_id, platform, account_id]).fetchall()]
            post_flags = _rows(cur, f"SELECT * FROM {QUEUE_TABLE} WHERE rowid IN ({', '.join(map(str, qrows))}) "
                                    "ORDER BY score DESC, qrank LIMIT 30") if qrows else []
        body = account_body(platform, signals=signals, er=er, timeline=timeline, out_n=out_n, in_n=in_n, coord=coord,
                            clusters=clusters, post_flags=post_flags)
        return render_account(request, platform, account_id, acc=acc[0] if acc else None, flags=flags,
                              community=community[0] if community else None, body=body)

    def _timeline(cur, platform: str, account_id: str) -> list[dict]:
        """The account's latest 100 posts (with ``n_total``, how many it has), through the table
        sorted by a hash of the account."""
        return _rows(cur, "SELECT post_id, created_at, kind, text, url, handle, label, score, "
                          "count(*) OVER () AS n_total FROM review_account_posts "
                          "WHERE h = hash(?::VARCHAR, ?::VARCHAR) AND platform = ? AND account_id = ? "
                          "ORDER BY created_at DESC LIMIT 100", [platform, account_id, platform, account_id])

    def account_body(platform: str, signals, er, timeline, out_n, in_n, coord, clusters, post_flags) -> Markup:
        """The middle of an account page (``templates/serve/_account_body.html``): signals,
        engine-room rows, clusters, coordination, neighbours, flagged posts, timeline."""
        signal_items, other_signals = [], []
        first = ("operation_score", "operation_label", "top_signals", "profile_score", "behaviour_score", "rule_score")
        for s in signals:
            for k in [k for k in first if k in s] + [k for k in s if k not in first]:
                if k in ("platform", "account_id", "handle"):
                    continue
                v = s[k]
                item = (k, describe_evidence(v, 1000) if isinstance(v, str) and v[:1] in "[{" else _fmt_num(v))
                (signal_items if k in first else other_signals).append(item)
        n_posts = timeline[0]["n_total"] if timeline else 0
        return Markup(templates.get_template("serve/_account_body.html").render(
            platform=platform, signals=signal_items, other_signals=other_signals, engine_room=er, timeline=timeline,
            n_posts=n_posts, out_n=out_n, in_n=in_n, coord=coord, clusters=clusters, post_flags=post_flags))

    def render_account(request: Request, platform: str, account_id: str, acc, flags, community, body: Markup) -> HTMLResponse:
        if not acc and not flags:
            return render(request, "error.html", status=404, message="No such account.")
        history = _history(None, "account", platform, account_id)
        return render(request, "account.html", platform=platform, account_id=account_id, acc=acc, flags=flags,
                      community=community, body_html=body, history=history)

    @app.get("/cluster/{cluster_id:path}", response_class=HTMLResponse)
    def cluster_page(request: Request, cluster_id: str):
        with reader.cursor(decisions=False) as cur:
            if not _found(cur, "coordination_clusters"):
                return render(request, "error.html", status=404, message="No coordination clusters in this corpus.")
            members = _rows(cur, """SELECT m.*, a.handle AS account_handle, a.display_name, a.followers
                                    FROM (SELECT * FROM coordination_clusters WHERE CAST(cluster_id AS VARCHAR) = ?) m
                                    LEFT JOIN accounts a ON a.platform = m.platform AND a.account_id = m.account_id
                                    ORDER BY m.account_id""", [cluster_id])
            if not members:
                return render(request, "error.html", status=404, message="No such cluster.")
            platform = members[0].get("platform")
            ids = [str(m["account_id"]) for m in members]
            edges = _rows(cur, """SELECT c.network, c.account_1, c.account_2, c.weight, c.post_ids,
                                         a1.handle AS h1, a2.handle AS h2
                                  FROM coordination c
                                  LEFT JOIN accounts a1 ON a1.platform = c.platform AND a1.account_id = c.account_1
                                  LEFT JOIN accounts a2 ON a2.platform = c.platform AND a2.account_id = c.account_2
                                  WHERE c.account_1 IN (SELECT unnest(?::VARCHAR[]))
                                    AND c.account_2 IN (SELECT unnest(?::VARCHAR[]))
                                  ORDER BY c.weight DESC LIMIT 60""", [ids, ids]) \
                if _found(cur, "coordination") else []
            pids: list[str] = []
            for e in edges:
                pids += post_ids_in(e.get("post_ids"), 10)
            posts = _posts_by_ids(cur, pids, 30)
            flags = _flags(cur, "cluster", platform, cluster_id)
            history = _history(cur, "cluster", platform, cluster_id)
        nets: dict[str, float] = {}
        for e in edges:
            nets[e["network"]] = nets.get(e["network"], 0) + float(e["weight"] or 0)
        return render(request, "cluster.html", cluster_id=cluster_id, platform=platform, members=members, edges=edges,
                      posts=posts, networks=sorted(nets.items(), key=lambda kv: -kv[1]), flags=flags, history=history,
                      evidence=describe_evidence(members[0].get("evidence"), 600))
