"""Evidence as highlighted spans in a post's own text, slurs blurred until clicked.

The analyses record their evidence as JSON (:mod:`engineroom.hate.model`: ``{"lexicon":
[{"term", "match", "category", ...}], "tokens": [{"token", "weight"}]}``; narratives: keyword
lists). Reviewers should see *where* in the post that evidence is, not the JSON: every phrase is
looked up in the text (case-blind, on word boundaries; a lexicon term the hate model found in the
normalised text, such as ``k1ke`` or a hashtag, marks the written word whose normalised form holds
it) and wrapped in ``<mark>``; lexicon hits are
"trope" marks, those of a slur category "slur" marks (blurred until clicked when the app runs
with blurring on, as trust-and-safety tools do for reviewers' wellbeing; ``serve --no-blur``),
classifier tokens (weight at least ``TOKEN_MIN_WEIGHT``, 3 characters or more) and narrative
keywords lighter marks. Everything else is escaped.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

from markupsafe import Markup, escape

#: classifier tokens below this weight are not marked (too common to help a reviewer)
TOKEN_MIN_WEIGHT = 0.15
_PRIORITY = {"slur": 0, "trope": 1, "keyword": 2, "token": 3}


def _parse(ev: Any) -> Any:
    if isinstance(ev, str):
        try:
            return json.loads(ev)
        except ValueError:
            return None
    return ev


def evidence_phrases(evidence: Iterable[Any]) -> list[tuple[str, str, str]]:
    """(phrase, kind, title) found in evidence values: kind is slur, trope, keyword or token."""
    out: list[tuple[str, str, str]] = []

    def walk(ev: Any) -> None:
        ev = _parse(ev)
        if isinstance(ev, list):
            for e in ev:
                walk(e)
            return
        if not isinstance(ev, dict):
            return
        for hit in ev.get("lexicon") or []:
            if isinstance(hit, dict) and hit.get("match"):
                cat = str(hit.get("category") or "")
                kind = "slur" if "slur" in cat else "trope"
                out.append((str(hit["match"]), kind, f"{cat} ({hit.get('term') or hit['match']})"))
        for tok in ev.get("tokens") or []:
            if isinstance(tok, dict) and tok.get("token") and float(tok.get("weight") or 0) >= TOKEN_MIN_WEIGHT:
                if len(str(tok["token"])) >= 3:
                    out.append((str(tok["token"]), "token", f"classifier weight {float(tok['weight']):.2f}"))
        for key in ("keywords", "matched", "spans"):
            for kw in ev.get(key) or []:
                if isinstance(kw, str) and kw.strip():
                    out.append((kw, "keyword", key))

    for ev in evidence:
        walk(ev)
    return out


def _normalised_tokens(text: str) -> list[tuple[int, int, str, str]]:
    """Each written word (a run without spaces) with its normalised form's two views
    (:func:`engineroom.hate.normalize.normalize`: spaced and squashed), letters and digits only."""
    from ..hate.normalize import normalize

    out = []
    for m in re.finditer(r"\S+", text):
        spaced, _, squashed = normalize(m.group(0)).partition(" | ")
        out.append((m.start(), m.end(), re.sub(r"\W", "", spaced), re.sub(r"\W", "", squashed)))
    return out


def _holds(seg: list[tuple[int, int, str, str]], target: str) -> bool:
    views = ("".join(t[2] for t in seg), "".join(t[3] for t in seg))
    return any(target == v or (len(target) >= 4 and target in v) for v in views)


def _locate(text: str, phrase: str, tokens: list[tuple[int, int, str, str]]) -> list[tuple[int, int]]:
    """Where a term the lexicon found in the normalised text is written: the shortest runs of
    written words whose normalised views hold the term (letters and digits only; inside a word
    only for terms of 4 or more)."""
    if phrase == "echo_parens":  # the (((echo))) marker
        return [(m.start(), m.end()) for m in re.finditer(r"\({3,}[^()]{0,80}?\){3,}", text)]
    target = re.sub(r"\W", "", phrase.lower())
    if not target:
        return []
    width = len(phrase.split()) + 1
    out, i = [], 0
    while i < len(tokens):
        for k in range(1, width + 1):
            seg = tokens[i:i + k]
            if len(seg) < k:
                break
            if _holds(seg, target) and not (k > 1 and _holds(seg[1:], target)):  # it starts at this word
                out.append((seg[0][0], seg[-1][1]))
                i += k - 1
                break
        i += 1
    return out


def highlight(text: str | None, evidence: Iterable[Any] = (), blur: bool = True) -> Markup:
    """``text`` escaped, with the evidence phrases marked (non-overlapping; a slur mark wins
    over a trope, a trope over a keyword, a keyword over a token, then the longer phrase)."""
    text = text or ""
    spans: list[tuple[int, int, str, str]] = []
    tokens: list[tuple[int, int, str, str]] | None = None
    for phrase, kind, title in evidence_phrases(evidence):
        pat = re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", re.IGNORECASE)
        found = [(m.start(), m.end(), kind, title) for m in pat.finditer(text)]
        if not found and kind in ("slur", "trope"):
            # the lexicon matched the normalised text (k1ke -> kike, #WhiteGenocide -> white genocide,
            # georgesoros -> soros): mark the written words whose normalised form holds the term
            if tokens is None:
                tokens = _normalised_tokens(text)
            found = [(a, b, kind, title) for a, b in _locate(text, phrase, tokens)]
        spans += found
    spans.sort(key=lambda s: (_PRIORITY[s[2]], -(s[1] - s[0]), s[0]))
    chosen: list[tuple[int, int, str, str]] = []
    for s in spans:
        if all(s[1] <= c[0] or s[0] >= c[1] for c in chosen):
            chosen.append(s)
    chosen.sort()
    out, at = [], 0
    for start, end, kind, title in chosen:
        out.append(escape(text[at:start]))
        cls = "ev " + kind + (" blurred" if kind == "slur" and blur else "")
        out.append(Markup('<mark class="{}" title="{}">{}</mark>').format(cls, title, text[start:end]))
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def evidence_summary(evidence: Any, blur: bool = True, fallback=None) -> Markup:
    """One line for a queue row: the matched lexicon terms (slurs marked, blurred) and the
    classifier's strongest words; other evidence through ``fallback`` (a describe function)."""
    phrases = evidence_phrases([evidence])
    if not phrases:
        return escape(fallback(evidence) if fallback else "")
    parts = []
    lex = [(p, k, t) for p, k, t in phrases if k in ("slur", "trope")]
    if lex:
        marks = [Markup('<mark class="{}" title="{}">{}</mark>').format(
            "ev " + k + (" blurred" if k == "slur" and blur else ""), t, p) for p, k, t in lex]
        parts.append(Markup("matched: ") + Markup(", ").join(marks))
    words = list(dict.fromkeys(p for p, k, _ in phrases if k == "token"))
    if words:
        parts.append(Markup("classifier words: ") + escape(", ".join(words[:6])))
    kws = list(dict.fromkeys(p for p, k, _ in phrases if k == "keyword"))
    if kws:
        parts.append(Markup("keywords: ") + escape(", ".join(kws[:6])))
    return Markup(" · ").join(parts)
