"""The self-contained HTML report (``engineroom report --out report.html``, ``corpus.report(path)``).

One HTML file that works offline: charts are Plotly figures drawn by plotly.js, which is inlined
in the file (no CDN), and the network map is laid out in Python (:mod:`.netmap`) and drawn in the
page with zoom and hover. The page reads top-down: a summary that links to every section, each
section collapsed until opened (its charts drawn then), long tables cut to their top
:data:`TOP_ROWS` rows with "show all", evidence as labelled chips and marked words in the posts
(:mod:`.evidence`). Sections appear only when their analysis has run (its findings table exists)
and read the columns the analyses declare (:mod:`engineroom.findings`); the report never runs an
analysis:

- headline figures (N core accounts, M of them posting antisemitic content, their reach);
- the corpus; posts over time with hateful and narrative shares; hateful content; narratives;
- trending hashtags and campaigns with their targets; the engine room with evidence posts;
- the network map of communities; coordinated clusters with the posts that tie them;
- operation-like accounts with their signals; domains with credibility; shared images;
- methods: every parameter, model version and data range from the ``runs`` table.

Post texts, names and bios come from hostile people: the template autoescapes every value, JSON
for the charts is embedded as ``application/json`` with ``<``, ``>`` and ``&`` escaped, hover labels
are HTML-escaped, and only ``http(s)`` links are made clickable. A post link is made only where it
can work (:func:`engineroom.links.post_link`); otherwise the post says why there is none.

The package, one job per module: :mod:`.build` assembles the content (sections in page order);
:mod:`.summary` writes the opening summary; the sections are in :mod:`.overview` (corpus, posts
over time, methods), :mod:`.content` (hate, narratives, trends and campaigns, images),
:mod:`.actors` (engine room, coordination, operation-like accounts), :mod:`.network` (the map) and
:mod:`.domains`; they build on :mod:`.context` (post and handle lookups), :mod:`.data` (queries,
which tables exist), :mod:`.blocks` (cells, tables, figures) and :mod:`.tables` (a findings table
as rows); :mod:`.netmap` lays out the map, :mod:`.pseudonym` pseudonymises, and this module
renders the page.

With ``pseudonymize=True`` every handle, display name, account id and post id is replaced by a
keyed pseudonym (:mod:`engineroom.report.pseudonym`) wherever it appears as a value (texts, URLs,
chart labels); keys and the page's own structure are never rewritten.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .build import build_report
from .pseudonym import Pseudonymizer, check_key, read_key

if TYPE_CHECKING:  # pragma: no cover  (annotations only: the store is below this module)
    from ..corpus import Corpus

__all__ = ["write_report", "build_report", "Pseudonymizer", "read_key"]

#: rows a long table shows before its "show all" button
TOP_ROWS = 10

_SAFE_URL = re.compile(r"^https?://[^\s\"'<>`]+$", re.IGNORECASE)


def safe_url(url: Any) -> str | None:
    """``url`` when it is a plain http(s) URL (never ``javascript:``, ``data:`` ...), else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    return url if _SAFE_URL.match(url) else None


def render(report: dict) -> str:
    """Render report data to one self-contained HTML page (plotly.js inlined)."""
    import jinja2
    from plotly.offline import get_plotlyjs

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("engineroom", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["safe_url"] = safe_url
    has_figures = any(b.get("kind") == "figure" for s in report["sections"] for b in s["blocks"])
    # plotly.js is trusted library code; guard against a literal "</script" in it all the same
    plotly_js = get_plotlyjs().replace("</script", "<\\/script") if has_figures else ""
    template = env.get_template("report/report.html")
    return template.render(r=report, plotly_js=Markup(plotly_js), has_figures=has_figures, top_rows=TOP_ROWS)


def write_report(corpus: Corpus, out: str | os.PathLike, pseudonymize: bool = False,
                 key: str | bytes | None = None, allow_file: str | os.PathLike | None = None) -> Path:
    """Write the self-contained HTML report of ``corpus`` to ``out`` and return its path.

    ``pseudonymize``: replace handles, names and ids by pseudonyms keyed with ``key`` (the analyst
    keeps it); handles listed in ``allow_file`` (public figures) are kept.
    """
    if pseudonymize:
        check_key(key)
    out = Path(out)
    report = build_report(corpus, pseudonymize=pseudonymize, key=key, allow_file=allow_file)
    page = render(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out
