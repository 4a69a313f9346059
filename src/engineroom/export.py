"""Exports: any table to CSV / Parquet / JSON, the graph for Gephi, and what reviewers confirmed.

``engineroom export TABLE --out FILE`` (:func:`export_table`):

- any corpus or findings table (``engine_room``, ``coordination``, ``hate``, ``posts`` ...) to
  ``.csv``, ``.parquet``, ``.json`` (one JSON array) or ``.jsonl`` (one object a line);
- ``graph`` to ``.gexf`` / ``.graphml`` (:func:`engineroom.graph_export.export_graph`, with
  ``edge_type`` and ``community``);
- ``platform-report``: the items reviewers confirmed in ``engineroom serve``, in the shape a
  platform's reporting form or a party's complaints process asks for (account, post URL, time,
  reason, category, evidence, reviewer decision), as ``.csv`` or ``.json``;
- ``labels-posts`` / ``labels-accounts``: reviewer decisions as training / evaluation labels, in
  the forms ``engineroom eval hate --data`` (``text,label``) and ``engineroom eval accounts
  --labels`` (``account_id,label``) read: confirm = 1, reject = 0 (escalations are left out).

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) are
prefixed with ``'`` in the platform report, since its text comes from hostile posts.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .links import account_url, post_url

if TYPE_CHECKING:  # pragma: no cover  (annotations only: the store is below this module)
    from .corpus import Corpus

TABULAR = (".csv", ".parquet", ".json", ".jsonl", ".ndjson")

#: columns of the platform report, in order
PLATFORM_REPORT_COLUMNS = [
    "platform", "item_type", "account", "account_id", "account_url", "post_id", "post_url", "time", "reason",
    "category", "evidence", "text", "reviewer_decision", "reviewer", "decided_at", "note",
]


def _query(corpus: Corpus, sql: str, params: list | None = None) -> pd.DataFrame:
    """A query's result as pandas, through the corpus's connection (a cursor in the review app)."""
    return corpus.con.execute(sql, params).fetchdf()


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_table(corpus: Corpus, table: str, out: str | os.PathLike, edge_type: str | None = None,
                 community: str | None = None) -> Path:
    """Write ``table`` (a table name, ``graph``, ``platform-report``, ``labels-posts`` or
    ``labels-accounts``) to ``out``; the format follows the file's suffix. Returns the path.

    Raises ``KeyError`` for an unknown table and ``ValueError`` for a format the table cannot
    be written in.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    name = table.strip()
    key = name.lower().replace("_", "-")
    if key == "graph":
        from .graph_export import export_graph

        return export_graph(corpus, out, edge_type=edge_type, community=community)
    if suffix in (".gexf", ".graphml"):
        raise ValueError(f"only 'graph' exports to {suffix}; write {name} as .csv, .parquet or .json")
    if suffix not in TABULAR:
        raise ValueError(f"cannot tell the format of {out.name!r}: use .csv, .parquet, .json or .jsonl")
    if key == "platform-report":
        return write_frame(platform_report(corpus), out, neutralise_formulas=True)
    if key in ("labels-posts", "labels-accounts"):
        return write_frame(review_labels(corpus, "post" if key == "labels-posts" else "account"), out)
    if not corpus.has_table(name):
        raise KeyError(f"no table {name!r} in {corpus.path}; tables: {', '.join(corpus.tables())}, "
                       "or graph, platform-report, labels-posts, labels-accounts")
    out.parent.mkdir(parents=True, exist_ok=True)
    opts = {".csv": "FORMAT csv, HEADER true", ".parquet": "FORMAT parquet",
            ".json": "FORMAT json, ARRAY true", ".jsonl": "FORMAT json", ".ndjson": "FORMAT json"}[suffix]
    cur = corpus.con.cursor()
    try:
        cur.execute(f"COPY (SELECT * FROM {_quote_ident(name)}) TO {_sql_path(out)} ({opts})")
    finally:
        cur.close()
    return out


def write_frame(df: pd.DataFrame, out: Path, neutralise_formulas: bool = False) -> Path:
    """Write a data frame as CSV / Parquet / JSON (array) / JSONL, chosen by the suffix."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        frame = df.map(_neutralise) if neutralise_formulas else df
        frame.to_csv(out, index=False, quoting=csv.QUOTE_MINIMAL)
    elif suffix == ".parquet":
        df.to_parquet(out, index=False)
    elif suffix == ".json":
        out.write_text(json.dumps(_records(df), ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    elif suffix in (".jsonl", ".ndjson"):
        with out.open("w", encoding="utf-8") as fh:
            for rec in _records(df):
                fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
    else:
        raise ValueError(f"cannot write {out.name!r}: use .csv, .parquet, .json or .jsonl")
    return out


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(df.to_json(orient="records", date_format="iso", force_ascii=False))


def _neutralise(v: Any) -> Any:
    """Keep spreadsheets from running a cell as a formula (CSV injection)."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


