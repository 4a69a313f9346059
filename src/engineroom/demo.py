"""``engineroom demo``: a synthetic corpus with planted ground truth, through the whole pipeline.

:func:`run_demo` synthesizes a corpus (twarc2 JSONL, about 50k posts by default) into ``out/``,
ingests it into ``out/engineroom.duckdb``, runs every registered analysis in dependency order, writes
``out/report.html`` and prints how the headline findings compare with what was planted
(:func:`compare_with_truth`): how many of the engine room's accounts were recovered, whether the
hashtag campaign and burst were found at the right time, how many operation accounts ended in a
coordination cluster, and precision / recall of the hate and narrative findings on the posts.

An analysis that fails fails the demo: the error is raised, not hidden.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from .synth import synthesize, truth_paths

DEMO_CORPUS = "demo_corpus.jsonl"
DEMO_DB = "engineroom.duckdb"


def _ts(value: Any) -> datetime | None:
    """A naive UTC datetime from a corpus timestamp or an ISO string of the truth file."""
    import pandas as pd

    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if pd.isna(ts):
        return None
    if ts.tzinfo is not None:
        ts = ts.tz_convert(None)
    return ts.to_pydatetime()


def _hours(a: Any, b: Any) -> float | None:
    ta, tb = _ts(a), _ts(b)
    if ta is None or tb is None:
        return None
    return round((ta - tb).total_seconds() / 3600.0, 2)


def _columns(corpus, table: str) -> set[str]:
    if not corpus.has_table(table):
        return set()
    return {r[0] for r in corpus.con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema='main' AND table_name = ?", [table]
    ).fetchall()}


def _prf(tp: int, n_pred: int, n_true: int) -> dict[str, Any]:
    p = tp / n_pred if n_pred else None
    r = tp / n_true if n_true else None
    f = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {"tp": tp, "predicted": n_pred, "planted": n_true,
            "precision": None if p is None else round(p, 4),
            "recall": None if r is None else round(r, 4),
            "f1": None if f is None else round(f, 4)}


def compare_with_truth(corpus, truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Headline findings in ``corpus`` against the planted ``truth`` (from :func:`engineroom.synth.synthesize`).

    Returns one entry per planted structure; an entry says ``available: False`` (with why) when the
    analysis that would find it has not written its table. Checks read only findings tables, so
    they work on any analysis implementation that keeps the agreed table names and columns.
    """
    con = corpus.con
    out: dict[str, dict[str, Any]] = {}

    # ingest: every planted post and account is in the corpus
    out["ingest"] = {
        "available": True,
        "posts_planted": truth["counts"]["posts"],
        "posts_stored": corpus.count("posts"),
        "accounts_planted": truth["counts"]["accounts"],
        "accounts_stored": corpus.count("accounts"),
        "quarantined": corpus.count("quarantine"),
    }
    out["ingest"]["ok"] = (out["ingest"]["posts_stored"] == out["ingest"]["posts_planted"]
                           and out["ingest"]["accounts_stored"] == out["ingest"]["accounts_planted"])

    # the engine room: planted core accounts among the analysis's core / top ranks
    er = set(truth["engine_room"]["accounts"])
    er_hate = set(truth["engine_room"]["hateful_accounts"])
    cols = _columns(corpus, "engine_room")
    if {"account_id", "in_core"} <= cols:
        narratives = [r[0] for r in con.execute("SELECT DISTINCT narrative FROM engine_room").fetchall()] if "narrative" in cols else [None]
        name = truth["narrative"]["name"]
        # the planted narrative's rows if the analysis names it, else the one whose core holds most planted accounts
        best = None
        for nar in narratives:
            where, params = ("WHERE narrative = ?", [nar]) if nar is not None else ("", [])
            rows = con.execute(f"SELECT account_id, in_core, rank FROM engine_room {where}", params).fetchall()
            core = {str(a) for a, c, _r in rows if c}
            ranked = [str(a) for a, _c, rk in sorted(rows, key=lambda x: (x[2] is None, x[2]))]
            top = set(ranked[: len(er)])
            cand = {"narrative": nar, "core_size": len(core), "recovered": len(core & er),
                    "planted": len(er), "core_precision": round(len(core & er) / len(core), 4) if core else None,
                    "top_k_recovered": len(top & er), "k": len(er)}
            if "posted_hate" in cols and corpus.has_table("hate"):
                hate_rows = con.execute(f"SELECT account_id FROM engine_room {where} {'AND' if where else 'WHERE'} in_core AND posted_hate", params).fetchall()
                flagged = {str(r[0]) for r in hate_rows}
                cand["core_hateful_found"] = len(flagged)
                cand["hateful_recovered"] = len(flagged & er_hate)
                cand["hateful_planted"] = len(er_hate)
            if nar == name or nar is not None and name in str(nar):
                best = cand
                break
            if best is None or cand["recovered"] > best["recovered"]:
                best = cand
        out["engine_room"] = {"available": True, **(best or {})}
    else:
        out["engine_room"] = {"available": False, "why": "no engine_room table (analysis engine_room)"}

    # the hashtag campaign against the MP
    camp = truth["campaign"]
    cols = _columns(corpus, "campaigns")
    if "hashtag" in cols:
        row = con.execute("SELECT * FROM campaigns WHERE lower(hashtag) = ? LIMIT 1", [camp["hashtag"]]).df()
        found = len(row) > 0
        entry: dict[str, Any] = {"available": True, "hashtag": camp["hashtag"], "found": found,
                                 "campaigns_found": corpus.count("campaigns")}
        if found:
            r = row.iloc[0].to_dict()
            entry["target_found"] = r.get("target_handle")
            entry["target_ok"] = str(r.get("target_handle") or "").lower() == camp["target_handle"].lower()
            entry["start_error_hours"] = _hours(r.get("start"), camp["start"])
            entry["peak_error_hours"] = _hours(r.get("peak_at", r.get("peak")), camp["peak"])
        out["campaign"] = entry
    else:
        out["campaign"] = {"available": False, "why": "no campaigns table (analysis campaigns)"}

    # the hashtag burst
    burst = truth["burst"]
    cols = _columns(corpus, "trends")
    if {"tag", "onset"} <= cols:
        where = "WHERE lower(tag) = ?" + (" AND resolution = 'hour'" if "resolution" in cols else "")
        rows = con.execute(f"SELECT * FROM trends {where} ORDER BY onset", [burst["hashtag"]]).df()
        if len(rows) == 0 and "resolution" in cols:
            rows = con.execute("SELECT * FROM trends WHERE lower(tag) = ? ORDER BY onset", [burst["hashtag"]]).df()
        entry = {"available": True, "hashtag": burst["hashtag"], "found": len(rows) > 0}
        if len(rows):
            # the burst nearest the planted onset
            errs = [(_hours(o, burst["onset"]), i) for i, o in enumerate(rows["onset"].tolist())]
            errs = [(abs(e), e, i) for e, i in errs if e is not None]
            if errs:
                _a, e, i = min(errs)
                entry["onset_error_hours"] = e
                if "peak_at" in rows.columns:
                    entry["peak_error_hours"] = _hours(rows["peak_at"].iloc[i], burst["peak"])
        out["burst"] = entry
    else:
        out["burst"] = {"available": False, "why": "no trends table (analysis trends)"}

    # the operation: in coordination clusters and / or flagged by the account scores
    op = set(truth["operation"]["accounts"])
    entry = {"available": False, "planted": len(op)}
    if "account_id" in _columns(corpus, "coordination_clusters"):
        accts = {str(r[0]) for r in con.execute("SELECT DISTINCT account_id FROM coordination_clusters").fetchall()}
        entry.update(available=True, clusters=_prf(len(accts & op), len(accts), len(op)))
    cols = _columns(corpus, "account_scores")
    if {"account_id", "operation_label"} <= cols:
        flagged = {str(r[0]) for r in con.execute("SELECT account_id FROM account_scores WHERE operation_label").fetchall()}
        entry.update(available=True, account_scores=_prf(len(flagged & op), len(flagged), len(op)))
    if not entry["available"]:
        entry["why"] = "no coordination_clusters or account_scores table (analyses coordination, accounts)"
    out["operation"] = entry

    # the fake-news domain
    cols = _columns(corpus, "domains")
    if "domain" in cols:
        row = con.execute("SELECT * FROM domains WHERE domain = ?", [truth["operation"]["domain"]]).df()
        d = row.iloc[0].to_dict() if len(row) else {}
        out["domain"] = {"available": True, "domain": truth["operation"]["domain"], "found": bool(d),
                         **{k: d.get(k) for k in ("posts", "accounts", "low_credibility", "coordinated_accounts", "credibility") if k in d}}
    else:
        out["domain"] = {"available": False, "why": "no domains table (analysis domains)"}

    # per-post findings: hate and narratives against FILE.posts_truth.csv
    pt = truth.get("posts_truth_path")
    if pt and Path(pt).exists():
        lit = "'" + str(pt).replace("'", "''") + "'"
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW _posts_truth AS SELECT * FROM read_csv({lit}, header=true, "
            "types={'post_id': 'VARCHAR', 'account_id': 'VARCHAR'})"
        )
        # scored on posts other than retweets: a retweet repeats its original's text, so counting
        # it would count the same text again (and analyses may or may not label retweets)
        n_hate = con.execute("SELECT count(*) FROM _posts_truth WHERE hateful = 1 AND kind <> 'retweet'").fetchone()[0]
        n_narr = con.execute("SELECT count(*) FROM _posts_truth WHERE narrative = 1 AND kind <> 'retweet'").fetchone()[0]
        cols = _columns(corpus, "hate")
        if {"post_id", "label"} <= cols:
            tp, npred = con.execute(
                "SELECT count(*) FILTER (WHERE t.hateful = 1), count(*) FROM (SELECT DISTINCT post_id FROM hate "
                "WHERE label = 'antisemitic') h JOIN _posts_truth t USING (post_id) WHERE t.kind <> 'retweet'"
            ).fetchone()
            out["hate"] = {"available": True, **_prf(int(tp), int(npred), int(n_hate))}
        else:
            out["hate"] = {"available": False, "why": "no hate table (analysis hate)"}
        cols = _columns(corpus, "narratives")
        if "post_id" in cols:
            conds, params = [], []
            if "kind" in cols:
                conds.append("n.kind = 'narrative'")
            used: list[str] = []
            if "narrative" in cols:
                # the planted narrative under its own name, else any narrative about smears / weaponising
                names = [r[0] for r in con.execute("SELECT DISTINCT narrative FROM narratives").fetchall() if r[0]]
                name = truth["narrative"]["name"]
                used = [n for n in names if n == name] or [
                    n for n in names if any(w in n.lower() for w in ("smear", "weapon", "witch"))]
                if used:
                    conds.append("n.narrative IN (SELECT unnest(?))")
                    params.append(used)
            where = ("WHERE " + " AND ".join(conds)) if conds else ""
            tp, npred = con.execute(
                "SELECT count(*) FILTER (WHERE t.narrative = 1), count(*) FROM "
                f"(SELECT DISTINCT n.post_id FROM narratives n {where}) p JOIN _posts_truth t USING (post_id) "
                "WHERE t.kind <> 'retweet'",
                params,
            ).fetchone()
            out["narratives"] = {"available": True, "narratives": used or "all", **_prf(int(tp), int(npred), int(n_narr))}
        else:
            out["narratives"] = {"available": False, "why": "no narratives table (analysis narratives)"}
        con.execute("DROP VIEW IF EXISTS _posts_truth")
    return out


