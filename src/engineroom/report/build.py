"""Assembling the report's content: the sections in page order, as plain data for the template.

Each section is a function of a :class:`~engineroom.report.context.Context` that returns a section
(``{"id", "title", "intro", "blocks"}``) or ``None`` when the analysis it shows has not run
(its findings table is absent): the report shows what exists. :func:`build_report` runs them in
:data:`SECTIONS` order after the opening summary (:mod:`.summary`) and ends with the methods; for
a pseudonymised report it passes everything through the pseudonymiser (:mod:`.pseudonym`).
:mod:`engineroom.report` renders the result with an autoescaping template.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from ..progress import progress
from .actors import coordination_section, engine_room_section, operations_section
from .content import hate_section, images_section, narratives_section, trends_section
from .context import Context
from .data import Findings
from .domains import domains_section
from .network import network_section
from .overview import corpus_counts, methods_section, over_time
from .pseudonym import Pseudonymizer, load_allow_list
from .summary import headline

if TYPE_CHECKING:  # pragma: no cover  (annotations only: the store is below this module)
    from ..corpus import Corpus

#: the sections between the opening summary and the methods, in page order
SECTIONS: list[Callable[[Context], dict | None]] = [
    corpus_counts, over_time, hate_section, narratives_section, trends_section, engine_room_section,
    network_section, coordination_section, operations_section, domains_section, images_section,
]


def _pseudonymizer(corpus: Corpus, key: str | bytes | None, allow_file: str | os.PathLike | None) -> Pseudonymizer:
    """A pseudonymiser that knows every identifier in the corpus."""
    ps = Pseudonymizer(key, allow=load_allow_list(allow_file))
    f = Findings(corpus)
    with progress("Collecting identifiers to pseudonymise", total=None):
        if f.exists("accounts"):
            for r in corpus.con.execute("SELECT account_id, handle, display_name FROM accounts").fetchall():
                ps.add_account(*r)
        if f.exists("posts"):
            for (h,) in corpus.con.execute("SELECT DISTINCT handle FROM posts WHERE handle IS NOT NULL").fetchall():
                ps.add_account(handle=h)
            for (a,) in corpus.con.execute("SELECT DISTINCT account_id FROM posts WHERE account_id IS NOT NULL "
                                           "AND account_id NOT IN (SELECT account_id FROM accounts)").fetchall():
                ps.add_account(account_id=a)
            for (pid,) in corpus.con.execute("SELECT post_id FROM posts").fetchall():
                ps.add_post(pid)
        if f.exists("interactions"):
            for (h,) in corpus.con.execute("SELECT DISTINCT target_handle FROM interactions "
                                           "WHERE target_handle IS NOT NULL").fetchall():
                ps.add_account(handle=h)
            for (a,) in corpus.con.execute("SELECT DISTINCT target_account_id FROM interactions "
                                           "WHERE target_account_id IS NOT NULL").fetchall():
                ps.add_account(account_id=a)
    return ps


def build_report(corpus: Corpus, pseudonymize: bool = False, key: str | bytes | None = None,
                 allow_file: str | os.PathLike | None = None) -> dict:
    """The report's content as plain data (what the template renders)."""
    from ..version import __version__

    f = Findings(corpus)
    ps = _pseudonymizer(corpus, key, allow_file) if pseudonymize else None
    ctx = Context(f, link_urls=not pseudonymize)
    meta = {"generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "version": __version__,
            "pseudonymized": pseudonymize}
    sections = []
    with progress("Writing report sections", total=len(SECTIONS) + 2) as bar:
        head = headline(ctx)
        bar.advance(1)
        for fn in SECTIONS:
            s = fn(ctx)
            if s is not None and s.get("blocks"):
                sections.append(s)
            bar.advance(1)
        sections.append(methods_section(ctx, meta))
        bar.advance(1)
    report = {"meta": meta, "headline": head, "sections": sections}
    if ps is not None:
        report = ps.scrub_obj(report)
    return report