def latest_decisions(corpus: Corpus, item_type: str | None = None) -> pd.DataFrame:
    """The latest reviewer decision per item (the ``reviews`` table is an append-only audit log)."""
    where = "WHERE item_type = ?" if item_type else ""
    return _query(corpus, 
        f"""SELECT * EXCLUDE (rn) FROM (
              SELECT *, row_number() OVER (PARTITION BY item_type, platform, item_id, analysis
                                           ORDER BY decided_at DESC, review_id DESC) AS rn
              FROM reviews {where}) WHERE rn = 1 ORDER BY decided_at""",
        [item_type] if item_type else None,
    )


def platform_report(corpus: Corpus) -> pd.DataFrame:
    """Confirmed items as rows for a platform's reporting form: account, post URL, time, reason,
    category, evidence and the reviewer's decision (with reviewer, time and note)."""
    from .serve.queue import ensure_queue

    ensure_queue(corpus)
    rows = _query(corpus, 
        """WITH latest AS (
             SELECT * EXCLUDE (rn) FROM (
               SELECT *, row_number() OVER (PARTITION BY item_type, platform, item_id, analysis
                                            ORDER BY decided_at DESC, review_id DESC) AS rn FROM reviews)
             WHERE rn = 1 AND decision = 'confirm')
           SELECT l.item_type, l.platform, l.item_id, l.analysis, l.decision, l.reviewer, l.decided_at, l.note,
                  q.reason, q.category, q.evidence, q.narrative,
                  coalesce(p.account_id, q.account_id, CASE WHEN l.item_type = 'account' THEN l.item_id END) AS account_id,
                  coalesce(p.handle, a.handle, q.handle) AS handle,
                  p.post_id, p.created_at AS post_time, p.text, p.url
           FROM latest l
           LEFT JOIN review_queue q ON q.item_type = l.item_type AND coalesce(q.platform, '') = coalesce(l.platform, '')
                                   AND q.item_id = l.item_id AND coalesce(q.analysis, '') = coalesce(l.analysis, '')
           LEFT JOIN posts p ON l.item_type = 'post' AND p.platform = l.platform AND p.post_id = l.item_id
           LEFT JOIN accounts a ON a.platform = l.platform
                               AND a.account_id = coalesce(p.account_id, q.account_id,
                                                           CASE WHEN l.item_type = 'account' THEN l.item_id END)
           ORDER BY l.decided_at"""
    )
    out = []
    for r in rows.to_dict("records"):
        r = {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
        out.append({
            "platform": r["platform"],
            "item_type": r["item_type"],
            "account": r.get("handle") or r.get("account_id"),  # no leading "@": spreadsheets read it as a formula
            "account_id": r.get("account_id"),
            "account_url": account_url(r["platform"], r.get("handle")),
            "post_id": r.get("post_id") or (r["item_id"] if r["item_type"] == "post" else None),
            "post_url": post_url(r["platform"], r.get("handle"), r.get("post_id"), r.get("url")),
            "time": r["post_time"].isoformat() if r.get("post_time") is not None else None,
            "reason": r.get("reason") or r.get("analysis"),
            "category": r.get("category") or r.get("narrative"),
            "evidence": r.get("evidence"),
            "text": r.get("text"),
            "reviewer_decision": r["decision"],
            "reviewer": r["reviewer"],
            "decided_at": r["decided_at"].isoformat() if r.get("decided_at") is not None else None,
            "note": r.get("note"),
        })
    return pd.DataFrame(out, columns=PLATFORM_REPORT_COLUMNS)


def review_labels(corpus: Corpus, item_type: str = "post") -> pd.DataFrame:
    """Reviewer decisions as labels: ``text,label`` for posts (1 = confirmed antisemitic / hateful),
    ``account_id,label`` for accounts (1 = confirmed operation / bot / engine-room account).

    Only decisions on ``hate`` flags become post labels and only decisions on ``accounts``
    (operation-likeness) flags become account labels (or decisions with no analysis named), so
    that a confirmed *narrative* or *engine room* flag is not mistaken for a hate or bot label.
    """
    latest = f"""SELECT * EXCLUDE (rn) FROM (
                   SELECT *, row_number() OVER (PARTITION BY item_type, platform, item_id, analysis
                                                ORDER BY decided_at DESC, review_id DESC) AS rn
                   FROM reviews WHERE item_type = '{'post' if item_type == 'post' else 'account'}'
                     AND decision IN ('confirm', 'reject'))
                 WHERE rn = 1"""
    if item_type == "post":
        return _query(corpus, 
            f"""SELECT p.text, CASE WHEN l.decision = 'confirm' THEN 1 ELSE 0 END AS label
                FROM ({latest}) l JOIN posts p ON p.platform = l.platform AND p.post_id = l.item_id
                WHERE (l.analysis IS NULL OR l.analysis = 'hate') AND p.text IS NOT NULL
                ORDER BY l.decided_at""")
    if item_type == "account":
        return _query(corpus, 
            f"""SELECT l.item_id AS account_id, CASE WHEN l.decision = 'confirm' THEN 1 ELSE 0 END AS label
                FROM ({latest}) l WHERE l.analysis IS NULL OR l.analysis = 'accounts' ORDER BY l.decided_at""")
    raise ValueError("item_type is post or account")
