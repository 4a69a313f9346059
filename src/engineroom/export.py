"""Exports: any table to CSV / Parquet / JSON, the graph for Gephi, and what reviewers confirmed.

``engineroom export TABLE --out FILE`` (:func:`export_table`):

- any corpus or findings table (``engine_room``, ``coordination``, ``hate``, ``posts`` ...) to
  ``.csv``, ``.parquet``, ``.json`` (one JSON array) or ``.jsonl`` (one object a line); a findings
  table whose analysis has not run raises :class:`engineroom.findings.MissingFindings`, which
  names the analysis to run (an export never runs one);
- ``graph`` to ``.gexf`` / ``.graphml`` (:func:`engineroom.graph_export.export_graph`, with
  ``edge_type`` and ``community``);
- ``platform-report``: the items reviewers confirmed in ``engineroom serve``, in the shape a
  platform's reporting form or a party's complaints process asks for (account, post URL, time,
  reason, category, evidence, reviewer decision), as ``.csv`` or ``.json``;
- ``labels-posts`` / ``labels-accounts``: reviewer decisions as training / evaluation labels, in
  the forms ``engineroom eval hate --data`` (``text,label``) and ``engineroom eval accounts
  --labels`` (``account_id,label``) read: confirm = 1, reject = 0 (escalations are left out);
- ``dsa-notices``: one notice per confirmed post or account in the shape Art. 16(2) of the EU
  Digital Services Act (Regulation (EU) 2022/2065) asks of a notice to a hosting service: the
  exact URL, a substantiated explanation, the notifier's name and email, and the statement of
  good faith (:func:`dsa_notices`); ``.json`` or ``.csv``;
- ``reviews``: the reviewers' audit log (from the review store beside the corpus).

Decisions come from the review store (:mod:`engineroom.serve.store`); exports only read, the
corpus too (it may be opened read-only, beside a running ``engineroom serve``).

Every CSV this module writes goes through :func:`write_csv`: every cell quoted (a CR, LF or tab
inside a cell cannot start a row or a column), and a text cell that a spreadsheet would run as a
formula (its first character after any whitespace and control characters is ``=``, ``+``,
``-``, ``@`` or their full-width forms, or it starts with a tab, CR or LF) gets a leading ``'``
(:func:`csv_cell`; OWASP's advice on CSV injection). Post text is hostile; the files go to
platforms and spreadsheets.
"""

from __future__ import annotations

import csv
import io
import json
import os
import unicodedata
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterable

import pandas as pd

from . import findings
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
        return write_frame(platform_report(corpus), out)
    if key in ("labels-posts", "labels-accounts"):
        return write_frame(review_labels(corpus, "post" if key == "labels-posts" else "account"), out)
    if key == "dsa-notices":
        raise ValueError("DSA notices need the notifier's name and email: "
                         "engineroom export dsa-notices --notifier-name NAME --notifier-email EMAIL --out FILE")
    if key == "reviews":
        return write_frame(audit_log(corpus), out)
    if key == "users":
        raise KeyError("users are not exported (they hold password hashes): engineroom users list")
    if name in findings.declared():
        findings.require(corpus, name)  # MissingFindings names the analysis to run: an export never runs one
    elif name not in corpus.tables():
        raise KeyError(f"no table {name!r} in {corpus.path}; tables: {', '.join(corpus.tables())}, "
                       "or graph, platform-report, labels-posts, labels-accounts")
    out.parent.mkdir(parents=True, exist_ok=True)
    opts = {".csv": "FORMAT csv, HEADER true", ".parquet": "FORMAT parquet",
            ".json": "FORMAT json, ARRAY true", ".jsonl": "FORMAT json", ".ndjson": "FORMAT json"}[suffix]
    cur = corpus.con.cursor()
    try:
        if suffix == ".csv":  # through the one safe CSV writer, in batches
            from .progress import progress

            total = cur.execute(f"SELECT count(*) FROM {_quote_ident(name)}").fetchall()[0][0]
            reader = cur.sql(f"SELECT * FROM {_quote_ident(name)}").to_arrow_reader(50_000)
            with out.open("w", encoding="utf-8", newline="") as fh, progress(f"Exporting {name}", total=total) as bar:
                writer = csv_writer(fh)
                writer.writerow(reader.schema.names)
                for batch in reader:
                    cols = [c.to_pylist() for c in batch.columns]
                    writer.writerows([csv_cell(v) for v in row] for row in zip(*cols))
                    bar.advance(batch.num_rows)
        else:
            cur.execute(f"COPY (SELECT * FROM {_quote_ident(name)}) TO {_sql_path(out)} ({opts})")
    finally:
        cur.close()
    return out


