"""The review queue: every flag the analyses raised, in one precomputed table.

``review_queue`` holds one row per (item, analysis) flag, built from the findings tables that
exist (each source is optional). An item flagged for several narratives is one row (its best
narrative in ``narrative``, all of them in ``reason``):

========== ============= ===========================================================================
item_type  analysis      source and score
========== ============= ===========================================================================
post       hate          ``hate`` rows labelled ``antisemitic`` (score) or ``other_hate`` (hate_score)
post       narratives    ``narratives`` rows of kind ``narrative`` (score)
account    engine_room   ``engine_room`` core accounts (score)
account    accounts      ``account_scores`` with ``operation_label`` (operation_score)
cluster    coordination  ``coordination_clusters``, one row per cluster (score: ``1 - 1/size``)
========== ============= ===========================================================================

Columns: item_type, platform, item_id, analysis, score, reason, category, narrative, community
(from ``graph_nodes``), account_id, handle, created_at, snippet (first 280 characters of the
text, or the profile name and bio), evidence (JSON text).

The queue pages read only this table (plus the decisions in force, from the review store), so they stay fast on a
corpus of millions of posts. It is rebuilt when the findings change: a signature of the ``runs``
table and the source tables' row counts is kept in ``review_queue_meta``.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from ..report.data import Findings
from .pages import table_names

if TYPE_CHECKING:  # pragma: no cover  (annotations only: the store is below this module)
    from ..corpus import Corpus

QUEUE_TABLE = "review_queue"
#: queue rows counted per filter combination, so that counts never scan the queue
GROUPS_TABLE = "review_queue_groups"
PAGE_SIZE = 50
DECISIONS = ("confirm", "reject", "escalate")


QUEUE_VERSION = 11

#: posts whose texts are equal once lower-cased and stripped of a retweet prefix, links, mentions,
#: '#' and punctuation are near-identical copies: one queue item (the highest-scored, ``lead``)
#: with ``copies`` members sharing ``dup_key`` (an MD5 of that text; texts under 20 characters
#: after stripping are not grouped)
DUP_KEY = """CASE WHEN length({norm}) >= 20 THEN md5({norm}) END""".format(norm=(
    "trim(regexp_replace(regexp_replace(regexp_replace(lower(coalesce(p.text, '')), '^rt @[^ :]+:? ?', ''), "
    "'https?://[^ ]+|@[^ ]+|#', ' ', 'g'), '[^\\p{L}\\p{N}]+', ' ', 'g'))"))


def _signature(f: Findings) -> str:
    parts: dict[str, Any] = {"version": QUEUE_VERSION}
    for t in ("hate", "narratives", "engine_room", "account_scores", "coordination_clusters", "graph_nodes", "posts",
              "interactions"):
        parts[t] = f.count(t) if f.exists(t) else None
    if f.exists("runs"):
        r = f.rows("SELECT count(*) AS n, CAST(max(finished_at) AS VARCHAR) AS last FROM runs")[0]
        parts["runs"] = [r["n"], r["last"]]
    return json.dumps(parts, sort_keys=True)


def _parts(f: Findings) -> list[str]:
    """SELECTs, one per flag source present, with the queue's columns."""
    parts = []

    if f.exists("hate"):
        score = "CASE WHEN h.label = 'antisemitic' THEN h.score ELSE h.hate_score END"
        parts.append(f"""
            SELECT 'post' AS item_type, h.platform, CAST(h.post_id AS VARCHAR) AS item_id, 'hate' AS analysis,
                   CAST({score} AS DOUBLE) AS score,
                   CASE WHEN h.label = 'antisemitic' THEN 'antisemitic' ELSE 'other hate' END AS reason,
                   CAST(h.category AS VARCHAR) AS category, NULL::VARCHAR AS narrative,
                   p.account_id, p.handle, p.created_at, left(p.text, 280) AS snippet,
                   CAST(h.evidence AS VARCHAR) AS evidence, {DUP_KEY} AS dup_key
            FROM hate h LEFT JOIN posts p ON p.platform = h.platform AND p.post_id = h.post_id
            WHERE h.label IN ('antisemitic', 'other_hate')""")
    if f.exists("narratives"):
        parts.append(f"""
            SELECT 'post' AS item_type, n.platform, CAST(n.post_id AS VARCHAR) AS item_id, 'narratives' AS analysis,
                   CAST(n.score AS DOUBLE) AS score,
                   'narrative: ' || string_agg(n.narrative, ', ') OVER (PARTITION BY n.platform, n.post_id) AS reason,
                   n.narrative AS category, n.narrative AS narrative,
                   p.account_id, p.handle, p.created_at, left(p.text, 280) AS snippet,
                   CAST(n.evidence AS VARCHAR) AS evidence, {DUP_KEY} AS dup_key
            FROM narratives n LEFT JOIN posts p ON p.platform = n.platform AND p.post_id = n.post_id
            WHERE n.kind = 'narrative'""")
    if f.exists("engine_room"):
        narr, rank = "e.narrative", "e.rank"
        parts.append(f"""
            SELECT 'account' AS item_type, e.platform, CAST(e.account_id AS VARCHAR) AS item_id,
                   'engine_room' AS analysis, CAST(e.score AS DOUBLE) AS score,
                   'engine room of ' || string_agg(coalesce(CAST({narr} AS VARCHAR), '?') || ' (rank ' ||
                       coalesce(CAST({rank} AS VARCHAR), '?') || ')', ', ') OVER (PARTITION BY e.platform, e.account_id)
                       AS reason,
                   CAST({narr} AS VARCHAR) AS category, CAST({narr} AS VARCHAR) AS narrative,
                   CAST(e.account_id AS VARCHAR) AS account_id, coalesce(a.handle, e.handle) AS handle,
                   NULL::TIMESTAMP AS created_at,
                   left(coalesce(a.display_name, '') || ' — ' || coalesce(a.bio, ''), 280) AS snippet,
                   CAST(e.evidence AS VARCHAR) AS evidence
            FROM engine_room e LEFT JOIN accounts a ON a.platform = e.platform AND a.account_id = e.account_id WHERE e.in_core""")
    if f.exists("account_scores"):
        parts.append("""
            SELECT 'account' AS item_type, s.platform, CAST(s.account_id AS VARCHAR) AS item_id, 'accounts' AS analysis,
                   CAST(s.operation_score AS DOUBLE) AS score,
                   'operation-like account' AS reason, NULL::VARCHAR AS category, NULL::VARCHAR AS narrative,
                   CAST(s.account_id AS VARCHAR) AS account_id,
                   coalesce(a.handle, s.handle) AS handle,
                   NULL::TIMESTAMP AS created_at,
                   left(coalesce(a.display_name, '') || ' — ' || coalesce(a.bio, ''), 280) AS snippet,
                   CAST(s.top_signals AS VARCHAR) AS evidence
            FROM account_scores s LEFT JOIN accounts a ON a.platform = s.platform AND a.account_id = s.account_id
            WHERE s.operation_label""")
    if f.exists("coordination_clusters"):
        nets = "any_value(CAST(networks AS VARCHAR))"
        meth = "any_value(CAST(method AS VARCHAR))"
        ev = "any_value(CAST(evidence AS VARCHAR))"
        parts.append(f"""
            SELECT 'cluster' AS item_type, any_value(platform) AS platform, CAST(cluster_id AS VARCHAR) AS item_id,
                   'coordination' AS analysis, 1.0 - 1.0 / greatest(count(DISTINCT account_id), 1) AS score,
                   'coordinated cluster of ' || count(DISTINCT account_id) || ' accounts' AS reason,
                   {meth} AS category, NULL::VARCHAR AS narrative, NULL::VARCHAR AS account_id,
                   NULL::VARCHAR AS handle, NULL::TIMESTAMP AS created_at,
                   left({nets}, 280) AS snippet, {ev} AS evidence
            FROM coordination_clusters GROUP BY CAST(cluster_id AS VARCHAR)""")
    return parts


