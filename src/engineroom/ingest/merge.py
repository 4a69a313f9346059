"""Store one staged batch into the corpus tables: deduplicate, resolve, count.

A batch is staged as DuckDB temp tables or views ``b_posts``, ``b_accounts``, ``b_edges``,
``b_tags``, ``b_urls``, ``b_media`` and ``b_quar`` (columns in :mod:`engineroom.ingest.common`),
each row tagged with ``rec``, the line / record number it came from, and reaches the store as
Arrow tables of the same names (:func:`export_batch`). Merging runs inside the caller's
transaction:

* a post whose ``(platform, post_id)`` is already in the corpus, or earlier in the same file,
  counts as *duplicate*; its hashtags / urls / edges are not stored again;
* hashtags, urls, media and interaction edges are stored only for newly stored posts;
* accounts are inserted when new; when already present, a richer profile fills NULL fields;
* ``b_quar`` rows go to ``quarantine`` with the file, record number, reason and raw text.

read = stored + duplicate + quarantined holds for every batch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from .. import schema
from .common import BATCH_TABLES
from .domains import registered_domain
from .keys import AccountKeys, PostKeys, account_key_hashes, hash_column, key_hashes

_POST_COLS = [c for c in schema.POSTS.column_names if c != "ingest_id"]
_ACC_COLS = [c for c in schema.ACCOUNTS.column_names if c != "ingest_id"]
_ACC_FILL = [c for c in _ACC_COLS if c not in ("platform", "account_id")]
#: SQL: a profile's filled fields as a bit mask (bit i: the i-th of the fill fields is not NULL)
FILLED_MASK = " + ".join(f"({c} IS NOT NULL)::UINTEGER * {1 << i}" for i, c in enumerate(_ACC_FILL))
#: the mask with every fill field's bit set
ALL_FIELDS = (1 << len(_ACC_FILL)) - 1


@dataclass
class Counts:
    read: int = 0
    stored: int = 0
    duplicate: int = 0
    quarantined: int = 0

    def add(self, other: "Counts") -> None:
        self.read += other.read
        self.stored += other.stored
        self.duplicate += other.duplicate
        self.quarantined += other.quarantined


@dataclass
class Context:
    """What a batch merge needs to know about the ingest it belongs to."""

    ingest_id: str
    file: str
    mode: str = "posts"  # or "users": records are account profiles
    media_index: pa.Table | None = None
    options: dict = field(default_factory=dict)
    #: hashes of the corpus's post keys, kept up to date batch by batch (None: ask ``posts`` each batch)
    post_keys: PostKeys | None = None
    #: hashes of the corpus's account keys with their NULL fields (None: ask ``accounts`` each batch)
    account_keys: AccountKeys | None = None


def stage_arrow(con, tables: dict[str, pa.Table]) -> None:
    """Create the batch temp tables from Arrow tables (missing ones are created empty)."""
    for name in BATCH_TABLES:
        _create_batch_table(con, name, tables.get(name))


def ensure_empty(con, names: list[str]) -> None:
    """Create empty batch tables for the names an SQL adapter did not fill."""
    for name in names:
        _create_batch_table(con, name, None)


def _empty_batch_table(name: str) -> pa.Table:
    """Batch table ``name`` with no rows (its columns from :data:`BATCH_TABLES`)."""
    cols = BATCH_TABLES[name]
    # pa.nulls, not pa.array: pa.array imports pandas (~0.5 CPU-s of a CSV ingest's start)
    return pa.Table.from_arrays([pa.nulls(0, type=t) for t in cols.values()], names=list(cols))


def _create_batch_table(con, name: str, tbl: pa.Table | None) -> None:
    """Temp table ``name`` holding ``tbl`` (None: empty, with the batch table's columns)."""
    con.register("_stage_in", _empty_batch_table(name) if tbl is None else tbl)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _stage_in")
    finally:
        unregister(con, "_stage_in")


def media_index(media_dir: str | os.PathLike | None) -> pa.Table:
    """Files of a media folder by lower-case name and stem (for matching media rows)."""
    names, stems, paths = [], [], []
    if media_dir:
        root = Path(media_dir)
        if not root.is_dir():
            from .errors import IngestError

            raise IngestError(f"media folder {root} is not a folder")
        for dirpath, _dirs, files in os.walk(root):
            for f in files:
                p = Path(dirpath) / f
                names.append(f.lower())
                stems.append(p.stem.lower())
                paths.append(str(p.resolve()))
    return pa.table({"name": pa.array(names, pa.string()), "stem": pa.array(stems, pa.string()),
                     "path": pa.array(paths, pa.string())})


def _one(con, sql: str, params=None) -> int:
    rows = con.execute(sql, params).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def prepare_batch(sc, mode: str, post_keys_checked: bool = False) -> None:
    """On the staging connection: send records without a key to ``b_quar`` (posts only unless the
    adapter checked their keys itself: :attr:`Adapter.post_keys_checked`)."""
    if not post_keys_checked:
        sc.execute(
            "INSERT INTO b_quar SELECT rec, 'record without a post id', NULL FROM b_posts "
            "WHERE post_id IS NULL OR post_id = '' OR platform IS NULL"
        )
        sc.execute("DELETE FROM b_posts WHERE post_id IS NULL OR post_id = '' OR platform IS NULL")
    if mode == "users":
        sc.execute(
            "INSERT INTO b_quar SELECT rec, 'profile without an account id', NULL FROM b_accounts "
            "WHERE account_id IS NULL OR account_id = ''"
        )
        sc.execute("DELETE FROM b_accounts WHERE account_id IS NULL OR account_id = ''")


_DUCK = {"string": "VARCHAR", "int64": "BIGINT", "bool": "BOOLEAN", "timestamp[us]": "TIMESTAMP"}


def export_batch(sc, mode: str | None = None, unique_accounts: bool = False) -> dict[str, pa.Table]:
    """The staged ``b_*`` temp tables of the staging connection as Arrow, in canonical columns.

    In ``posts`` mode the profiles are already reduced to one per account (the one
    :func:`merge_batch` would pick: most complete, then latest), so that work is done on the
    staging worker instead of in the ingest transaction; in ``users`` mode every profile row counts
    (stored or duplicate) and all are kept. ``unique_accounts``: the adapter staged at most one
    profile per account, each with an id (:attr:`Adapter.unique_accounts`), so none is dropped.
    """
    have: dict[str, set[str]] = {}  # staged table or view -> its columns (one catalog query per batch)
    for table, column in sc.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_catalog = 'temp'").fetchall():
        have.setdefault(table, set()).add(column)
    out = {}
    for name, cols in BATCH_TABLES.items():
        if name not in have:
            out[name] = _empty_batch_table(name)
            continue
        present = have[name]
        sel = ", ".join(f"CAST({c if c in present else 'NULL'} AS {_DUCK[str(t)]}) AS {c}" for c, t in cols.items())
        sql = f"SELECT {sel} FROM {name}"
        if name == "b_accounts" and mode == "posts" and not unique_accounts:
            sql = (f"SELECT * FROM ({sql}) WHERE account_id IS NOT NULL AND account_id <> '' "
                   f"QUALIFY row_number() OVER (PARTITION BY platform, account_id ORDER BY {PROFILE_COMPLETENESS} DESC, rec DESC) = 1")
        out[name] = _arrow(sc, sql)
    return out


class _Views:
    """Arrow tables registered on the ingest connection for one batch (no temp tables: inside a
    transaction DuckDB keeps every replaced temp table until commit, which would grow memory)."""

    def __init__(self, con) -> None:
        self.con, self.names, self.keep = con, [], []

    def put(self, name: str, table: pa.Table) -> None:
        # a module global, found by DuckDB's replacement scan when SQL run from this module names
        # it: unlike con.register, no catalog entry that the open transaction would keep alive
        globals()[name] = table
        self.names.append(name)
        self.keep.append(table)

    def table(self, name: str) -> pa.Table:
        """A table put here."""
        return globals()[name]

    def rows(self, name: str) -> int:
        """Rows of a table put here (statements over an empty one are skipped)."""
        return globals()[name].num_rows

    def query(self, name: str, sql: str, params=None) -> pa.Table:
        tbl = _arrow(self.con, sql, params)
        self.put(name, tbl)
        return tbl

    def close(self) -> None:
        for n in self.names:
            globals().pop(n, None)
        self.names, self.keep = [], []


def merge_batch(con, ctx: Context, tables: dict[str, pa.Table]) -> Counts:
    """Store one staged batch (Arrow tables, see :func:`export_batch`); returns its counts."""
    c = Counts()
    v = _Views(con)
    try:
        for name, tbl in tables.items():
            v.put(name, tbl)
        c.quarantined = tables["b_quar"].num_rows
        if ctx.mode == "users":
            n_rec = tables["b_accounts"].num_rows
            c.read = n_rec + c.quarantined
            c.stored = _merge_accounts(con, v, ctx, with_authors=False)
            c.duplicate = n_rec - c.stored
        else:
            n_rec = tables["b_posts"].num_rows
            c.read = n_rec + c.quarantined
            hashes = key_hashes(con, tables["b_posts"]) if ctx.post_keys is not None else None
            dups, no_profile = _probe_batch(con, ctx.post_keys, hashes)
            if not dups:
                # the usual case: every post is new, so the batch is stored as it came (no copy)
                new = tables["b_posts"]
                v.put("b_new", new)
            else:
                new, no_profile = _new_posts(v), None
                hashes = key_hashes(con, new) if ctx.post_keys is not None else None
            cols = ", ".join(_POST_COLS)
            con.execute(f"INSERT INTO posts ({cols}, ingest_id) SELECT {cols}, ? FROM b_new", [ctx.ingest_id])
            if ctx.post_keys is not None:
                ctx.post_keys.add(hashes)
            c.stored = new.num_rows
            c.duplicate = n_rec - c.stored
            _merge_accounts(con, v, ctx, with_authors=True, authors_without_profile=no_profile)
            if c.stored:
                _merge_children(con, v, ctx)
        if c.quarantined:
            con.execute(
                "INSERT INTO quarantine SELECT ?, ?, coalesce(rec, 0), coalesce(reason, 'unknown'), left(raw, 65536) FROM b_quar",
                [ctx.ingest_id, ctx.file],
            )
    finally:
        v.close()
    return c


def _probe_batch(con, keys: PostKeys | None = None, hashes=None) -> tuple[int, int]:
    """(posts of the batch ``b_posts`` that are in it twice or already in the corpus, its posts
    whose author has no profile in the batch), in one query.

    Probing ``posts`` with the batch's keys (a hash table of the batch; DuckDB pushes its key range
    into the scan of ``posts``) costs far less than NOT EXISTS, which hashes every post in the
    corpus, but still scans the whole table when the batch's ids are spread over its range. With
    ``keys`` (the corpus's key hashes) and ``hashes`` (the batch's), ``posts`` is probed only when
    one of the batch's hashes is in ``keys``; a batch of new posts never reads it.
    """
    in_corpus = "(SELECT count(*) FROM (SELECT 1 FROM posts p SEMI JOIN b_posts b ON p.platform = b.platform AND p.post_id = b.post_id))"
    if keys is not None and hashes is not None and not keys.may_hold_any(hashes):
        in_corpus = "0"
    row = con.execute(f"""SELECT
        (SELECT count(*) FROM (SELECT 1 FROM b_posts GROUP BY platform, post_id HAVING count(*) > 1))
        + {in_corpus},
        (SELECT count(*) FROM (SELECT 1 {_authors_without_profile('b_posts')}))""").fetchall()[0]
    return int(row[0]), int(row[1])


def _new_posts(v: "_Views") -> pa.Table:
    """``b_new``: the batch's posts that are neither in the corpus nor earlier in the file (the
    first of a key in the batch is kept)."""
    return v.query("b_new", """SELECT d.* FROM (
                    SELECT * FROM b_posts QUALIFY row_number() OVER (PARTITION BY platform, post_id ORDER BY rec) = 1
                ) d
                ANTI JOIN (SELECT p.platform, p.post_id FROM posts p
                           SEMI JOIN b_posts b ON p.platform = b.platform AND p.post_id = b.post_id) h
                    ON h.platform = d.platform AND h.post_id = d.post_id""")


#: how complete a profile is: the number of its filled fields
PROFILE_COMPLETENESS = " + ".join(f"({c} IS NOT NULL)::INT" for c in _ACC_FILL)


def _authors_without_profile(posts: str = "b_new") -> str:
    """SQL (``FROM ... WHERE ...``): the posts of table ``posts`` whose author has no profile in the batch."""
    # an anti join: a third of the cost of the NOT EXISTS it stands for (25 against 8 ms for a
    # batch of 58k twarc2 posts and 25k profiles)
    return (f"FROM {posts} n ANTI JOIN b_accounts a ON a.platform = n.platform AND a.account_id = n.account_id "
            "WHERE n.account_id IS NOT NULL AND n.account_id <> ''")


def _merge_accounts(con, v: _Views, ctx: Context, with_authors: bool, authors_without_profile: int | None = None) -> int:
    """Store the batch's profiles (``b_accounts``) and, ``with_authors``, a bare one for each author of a
    new post the batch has none for (``authors_without_profile`` of them, when already counted);
    returns how many accounts are new."""
    if with_authors and authors_without_profile is None:
        authors_without_profile = _one(con, f"SELECT count(*) FROM (SELECT 1 {_authors_without_profile()})")
    if with_authors and not authors_without_profile:
        # every author has a profile in the batch, and :func:`export_batch` already kept one per
        # account (the one :func:`_pick_profiles` would pick), so they are stored as they came
        v.put("b_acc", v.table("b_accounts"))
    else:
        _pick_profiles(v, with_authors)
    if ctx.account_keys is not None:
        return _store_profiles(con, v, ctx.account_keys, ctx.ingest_id)
    # fill NULL fields of known accounts from a richer profile
    con.execute(_fill_sql("b_acc"))
    before = _one(con, "SELECT count(*) FROM accounts")
    cols = ", ".join(_ACC_COLS)
    con.execute(
        f"""INSERT INTO accounts ({cols}, ingest_id) SELECT {', '.join('b.' + c for c in _ACC_COLS)}, ?
        FROM b_acc b WHERE NOT EXISTS (
            SELECT 1 FROM accounts a WHERE a.platform = b.platform AND a.account_id = b.account_id)""",
        [ctx.ingest_id],
    )
    return _one(con, "SELECT count(*) FROM accounts") - before


def _fill_sql(table: str) -> str:
    """SQL: fill the NULL fields of the corpus's accounts from the profiles of ``table`` that have them."""
    sets = ", ".join(f"{c} = coalesce(accounts.{c}, b.{c})" for c in _ACC_FILL)
    cond = " OR ".join(f"(accounts.{c} IS NULL AND b.{c} IS NOT NULL)" for c in _ACC_FILL)
    return (f"UPDATE accounts SET {sets} FROM {table} b WHERE accounts.platform = b.platform "
            f"AND accounts.account_id = b.account_id AND ({cond})")


def _store_profiles(con, v: _Views, keys: AccountKeys, ingest_id: str) -> int:
    """Store the profiles of ``b_acc`` (one per account) using the corpus's account keys: returns
    how many accounts are new.

    A profile whose hash the corpus does not hold is certainly new and is inserted without looking
    at ``accounts``. One whose hash it holds fills NULL fields only when the hash's mask says one
    of the fields the profile has may be NULL: the ``UPDATE`` (a scan of ``accounts``) runs for
    those alone, usually none. Whether those profiles' accounts really exist is checked on the
    key columns of ``accounts``; a hash collision (a new account) is inserted then and its hash
    marked shared. The hashes decide only which checks are skipped, never what is stored.
    """
    acc = v.table("b_acc")
    if not acc.num_rows:
        return 0
    h, filled = account_key_hashes(con, acc, FILLED_MASK)
    lvl, pos = keys.find(h)
    found = lvl >= 0
    cols = ", ".join(_ACC_COLS)
    stored = 0
    if found.any():
        fill = found & ((keys.masks(lvl, pos) & filled) != 0)
        if fill.any():
            v.put("b_acc_fill", acc.filter(_bool_array(fill)))
            con.execute(_fill_sql("b_acc_fill"))
        keys.filled(lvl[found], pos[found], filled[found])
        # a found hash whose kept key is the profile's own is an account of the corpus; the others
        # (collisions) are checked on ``accounts``, which otherwise is scanned once per batch
        check = found & ~keys.holds(lvl, pos, acc.column("platform"), acc.column("account_id"))
        v.put("b_acc_old", acc.filter(_bool_array(check)))
        held = _one(con, "SELECT count(*) FROM accounts a SEMI JOIN b_acc_old b "
                         "ON a.platform = b.platform AND a.account_id = b.account_id") if check.any() else 0
        if held < int(check.sum()):
            # hash collisions: new accounts whose hashes others hold
            v.query("b_acc_coll", "SELECT b.*, hash(b.platform, b.account_id) AS _h FROM b_acc_old b "
                                  "ANTI JOIN accounts a ON a.platform = b.platform AND a.account_id = b.account_id")
            con.execute(f"INSERT INTO accounts ({cols}, ingest_id) SELECT {cols}, ? FROM b_acc_coll", [ingest_id])
            coll = hash_column(v.table("b_acc_coll").select(["_h"]))
            keys.share(*keys.find(coll))
            stored += len(coll)
    if not found.all():
        new = ~found
        v.put("b_acc_new", acc if not found.any() else acc.filter(_bool_array(new)))
        con.execute(f"INSERT INTO accounts ({cols}, ingest_id) SELECT {cols}, ? FROM b_acc_new", [ingest_id])
        keys.add(h[new], ~filled[new] & np.uint32(ALL_FIELDS),
                 acc.column("platform").filter(_bool_array(new)), acc.column("account_id").filter(_bool_array(new)))
        stored += int(new.sum())
    return stored


def _bool_array(mask: np.ndarray) -> pa.Array:
    """A NumPy bool array as an Arrow one (pa.array would import pandas, ~0.5 CPU-s)."""
    return pa.Array.from_buffers(pa.bool_(), len(mask), [None, pa.py_buffer(np.packbits(mask, bitorder="little"))])


def _pick_profiles(v: _Views, with_authors: bool) -> None:
    """``b_acc``: one profile per account of the batch (most complete, then latest), and with
    ``with_authors`` a bare profile (id and handle) for each author the batch has none for."""
    authors = f"UNION ALL BY NAME SELECT rec, platform, account_id, handle, 1 AS prio {_authors_without_profile()}" if with_authors else ""
    v.query(
        "b_acc",
        f"""SELECT * EXCLUDE (prio) FROM (
            SELECT *, 0 AS prio FROM b_accounts WHERE account_id IS NOT NULL AND account_id <> ''
            {authors}
        ) QUALIFY row_number() OVER (PARTITION BY platform, account_id ORDER BY prio, {PROFILE_COMPLETENESS} DESC, rec DESC) = 1"""
    )


def _merge_children(con, v: _Views, ctx: Context) -> None:
    # interaction edges of new posts; unknown targets are resolved from the replied / retweeted /
    # quoted post (when it is in the corpus) and handles from the accounts table. Only edges whose
    # target account is unknown probe ``posts``: an empty probe set skips the scan of the corpus's
    # posts, which would otherwise run once per batch (quadratic in the file's size)
    if v.rows("b_edges"):
        _merge_edges(con, v)
    if v.rows("b_tags"):
        _merge_tags(con)
    if v.rows("b_urls"):
        _merge_urls(con, v)
    if v.rows("b_media"):
        _merge_media(con, v, ctx)


def _merge_edges(con, v: _Views) -> None:
    # the key (platform, post_id, kind, target_key) is unique: edges come only with newly stored
    # posts, deduplicated here (no index: see schema.Table.enforced). The batch's edges (b_e) and
    # the edges with their targets resolved from ``posts`` (b_t) are materialised CTEs: each read
    # twice, kept inside DuckDB rather than copied out to Arrow and back. ``accounts`` is read only
    # for the targets whose handle is missing (usually none: an empty probe set skips the scan of
    # the whole, growing table, which otherwise ran once per batch, ~0.2 CPU-s at 10M posts)
    con.execute(
        """INSERT INTO interactions
        WITH b_e AS MATERIALIZED (
            SELECT e.platform, e.post_id, e.kind, n.account_id AS source_account_id,
                   nullif(e.target_account_id, '') AS target_account_id,
                   nullif(lower(ltrim(e.target_handle, '@')), '') AS target_handle,
                   nullif(e.target_post_id, '') AS target_post_id, n.created_at
            FROM b_edges e JOIN b_new n ON n.platform = e.platform AND n.post_id = e.post_id AND n.rec = e.rec)
        , b_t AS MATERIALIZED (
            SELECT e.platform, e.post_id, e.kind, e.source_account_id,
                   coalesce(e.target_account_id, p.account_id) AS target_account_id,
                   e.target_handle, e.target_post_id, e.created_at
            FROM b_e e LEFT JOIN (SELECT p.platform, p.post_id, p.account_id FROM posts p
                                  SEMI JOIN (SELECT platform, target_post_id FROM b_e
                                             WHERE target_account_id IS NULL AND target_post_id IS NOT NULL) t
                                         ON t.platform = p.platform AND t.target_post_id = p.post_id) p
                   ON p.platform = e.platform AND p.post_id = e.target_post_id)
        SELECT platform, post_id, kind, source_account_id, target_account_id, target_handle, target_post_id,
               created_at, coalesce(target_account_id, '@' || target_handle, 'post:' || target_post_id) AS target_key
        FROM (
            SELECT e.platform, e.post_id, e.kind, e.source_account_id, e.target_account_id,
                   coalesce(e.target_handle, lower(a.handle)) AS target_handle, e.target_post_id, e.created_at
            FROM b_t e LEFT JOIN (SELECT a.platform, a.account_id, a.handle FROM accounts a
                                  SEMI JOIN (SELECT platform, target_account_id FROM b_t
                                             WHERE target_handle IS NULL AND target_account_id IS NOT NULL) t
                                         ON t.platform = a.platform AND t.target_account_id = a.account_id) a
                   ON a.platform = e.platform AND a.account_id = e.target_account_id
        )
        WHERE coalesce(target_account_id, target_handle, target_post_id) IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY platform, post_id, kind, target_key
                                   ORDER BY target_post_id NULLS LAST, target_handle NULLS LAST) = 1"""
    )


def _merge_tags(con) -> None:
    # the first of a tag in a post (by position) is kept: b_new has one line per post, so grouping
    # by post and tag does it (a third cheaper than a window)
    con.execute(
        """INSERT INTO hashtags
        SELECT t.platform, t.post_id, lower(t.tag_raw), arg_min(t.tag_raw, t.position), min(t.position)
        FROM b_tags t SEMI JOIN b_new n ON n.platform = t.platform AND n.post_id = t.post_id AND n.rec = t.rec
        WHERE t.tag_raw IS NOT NULL AND t.tag_raw <> ''
        GROUP BY t.platform, t.post_id, lower(t.tag_raw)"""
    )


def _merge_urls(con, v: _Views) -> None:
    v.query(
        "b_u",
        r"""SELECT u.platform, u.post_id, u.position, u.url, x AS expanded_url,
               nullif(lower(regexp_extract(x, '^(?:[a-zA-Z][a-zA-Z0-9+.\-]*://)?(?:[^/?#@\s]*@)?([^/?#:\s\\]+)', 1)), '') AS host
        FROM (SELECT *, coalesce(nullif(expanded_url, ''), url) AS x FROM b_urls) u
        SEMI JOIN b_new n ON n.platform = u.platform AND n.post_id = u.post_id AND n.rec = u.rec
        WHERE x IS NOT NULL AND x <> ''"""
    )
    hosts = [r[0] for r in con.execute("SELECT DISTINCT host FROM b_u WHERE host IS NOT NULL").fetchall()]
    # the hosts and their domains reach DuckDB as list parameters (an Arrow table built with
    # pa.array would import pandas, ~0.5 CPU-s, in an ingest that has no other use for it)
    con.execute(
        """INSERT INTO urls
        SELECT u.platform, u.post_id, u.position, u.url, u.expanded_url, d.domain, u.host
        FROM b_u u LEFT JOIN (SELECT unnest(?::VARCHAR[]) AS host, unnest(?::VARCHAR[]) AS domain) d ON d.host = u.host
        QUALIFY row_number() OVER (PARTITION BY u.platform, u.post_id, u.position ORDER BY u.url) = 1""",
        [hosts, [registered_domain(h) for h in hosts]],
    )


def _merge_media(con, v: _Views, ctx: Context) -> None:
    v.put("_b_mdir", ctx.media_index if ctx.media_index is not None else media_index(None))
    con.execute(
        r"""INSERT INTO media
        SELECT m.platform, m.post_id, coalesce(nullif(m.media_key, ''), m.url, m.local_path) AS media_key, m.type, m.url,
               coalesce(m.local_path, d1.path, d2.path) AS local_path, NULL, NULL, NULL, m.extra
        FROM b_media m
        SEMI JOIN b_new n ON n.platform = m.platform AND n.post_id = m.post_id AND n.rec = m.rec
        LEFT JOIN (SELECT name, any_value(path) AS path FROM _b_mdir GROUP BY name) d1
               ON d1.name = lower(regexp_extract(coalesce(m.url, m.local_path, ''), '([^/?#\\]+)(?:[?#].*)?$', 1))
        LEFT JOIN (SELECT stem, any_value(path) AS path FROM _b_mdir GROUP BY stem) d2 ON d2.stem = lower(m.media_key)
        WHERE coalesce(nullif(m.media_key, ''), m.url, m.local_path) IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY m.platform, m.post_id,
                                   coalesce(nullif(m.media_key, ''), m.url, m.local_path) ORDER BY m.rec) = 1"""
    )


def unregister(con, name: str) -> None:
    """Drop a registered Arrow view; never hides the error that is already on its way up."""
    try:
        con.unregister(name)
    except Exception:
        pass


def _arrow(con, sql: str, params=None) -> pa.Table:
    """The whole result of ``sql`` on ``con`` as one Arrow table (a relation streams into Arrow
    without the extra copy of the rows that a DB-API result's Arrow export makes)."""
    rel = con.sql(sql, params=params)
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()  # DuckDB < 1.4: arrow()
