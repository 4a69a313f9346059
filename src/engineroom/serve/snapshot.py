"""The review queue copied into the review store, so that a queue page, a decision and an
export cost a few SQLite index lookups instead of DuckDB scans.

DuckDB answers a point lookup in 1-6 ms of CPU on a 1M-post corpus (it scans a column block
per query); SQLite answers one from a B-tree index in tens of microseconds. So once per
version of the findings (the signature :mod:`engineroom.serve.queue` keeps in
``review_queue_meta``), the app copies the corpus's ``review_queue`` into the review store
(:mod:`engineroom.serve.store`, SQLite beside the corpus) as ``queue_snapshot``, with, for
posts, what an export needs (full text, URL, time, author) and indexes for every queue filter.
The team's decisions (``review_state``) live in the same file, so the queue of "items still to
review" is one indexed join, and a decision is visible to every worker process at once.

Cost: a copy takes a few seconds per 100,000 flags (once, when the app starts or the findings
changed; the store is writable meanwhile, in chunks) and about 1 KB of disk per flag. The
corpus is never written: the copy is read from it read-only.

>>> from engineroom.serve.snapshot import ensure_snapshot, queue_page   # doctest: +SKIP
>>> ensure_snapshot(duckdb_con, store)                                 # doctest: +SKIP
>>> rows, total = queue_page(store, analysis="hate", status="pending")  # doctest: +SKIP
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import uuid
from datetime import datetime
from typing import Any

from .pages import table_names
from .store import DECISIONS, ReviewStore

TABLE = "queue_snapshot"
#: columns copied from the corpus's ``review_queue`` (same names and meaning)
QUEUE_COLUMNS = ("qrank", "item_type", "platform", "item_id", "analysis", "score", "reason", "category", "narrative",
                 "community", "account_id", "handle", "created_at", "snippet", "evidence", "dup_key", "copies", "lead")
#: columns added for exports (as :func:`engineroom.export._confirmed` reads them from the corpus)
EXPORT_COLUMNS = ("post_id", "post_time", "text", "url", "x_account_id", "x_handle")
PAGE_SIZE = 50
#: the columns the post and account pages show (templates/serve/post.html, account.html)
PAGE_COLUMNS = {
    "posts": ("platform", "post_id", "account_id", "handle", "created_at", "text", "kind", "url", "like_count",
              "retweet_count", "reply_count"),
    "hate": ("label", "score", "hate_score", "category", "counter_speech", "evidence"),
    "narratives": ("narrative", "kind", "score", "evidence"),
    "accounts": ("platform", "account_id", "handle", "display_name", "bio", "location", "url", "created_at", "followers",
                 "following", "posts_count"),
}
CHUNK = 20_000

_DDL = f"""CREATE TABLE {{name}} (
    qrank INTEGER PRIMARY KEY, item_type TEXT NOT NULL, platform TEXT NOT NULL, item_id TEXT NOT NULL,
    analysis TEXT NOT NULL, score REAL, reason TEXT, category TEXT, narrative TEXT, community TEXT, account_id TEXT,
    handle TEXT, created_at TEXT, snippet TEXT, evidence TEXT, dup_key TEXT, copies INTEGER, lead INTEGER,
    post_id TEXT, post_time TEXT, text TEXT, url TEXT, x_account_id TEXT, x_handle TEXT)"""

#: one index per filter of the queue page (partial: only groups' leads are listed), and the keys
_INDEXES = (
    "CREATE UNIQUE INDEX {name}_key ON {name}(item_type, platform, item_id, analysis)",
    "CREATE INDEX {name}_analysis ON {name}(analysis, qrank) WHERE lead",
    "CREATE INDEX {name}_community ON {name}(community, qrank) WHERE lead",
    "CREATE INDEX {name}_narrative ON {name}(narrative, qrank) WHERE lead",
    "CREATE INDEX {name}_type ON {name}(item_type, qrank) WHERE lead",
    "CREATE INDEX {name}_lead ON {name}(qrank) WHERE lead",
    "CREATE INDEX {name}_analysis_community ON {name}(analysis, community, qrank) WHERE lead",
    "CREATE INDEX {name}_analysis_narrative ON {name}(analysis, narrative, qrank) WHERE lead",
    "CREATE INDEX {name}_community_narrative ON {name}(community, narrative, qrank) WHERE lead",
    "CREATE INDEX {name}_account ON {name}(account_id, item_type, score)",
    "CREATE INDEX {name}_group ON {name}(dup_key, analysis, qrank)",
)


def corpus_signature(con) -> str | None:
    """The findings signature the corpus's review queue was built for (None: no current queue)."""
    from .queue import queue_is_current

    if not queue_is_current(con):
        return None
    r = con.execute("SELECT value FROM review_queue_meta WHERE key = 'signature'").fetchall()
    return r[0][0] if r else None