def write_frame(df: pd.DataFrame, out: Path) -> Path:
    """Write a data frame as CSV (:func:`write_csv`) / Parquet / JSON (array) / JSONL, by suffix."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        with out.open("w", encoding="utf-8", newline="") as fh:
            write_csv(df, fh)
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


#: first characters that make a spreadsheet read a cell as a formula (with their full-width forms)
FORMULA_START = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")


def _ignorable(ch: str) -> bool:
    """Whitespace and control / format characters a spreadsheet may skip before a formula."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def csv_cell(v: Any) -> Any:
    """One value as a CSV cell a spreadsheet shows as text, never runs: None is empty, lists and
    dicts are JSON, and a text that starts with a tab / CR / LF or whose first character after
    whitespace and control characters is ``= + - @`` (or a full-width form) gets a leading ``'``.
    Numbers, booleans and times stay as they are."""
    if v is None:
        return ""
    if isinstance(v, float) and v != v:
        return ""
    if isinstance(v, (list, tuple, dict)):
        v = json.dumps(v, ensure_ascii=False, default=str)
    elif isinstance(v, (datetime, date)):
        return v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()
    elif not isinstance(v, str):
        return v
    if not v:
        return v
    if v[0] in "\t\r\n":
        return "'" + v
    i = 0
    while i < len(v) and _ignorable(v[i]):
        i += 1
    if i < len(v) and v[i] in FORMULA_START:
        return "'" + v
    return v


def csv_value(cell: str) -> str:
    """The text :func:`csv_cell` was given, from a cell of a CSV this project wrote (the one
    leading ``'`` it added is dropped). A text that itself began with ``'`` before a formula
    character cannot be told apart and loses that quote."""
    if cell.startswith("'") and csv_cell(cell[1:]) == cell:
        return cell[1:]
    return cell


def csv_writer(fh: IO[str]):
    """The project's CSV dialect: every cell quoted (quotes doubled), CRLF between rows."""
    return csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")


def write_csv(rows: "pd.DataFrame | Iterable[Iterable[Any]]", fh: IO[str], header: list[str] | None = None) -> None:
    """Write a data frame (or ``header`` and rows) as safe CSV to ``fh``: the one CSV writer of
    the project's exports (cells through :func:`csv_cell`, quoted by :func:`csv_writer`)."""
    w = csv_writer(fh)
    if isinstance(rows, pd.DataFrame):
        header = [str(c) for c in rows.columns]
        rows = rows.itertuples(index=False, name=None)
    if header is not None:
        w.writerow([csv_cell(h) for h in header])
    w.writerows([csv_cell(_plain(v)) for v in row] for row in rows)


def _plain(v: Any) -> Any:
    """pandas / numpy scalars as Python values (NaT / NaN as None)."""
    if v is None:
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.to_pydatetime()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            return v
    if v is pd.NaT:
        return None
    return v


def csv_bytes(df: pd.DataFrame) -> bytes:
    """A data frame as safe CSV (:func:`write_csv`), UTF-8 encoded."""
    buf = io.StringIO()
    write_csv(df, buf)
    return buf.getvalue().encode("utf-8")


def _store(corpus: Corpus, store=None):
    """The review store beside ``corpus`` (opened, and migrated from the corpus once, if not given)."""
    if store is not None:
        return store
    from .serve.store import open_store

    return open_store(corpus.path, con=corpus.con)


