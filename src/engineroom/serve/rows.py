"""One row of the queue page as HTML, without Jinja: the hot path of the review app.

A queue page shows 50 rows; Jinja spends about 0.2 ms of CPU on each (macros, filters,
autoescaping value by value), which was most of a queue page's cost. :func:`queue_row` writes
the same HTML as ``templates/serve/_queue_row.html`` (the reference: a test renders both on
hostile rows and compares them) with f-strings, every value through markupsafe's ``escape`` (``Markup.format`` is as
slow as Jinja: it formats in Python).
"""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import quote, urlencode

from markupsafe import Markup, escape as E


def _u(v: Any) -> str:
    """Jinja's ``urlencode`` filter on one value (``/`` kept)."""
    return quote(str(v).encode("utf-8"), safe="/")


def _link(item_type: str, platform: Any, item_id: Any, label: Any) -> str:
    text = E(label or item_id)
    if item_type == "post":
        return f'<a href="/post/{E(_u(platform))}/{E(_u(item_id))}">{text}</a>'
    if item_type == "account":
        return f'<a href="/account/{E(_u(platform))}/{E(_u(item_id))}">{text}</a>'
    return f'<a href="/cluster/{E(_u(item_id))}">{text}</a>'


_FORM = (  # str.format: every field is escaped by the caller
    '<form class="review" method="post" action="/review">\n'
    '  <input type="hidden" name="csrf_token" value="{csrf}">\n'
    '  <input type="hidden" name="item_type" value="{item_type}">\n'
    '  <input type="hidden" name="platform" value="{platform}">\n'
    '  <input type="hidden" name="item_id" value="{item_id}">\n'
    '  <input type="hidden" name="analysis" value="{analysis}">\n'
    '  <input type="hidden" name="next" value="{next}">\n'
    '  <input type="text" name="note" maxlength="4000" placeholder="note (optional)" aria-label="note">\n'
    '  <button type="submit" name="decision" value="confirm" class="confirm">Confirm</button>\n'
    '  <button type="submit" name="decision" value="reject" class="reject">Reject</button>\n'
    '  <button type="submit" name="decision" value="escalate" class="escalate">Escalate</button>\n'
    '</form>')


def content_cell(r: dict, group: bool, fmt_num: Callable[[Any], str], highlight: Callable[..., Markup],
                 evidence_line: Callable[[Any], Any]) -> str:
    """What the content cell of queue row ``r`` holds: the near-identical copies' link, the text
    with its evidence marked and the evidence line (the costly part of a row, the same whatever
    the decision on it)."""
    out = []
    t, analysis, copies = r.get("item_type"), r.get("analysis"), r.get("copies")
    if copies and copies > 1 and not group:
        q = urlencode({k: v for k, v in (("group", r.get("dup_key")), ("analysis", analysis), ("status", "all"))
                       if v not in (None, "")})
        out.append(f'<div class="copies"><a href="/queue?{E(q)}">+ {E(fmt_num(copies - 1))} near-identical '
                   f'cop{"y" if copies == 2 else "ies"}</a> · a decision here decides all {E(fmt_num(copies))}</div>')
    if t == "post":
        out.append(E(highlight(r.get("snippet"), [r.get("evidence")])))
    else:
        out.append(E(r.get("snippet") or ""))
    if r.get("evidence"):
        out.append(f'<div class="ev">{E(evidence_line(r["evidence"]))}</div>')
    return "".join(out)


def queue_row(r: dict, group: bool, here: str, csrf: str, fmt_num: Callable[[Any], str],
              fmt_time: Callable[[Any], str], highlight: Callable[..., Markup],
              evidence_line: Callable[[Any], Any], content: str | None = None) -> str:
    """The ``<tr>`` of queue row ``r`` (a dict of :func:`engineroom.serve.snapshot.queue_page`);
    ``content``: its :func:`content_cell`, when the caller has it already."""
    t, platform, item_id, analysis = r.get("item_type"), r.get("platform"), r.get("item_id"), r.get("analysis")
    et, ep, ei, ea, here, csrf = E(t), E(platform or ""), E(item_id), E(analysis or ""), E(here), E(csrf)
    out = [f'<tr class="row-{et}">\n  <td><input type="checkbox" name="item" form="bulk" class="tick" '
           f'aria-label="tick"\n             value="{et}|{ep}|{ei}|{ea}"></td>\n'
           f'  <td class="num">{E(fmt_num(r.get("score")))}</td>\n  <td>{et}<br>{_link(t, platform, item_id, item_id)}\n    ']
    account_id, handle = r.get("account_id"), r.get("handle")
    if account_id and t != "account":
        out.append(f"<br>by {_link('account', platform, account_id, '@' + str(handle or account_id))}\n    ")
    elif t == "account":
        out.append(f"<br>@{E(handle or '')}")
    out.append("\n    ")
    if r.get("created_at"):
        out.append(f'<br><span class="muted">{E(fmt_time(r["created_at"]))}</span>')
    reason, category = r.get("reason"), r.get("category")
    out.append(f"</td>\n  <td><strong>{E(analysis)}</strong><br>{E(reason)}")
    if analysis == "hate":
        out.append(f' <span class="muted">({"P(antisemitic)" if reason == "antisemitic" else "P(any hate)"})</span>')
    if category and category != r.get("narrative"):
        out.append(f"<br>{E(category)}")
    out.append("\n    ")
    if r.get("community"):
        out.append(f'<br><span class="muted">community {E(r["community"])}</span>')
    out.append('</td>\n  <td class="text">')
    out.append(content if content is not None else content_cell(r, group, fmt_num, highlight, evidence_line))
    out.append("</td>\n  <td>")
    if r.get("decision"):
        d = E(r["decision"])
        out.append(f'<span class="d d-{d}">{d}</span> by {E(r.get("reviewer"))}\n    <form method="post" action="/undo" '
                   f'class="inline"><input type="hidden" name="csrf_token" value="{csrf}">\n      <input type="hidden" '
                   f'name="review_id" value="{E(r.get("review_id"))}"><input type="hidden" name="next" value="{here}">'
                   '\n      <button type="submit" class="undo-one">undo</button></form><br>')
    out.append("\n    ")
    out.append(_FORM.format(csrf=csrf, item_type=et, platform=ep, item_id=ei, analysis=ea, next=here))
    out.append("</td>\n</tr>")
    return "".join(out)