def snapshot_signature(store: ReviewStore) -> str | None:
    """The findings signature of the copy in ``store`` (None: never copied)."""
    return store.meta("queue_signature")


def versions(store: ReviewStore) -> tuple[str | None, int]:
    """(:func:`snapshot_signature`, the store's ``state_version``) in one read: what a queue
    page's caches are kept by."""
    sig, state = store.con().execute(
        "SELECT (SELECT value FROM meta WHERE key = 'queue_signature'), "
        "(SELECT value FROM meta WHERE key = 'state_version')").fetchone()
    return sig, int(state or 0)


def _select(con) -> str:
    names = table_names(con)
    post = "posts" in names
    acc = "accounts" in names
    acc_key = "coalesce(p.account_id, q.account_id, CASE WHEN q.item_type = 'account' THEN q.item_id END)" if post else \
        "coalesce(q.account_id, CASE WHEN q.item_type = 'account' THEN q.item_id END)"
    cols = ", ".join(f"CAST(q.{c} AS VARCHAR)" if c == "created_at" else f"q.{c}" for c in QUEUE_COLUMNS)
    return (f"SELECT {cols}, "
            + ("p.post_id, CAST(p.created_at AS VARCHAR), p.text, p.url, " if post else "NULL, NULL, NULL, NULL, ")
            + f"{acc_key}, coalesce({'p.handle, ' if post else ''}{'a.handle, ' if acc else ''}q.handle) "
            f"FROM review_queue q "
            + ("LEFT JOIN posts p ON q.item_type = 'post' AND p.platform = nullif(q.platform, '') AND p.post_id = q.item_id "
               if post else "")
            + (f"LEFT JOIN accounts a ON a.platform = nullif(q.platform, '') AND a.account_id = {acc_key} " if acc else "")
            + "ORDER BY q.qrank")