def _decisions(corpus: Corpus, store=None) -> None:
    """Register the decisions in force on the corpus's connection as ``review_decisions``."""
    from .serve.store import register_decisions

    register_decisions(corpus.con, _store(corpus, store))


def latest_decisions(corpus: Corpus, item_type: str | None = None, store=None) -> pd.DataFrame:
    """The decision in force per flagged item (latest, not undone), oldest first."""
    _decisions(corpus, store)
    where = "WHERE item_type = ?" if item_type else ""
    return _query(corpus, f"SELECT * FROM review_decisions {where} ORDER BY decided_at",
                  [item_type] if item_type else None)


def audit_log(corpus: Corpus, store=None) -> pd.DataFrame:
    """Every decision and undo, oldest first (the review store's ``reviews`` log)."""
    rows = _store(corpus, store).rows("SELECT * FROM reviews ORDER BY decided_at, rowid")
    cols = ["review_id", "item_type", "platform", "item_id", "analysis", "decision", "note", "reviewer",
            "decided_at", "batch_id", "undoes"]
    return pd.DataFrame(rows, columns=cols)


def _confirmed(corpus: Corpus, store=None) -> list[dict]:
    """Confirmed flags with what the corpus knows of them (reads only; the queue is optional)."""
    from .report.data import Findings
    from .serve.queue import QUEUE_TABLE, queue_is_current, queue_sql

    _decisions(corpus, store)
    # the flags' reasons: the review queue, or (not built, or out of date) the query that builds it
    queue = QUEUE_TABLE if queue_is_current(corpus.con) else f"({queue_sql(Findings(corpus))})"
    rows = _query(corpus,
        f"""WITH latest AS (
             SELECT item_type, nullif(platform, '') AS platform, item_id, nullif(analysis, '') AS analysis, decision,
                    reviewer, decided_at, note, review_id
             FROM review_decisions WHERE decision = 'confirm')
           SELECT l.item_type, l.platform, l.item_id, l.analysis, l.decision, l.reviewer, l.decided_at, l.note, l.review_id,
                  q.reason, q.category, q.evidence, q.narrative,
                  coalesce(p.account_id, q.account_id, CASE WHEN l.item_type = 'account' THEN l.item_id END) AS account_id,
                  coalesce(p.handle, a.handle, q.handle) AS handle,
                  p.post_id, p.created_at AS post_time, p.text, p.url
           FROM latest l
           LEFT JOIN {queue} q ON q.item_type = l.item_type AND coalesce(q.platform, '') = coalesce(l.platform, '')
                                   AND q.item_id = l.item_id AND coalesce(q.analysis, '') = coalesce(l.analysis, '')
           LEFT JOIN posts p ON l.item_type = 'post' AND p.platform = l.platform AND p.post_id = l.item_id
           LEFT JOIN accounts a ON a.platform = l.platform
                               AND a.account_id = coalesce(p.account_id, q.account_id,
                                                           CASE WHEN l.item_type = 'account' THEN l.item_id END)
           ORDER BY l.decided_at, l.review_id"""
    )
    return [{k: _plain(None if isinstance(v, float) and v != v else v) for k, v in r.items()}
            for r in rows.to_dict("records")]


def platform_report(corpus: Corpus | None, store=None, confirmed: list[dict] | None = None) -> pd.DataFrame:
    """Confirmed items as rows for a platform's reporting form: account, post URL, time, reason,
    category, evidence and the reviewer's decision (with reviewer, time and note). ``confirmed``:
    the confirmed items as :func:`_confirmed` gives them, when the caller has them already (the
    review app reads them from its copy of the queue)."""
    rows = platform_report_rows(confirmed if confirmed is not None else _confirmed(corpus, store))
    return pd.DataFrame(rows, columns=PLATFORM_REPORT_COLUMNS)


def platform_report_rows(confirmed: list[dict]) -> list[dict]:
    """The platform report's rows (dicts of :data:`PLATFORM_REPORT_COLUMNS`, texts or None) of
    confirmed items as :func:`_confirmed` gives them."""
    out = []
    for r in confirmed:
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
    return out