def summary_lines(checks: dict[str, dict[str, Any]]) -> list[str]:
    """One plain-language line per planted structure (what the demo prints)."""
    lines = []
    ing = checks["ingest"]
    lines.append(f"ingest: {ing['posts_stored']:,}/{ing['posts_planted']:,} posts, "
                 f"{ing['accounts_stored']:,}/{ing['accounts_planted']:,} accounts, {ing['quarantined']} quarantined")
    er = checks["engine_room"]
    if er.get("available"):
        s = (f"engine room: {er['recovered']}/{er['planted']} planted accounts in a core of {er['core_size']}"
             f" (top {er['k']} ranks hold {er['top_k_recovered']})")
        if "hateful_recovered" in er:
            s += f"; {er['hateful_recovered']}/{er['hateful_planted']} of its hateful accounts flagged"
        lines.append(s)
    else:
        lines.append(f"engine room: not analysed ({er['why']})")
    c = checks["campaign"]
    if c.get("available"):
        if c["found"]:
            lines.append(f"campaign #{c['hashtag']}: found, target {c.get('target_found')}"
                         f" ({'right' if c.get('target_ok') else 'wrong'}), start off by {c.get('start_error_hours')} h")
        else:
            lines.append(f"campaign #{c['hashtag']}: NOT found ({c['campaigns_found']} campaigns found)")
    else:
        lines.append(f"campaign: not analysed ({c['why']})")
    b = checks["burst"]
    if b.get("available"):
        lines.append(f"burst #{b['hashtag']}: " + (f"found, onset off by {b.get('onset_error_hours')} h" if b["found"] else "NOT found"))
    else:
        lines.append(f"burst: not analysed ({b['why']})")
    o = checks["operation"]
    if o.get("available"):
        parts = []
        if "clusters" in o:
            parts.append(f"{o['clusters']['tp']}/{o['planted']} in coordination clusters (precision {o['clusters']['precision']})")
        if "account_scores" in o:
            parts.append(f"{o['account_scores']['tp']}/{o['planted']} flagged by account scores (precision {o['account_scores']['precision']})")
        lines.append("operation: " + "; ".join(parts))
    else:
        lines.append(f"operation: not analysed ({o['why']})")
    for key in ("hate", "narratives"):
        h = checks.get(key)
        if h is None:
            continue
        if h.get("available"):
            lines.append(f"{key} posts (retweets aside): precision {h['precision']}, recall {h['recall']} ({h['planted']:,} planted)")
        else:
            lines.append(f"{key}: not analysed ({h['why']})")
    d = checks["domain"]
    if d.get("available"):
        lines.append(f"fake-news domain {d['domain']}: " + ("listed" if d["found"] else "NOT listed")
                     + (f", low credibility {d.get('low_credibility')}" if d["found"] and "low_credibility" in d else ""))
    return lines