def _page_tables(con) -> list[tuple[str, str, str]]:
    """(name, SQLite DDL, DuckDB SELECT) of the copies of item pages: ``post_pages`` (each flagged
    post's row, its ``hate`` and ``narratives`` rows, as JSON) and ``account_pages`` (each account
    the queue names: its row, signals, engine-room rows, community, clusters, its 25 strongest
    coordination edges and neighbours each way, as JSON)."""
    from ..report.data import Findings

    f = Findings(con)
    own = table_names(con)
    out = []
    ids = "SELECT DISTINCT platform, item_id AS post_id FROM review_queue WHERE item_type = 'post'"
    def shown(table: str, alias: str = "t") -> str:
        """A struct of the columns a page shows (declared in the schema or by the table's analysis)."""
        return "{" + ", ".join(f"'{c}': {alias}.\"{c}\"" for c in PAGE_COLUMNS[table]) + "}"

    if f.exists("posts"):
        def rows(table: str) -> tuple[str, str]:
            if not f.exists(table):
                return "", "NULL"
            return (f"LEFT JOIN (SELECT platform, post_id, to_json(list({shown(table)})) AS j FROM {table} t "
                    f"WHERE (platform, post_id) IN (SELECT nullif(platform, ''), post_id FROM ids) GROUP BY ALL) {table}_ "
                    f"ON {table}_.platform = p.platform AND {table}_.post_id = p.post_id", f"{table}_.j")

        hj, hc = rows("hate")
        nj, nc = rows("narratives")
        out.append(("post_pages",
                    "CREATE TABLE {name} (platform TEXT, post_id TEXT, post TEXT, hate TEXT, narratives TEXT, "
                    "PRIMARY KEY (platform, post_id)) WITHOUT ROWID",
                    f"""WITH ids AS ({ids})
                        SELECT i.platform, i.post_id, to_json({shown('posts', 'p')}), {hc}, {nc}
                        FROM ids i JOIN posts p ON p.platform = nullif(i.platform, '') AND p.post_id = i.post_id
                        {hj} {nj}"""))
    if f.exists("accounts"):
        joins, cols = [], []

        def add(name: str, sql: str, col: str = "j") -> None:
            joins.append(f"LEFT JOIN ({sql}) {name} ON {name}.platform = a.platform AND {name}.account_id = a.account_id")
            cols.append(f"{name}.{col}")

        def mine(table: str, key: str = "account_id") -> str:
            return f"({key}) IN (SELECT account_id FROM ids)"

        if f.exists("account_scores"):
            add("sig", f"SELECT platform, account_id, to_json(list(t)) AS j FROM account_scores t WHERE {mine('account_scores')} GROUP BY ALL")
        else:
            cols.append("NULL")
        if f.exists("engine_room"):
            add("er", f"SELECT platform, account_id, to_json(list(t ORDER BY t.score DESC)) AS j FROM engine_room t "
                      f"WHERE {mine('engine_room')} GROUP BY ALL")
        else:
            cols.append("NULL")
        if f.exists("graph_nodes"):
            add("g", "SELECT platform, account_id, to_json({'community': any_value(community), 'pagerank': any_value(pagerank)}) "
                     f"AS j FROM graph_nodes WHERE {mine('graph_nodes')} GROUP BY ALL")
        else:
            cols.append("NULL")
        if f.exists("coordination_clusters"):
            add("cl", "SELECT platform, account_id, to_json(list(DISTINCT CAST(cluster_id AS VARCHAR) ORDER BY "
                      f"CAST(cluster_id AS VARCHAR))) AS j FROM coordination_clusters WHERE {mine('coordination_clusters')} GROUP BY ALL")
        else:
            cols.append("NULL")
        if f.exists("coordination"):
            add("co", """SELECT platform, account_id, to_json(list({'network': network, 'other': other, 'weight': weight,
                                'handle': handle} ORDER BY weight DESC, other, network)) AS j
                         FROM (SELECT e.*, o.handle FROM (
                               SELECT platform, account_1 AS account_id, account_2 AS other, network, weight FROM coordination
                               UNION ALL SELECT platform, account_2, account_1, network, weight FROM coordination) e
                               LEFT JOIN accounts o ON o.platform = e.platform AND o.account_id = e.other
                               WHERE e.account_id IN (SELECT account_id FROM ids)
                               QUALIFY row_number() OVER (PARTITION BY e.platform, e.account_id ORDER BY e.weight DESC, e.other, e.network) <= 25)
                         GROUP BY ALL""")
        else:
            cols.append("NULL")
        for name, table, key, other, hcol in (("nout", "review_neighbours_out", "source_account_id", "target",
                                               "coalesce(o.handle, t.target_handle)"),
                                              ("nin", "review_neighbours_in", "target", "source_account_id", "o.handle")):
            if table in own:  # the app's own lookup tables (serve/queue.py)
                add(name, f"""SELECT platform, account_id, to_json(list({{'kind': kind, 'other': other, 'handle': handle,
                                     'n': n}} ORDER BY n DESC, other, kind)) AS j
                              FROM (SELECT t.platform, t.{key} AS account_id, t.{other} AS other, t.kind, t.n, {hcol} AS handle
                                    FROM {table} t LEFT JOIN accounts o ON o.platform = t.platform AND o.account_id = t.{other}
                                    WHERE t.{key} IN (SELECT account_id FROM ids)
                                    QUALIFY row_number() OVER (PARTITION BY t.platform, t.{key} ORDER BY t.n DESC, t.{other}, t.kind) <= 25)
                              GROUP BY ALL""")
            else:
                cols.append("NULL")
        out.append(("account_pages",
                    "CREATE TABLE {name} (platform TEXT, account_id TEXT, account TEXT, signals TEXT, engine_room TEXT, "
                    "community TEXT, clusters TEXT, coordination TEXT, neighbours_out TEXT, neighbours_in TEXT, "
                    "PRIMARY KEY (platform, account_id)) WITHOUT ROWID",
                    f"""WITH ids AS (SELECT DISTINCT account_id FROM review_queue WHERE account_id IS NOT NULL
                                     UNION SELECT DISTINCT item_id FROM review_queue WHERE item_type = 'account')
                        SELECT a.platform, a.account_id, to_json({shown('accounts', 'a')}),
                               {', '.join(cols)}
                        FROM (SELECT * FROM accounts WHERE account_id IN (SELECT account_id FROM ids)) a
                        {' '.join(joins)}"""))
    return out


