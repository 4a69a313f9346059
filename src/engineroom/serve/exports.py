"""The review app's downloads (admins only; read-only): the export page, the platform report
(CSV / JSON), reviewer labels and DSA notices.

Each file is built once per state of the decisions (and version of the findings) and kept in
memory per worker until the next decision; the platform report is assembled from one row per
confirmed decision, each made once. Built from the queue's copy in the review store
(:mod:`engineroom.serve.snapshot`), or from the corpus when a decision names an item the copy
does not hold.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from . import snapshot
from .reader import CorpusReader, corpus_view
from .store import ReviewStore


def add_export_routes(app: FastAPI, db: Path, store: ReviewStore, reader: CorpusReader, render: Callable,
                      require_admin: Callable) -> None:
    """``/export`` (the page) and ``/export/{name}`` (the files) on ``app`` (``render`` and
    ``require_admin`` are the app's page renderer and admin check)."""
    # -- exports (admins; read-only) -----------------------------------------------------------
    @app.get("/export", response_class=HTMLResponse)
    def export_page(request: Request):
        counts_ = store.rows("SELECT item_type, decision, count(*) AS n FROM review_state GROUP BY 1, 2 ORDER BY 1, 2")
        me = store.user(request.state.session.username) or {}
        return render(request, "export.html", counts=counts_, email=me.get("email") or "")

    @app.get("/export/{name}")
    async def export_file(request: Request, name: str, notifier_name: str = "", notifier_email: str = ""):
        """An export (admins): served from memory when the decisions have not changed since it
        was built, else built in a thread."""
        denied = require_admin(request)
        if denied:
            return denied
        stem, _, suffix = name.rpartition(".")
        if stem not in ("platform-report", "labels-posts", "labels-accounts", "dsa-notices") or suffix not in ("csv", "json"):
            return JSONResponse({"detail": "unknown export"}, status_code=404)
        notifier = ("", "")
        if stem == "dsa-notices":
            me = store.user(request.state.session.username) or {}
            notifier = (notifier_name or request.state.session.username, notifier_email or me.get("email") or "")
        # one file per state of the decisions (and findings): built once, then served from memory
        key = (name, store.state_version(), snapshot.snapshot_signature(store)) + notifier
        hit = exports.get(key)
        if hit is None:
            try:  # the platform report and post labels from the review store, here; others in a thread
                hit = build_export(stem, suffix, notifier, store_only=True) or \
                    await run_in_threadpool(build_export, stem, suffix, notifier)
            except ValueError as exc:
                return render(request, "error.html", status=400, message=str(exc))
            if len(exports) >= 16:
                exports.clear()
            exports[key] = hit
        data, media = hit
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
        return Response(data, media_type=media,
                        headers={"Content-Disposition": f'attachment; filename="{stem}-{stamp}.{suffix}"'})

    exports: dict = {}
    report_rows: dict = {}  # a platform report's row per confirmed decision (CSV bytes, JSON record)

    def report_from_rows(ids: list[str], suffix: str) -> tuple[bytes, str]:
        """The platform report, each confirmed decision's row made once (a decision in force never
        changes; a new one is a new review id) and the file assembled from them: the same bytes
        as building it whole, at a fraction of the cost once a team has confirmed thousands."""
        from .. import export as ex

        sig = snapshot.snapshot_signature(store)
        if report_rows.get("__sig__") != sig or len(report_rows) > 200_000:
            report_rows.clear()
            report_rows["__sig__"] = sig
        missing = [i for i in ids if i not in report_rows]
        for r in snapshot.confirmed(store, missing) or [] if missing else []:
            # one row's CSV line and JSON record, as the whole file writes them (its values are
            # texts or None, which a data frame's CSV and JSON keep as they are)
            row = ex.platform_report_rows([r])[0]
            buf = io.StringIO()
            ex.write_csv([[row[c] for c in ex.PLATFORM_REPORT_COLUMNS]], buf)
            record = json.dumps(row, ensure_ascii=False, indent=1).replace("\n", "\n ")
            report_rows[r["review_id"]] = (buf.getvalue().encode("utf-8"), (" " + record).encode("utf-8"))
        rows = [report_rows[i] for i in ids if i in report_rows]
        if len(rows) != len(ids):  # a decision changed between the two reads: build it whole
            return None
        if suffix == "csv":
            header = ex.csv_bytes(pd.DataFrame(columns=ex.PLATFORM_REPORT_COLUMNS))
            return header + b"".join(line for line, _ in rows), "text/csv; charset=utf-8"
        # json.dumps(records, indent=1), written from each record's own indented text
        body = b"[\n" + b",\n".join(rec for _, rec in rows) + b"\n]" if rows else b"[]"
        return body, "application/json"

    def build_export(stem: str, suffix: str, notifier: tuple[str, str], store_only: bool = False) -> tuple[bytes, str] | None:
        """The bytes and media type of one export, from the queue's copy in the review store when
        it holds every item decided, else from the corpus (read-only either way; ``store_only``:
        None instead of reading the corpus)."""
        from .. import export as ex

        if store_only and stem not in ("platform-report", "labels-posts"):
            return None  # built whole each time: in a thread
        df = None
        if snapshot.has_snapshot(store):
            if stem == "platform-report":
                ids = snapshot.confirmed_ids(store)
                built = report_from_rows(ids, suffix) if ids is not None else None
                if built is not None:
                    return built
            if stem in ("platform-report", "dsa-notices"):
                conf = snapshot.confirmed(store)
                if conf is not None:
                    df = ex.platform_report(None, store, confirmed=conf) if stem == "platform-report" else \
                        ex.dsa_notices(None, store, *notifier, confirmed=conf)
            elif stem == "labels-posts":
                labels = snapshot.post_labels(store)
                if labels is not None:  # (text, label) rows, written as the data frame would be
                    if suffix == "csv":
                        buf = io.StringIO()
                        ex.write_csv(labels, buf, header=["text", "label"])
                        return buf.getvalue().encode("utf-8"), "text/csv; charset=utf-8"
                    return (json.dumps([{"text": t, "label": lab} for t, lab in labels], ensure_ascii=False,
                                       indent=1).encode("utf-8"), "application/json")
        if df is None:
            if store_only:
                return None
            with reader.cursor(decisions=False) as cur:
                view = corpus_view(db, cur)
                if stem == "platform-report":
                    df = ex.platform_report(view, store)
                elif stem == "dsa-notices":
                    df = ex.dsa_notices(view, store, *notifier)
                else:
                    df = ex.review_labels(view, "post" if stem == "labels-posts" else "account", store)
        if suffix == "csv":
            data, media = ex.csv_bytes(df), "text/csv; charset=utf-8"
        elif stem == "dsa-notices":
            data, media = json.dumps(ex.dsa_json(df), ensure_ascii=False, indent=1).encode("utf-8"), "application/json"
        else:
            data = json.dumps(ex._records(df), ensure_ascii=False, indent=1).encode("utf-8")
            media = "application/json"
        return data, media