def run_demo(out: str | Path = "demo-out", posts: int = 50_000, seed: int = 0, console=None) -> dict[str, Any]:
    """Synthesize, ingest, analyze and report into folder ``out``; returns paths, timings and checks.

    Keys: ``report`` (path of report.html), ``db``, ``corpus``, ``truth`` (path of the truth file),
    ``seconds`` (per stage), ``analyses`` (each analysis's headline figures), ``checks``
    (:func:`compare_with_truth`), ``summary`` (printed lines). Also written to ``out/demo_summary.json``.
    """
    import engineroom

    from .analyses import run_analyses

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = console.print if console is not None else (lambda *a, **k: None)
    corpus_path = out / DEMO_CORPUS
    db = out / DEMO_DB
    for stale in (db, db.with_name(db.name + ".wal")):  # the demo always starts from a fresh corpus
        if stale.exists():
            stale.unlink()
    seconds: dict[str, float] = {}
    t_all = time.perf_counter()

    t0 = time.perf_counter()
    truth = synthesize(posts, corpus_path, format="twarc2", seed=seed)
    seconds["synth"] = round(time.perf_counter() - t0, 2)
    say(f"synthesized {posts:,} posts with planted ground truth into {corpus_path} ({seconds['synth']}s)")

    analyses: dict[str, Any] = {}
    with engineroom.open(db) as corpus:
        t0 = time.perf_counter()
        reports = corpus.ingest([corpus_path])
        seconds["ingest"] = round(time.perf_counter() - t0, 2)
        stored = sum(r.stored for r in reports)
        say(f"ingested {stored:,} posts into {db} ({seconds['ingest']}s)")

        def step(name: str, secs: float, summary: dict) -> None:
            seconds[f"analysis:{name}"] = round(secs, 2)
            say(f"  analysis {name} done in {secs:.1f}s")

        t0 = time.perf_counter()
        analyses = run_analyses(corpus, on_step=step)  # a failing analysis raises: the demo fails loudly
        seconds["analyze"] = round(time.perf_counter() - t0, 2)

        from .report import write_report

        t0 = time.perf_counter()
        report = write_report(corpus, out / "report.html", pseudonymize=False, key=None, allow_file=None)
        seconds["report"] = round(time.perf_counter() - t0, 2)
        checks = compare_with_truth(corpus, truth)
    seconds["total"] = round(time.perf_counter() - t_all, 2)
    lines = summary_lines(checks)
    if console is not None:
        from rich.panel import Panel

        console.print(Panel("\n".join(lines), title="planted vs found", expand=False), highlight=False)
        console.print(f"done in {seconds['total']}s")
    result = {
        "report": str(report),
        "db": str(db),
        "corpus": str(corpus_path),
        "truth": truth_paths(corpus_path)[0].as_posix(),
        "posts": posts,
        "seed": seed,
        "seconds": seconds,
        "analyses": analyses,
        "checks": checks,
        "summary": lines,
    }
    (out / "demo_summary.json").write_text(json.dumps(result, indent=1, default=str))
    return result
