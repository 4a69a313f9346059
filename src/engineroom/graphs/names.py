"""Names in text: candidate personal names in a post, and names squashed for matching to hashtags."""

from __future__ import annotations

import re

#: a run of 2-3 capitalised words that starts a word: after whitespace, an opening quote or
#: bracket, or the start of the post ("TERRORISTS?Areu Hillary" is a typo, not "Areu Hillary")
_NAME_RE = re.compile(r"(?<![^\s\"'(\[“‘])([A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?:\s+[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?){1,2})\b")

#: Capitalised words that start "names" but are not people (sentence starters, days, months...).
NAME_STOP = frozenset(
    """The This That These Those There Their They We You Our Your It Its He She His Her I A An And
    But Or So If When Why What Who How Not No Yes Just All Any Some More Most Very Please Thank
    Thanks Today Tomorrow Yesterday Breaking News Watch Read Via RT Good Great New Old Big Happy
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June
    July August September October November December Mr Mrs Ms Dr Sir Lord Lady Party Labour
    Conservative Tory Tories Government Parliament House Prime Minister Twitter Facebook Donald
    Don Is Are Was Were Has Have Had Do Does Did Can Could Should Would Will Let Get Got Make
    Stop Sack Ban Out Resign Expel Fire Now Time Here Never Always Every Even Still After Before
    On In At Of For From With By To Up Down Over Under My Me Him Them Us Jews Jewish Israel
    Palestine Gaza London Britain British England English America American Russia UK US USA EU
    Until Unless While Where Because Since Although Though Then Than Also Only Maybe Once Whether
    Black White Muslim Muslims Islam Islamic Christian Christians Syrian Syria Refugee Refugees
    Mexican Mexicans Arab Arabs African Africans Asian Asians Latino Latinos Immigrant Immigrants
    North South East West Middle Admin Administration Regime Campaign Team Supporters Fans Lives
    Matter Media Police Army Church State States City County Street Park University College""".split()
)


def person_names(text: str | None) -> list[str]:
    """Candidate personal names in a post: runs of two or three capitalised words (a simple,
    model-free heuristic; common capitalised non-name words are skipped). Deduplicated per post."""
    if not text:
        return []
    found: list[str] = []
    for m in _NAME_RE.finditer(text):
        words = m.group(1).split()
        while words and words[0] in NAME_STOP:
            words = words[1:]
        while words and words[-1] in NAME_STOP:
            words = words[:-1]
        if len(words) < 2 or any(w in NAME_STOP for w in words):
            continue
        name = " ".join(words)
        if name not in found:
            found.append(name)
    return found


def squash(name: str | None) -> str:
    """A name or handle lower-cased with everything but letters and digits removed
    ("Tom Watson" → "tomwatson"), for matching hashtags to people."""
    return re.sub(r"[^0-9a-z]", "", name.lower()) if isinstance(name, str) else ""
