"""Merge corpus shards ingested apart into one corpus for a Spark run.

A large collection is ingested on several machines: each runs ``engineroom ingest --engine spark``
on its share of the export files and gets its own corpus file and Parquet layout
(``<shard>.duckdb.parquet/corpus/<table>/``, see :func:`engineroom.engines.spark.export_parquet`). The same
post is often in two shards (two collections overlapped in time or query), and per-shard ingest
cannot see that. :func:`merge_shards` reads the shards' Parquet layouts and stores each post once::

    engineroom merge-shards a.duckdb.parquet b.duckdb.parquet --db merged.duckdb
    engineroom analyze --db merged.duckdb --engine spark --spark-master spark://host:7077

The rules are ingest's own, applied across shards in the order given:

* a post is identified by ``(platform, post_id)``; the first shard that has it supplies it, and
  later copies count as duplicates (as a record whose key is already in the corpus does on ingest);
* the child tables (``interactions``, ``hashtags``, ``urls``, ``media``) follow their post: the rows
  of the stored copy are kept, those of a duplicate copy are left out (so a duplicated post's
  hashtags are not counted twice);
* an account (``(platform, account_id)``) is stored from the first shard that has it; a later
  shard fills its empty profile fields (ingest does the same for a profile seen again);
* a post row without ``platform`` or ``post_id`` goes to the ``quarantine`` table with the shard,
  its row number and the reason. read = stored + duplicate + quarantined for every shard;
* a reply, retweet or quote whose target post was in another shard gets the target's author once
  both are merged (:func:`attribute_edges`), as one ingest of all the files would have given it.

Each shard is one transaction and one ``ingests`` row (format ``shard``, its manifest's SHA-256 as
``sha256``): a shard merged before is skipped, as an export file ingested before is. After the
merge the merged corpus's own Parquet layout is written, ready for ``analyze --engine spark``.
The merge runs in DuckDB: a shard's posts are read into a temporary table (spilled to disk beyond
the corpus's memory limit, ``ENGINEROOM_MEMORY_LIMIT``), its other tables are streamed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from . import schema
from .ingest.core import IngestReport

if TYPE_CHECKING:  # pragma: no cover
    from .corpus import Corpus

#: the child tables of ``posts``: their rows belong to a post by ``(platform, post_id)``
CHILD_TABLES = ("interactions", "hashtags", "urls", "media")


class ShardError(ValueError):
    """A path that is not a shard's Parquet layout."""


def shard_layout(path: str | os.PathLike) -> Path:
    """The ``corpus`` folder of a shard given as its corpus file, its layout folder or that folder.

    ``x.duckdb`` → ``x.duckdb.parquet/corpus``; ``x.duckdb.parquet`` → ``…/corpus``. Raises
    :class:`ShardError` when no layout written by ``export_parquet`` (with its manifest) is there.
    """
    p = Path(path)
    candidates = [p / "corpus", p] if p.is_dir() else [p.with_name(p.name + ".parquet") / "corpus"]
    for c in candidates:
        if (c / "_manifest.json").is_file():
            return c
    raise ShardError(f"{path}: no Parquet layout of a corpus here (write one with "
                     "'engineroom ingest --engine spark' or engineroom.engines.spark.export_parquet)")


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _source(layout: Path, table: str) -> str | None:
    """A DuckDB table expression over a shard table's Parquet files (None: no rows / no files)."""
    folder = layout / table
    files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
    if not files:
        return None
    listing = "[" + ", ".join(_sql_str(str(f)) for f in files) + "]"
    cols = ", ".join(
        f'"{c.name}"::JSON AS "{c.name}"' if c.type.upper() == "JSON" else f'"{c.name}"::{c.type} AS "{c.name}"'
        for c in schema.TABLES[table].columns
    )
    # day=… folders are the layout's partitioning, not a column of the table
    return f"(SELECT {cols} FROM read_parquet({listing}, hive_partitioning = false, union_by_name = true))"


def merge_shards(corpus: "Corpus", shards: Iterable[str | os.PathLike], write_layout: bool = True) -> list[IngestReport]:
    """Merge shards' Parquet layouts into ``corpus``, each post once; one report per shard.

    ``read`` counts the shard's posts, ``stored`` those new to the corpus, ``duplicate`` those
    already in it (from an earlier shard, or earlier in the same shard), ``quarantined`` the rows
    without a key. ``details`` gives, per child table and for accounts, the rows read and stored
    (child rows of duplicate posts are not stored). With ``write_layout`` the merged corpus's
    Parquet layout is written at the end (:func:`engineroom.engines.spark.export_parquet`).
    """
    from .progress import progress

    layouts = [shard_layout(s) for s in shards]
    con = corpus.con
    reports: list[IngestReport] = []
    with progress("Merging shards", total=len(layouts)) as bar:
        for layout in layouts:
            reports.append(_merge_one(corpus, layout))
            bar.advance(1)
    merged = [r.ingest_id for r in reports if not r.skipped and r.ingest_id]
    if merged:
        edges = attribute_edges(corpus, merged)
        for r in reports:
            if r.ingest_id in merged:
                r.details.setdefault("interactions", {})["attributed_across_shards"] = edges
    if write_layout:
        from .engines.spark import export_parquet

        export_parquet(corpus)
    con.execute("CHECKPOINT")
    return reports