def _copy(con, store: ReviewStore, sql: str, table: str, ncols: int) -> int:
    res = con.execute(sql)
    n = 0
    marks = ", ".join("?" * ncols)
    while True:
        chunk = res.fetchmany(CHUNK)
        if not chunk:
            return n
        with store.write() as c:
            c.executemany(f"INSERT INTO {table} VALUES ({marks})", chunk)
        n += len(chunk)


def copy_snapshot(con, store: ReviewStore, signature: str) -> int:
    """Copy the corpus's ``review_queue`` (DuckDB connection ``con``, read-only is enough) into
    ``store`` as :data:`TABLE`; returns the number of rows. Written in chunks under a new name
    and swapped in with the signature in one short transaction."""
    new = TABLE + "_new"
    db = store.con()
    with store.write() as c:
        c.execute(f"DROP TABLE IF EXISTS {new}")
        c.execute(_DDL.format(name=new))
    n = _copy(con, store, _select(con), new, len(QUEUE_COLUMNS) + len(EXPORT_COLUMNS))
    pages = _page_tables(con)
    for name, ddl, sql in pages:
        with store.write() as c:
            c.execute(f"DROP TABLE IF EXISTS {name}_new")
            c.execute(ddl.format(name=name + "_new"))
        _copy(con, store, sql, name + "_new", ddl.count(" TEXT"))
    tag = uuid.uuid4().hex[:8]  # index names stay with the table when it is renamed: new ones per copy
    with store.write() as c:
        for ddl in _INDEXES:
            c.execute(ddl.format(name=new).replace(f"INDEX {new}_", f"INDEX {TABLE}_{tag}_"))
    with store.write() as c:  # flags per filter combination, so that counting never scans the queue
        c.execute("DROP TABLE IF EXISTS queue_counts_new")
        c.execute(f"""CREATE TABLE queue_counts_new AS SELECT analysis, community, narrative, item_type, count(*) AS n
                      FROM {new} WHERE lead GROUP BY 1, 2, 3, 4""")
    fac = json.dumps(facets(store, new))
    with store.write() as c:
        for stmt in _DECIDED_COUNTS[:2]:  # the triggers name the copy: gone before it is swapped
            c.execute(stmt)
        c.execute(f"DROP TABLE IF EXISTS {TABLE}")
        c.execute(f"ALTER TABLE {new} RENAME TO {TABLE}")
        c.execute("DROP TABLE IF EXISTS queue_counts")
        c.execute("ALTER TABLE queue_counts_new RENAME TO queue_counts")
        c.execute("INSERT OR REPLACE INTO meta VALUES ('queue_facets', ?)", [fac])
        for stmt in _DECIDED_COUNTS[2:]:
            c.execute(stmt)
        for name in ("post_pages", "account_pages"):
            c.execute(f"DROP TABLE IF EXISTS {name}")
        for name, _ddl, _sql in pages:
            c.execute(f"ALTER TABLE {name}_new RENAME TO {name}")
        c.execute("INSERT OR REPLACE INTO meta VALUES ('queue_signature', ?)", [signature])
        c.execute("INSERT OR REPLACE INTO meta VALUES ('queue_copied_at', ?)", [datetime.now().isoformat(timespec="seconds")])
    db.execute("ANALYZE")
    return n