def review_labels(corpus: Corpus, item_type: str = "post", store=None) -> pd.DataFrame:
    """Reviewer decisions as labels: ``text,label`` for posts (1 = confirmed antisemitic / hateful),
    ``account_id,label`` for accounts (1 = confirmed operation / bot / engine-room account).

    Only decisions on ``hate`` flags become post labels and only decisions on ``accounts``
    (operation-likeness) flags become account labels (or decisions with no analysis named), so
    that a confirmed *narrative* or *engine room* flag is not mistaken for a hate or bot label.
    """
    _decisions(corpus, store)
    latest = f"""SELECT item_type, platform, item_id, nullif(analysis, '') AS analysis, decision, decided_at
                 FROM review_decisions WHERE item_type = '{'post' if item_type == 'post' else 'account'}'
                   AND decision IN ('confirm', 'reject')"""
    if item_type == "post":
        return _query(corpus, 
            f"""SELECT p.text, CASE WHEN l.decision = 'confirm' THEN 1 ELSE 0 END AS label
                FROM ({latest}) l JOIN posts p ON p.platform = l.platform AND p.post_id = l.item_id
                WHERE (l.analysis IS NULL OR l.analysis = 'hate') AND p.text IS NOT NULL
                ORDER BY l.decided_at, l.item_id""")
    if item_type == "account":
        return _query(corpus, 
            f"""SELECT l.item_id AS account_id, CASE WHEN l.decision = 'confirm' THEN 1 ELSE 0 END AS label
                FROM ({latest}) l WHERE l.analysis IS NULL OR l.analysis = 'accounts' ORDER BY l.decided_at, l.item_id""")
    raise ValueError("item_type is post or account")


#: Art. 16(2)(d) DSA: the notifier's statement of good faith, in the Regulation's words
GOOD_FAITH = ("I confirm my bona fide belief that the information and allegations contained in this notice "
              "are accurate and complete.")
DSA_BASIS = "Regulation (EU) 2022/2065 (Digital Services Act), Article 16 (notice and action mechanisms)"
DSA_COLUMNS = ["notice_id", "platform", "item_type", "item_id", "exact_url", "explanation", "notifier_name",
               "notifier_email", "statement_of_good_faith", "content_excerpt", "account", "reason", "category",
               "reviewer", "decided_at"]


def _valid_email(email: str) -> bool:
    local, _, domain = (email or "").partition("@")
    return bool(local) and "." in domain and not any(c.isspace() for c in email) and len(email) <= 254