def account_tables(f: Findings) -> list[tuple[str, str]]:
    """Per-account copies sorted by ``h``, a hash of platform and account (an integer: DuckDB's
    zone maps skip every other block, which they cannot do on ids sharing a long prefix), so
    that an account page reads one block of rows instead of scanning every post and interaction:
    ``review_account_posts`` (its posts with their hate label and their rows in the queue),
    ``review_neighbours_out`` /
    ``review_neighbours_in`` (interaction counts per other account and kind)."""
    hate = ("LEFT JOIN (SELECT platform, post_id, any_value(label) AS label, any_value(score) AS score FROM hate "
            "GROUP BY ALL) h ON h.platform = p.platform AND h.post_id = p.post_id"
            if f.exists("hate") else "")
    hcols = "h.label, h.score" if hate else "NULL::VARCHAR AS label, NULL::DOUBLE AS score"
    flags = (f"LEFT JOIN (SELECT platform, item_id, list(rowid ORDER BY rowid) AS queue_rows FROM {QUEUE_TABLE} "
             "WHERE item_type = 'post' GROUP BY ALL) f ON f.platform = p.platform AND f.item_id = p.post_id")
    posts = (f"SELECT hash(p.platform, p.account_id) AS h, p.platform, p.account_id, p.post_id, p.created_at, p.kind, "
             f"left(p.text, 1000) AS text, p.url, p.handle, {hcols}, f.queue_rows FROM posts p {hate} {flags} "
             f"ORDER BY h, p.platform, p.account_id, p.created_at DESC")
    agg = ("SELECT platform, source_account_id, coalesce(target_account_id, target_key) AS target, kind, "
           "any_value(target_handle) AS target_handle, count(*) AS n FROM interactions GROUP BY ALL")
    out = [("review_account_posts", posts),
           ("review_neighbours_out", f"SELECT hash(platform, source_account_id) AS h, * FROM ({agg}) "
                                     "ORDER BY h, platform, source_account_id, n DESC"),
           ("review_neighbours_in", f"SELECT hash(platform, target) AS h, * FROM ({agg}) WHERE target IS NOT NULL "
                                    "ORDER BY h, platform, target, n DESC")]
    rows = post_rows_sql(f)
    if rows is not None:
        out.append(("review_post_rows", rows))
    return out


