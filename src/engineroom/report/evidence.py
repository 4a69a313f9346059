"""Evidence as an analyst reads it: labelled chips with weights, and matched spans marked in the post.

Analyses store evidence as JSON (``hate.evidence``: lexicon entries, cues and model tokens with
weights; ``narratives.evidence``: keywords and similarity to an exemplar; signals of
``account_scores``; counts of ``engine_room`` and ``coordination_clusters``). The report never
shows that JSON: :func:`chips` turns it into short labelled chips (``lexicon · "zionists control"
0.80``), and :func:`highlight` cuts a post's text into segments with the matched words marked.
"""

from __future__ import annotations

import re
from typing import Any

from .data import parse_json

#: a model token is marked in the post when its weight is at least this
TOKEN_MARK = 0.3
#: chips shown per evidence value at most (the rest summarised as "and N more")
MAX_CHIPS = 12


def _num(v: Any) -> str | None:
    if isinstance(v, bool) or v is None:
        return None if v is None else ("yes" if v else "no")
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.2f}" if abs(v) < 100 else f"{v:,.0f}"
    return None


def words(name: Any) -> str:
    """A snake_case name as words (``nazi_comparison`` -> ``nazi comparison``)."""
    return str(name).replace("_", " ").strip()


def _chip(label: str, text: Any, weight: Any = None, title: str = "") -> dict:
    return {"label": label, "text": "" if text is None else str(text), "weight": _num(weight) if weight is not None else None,
            "title": title}


def chips(evidence: Any, limit: int | None = MAX_CHIPS, keep_names: bool = False) -> list[dict]:
    """Labelled chips for an evidence value (JSON text or parsed); ``[]`` when there is none.

    ``limit``: chips at most (None: all); ``keep_names``: label chips with the keys as they are
    (parameter names an analyst passes to ``--set``) instead of as words."""
    words = (lambda x: str(x)) if keep_names else globals()["words"]
    ev = parse_json(evidence)
    out: list[dict] = []
    if ev is None or ev == "" or ev == {} or ev == []:
        return out
    if isinstance(ev, dict):
        for k, v in ev.items():
            key = str(k).lower()
            if key == "lexicon" and isinstance(v, list):
                for e in v:
                    if isinstance(e, dict):
                        term = e.get("term") or e.get("match")
                        match = e.get("match")
                        text = f"“{match}”" + (f" ≈ {term}" if term and term != match else "")
                        note = " · ".join(str(x) for x in (words(e.get("category") or ""), e.get("source"),
                                                          e.get("sub")) if x)
                        out.append(_chip("lexicon", text, e.get("weight"), note))
                    else:
                        out.append(_chip("lexicon", e))
            elif key == "cues" and isinstance(v, list):
                out += [_chip("cue", words(c)) for c in v]
            elif key == "tokens" and isinstance(v, list):
                for t in v:
                    if isinstance(t, dict):
                        out.append(_chip("token", t.get("token"), t.get("weight"), "model weight of the word"))
                    else:
                        out.append(_chip("token", t))
            elif key == "keywords" and isinstance(v, list):
                out += [_chip("keyword", f"“{w}”") for w in v]
            elif key in ("spans", "matched", "matches") and isinstance(v, list):
                out += [_chip("match", f"“{w}”") for w in v if not isinstance(w, (dict, list))]
            elif key == "exemplar":
                out.append(_chip("like", f"“{v}”", title="the narrative's closest example sentence"))
            elif isinstance(v, dict):
                inner = ", ".join(f"{words(a)} {_num(b) or b}" for a, b in v.items() if not isinstance(b, (dict, list)))
                if inner:
                    out.append(_chip(words(k), inner))
            elif isinstance(v, list):
                if v and all(isinstance(x, dict) for x in v):
                    noun = "posts" if "post" in key else "items"
                    out.append(_chip(words(k), f"{len(v):,} {noun}"))
                elif v:
                    shown = ", ".join(str(x) for x in v[:6]) + (f" and {len(v) - 6} more" if len(v) > 6 else "")
                    out.append(_chip(words(k), shown))
            else:
                n = _num(v)
                out.append(_chip(words(k), n if n is not None else v))
    elif isinstance(ev, list):
        for item in ev:
            if isinstance(item, dict) and "reason" in item:  # signals: {"signal", "value", "reason"}
                out.append(_chip(words(item.get("signal") or item.get("name") or "signal"), item["reason"],
                                 item.get("value")))
            elif isinstance(item, dict):
                out += chips(item, None, keep_names)
            else:
                out.append(_chip("item", item))
    else:
        out.append(_chip("evidence", ev))
    if limit is not None and len(out) > limit:
        out = out[:limit] + [_chip("", f"and {len(out) - limit} more")]
    return out


def terms(evidence: Any) -> list[str]:
    """The words an evidence value says matched in the post: lexicon matches, keywords, spans, and
    model tokens of 4+ letters weighing at least :data:`TOKEN_MARK`."""
    ev = parse_json(evidence)
    found: list[str] = []
    if isinstance(ev, dict):
        for e in ev.get("lexicon") or []:
            if isinstance(e, dict) and e.get("match"):
                found.append(str(e["match"]))
        for k in ("keywords", "spans", "matched", "matches"):
            found += [str(w) for w in (ev.get(k) or []) if isinstance(w, (str, int))]
        for t in ev.get("tokens") or []:  # the model's strongest words, not its stop words
            if isinstance(t, dict) and len(str(t.get("token") or "")) >= 4 and (t.get("weight") or 0) >= TOKEN_MARK:
                found.append(str(t["token"]))
    return [t for t in dict.fromkeys(found) if t.strip()]


def highlight(text: str, marks: list[str]) -> list[list]:
    """``text`` as ``[segment, marked]`` pairs, every case-insensitive whole-word occurrence of
    ``marks`` marked (longest first; a space in a mark also matches ``-`` or ``_``)."""
    if not text:
        return []
    marks = sorted({m for m in marks if m and len(m.strip()) >= 2}, key=len, reverse=True)
    if not marks:
        return [[text, False]]
    # a space in a phrase also matches a hyphen or underscore ("witch hunt" marks "witch-hunt")
    alts = [r"[\s\-_]+".join(re.escape(w) for w in m.split()) for m in marks]
    pat = re.compile(r"(?<!\w)(" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)
    out, pos = [], 0
    for m in pat.finditer(text):
        if m.start() > pos:
            out.append([text[pos:m.start()], False])
        out.append([m.group(0), True])
        pos = m.end()
    if pos < len(text):
        out.append([text[pos:], False])
    return out
