"""The review app's decisions: one item (``POST /review``, ``/api/review``), many at once
(``/review/bulk``: the selected items or every item matching the filter), ``/undo`` (the audit
keeps both) and the review log (``/reviews``). Every accepted decision is stored exactly once in
the review store; near-identical copies of a post are decided with their lead.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Callable
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from . import auth, snapshot
from .login import _safe_next
from .queue import DECISIONS, QUEUE_TABLE
from .reader import CorpusReader
from .store import ReviewStore, StoreBusy

class NeedsThread(RuntimeError):
    """The work must read the corpus (or may wait long): not on the event loop."""


#: seconds between tries of a write on the event loop while another connection holds the lock
WRITE_RETRIES = (0.001, 0.002, 0.004, 0.008, 0.016, 0.032)


async def write_soon(fn: Callable, *args, **kwargs):
    """``fn(*args, wait=False, **kwargs)`` (a write to the review store that raises
    :class:`StoreBusy`, having written nothing, when another connection holds the write lock) on
    the event loop; while the lock is held, tried again after 1, 2, 4 ... 32 ms (another worker's
    decision holds it for well under a millisecond), the loop serving other requests meanwhile;
    then in a thread, which waits for the lock (up to 30 s: a command writing the store, or the
    queue's copy being made). A thread is the last resort: it waits for the GIL while the loop
    works."""
    for delay in WRITE_RETRIES:
        try:
            return fn(*args, wait=False, **kwargs)
        except StoreBusy:
            await asyncio.sleep(delay)
    return await run_in_threadpool(fn, *args, **kwargs)


ITEM_TYPES = ("post", "account", "cluster")
#: most items one bulk action decides (one short write transaction)
BULK_MAX = 5000


def _with_copies(items: list[dict], copies) -> list[dict]:
    """``items`` and the near-identical copies (item type, platform, id, analysis) of their lead
    posts that are not among them already, each once."""
    seen = {(it["item_type"], it.get("platform") or "", it["item_id"], it.get("analysis") or "") for it in items}
    out = list(items)
    for t, p, i, a in copies:
        if (t, p, i, a) not in seen:
            seen.add((t, p, i, a))
            out.append({"item_type": t, "platform": p or None, "item_id": i, "analysis": a})
    return out


def add_decision_routes(app: FastAPI, store: ReviewStore, reader: CorpusReader, render: Callable[..., HTMLResponse],
                        require_csrf: Callable[..., Response | None], _queue_args: Callable[..., dict],
                        read_queue: Callable[..., tuple], counts: dict) -> None:
    """Add ``/review``, ``/review/bulk``, ``/undo``, ``/api/review`` and ``/reviews`` to ``app``;
    ``counts`` (the queue-count cache) is emptied after each decision."""
    def _check_form(item_type: str, platform: str | None, item_id: str, decision: str, note: str) -> str | None:
        if item_type not in ITEM_TYPES:
            return "unknown item type"
        if decision not in DECISIONS:
            return "decision is confirm, reject or escalate"
        if not item_id or len(item_id) > 300 or len(note) > 4000 or len(platform or "") > 100:
            return "bad item or note too long"
        return None

    def _check_item(cur, item_type: str, platform: str | None, item_id: str, analysis: str | None,
                    decision: str, note: str) -> str | None:
        err = _check_form(item_type, platform, item_id, decision, note)
        if err:
            return err
        if analysis:
            ok = cur.execute(f"SELECT count(*) FROM {QUEUE_TABLE} WHERE item_type = ? AND platform = coalesce(?, '') "
                             "AND item_id = ? AND analysis = ?", [item_type, platform, item_id, analysis]).fetchall()[0][0]
        elif item_type == "post":
            ok = cur.execute("SELECT count(*) FROM posts WHERE platform = ? AND post_id = ?", [platform, item_id]).fetchall()[0][0]
        elif item_type == "account":
            ok = cur.execute("SELECT count(*) FROM accounts WHERE platform = ? AND account_id = ?",
                             [platform, item_id]).fetchall()[0][0]
        else:
            ok = cur.execute(f"SELECT count(*) FROM {QUEUE_TABLE} WHERE item_type = 'cluster' AND item_id = ?",
                             [item_id]).fetchall()[0][0]
        return None if ok else "no such flagged item"

    def _decide(session: auth.Session, items: list[dict], decision: str, note: str,
                wait: bool = True) -> tuple[str | None, str | None]:
        """Check ``items`` against the corpus, then store them as one batch: (error, batch id).
        A decision on a group's lead is a decision on each of its near-identical copies too.
        Flags (items with an analysis) are checked against the queue's copy in the review store;
        other items against the corpus. ``wait=False`` (on the event loop): nothing written and
        :class:`StoreBusy` when another writer holds the store, :class:`NeedsThread` when the
        corpus must be read."""
        if snapshot.has_snapshot(store) and all(it.get("analysis") for it in items):
            for it in items:
                err = _check_form(it["item_type"], it.get("platform"), it["item_id"], decision, note)
                if err:
                    return err, None
                if not snapshot.is_flagged(store, it["item_type"], it.get("platform"), it["item_id"], it["analysis"]):
                    return "no such flagged item", None
            leads = [it for it in items if it["item_type"] == "post"]
            items = _with_copies(items, snapshot.copies_of(store, leads) if leads else [])
            batch = uuid.uuid4().hex
            store.record([dict(it, decision=decision, note=note) for it in items], session.username, batch, wait=wait)
            counts.clear()
            return None, batch
        if not wait:
            raise NeedsThread("the corpus is read in a thread")
        with reader.cursor(decisions=False) as cur:
            for it in items:
                err = _check_item(cur, it["item_type"], it.get("platform"), it["item_id"], it.get("analysis"),
                                  decision, note)
                if err:
                    return err, None
            leads = [it for it in items if it["item_type"] == "post" and it.get("analysis")]
            if leads:
                copies = cur.execute(
                    f"""SELECT c.item_type, c.platform, c.item_id, c.analysis
                        FROM (SELECT unnest(?::STRUCT(p VARCHAR, i VARCHAR, a VARCHAR)[]) AS k) d
                        JOIN {QUEUE_TABLE} l ON l.item_type = 'post' AND l.platform = d.k.p AND l.item_id = d.k.i
                             AND l.analysis = d.k.a AND l.lead AND l.copies > 1
                        JOIN {QUEUE_TABLE} c ON c.analysis = l.analysis AND c.dup_key = l.dup_key AND NOT c.lead""",
                    [[{"p": it.get("platform") or "", "i": it["item_id"], "a": it["analysis"]} for it in leads]]).fetchall()
                items = _with_copies(items, copies)
        batch = uuid.uuid4().hex
        store.record([dict(it, decision=decision, note=note) for it in items], session.username, batch)
        counts.clear()
        return None, batch

    async def decide(session: auth.Session, items: list[dict], decision: str, note: str) -> tuple[str | None, str | None]:
        """:func:`_decide` on the event loop when it reads only the review store (a decision is
        then a few SQLite statements; :func:`write_soon`); else in a thread, which reads the
        corpus (or a bulk action's thousands of rows)."""
        if len(items) <= 50:
            try:
                return await write_soon(_decide, session, items, decision, note)
            except NeedsThread:
                pass
        return await run_in_threadpool(_decide, session, items, decision, note)

    def _item_of(get) -> dict:
        return {"item_type": str(get("item_type", "")), "platform": str(get("platform") or "") or None,
                "item_id": str(get("item_id") or ""), "analysis": str(get("analysis") or "") or None}

    def _with(url: str, **params: str) -> str:
        url = _safe_next(url)
        return url + ("&" if "?" in url else "?") + urlencode(params)

    @app.post("/review")
    async def review(request: Request):
        form = await request.form()
        bad = require_csrf(request, form.get("csrf_token"))
        if bad:
            return bad
        err, batch = await decide(request.state.session, [_item_of(form.get)],
                                  str(form.get("decision", "")), str(form.get("note", "")).strip())
        if err:
            return render(request, "error.html", status=400, message=err)
        return RedirectResponse(_with(str(form.get("next", "")), done=batch), status_code=303)

    @app.post("/review/bulk")
    async def review_bulk(request: Request):
        """One decision for the selected queue rows (``item`` values ``type|platform|id|analysis``)
        or, with ``scope=filter``, for every pending row matching the filter (at most BULK_MAX;
        ``expected`` must equal that count, so that nobody decides on more than they saw)."""
        form = await request.form()
        bad = require_csrf(request, form.get("csrf_token"))
        if bad:
            return bad
        decision, note = str(form.get("decision", "")), str(form.get("note", "")).strip()
        if form.get("scope") == "filter":
            args = _queue_args(form.get("analysis"), form.get("community"), form.get("narrative"),
                               form.get("item_type"), "pending", 1)

            def matching() -> tuple[list[dict], int]:
                rows, total, _ = read_queue(args, page_size=BULK_MAX)
                return rows, total

            rows, total = await run_in_threadpool(matching)
            if total > BULK_MAX:
                return render(request, "error.html", status=400,
                              message=f"{total:,} items match: narrow the filter to at most {BULK_MAX:,}.")
            if str(total) != str(form.get("expected", "")):
                return render(request, "error.html", status=409, message=f"{total:,} items match now, not "
                              f"{form.get('expected')}: the queue changed; look again before deciding on all of them.")
            items = [{"item_type": r["item_type"], "platform": r["platform"] or None, "item_id": r["item_id"],
                      "analysis": r["analysis"]} for r in rows]
        else:
            items = []
            for v in form.getlist("item")[:BULK_MAX]:
                parts = str(v).split("|", 3)
                if len(parts) != 4:
                    return render(request, "error.html", status=400, message="bad item")
                items.append({"item_type": parts[0], "platform": parts[1] or None, "item_id": parts[2],
                              "analysis": parts[3] or None})
        if not items:
            return render(request, "error.html", status=400, message="Nothing selected.")
        err, batch = await decide(request.state.session, items, decision, note)
        if err:
            return render(request, "error.html", status=400, message=err)
        return RedirectResponse(_with(str(form.get("next", "")), done=batch), status_code=303)

    @app.post("/undo")
    async def undo(request: Request):
        """Take back a batch (``batch``) or one decision (``review_id``); the audit log keeps both."""
        form = await request.form()
        bad = require_csrf(request, form.get("csrf_token"))
        if bad:
            return bad
        def run() -> int:
            ids = store.batch_ids(str(form.get("batch"))) if form.get("batch") else [str(form.get("review_id", ""))]
            n = store.undo(ids, request.state.session.username)
            counts.clear()
            return n

        n = await run_in_threadpool(run)
        return RedirectResponse(_with(str(form.get("next", "")), undone=str(n)), status_code=303)

    @app.post("/api/review")
    async def api_review(request: Request):
        bad = require_csrf(request, None)
        if bad:
            return bad
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"detail": "JSON body expected"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"detail": "JSON object expected"}, status_code=400)
        err, batch = await decide(request.state.session, [_item_of(body.get)],
                                  str(body.get("decision", "")), str(body.get("note") or "").strip())
        if err:
            return JSONResponse({"detail": err}, status_code=400)
        return JSONResponse({"ok": True, "batch": batch, "review_ids": store.batch_ids(batch)})

    @app.get("/reviews", response_class=HTMLResponse)
    def reviews_page(request: Request, reviewer: str = "", decision: str = ""):
        rows = store.log(reviewer or None, decision if decision in DECISIONS + ("undo",) else None)
        counts_ = store.rows("SELECT decision, count(*) AS n FROM reviews GROUP BY 1 ORDER BY 1")
        return render(request, "reviews.html", rows=rows, counts=counts_, reviewer=reviewer, decision=decision)