def _merge_one(corpus: "Corpus", layout: Path) -> IngestReport:
    con = corpus.con
    manifest = (layout / "_manifest.json").read_bytes()
    sha = hashlib.sha256(manifest).hexdigest()
    name = str(layout.parent.resolve())
    report = IngestReport(file=name, format="shard", sha256=sha)
    if con.execute("SELECT count(*) FROM ingests WHERE sha256 = ? AND format = 'shard'", [sha]).fetchall()[0][0]:
        report.skipped = True
        return report
    t0 = time.perf_counter()
    ingest_id = uuid.uuid4().hex
    report.ingest_id = ingest_id
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    details: dict[str, dict[str, int]] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        posts = _source(layout, "posts")
        con.execute("CREATE OR REPLACE TEMP TABLE _shard_new_posts (platform VARCHAR, post_id VARCHAR)")
        if posts is not None:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _shard_posts AS SELECT *, row_number() OVER () AS _row FROM {posts}")
            report.read = _one(con, "SELECT count(*) FROM _shard_posts")
            con.execute(
                "INSERT INTO quarantine SELECT ?, ?, _row, 'post without platform or post_id', "
                "left(to_json(p)::VARCHAR, 65536) FROM _shard_posts p "
                "WHERE platform IS NULL OR post_id IS NULL OR post_id = ''",
                [ingest_id, str(layout / "posts")],
            )
            report.quarantined = _one(con, "SELECT count(*) FROM quarantine WHERE ingest_id = ?", [ingest_id])
            # first copy within the shard, and only posts the corpus does not have yet
            con.execute(
                """INSERT INTO _shard_new_posts
                SELECT platform, post_id FROM (
                    SELECT platform, post_id FROM _shard_posts
                    WHERE platform IS NOT NULL AND post_id IS NOT NULL AND post_id <> ''
                    QUALIFY row_number() OVER (PARTITION BY platform, post_id ORDER BY _row) = 1
                ) s ANTI JOIN posts p USING (platform, post_id)"""
            )
            # ingest_id: this merge (its ingests row names the shard), as for any stored row
            cols = [c for c in schema.POSTS.column_names if c != "ingest_id"]
            con.execute(
                f"""INSERT INTO posts ({', '.join(f'"{c}"' for c in cols)}, ingest_id)
                SELECT {', '.join('s.' + f'"{c}"' for c in cols)}, ? FROM _shard_posts s
                SEMI JOIN _shard_new_posts n USING (platform, post_id)
                QUALIFY row_number() OVER (PARTITION BY s.platform, s.post_id ORDER BY s._row) = 1""",
                [ingest_id],
            )
            report.stored = _one(con, "SELECT count(*) FROM _shard_new_posts")
            report.duplicate = report.read - report.stored - report.quarantined
            con.execute("DROP TABLE _shard_posts")
        for table in CHILD_TABLES:
            src = _source(layout, table)
            if src is None:
                details[table] = {"read": 0, "stored": 0}
                continue
            cols = ", ".join(f'"{c}"' for c in schema.TABLES[table].column_names)
            read = _one(con, f"SELECT count(*) FROM {src}")
            before = corpus.count(table)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {src} c "
                        "SEMI JOIN _shard_new_posts n USING (platform, post_id)")
            details[table] = {"read": read, "stored": corpus.count(table) - before}
        details["accounts"] = _merge_accounts(corpus, layout, ingest_id)
        con.execute("DROP TABLE _shard_new_posts")
        report.details = details
        report.seconds = time.perf_counter() - t0
        con.execute(
            "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ingest_id, name, "shard", sha, None, report.read, report.stored, report.duplicate,
             report.quarantined, started, datetime.now(timezone.utc).replace(tzinfo=None),
             json.dumps({"layout": str(layout), "tables": details})],
        )
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except Exception:  # pragma: no cover - connection gone
            pass
        raise
    return report


#: the post column that names the target post of each edge kind
_TARGET_COLUMN = {"reply": "reply_to_post_id", "retweet": "retweet_of_post_id", "quote": "quote_of_post_id"}