_KEY = "ifnull(q.analysis, ''), ifnull(q.community, ''), ifnull(q.narrative, ''), q.item_type"
_MATCH = "q.item_type = {r}.item_type AND q.platform = {r}.platform AND q.item_id = {r}.item_id AND q.analysis = {r}.analysis AND q.lead"
#: ``decided_counts``: the decisions in force per filter combination (NULL filter values as ''),
#: kept by triggers on ``review_state`` in every transaction that changes it (the store's
#: connections set ``recursive_triggers`` so that a REPLACE counts as a delete and an insert),
#: so that "to review" counts cost one small query however many decisions there are
_DECIDED_COUNTS = (
    "DROP TRIGGER IF EXISTS decided_counts_insert",
    "DROP TRIGGER IF EXISTS decided_counts_delete",
    "DROP TABLE IF EXISTS decided_counts",
    """CREATE TABLE decided_counts (analysis TEXT NOT NULL, community TEXT NOT NULL, narrative TEXT NOT NULL,
       item_type TEXT NOT NULL, decision TEXT NOT NULL, n INTEGER NOT NULL,
       PRIMARY KEY (analysis, community, narrative, item_type, decision))""",
    f"""INSERT INTO decided_counts SELECT {_KEY}, r.decision, count(*) FROM review_state r
        JOIN {TABLE} q ON {_MATCH.format(r='r')} GROUP BY 1, 2, 3, 4, 5""",
    f"""CREATE TRIGGER decided_counts_insert AFTER INSERT ON review_state BEGIN
        INSERT INTO decided_counts SELECT {_KEY}, NEW.decision, 1 FROM {TABLE} q WHERE {_MATCH.format(r='NEW')}
        ON CONFLICT DO UPDATE SET n = n + 1; END""",
    f"""CREATE TRIGGER decided_counts_delete AFTER DELETE ON review_state BEGIN
        UPDATE decided_counts SET n = n - 1 WHERE (analysis, community, narrative, item_type, decision) =
            (SELECT {_KEY}, OLD.decision FROM {TABLE} q WHERE {_MATCH.format(r='OLD')}); END""",
)