def post_rows_sql(f: Findings) -> str | None:
    """``review_post_rows``: where a post page's rows are, by post: ``h`` (a hash of platform and
    post id; the table is sorted by it, so a lookup reads one block of integers instead of
    comparing a million ids), the post's ``rowid`` in ``posts`` and its rows in ``hate``,
    ``narratives`` and ``review_queue``. Rebuilt with the queue, so the row ids are current.

    Findings kept as views over Parquet (``analyze --engine spark --keep-post-findings``) have no
    row ids: then there is no such table (None) and the post page looks rows up by key."""
    views = {r[0] for r in f.con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                                         "AND table_type = 'VIEW'").fetchall()}
    if views & {"posts", "hate", "narratives"}:
        return None
    joins, cols = [], []
    for name, table, key in (("hate_rows", "hate", "post_id"), ("narrative_rows", "narratives", "post_id"),
                             ("queue_rows", QUEUE_TABLE, "item_id")):
        if table == QUEUE_TABLE or f.exists(table):
            where = "WHERE item_type = 'post'" if table == QUEUE_TABLE else ""
            joins.append(f"LEFT JOIN (SELECT platform, {key} AS post_id, list(rowid ORDER BY rowid) AS rows FROM {table} "
                         f"{where} GROUP BY ALL) {name} ON {name}.platform = p.platform AND {name}.post_id = p.post_id")
            cols.append(f"{name}.rows AS {name}")
        else:
            cols.append(f"NULL::BIGINT[] AS {name}")
    return (f"SELECT hash(p.platform, p.post_id) AS h, p.platform, p.post_id, p.rowid AS post_row, {', '.join(cols)} "
            f"FROM posts p {' '.join(joins)} ORDER BY h")