def attribute_edges(corpus: "Corpus", ingest_ids: list[str]) -> int:
    """Give replies, retweets and quotes whose target post is in another shard their target account.

    A shard ingested alone cannot name the author of a post it does not hold: its edge then has no
    target account (or, without a handle either, was not stored at all). Once the shards are
    merged the target post may be there, and ingest's rule applies as if the shards had been one
    collection: the edge's target is the target post's author. Only posts stored by the merges
    ``ingest_ids`` are touched. Returns the edges given a target account or added.
    """
    con = corpus.con
    ids = "[" + ", ".join(_sql_str(i) for i in ingest_ids) + "]"
    con.execute("BEGIN TRANSACTION")
    try:
        before = corpus.count("interactions")
        # edges stored without a target account, whose target post is now in the corpus
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _resolved AS
            SELECT i.platform, i.post_id, i.kind, i.target_key AS old_key, t.account_id AS target_account_id,
                   coalesce(i.target_handle, lower(a.handle)) AS target_handle
            FROM interactions i
            JOIN posts s ON s.platform = i.platform AND s.post_id = i.post_id AND list_contains({ids}, s.ingest_id)
            JOIN posts t ON t.platform = i.platform AND t.post_id = i.target_post_id
            LEFT JOIN accounts a ON a.platform = t.platform AND a.account_id = t.account_id
            WHERE i.target_account_id IS NULL AND t.account_id IS NOT NULL AND t.account_id <> ''"""
        )
        changed = _one(con, "SELECT count(*) FROM _resolved")
        con.execute(
            """UPDATE interactions SET target_account_id = r.target_account_id, target_handle = r.target_handle,
                   target_key = r.target_account_id
            FROM _resolved r WHERE interactions.platform = r.platform AND interactions.post_id = r.post_id
              AND interactions.kind = r.kind AND interactions.target_key = r.old_key"""
        )
        # edges the shard could not store at all (no target account, no handle)
        added = []
        for kind, column in _TARGET_COLUMN.items():
            added.append(
                f"""SELECT s.platform, s.post_id, '{kind}' AS kind, s.account_id AS source_account_id,
                       t.account_id AS target_account_id, lower(a.handle) AS target_handle,
                       s.{column} AS target_post_id, s.created_at, t.account_id AS target_key
                FROM posts s
                JOIN posts t ON t.platform = s.platform AND t.post_id = s.{column}
                LEFT JOIN accounts a ON a.platform = t.platform AND a.account_id = t.account_id
                WHERE list_contains({ids}, s.ingest_id) AND t.account_id IS NOT NULL AND t.account_id <> ''
                  AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.platform = s.platform
                                  AND i.post_id = s.post_id AND i.kind = '{kind}')"""
            )
        con.execute("INSERT INTO interactions " + " UNION ALL ".join(added))
        # the key (platform, post_id, kind, target_key) stays unique
        con.execute(
            """DELETE FROM interactions WHERE rowid IN (
                SELECT rowid FROM (
                    SELECT rowid, row_number() OVER (PARTITION BY platform, post_id, kind, target_key
                                                     ORDER BY target_post_id NULLS LAST, target_handle NULLS LAST) AS n
                    FROM interactions SEMI JOIN _resolved USING (platform, post_id, kind)) WHERE n > 1)"""
        )
        con.execute("DROP TABLE _resolved")
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except Exception:  # pragma: no cover
            pass
        raise
    return changed + corpus.count("interactions") - before


def _merge_accounts(corpus: "Corpus", layout: Path, ingest_id: str) -> dict[str, int]:
    """New accounts stored; known ones get their empty profile fields filled (ingest's rule)."""
    con = corpus.con
    src = _source(layout, "accounts")
    if src is None:
        return {"read": 0, "stored": 0}
    names = schema.ACCOUNTS.column_names
    fill = [c for c in names if c not in ("platform", "account_id", "ingest_id")]
    con.execute(f"CREATE OR REPLACE TEMP TABLE _shard_acc AS SELECT * FROM {src} "
                "WHERE platform IS NOT NULL AND account_id IS NOT NULL AND account_id <> '' "
                "QUALIFY row_number() OVER (PARTITION BY platform, account_id) = 1")
    read = _one(con, f"SELECT count(*) FROM {src}")
    sets = ", ".join(f'"{c}" = coalesce(accounts."{c}", b."{c}")' for c in fill)
    cond = " OR ".join(f'(accounts."{c}" IS NULL AND b."{c}" IS NOT NULL)' for c in fill)
    con.execute(f"UPDATE accounts SET {sets} FROM _shard_acc b WHERE accounts.platform = b.platform "
                f"AND accounts.account_id = b.account_id AND ({cond})")
    before = corpus.count("accounts")
    cols = ", ".join(f'"{c}"' for c in names if c != "ingest_id")
    con.execute(f"INSERT INTO accounts ({cols}, ingest_id) SELECT {cols}, ? FROM _shard_acc b "
                "ANTI JOIN accounts a USING (platform, account_id)", [ingest_id])
    stored = corpus.count("accounts") - before
    con.execute("DROP TABLE _shard_acc")
    return {"read": read, "stored": stored}


def _one(con, sql: str, params: list | None = None) -> int:
    return int(con.execute(sql, params or []).fetchall()[0][0])
