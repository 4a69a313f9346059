"""Dates as spreadsheets leave them: whether a file's slashed dates are day-first, and what had to be assumed.

Decided once per file from its own values (:func:`date_order`), before any batch is staged, so that
every batch of a file is read the same way; the assumptions go to ``ingests.options``.
"""

from __future__ import annotations

import re

_SLASHED = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})\b")


def date_order(values) -> tuple[bool, list[str]]:
    """Whether a file's slashed dates are day-first, decided from the values themselves (a first
    part above 12 is a day, a second part above 12 is a day), and what had to be assumed: where no
    value decides it the file is read month-first, and two-digit years are read with DuckDB's
    ``%y`` (00-68 as 20xx, 69-99 as 19xx). Dotted dates (``1.2.2017``) are day-first everywhere."""
    day = month = two_digit = slashed = naive = False
    for v in values:
        if not isinstance(v, str):
            continue
        m = _SLASHED.match(v)
        if m:
            slashed = True
            a, b_ = int(m.group(1)), int(m.group(2))
            if "." in v[: m.end()]:
                day = True
            elif 12 < a <= 31 and 1 <= b_ <= 12:
                day = True
            elif 12 < b_ <= 31 and 1 <= a <= 12:
                month = True
            two_digit = two_digit or len(m.group(3)) == 2
        if v.strip() and not re.search(r"(Z|[+-]\d\d:?\d\d| [A-Z]{2,4})$", v.strip()) and not v.strip().isdigit():
            naive = True
    notes = []
    if day and month:
        notes.append("slashed dates are day-first in some rows and month-first in others: read month-first")
    elif slashed and not day and not month:
        notes.append("no date tells whether it is day/month or month/day: read month-first")
    if day and not month:
        notes.append("dates are day-first (a first part above 12 seen)")
    if two_digit:
        notes.append("two-digit years: 00-68 read as 20xx, 69-99 as 19xx")
    if naive:
        notes.append("times without a zone read as UTC")
    return (day and not month), notes