def build_queue(corpus: Corpus) -> int:
    """(Re)build ``review_queue`` from the findings tables; returns its number of rows."""
    f = Findings(corpus)
    sql = queue_sql(f)
    sig = _signature(f)
    cur = corpus.con.cursor()
    try:
        # two transactions: the lookup tables keep row ids of the queue, which are final only
        # once the queue is committed; the signature, written last, says both are done
        cur.execute("BEGIN TRANSACTION")
        cur.execute("CREATE TABLE IF NOT EXISTS review_queue_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        cur.execute("DELETE FROM review_queue_meta WHERE key = 'signature'")
        cur.execute(f"CREATE OR REPLACE TABLE {QUEUE_TABLE} AS {sql}")
        cur.execute(f"""CREATE OR REPLACE TABLE {GROUPS_TABLE} AS
            SELECT item_type, analysis, community, narrative, account_id, count(*) AS n FROM {QUEUE_TABLE}
            WHERE lead GROUP BY ALL""")
        cur.execute("COMMIT")
        cur.execute("BEGIN TRANSACTION")
        cur.execute("DROP TABLE IF EXISTS review_post_rows")
        for name, ddl in account_tables(f):
            cur.execute(f"CREATE OR REPLACE TABLE {name} AS {ddl}")
        cur.execute("INSERT OR REPLACE INTO review_queue_meta VALUES ('signature', ?)", [sig])
        cur.execute("COMMIT")
        n = cur.execute(f"SELECT count(*) FROM {QUEUE_TABLE}").fetchall()[0][0]
    except Exception:
        cur.execute("ROLLBACK")
        raise
    finally:
        cur.close()
    return int(n)


def queue_sql(f: Findings) -> str:
    """The SELECT whose rows are the review queue (read-only: an export can use it when the
    queue table is missing or out of date)."""
    parts = _parts(f)
    if f.exists("graph_nodes"):
        comm_join = ("LEFT JOIN (SELECT platform, CAST(account_id AS VARCHAR) AS account_id, "
                     "any_value(CAST(community AS VARCHAR)) AS community FROM graph_nodes GROUP BY ALL) g "
                     "ON g.platform = u.platform AND g.account_id = u.account_id")
        comm = "g.community"
    else:
        comm_join, comm = "", "NULL::VARCHAR"
    if parts:
        body = " UNION ALL BY NAME ".join(f"({p})" for p in parts)
        sql = (f"SELECT row_number() OVER (ORDER BY u.score DESC NULLS LAST, u.item_type, u.item_id, u.analysis) AS qrank, "
               f"u.item_type, coalesce(u.platform, '') AS platform, u.item_id, u.analysis, u.score, u.reason, u.category, "
               f"u.narrative, {comm} AS community, u.account_id, u.handle, u.created_at, u.snippet, u.evidence, "
               f"CAST(u.dup_key AS VARCHAR) AS dup_key, count(*) OVER (PARTITION BY u.analysis, u.gk) AS copies, "
               f"row_number() OVER (PARTITION BY u.analysis, u.gk ORDER BY u.score DESC NULLS LAST, u.item_type, "
               f"u.item_id) = 1 AS lead "
               f"FROM (SELECT *, coalesce(CAST(dup_key AS VARCHAR), item_type || '|' || coalesce(platform, '') || '|' || item_id) AS gk "
               f"FROM ({body}) QUALIFY row_number() OVER (PARTITION BY item_type, platform, item_id, "
               f"analysis ORDER BY score DESC NULLS LAST, narrative) = 1) u {comm_join} ORDER BY qrank")
    else:
        sql = ("SELECT NULL::BIGINT AS qrank, NULL::VARCHAR AS item_type, NULL::VARCHAR AS platform, NULL::VARCHAR AS item_id, "
               "NULL::VARCHAR AS analysis, NULL::DOUBLE AS score, NULL::VARCHAR AS reason, NULL::VARCHAR AS category, "
               "NULL::VARCHAR AS narrative, NULL::VARCHAR AS community, NULL::VARCHAR AS account_id, "
               "NULL::VARCHAR AS handle, NULL::TIMESTAMP AS created_at, NULL::VARCHAR AS snippet, "
               "NULL::VARCHAR AS evidence, NULL::VARCHAR AS dup_key, NULL::BIGINT AS copies, NULL::BOOLEAN AS lead WHERE FALSE")
    return sql


def _is_current(f: Findings) -> bool:
    own = table_names(f.con)
    if {QUEUE_TABLE, "review_queue_meta", GROUPS_TABLE} <= own:
        return f.scalar("SELECT value FROM review_queue_meta WHERE key = 'signature'") == _signature(f)
    return False


def queue_is_current(con) -> bool:
    """Whether the queue tables exist and match the findings (``con``: any connection, read-only too)."""
    return _is_current(Findings(con))


def ensure_queue(corpus: Corpus) -> bool:
    """Build ``review_queue`` when it is missing or the findings changed (True when (re)built);
    ``corpus`` must be open for writing."""
    if _is_current(Findings(corpus)):
        return False
    build_queue(corpus)
    return True


COUNT_TTL = 10.0


def query_queue(con, analysis: str | None = None, community: str | None = None, narrative: str | None = None,
                item_type: str | None = None, status: str = "pending", page: int = 1,
                page_size: int = PAGE_SIZE, account_id: str | None = None,
                count_cache: dict | None = None, group: str | None = None) -> tuple[list[dict], int]:
    """One page of the queue (highest score first) and the number of matching items.

    ``status``: ``pending`` (no decision yet), ``confirm``, ``reject``, ``escalate`` or ``all``.
    Near-identical posts count once: only each group's ``lead`` is listed (``copies`` says how
    many posts it stands for); ``group`` (a ``dup_key``) lists one group's members instead.
    ``con`` is a DuckDB connection or cursor (the app passes one cursor per request) on which
    the decisions in force are registered as ``review_decisions`` (:mod:`engineroom.serve.reader`).

    Two steps keep pages fast on large queues: the page's ranks are found from the narrow
    filter columns (sorting integers only), then just those rows are read in full. With
    ``count_cache`` (a dict the app keeps per corpus and clears on every decision) counts are
    reused for up to ``COUNT_TTL`` seconds per filter; counts come from ``review_queue_groups``
    and ``review_decisions`` joined to the queue.
    """
    where, params = [], []
    for colname, val in (("analysis", analysis), ("community", community), ("narrative", narrative),
                         ("item_type", item_type), ("account_id", account_id)):
        if val:
            where.append(f"q.{colname} = ?")
            params.append(val)
    if group:
        where.append("q.dup_key = ?")
        params.append(group)
    else:
        where.append("q.lead")
    join = ""
    if status in ("pending",) + DECISIONS:
        join = ("LEFT JOIN review_decisions r ON r.item_type = q.item_type AND r.platform = q.platform "
                "AND r.item_id = q.item_id AND r.analysis = coalesce(q.analysis, '')")
        if status == "pending":
            where.append("r.decision IS NULL")
        else:
            where.append("r.decision = ?")
            params.append(status)
    cond = ("WHERE " + " AND ".join(where)) if where else ""
    filt, fparams = [], []
    for colname, val in (("analysis", analysis), ("community", community), ("narrative", narrative),
                         ("item_type", item_type), ("account_id", account_id)):
        if val:
            filt.append(f"{colname} = ?")
            fparams.append(val)
    fcond = " AND ".join(filt) or "TRUE"
    key = (analysis, community, narrative, item_type, status, account_id)
    now = time.monotonic()
    hit = count_cache.get(key) if count_cache is not None else None
    if group:  # one group: a handful of rows, counted directly
        total = int(con.execute(f"SELECT count(*) FROM {QUEUE_TABLE} q {join} {cond}", params).fetchall()[0][0])
    elif hit is not None and now - hit[0] < COUNT_TTL:
        total = hit[1]
    else:
        # counts from the grouped table and the decisions in force joined to their queue rows
        n_all = con.execute(f"SELECT coalesce(sum(n), 0) FROM {GROUPS_TABLE} WHERE {fcond}", fparams).fetchall()[0][0]
        decided = (f"SELECT count(*) FROM review_decisions r JOIN {QUEUE_TABLE} q ON q.item_type = r.item_type "
                   "AND q.platform = r.platform AND q.item_id = r.item_id AND coalesce(q.analysis, '') = r.analysis "
                   f"WHERE q.lead AND {' AND '.join('q.' + c for c in filt) or 'TRUE'}")
        if status == "all":
            total = int(n_all)
        elif status == "pending":
            total = int(n_all) - int(con.execute(decided, fparams).fetchall()[0][0])
        else:
            total = int(con.execute(decided + " AND r.decision = ?", fparams + [status]).fetchall()[0][0])
        if count_cache is not None:
            if len(count_cache) > 10_000:
                count_cache.clear()
            count_cache[key] = (now, total)
    page = max(int(page), 1)
    offset = (page - 1) * int(page_size)
    # the table is stored in rank order: look in the first `window` ranks first (zone maps skip the
    # rest) and widen only when the filters leave too few rows there
    window = (offset + int(page_size)) * 8 + 2000
    ranks: list[int] = []
    while offset < total:
        wcond = f"{cond} {'AND' if cond else 'WHERE'} q.qrank <= {int(window)}"
        ranks = [r[0] for r in con.execute(
            f"SELECT q.qrank FROM {QUEUE_TABLE} q {join} {wcond} ORDER BY q.qrank "
            f"LIMIT {int(page_size)} OFFSET {offset}", params).fetchall()]
        if len(ranks) >= min(int(page_size), total - offset) or window >= 2**62:
            break
        window = window * 16 if window < 10**7 else 2**62
    rows: list[dict] = []
    if ranks:
        res = con.execute(
            f"""SELECT q.* EXCLUDE (qrank), r.decision, r.reviewer, r.decided_at, r.note, r.review_id
                FROM (SELECT * FROM {QUEUE_TABLE} WHERE qrank BETWEEN {int(min(ranks))} AND {int(max(ranks))}
                      AND qrank IN ({", ".join(str(int(r)) for r in ranks)})) q
                LEFT JOIN review_decisions r ON r.item_type = q.item_type AND r.platform = q.platform
                     AND r.item_id = q.item_id AND r.analysis = coalesce(q.analysis, '')
                ORDER BY q.qrank""")
        names = [d[0] for d in res.description]
        rows = [dict(zip(names, r)) for r in res.fetchall()]
    return rows, total


def queue_facets(con) -> dict[str, list[str]]:
    """Values offered by the queue's filters (analyses, narratives, the largest communities)."""
    out = {}
    out["analysis"] = [r[0] for r in con.execute(
        f"SELECT DISTINCT analysis FROM {QUEUE_TABLE} WHERE analysis IS NOT NULL ORDER BY 1").fetchall()]
    out["narrative"] = [r[0] for r in con.execute(
        f"SELECT DISTINCT narrative FROM {QUEUE_TABLE} WHERE narrative IS NOT NULL ORDER BY 1 LIMIT 200").fetchall()]
    out["community"] = [r[0] for r in con.execute(
        f"SELECT community FROM {QUEUE_TABLE} WHERE community IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 "
        "LIMIT 100").fetchall()]
    out["item_type"] = [r[0] for r in con.execute(
        f"SELECT DISTINCT item_type FROM {QUEUE_TABLE} WHERE item_type IS NOT NULL ORDER BY 1").fetchall()]
    return out
