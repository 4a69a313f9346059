"""One row of the queue page as HTML, without Jinja: the hot path of the review app.

A queue page shows 50 rows; Jinja spends about 0.2 ms of CPU on each (macros, filters,
autoescaping value by value), which was most of a queue page's cost. :func:`queue_row` writes
the same HTML as ``templates/serve/_queue_row.html`` (the reference: a test renders both on
hostile rows and compares them) with ``Markup.format``, which escapes every value it is given.
"""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import quote, urlencode

from markupsafe import Markup, escape


def _u(v: Any) -> str:
    """Jinja's ``urlencode`` filter on one value (``/`` kept)."""
    return quote(str(v).encode("utf-8"), safe="/")


def _link(item_type: str, platform: Any, item_id: Any, label: Any) -> Markup:
    text = label or item_id
    if item_type == "post":
        return Markup('<a href="/post/{}/{}">{}</a>').format(_u(platform), _u(item_id), text)
    if item_type == "account":
        return Markup('<a href="/account/{}/{}">{}</a>').format(_u(platform), _u(item_id), text)
    return Markup('<a href="/cluster/{}">{}</a>').format(_u(item_id), text)


_FORM = Markup(
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


def queue_row(r: dict, group: bool, here: str, csrf: str, fmt_num: Callable[[Any], str],
              fmt_time: Callable[[Any], str], highlight: Callable[..., Markup],
              evidence_line: Callable[[Any], Any]) -> str:
    """The ``<tr>`` of queue row ``r`` (a dict of :func:`engineroom.serve.snapshot.queue_page`)."""
    t, platform, item_id, analysis = r.get("item_type"), r.get("platform"), r.get("item_id"), r.get("analysis")
    out = [Markup('<tr class="row-{}">\n  <td><input type="checkbox" name="item" form="bulk" class="tick" '
                  'aria-label="tick"\n             value="{}|{}|{}|{}"></td>\n  <td class="num">{}</td>\n'
                  '  <td>{}<br>{}\n    ').format(t, t, platform or "", item_id, analysis or "", fmt_num(r.get("score")),
                                              t, _link(t, platform, item_id, item_id))]
    account_id, handle = r.get("account_id"), r.get("handle")
    if account_id and t != "account":
        out.append(Markup("<br>by {}\n    ").format(_link("account", platform, account_id, "@" + str(handle or account_id))))
    elif t == "account":
        out.append(Markup("<br>@{}").format(handle or ""))
    out.append(Markup("\n    "))
    if r.get("created_at"):
        out.append(Markup('<br><span class="muted">{}</span>').format(fmt_time(r["created_at"])))
    reason, category = r.get("reason"), r.get("category")
    out.append(Markup("</td>\n  <td><strong>{}</strong><br>{}").format(analysis, reason))
    if analysis == "hate":
        out.append(Markup(' <span class="muted">({})</span>').format(
            "P(antisemitic)" if reason == "antisemitic" else "P(any hate)"))
    if category and category != r.get("narrative"):
        out.append(Markup("<br>{}").format(category))
    out.append(Markup("\n    "))
    if r.get("community"):
        out.append(Markup('<br><span class="muted">community {}</span>').format(r["community"]))
    out.append(Markup('</td>\n  <td class="text">'))
    copies = r.get("copies")
    if copies and copies > 1 and not group:
        q = urlencode({k: v for k, v in (("group", r.get("dup_key")), ("analysis", analysis), ("status", "all"))
                       if v not in (None, "")})
        out.append(Markup('<div class="copies"><a href="/queue?{}">+ {} near-identical cop{}</a> · a decision here '
                          'decides all {}</div>').format(q, fmt_num(copies - 1), "y" if copies == 2 else "ies",
                                                          fmt_num(copies)))
    if t == "post":
        out.append(escape(highlight(r.get("snippet"), [r.get("evidence")])))
    else:
        out.append(escape(r.get("snippet") or ""))
    if r.get("evidence"):
        out.append(Markup('<div class="ev">{}</div>').format(evidence_line(r["evidence"])))
    out.append(Markup("</td>\n  <td>"))
    if r.get("decision"):
        out.append(Markup('<span class="d d-{}">{}</span> by {}\n    <form method="post" action="/undo" class="inline">'
                          '<input type="hidden" name="csrf_token" value="{}">\n      <input type="hidden" '
                          'name="review_id" value="{}"><input type="hidden" name="next" value="{}">\n      '
                          '<button type="submit" class="undo-one">undo</button></form><br>').format(
            r["decision"], r["decision"], r.get("reviewer"), csrf, r.get("review_id"), here))
    out.append(Markup("\n    "))
    out.append(_FORM.format(csrf=csrf, item_type=t, platform=platform or "", item_id=item_id, analysis=analysis or "",
                            next=here))
    out.append(Markup("</td>\n</tr>"))
    return str(Markup("").join(out))