def ensure_snapshot(con, store: ReviewStore) -> bool:
    """Copy the queue into the store when the copy is missing or of other findings (True when
    copied). One process copies at a time (a lock file beside the store); the others wait."""
    sig = corpus_signature(con)
    if sig is None or snapshot_signature(store) == sig:
        return False
    lock = open(str(store.path) + ".copy-lock", "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if snapshot_signature(store) == sig:  # another process copied it meanwhile
            return False
        copy_snapshot(con, store, sig)
        return True
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def has_snapshot(store: ReviewStore) -> bool:
    return snapshot_signature(store) is not None


# -- reading --------------------------------------------------------------------------------

def _dicts(cur: sqlite3.Cursor) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


_STATE_JOIN = ("r.item_type = q.item_type AND r.platform = q.platform AND r.item_id = q.item_id "
               "AND r.analysis = q.analysis")
_ROW_COLS = ", ".join(f"q.{c}" for c in QUEUE_COLUMNS[1:]) + \
    ", r.decision, r.reviewer, r.decided_at, r.note, r.review_id"


def _filters(analysis, community, narrative, item_type, account_id) -> tuple[list[str], list[Any]]:
    where, params = [], []
    for col, val in (("analysis", analysis), ("community", community), ("narrative", narrative),
                     ("item_type", item_type), ("account_id", account_id)):
        if val:
            where.append(f"q.{col} = ?")
            params.append(val)
    return where, params


def queue_page(store: ReviewStore, analysis: str | None = None, community: str | None = None,
               narrative: str | None = None, item_type: str | None = None, status: str = "pending", page: int = 1,
               page_size: int = PAGE_SIZE, account_id: str | None = None, group: str | None = None,
               counts: dict | None = None, at: tuple[str | None, int] | None = None) -> tuple[list[dict], int]:
    """One page of the queue (highest score first) and the number of matching items, with the
    same arguments and meaning as :func:`engineroom.serve.queue.query_queue`, from the copy.

    ``counts``: a dict the caller keeps per worker; the number of flags per filter is kept in it
    for as long as the copy is unchanged, the number decided per filter for as long as the
    decisions are (the store's ``state_version``); ``at``: those two, as :func:`versions` read
    them at the start of the request (else read here)."""
    db = store.con()
    where, params = _filters(analysis, community, narrative, item_type, account_id)
    if group:
        where.append("q.dup_key = ?")
        params.append(group)
    else:
        where.append("q.lead")
    offset = (max(int(page), 1) - 1) * int(page_size)
    cond = " AND ".join(where)
    if status in DECISIONS:  # the decided items are few: start from them
        sql = (f"SELECT {_ROW_COLS} FROM review_state r CROSS JOIN {TABLE} q ON {_STATE_JOIN} "
               f"WHERE r.decision = ? AND {cond} ORDER BY q.qrank LIMIT ? OFFSET ?")
        rows = _dicts(db.execute(sql, [status] + params + [int(page_size), offset]))
    else:
        pending = " AND r.decision IS NULL" if status == "pending" else ""
        sql = (f"SELECT {_ROW_COLS} FROM {TABLE} q LEFT JOIN review_state r ON {_STATE_JOIN} "
               f"WHERE {cond}{pending} ORDER BY q.qrank LIMIT ? OFFSET ?")
        rows = _dicts(db.execute(sql, params + [int(page_size), offset]))
    total = _count(store, where, params, status, counts, (analysis, community, narrative, item_type, account_id, group), at)
    return rows, total


def _count(store: ReviewStore, where: list[str], params: list, status: str, counts: dict | None, key: tuple,
           at: tuple[str | None, int] | None = None) -> int:
    db = store.con()
    cond = " AND ".join(where)
    if counts is None:
        counts = {}
    sig = at if at is not None else versions(store)
    if counts.get("__sig__") != sig[0]:
        counts.clear()
        counts["__sig__"] = sig[0]
    n_all = counts.get(("all",) + key)
    if n_all is None:
        if key[4] is None and key[5] is None:  # no account or group: from the counts per filter combination
            n_all = int(db.execute(f"SELECT coalesce(sum(n), 0) FROM queue_counts q WHERE {cond.replace('q.lead', 'TRUE')}",
                                   params).fetchone()[0])
        else:
            n_all = int(db.execute(f"SELECT count(*) FROM {TABLE} q WHERE {cond}", params).fetchone()[0])
        counts[("all",) + key] = n_all
    if status == "all":
        return n_all
    decided = counts.get(("decided",) + key)
    if decided is None or decided[0] != sig[1]:
        by = None
        if key[4] is None and key[5] is None:  # no account or group: from the counts the triggers keep
            try:
                by = dict(db.execute(f"SELECT decision, sum(n) FROM decided_counts q WHERE {cond.replace('q.lead', 'TRUE')} "
                                     "GROUP BY decision", params).fetchall())
            except sqlite3.OperationalError:  # a copy made before decided_counts existed
                by = None
        if by is None:  # a correlated EXISTS: a join lets SQLite build a Bloom filter over the whole queue first
            by = dict(db.execute(f"SELECT r.decision, count(*) FROM review_state r WHERE EXISTS (SELECT 1 FROM {TABLE} q "
                                 f"WHERE {_STATE_JOIN} AND {cond}) GROUP BY r.decision", params).fetchall())
        decided = (sig[1], by)
        if len(counts) > 20_000:
            counts.clear()
            counts["__sig__"] = sig[0]
        counts[("decided",) + key] = decided
    if status == "pending":
        return n_all - sum(decided[1].values())
    return int(decided[1].get(status, 0))


def facets(store: ReviewStore, table: str | None = None) -> dict[str, list[str]]:
    """Values offered by the queue's filters (analyses, narratives, the largest communities):
    kept in the store's meta when the copy is made (``table``: count them in that table)."""
    if table is None:
        kept = store.meta("queue_facets")
        if kept:
            return json.loads(kept)
        table = TABLE
    db = store.con()
    return {
        "analysis": [r[0] for r in db.execute(f"SELECT DISTINCT analysis FROM {table} ORDER BY 1")],
        "narrative": [r[0] for r in db.execute(f"SELECT DISTINCT narrative FROM {table} WHERE narrative IS NOT NULL "
                                               "ORDER BY 1 LIMIT 200")],
        "community": [r[0] for r in db.execute(f"SELECT community FROM {table} WHERE community IS NOT NULL GROUP BY 1 "
                                               "ORDER BY count(*) DESC, 1 LIMIT 100")],
        "item_type": [r[0] for r in db.execute(f"SELECT DISTINCT item_type FROM {table} ORDER BY 1")],
    }


def is_flagged(store: ReviewStore, item_type: str, platform: str | None, item_id: str, analysis: str) -> bool:
    """Whether (item, analysis) is a row of the queue."""
    return store.con().execute(f"SELECT 1 FROM {TABLE} WHERE item_type = ? AND platform = ? AND item_id = ? "
                               "AND analysis = ?", [item_type, platform or "", item_id, analysis]).fetchone() is not None


def copies_of(store: ReviewStore, leads: list[dict]) -> list[tuple[str, str, str, str]]:
    """(item_type, platform, item_id, analysis) of the near-identical copies each lead in
    ``leads`` (post items with an analysis) stands for."""
    db = store.con()
    out = []
    for it in leads:
        out += db.execute(
            f"""SELECT c.item_type, c.platform, c.item_id, c.analysis FROM {TABLE} l
                JOIN {TABLE} c ON c.dup_key = l.dup_key AND c.analysis = l.analysis AND NOT c.lead
                WHERE l.item_type = 'post' AND l.platform = ? AND l.item_id = ? AND l.analysis = ?
                  AND l.lead AND l.copies > 1""",
            [it.get("platform") or "", it["item_id"], it["analysis"]]).fetchall()
    return out


def flags_of(store: ReviewStore, item_type: str, platform: str | None, item_id: str) -> list[dict]:
    """The queue rows of one item, highest score first."""
    return _dicts(store.con().execute(
        f"SELECT {', '.join(QUEUE_COLUMNS[1:])} FROM {TABLE} WHERE item_type = ? AND platform = ? AND item_id = ? "
        "ORDER BY score DESC, qrank", [item_type, platform or "", item_id]))


def post_flags_of_account(store: ReviewStore, platform: str | None, account_id: str, limit: int = 30) -> list[dict]:
    """The flagged posts of one account, highest score first."""
    return _dicts(store.con().execute(
        f"SELECT {', '.join(QUEUE_COLUMNS[1:])} FROM {TABLE} WHERE account_id = ? AND item_type = 'post' "
        "AND platform = ? ORDER BY score DESC, qrank LIMIT ?", [account_id, platform or "", int(limit)]))


def _json(v: str | None) -> Any:
    return json.loads(v) if v else None


def post_page(store: ReviewStore, platform: str, post_id: str) -> tuple[dict, list[dict], list[dict]] | None:
    """(post row, its hate rows, its narratives rows) of a flagged post from the copy, or None
    when the post is not in it (then the page reads the corpus)."""
    try:
        r = store.con().execute("SELECT post, hate, narratives FROM post_pages WHERE platform = ? AND post_id = ?",
                                [platform or "", post_id]).fetchone()
    except sqlite3.OperationalError:  # no copy of item pages
        return None
    if r is None:
        return None
    return _json(r[0]), _json(r[1]) or [], _json(r[2]) or []


def account_page(store: ReviewStore, platform: str, account_id: str) -> dict | None:
    """What an account page shows of an account the queue names, from the copy (keys: account,
    signals, engine_room, community, clusters, coordination, neighbours_out, neighbours_in), or
    None when it is not in the copy (then the page reads the corpus)."""
    try:
        cur = store.con().execute("SELECT * FROM account_pages WHERE platform = ? AND account_id = ?",
                                  [platform or "", account_id])
    except sqlite3.OperationalError:
        return None
    r = cur.fetchone()
    if r is None:
        return None
    names = [d[0] for d in cur.description]
    return {k: (_json(v) if k not in ("platform", "account_id") else v) for k, v in zip(names, r)}


# -- exports --------------------------------------------------------------------------------

def _ts(v: str | None) -> datetime | None:
    return datetime.fromisoformat(v) if v else None


def confirmed_ids(store: ReviewStore) -> list[str] | None:
    """The review ids of the confirmed flags, in the order :func:`confirmed` gives them; None when
    a confirmed item is not in the copy."""
    ids = store.con().execute(
        f"""SELECT r.review_id, q.qrank FROM review_state r LEFT JOIN {TABLE} q ON {_STATE_JOIN}
            WHERE r.decision = 'confirm' ORDER BY r.decided_at, r.review_id""").fetchall()
    return None if any(q is None for _, q in ids) else [i for i, _ in ids]


def confirmed(store: ReviewStore, review_ids: list[str] | None = None) -> list[dict] | None:
    """The confirmed flags with what the corpus knows of them, as
    :func:`engineroom.export._confirmed` gives them, from the copy; None when a confirmed item
    is not in the copy (a decision on an item without an analysis: then ask the corpus).
    ``review_ids``: only these decisions."""
    db = store.con()
    only = ""
    if review_ids is not None:
        if not review_ids:
            return []
        db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_reviews (review_id TEXT PRIMARY KEY)")
        db.execute("DELETE FROM temp.wanted_reviews")
        db.executemany("INSERT OR IGNORE INTO temp.wanted_reviews VALUES (?)", [(i,) for i in review_ids])
        only = "AND r.review_id IN (SELECT review_id FROM temp.wanted_reviews)"
    rows = _dicts(db.execute(
        f"""SELECT r.item_type, nullif(r.platform, '') AS platform, r.item_id, nullif(r.analysis, '') AS analysis,
                   r.decision, r.reviewer, r.decided_at, r.note, r.review_id, q.qrank AS _found,
                   q.reason, q.category, q.evidence, q.narrative, q.x_account_id AS account_id, q.x_handle AS handle,
                   q.post_id, q.post_time, q.text, q.url
            FROM review_state r LEFT JOIN {TABLE} q ON {_STATE_JOIN}
            WHERE r.decision = 'confirm' {only} ORDER BY r.decided_at, r.review_id"""))
    for r in rows:
        if r.pop("_found") is None:
            return None
        r["decided_at"], r["post_time"] = _ts(r["decided_at"]), _ts(r["post_time"])
    return rows


def post_labels(store: ReviewStore) -> list[tuple[str, int]] | None:
    """(text, label) of the decisions on posts' ``hate`` flags, as
    :func:`engineroom.export.review_labels` gives them, from the copy; None when a decision on
    a post is not in the copy (then ask the corpus)."""
    db = store.con()
    if db.execute(f"""SELECT 1 FROM review_state r LEFT JOIN {TABLE} q ON {_STATE_JOIN}
                      WHERE r.item_type = 'post' AND r.decision IN ('confirm', 'reject')
                        AND (r.analysis = '' OR (r.analysis = 'hate' AND q.qrank IS NULL)) LIMIT 1""").fetchone():
        return None
    return [(t, int(lab)) for t, lab in db.execute(
        f"""SELECT q.text, CASE WHEN r.decision = 'confirm' THEN 1 ELSE 0 END FROM review_state r
            JOIN {TABLE} q ON {_STATE_JOIN}
            WHERE r.item_type = 'post' AND r.decision IN ('confirm', 'reject') AND r.analysis = 'hate'
              AND q.text IS NOT NULL ORDER BY r.decided_at, r.item_id""")]