def dsa_notices(corpus: Corpus | None, store=None, notifier_name: str = "", notifier_email: str = "",
                confirmed: list[dict] | None = None) -> pd.DataFrame:
    """One notice per confirmed post or account, with what Art. 16(2) DSA asks of a notice:
    (a) a substantiated explanation of why the item is illegal or against the platform's terms
    (the analysis that flagged it, its reason and category, the evidence, the reviewer's decision
    and note), (b) the exact URL, (c) the notifier's name and email, (d) the statement of good
    faith (:data:`GOOD_FAITH`). Confirmed items without an exact URL (clusters, posts of an
    unknown address) cannot be notified: they are listed in ``df.attrs["not_included"]`` with the
    reason, never dropped silently. Raises ValueError without a notifier name and a valid email.
    ``confirmed``: as for :func:`platform_report`."""
    notifier_name = (notifier_name or "").strip()
    notifier_email = (notifier_email or "").strip()
    if not notifier_name or not _valid_email(notifier_email):
        raise ValueError("a DSA notice needs the notifier's name and a valid email address")
    out, left_out = [], []
    for r in (confirmed if confirmed is not None else _confirmed(corpus, store)):
        if r["item_type"] == "post":
            pid = str(r.get("post_id") or r["item_id"])
            # an exact URL: the one the export carried, or the platform's own form of a real post id
            url = post_url(r["platform"], r.get("handle"), pid, r.get("url"))
        elif r["item_type"] == "account":
            url = account_url(r["platform"], r.get("handle"))
        else:
            url = None
        if not url:
            left_out.append({"item_type": r["item_type"], "platform": r["platform"], "item_id": r["item_id"],
                             "why": "no exact URL for this item (a platform notice needs one)"})
            continue
        decided = r["decided_at"].isoformat(sep=" ", timespec="seconds") if r.get("decided_at") is not None else "?"
        what = r.get("reason") or r.get("analysis") or "flagged"
        cat = r.get("category") or r.get("narrative")
        parts = [f"Flagged by the engineroom '{r.get('analysis') or 'manual'}' analysis as: {what}"
                 + (f" (category: {cat})" if cat else "") + "."]
        if r.get("evidence"):
            parts.append(f"Evidence: {_evidence_text(r['evidence'])}.")
        parts.append(f"A human reviewer ({r['reviewer']}) examined the item and confirmed it on {decided} UTC.")
        if r.get("note"):
            parts.append(f"Reviewer's note: {r['note']}")
        text = r.get("text")
        out.append({
            "notice_id": r["review_id"],
            "platform": r["platform"],
            "item_type": r["item_type"],
            "item_id": r["item_id"],
            "exact_url": url,
            "explanation": " ".join(parts),
            "notifier_name": notifier_name,
            "notifier_email": notifier_email,
            "statement_of_good_faith": GOOD_FAITH,
            "content_excerpt": text[:500] if isinstance(text, str) else None,
            "account": r.get("handle") or r.get("account_id"),
            "reason": what,
            "category": cat,
            "reviewer": r["reviewer"],
            "decided_at": r["decided_at"].isoformat() if r.get("decided_at") is not None else None,
        })
    df = pd.DataFrame(out, columns=DSA_COLUMNS)
    df.attrs["not_included"] = left_out
    return df


def _evidence_text(evidence: Any) -> str:
    """Evidence in words: the lexicon terms matched (with their category), the classifier's
    strongest words, narrative keywords; other evidence as :func:`describe_evidence` puts it."""
    from .report.data import describe_evidence
    from .serve.highlight import evidence_phrases

    phrases = evidence_phrases([evidence])
    if not phrases:
        return describe_evidence(evidence, 600)
    parts = []
    lex = [f"'{p}' ({t})" for p, k, t in phrases if k in ("slur", "trope")]
    if lex:
        parts.append("lexicon matches " + ", ".join(dict.fromkeys(lex)))
    words = list(dict.fromkeys(p for p, k, _ in phrases if k == "token"))
    if words:
        parts.append("the classifier's strongest words: " + ", ".join(words[:8]))
    kws = list(dict.fromkeys(p for p, k, _ in phrases if k == "keyword"))
    if kws:
        parts.append("keywords: " + ", ".join(kws[:8]))
    return "; ".join(parts)


def dsa_json(df: pd.DataFrame) -> dict[str, Any]:
    """The notices of :func:`dsa_notices` as one JSON document: legal basis, notifier, statement,
    the notices, and the confirmed items left out with the reason."""
    recs = _records(df)
    first = recs[0] if recs else {}
    return {
        "legal_basis": DSA_BASIS,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "notifier": {"name": first.get("notifier_name"), "email": first.get("notifier_email")},
        "statement_of_good_faith": GOOD_FAITH,
        "notices": recs,
        "not_included": df.attrs.get("not_included", []),
    }


def write_dsa_notices(corpus: Corpus, out: str | os.PathLike, notifier_name: str, notifier_email: str,
                      store=None) -> tuple[Path, int, int]:
    """Write :func:`dsa_notices` to ``out`` (``.json`` or ``.csv``); returns (path, notices, left out)."""
    out = Path(out)
    if out.suffix.lower() not in (".json", ".csv"):
        raise ValueError("DSA notices are written as .json or .csv")
    df = dsa_notices(corpus, store, notifier_name, notifier_email)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".json":
        out.write_text(json.dumps(dsa_json(df), ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    else:
        write_frame(df, out)
    return out, len(df), len(df.attrs.get("not_included", []))
