"""The trope lexicon: antisemitic slurs, coded terms and conspiracy phrases, matched fast.

The lexicon is data (``engineroom/data/hate/lexicon.yaml``): every entry has a term, an IHRA
category, a weight (how strongly the term alone indicates antisemitism) and a source. Entries of
``kind: cue`` are not tropes but context the model uses: references to Jews or Israel, counter-speech
("antisemitic trope", "condemn"), identity statements ("as a Jew") and news-report language.

Matching runs one Aho-Corasick automaton (pyahocorasick) over the normalised text of a post (see
:mod:`engineroom.hate.normalize`), which holds a spaced and a squashed view so that obfuscated
spellings match. Aho-Corasick finds substrings; word boundaries are checked here (a plural ``s`` /
``es`` is allowed after a term), except for ``compound`` entries, which also match inside longer
words and hashtags (``#ZioNaziMedia``).

Two rules keep a match from standing for more than it says:

* **A trope needs a Jewish referent.** A trope entry that is not ``coded`` (a slur or code word that
  itself refers to Jews, Israel or Zionism, such as "kike", "ZOG", "holohoax") counts only in a post
  that also refers to Jews, Israel or Zionism: a ``jewish_reference`` or ``identity`` cue, or a coded
  trope. "Children are still dying in ritual killings in Gabon" is not blood libel, "Isis is the new
  Nazis" is not a Nazi comparison of Jews, "globalists" alone is not evidence.
* **Phrases match whole.** A spelling is matched as a whole phrase (word boundaries, an ``s`` / ``es``
  plural allowed); a variant may not be a shorter word tail of another spelling of its entry that
  drops content words ("the new nazis" as a variant of "jews are the new nazis"): loading such a
  lexicon fails. Generic phrases are their own entries, under the referent rule.

A trope hit preceded (within two words) by a partial quantifier ("some", "a few", "not all") that
scopes over something other than Jews, or a negated one ("not all", "not every"), is ``hedged``:
"some media owned by Jews, some by Christians" describes, it does not assert the trope ("some
Jews control the media" is not hedged, "not all Jews are evil" is);
the model does not let a hedged hit lift a score (:func:`engineroom.hate.model.adjust_scores`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable

import ahocorasick
import yaml

from .normalize import SEPARATOR, normalize

#: IHRA categories, in the order used for features and reports.
CATEGORIES = (
    "dehumanisation_slurs",
    "jewish_power_conspiracy",
    "blood_libel",
    "holocaust_denial",
    "nazi_comparison",
    "dual_loyalty",
    "collective_responsibility",
    "denying_self_determination",
)
#: context cues (not tropes)
CUES = ("jewish_reference", "counter_speech", "identity", "report", "history")
#: cue categories that refer to Jews, Israel or Zionism (a reason a post can be antisemitic)
REFERENT_CUES = ("jewish_reference", "identity")
#: words that, within two words before a trope, make it a partial description, not a sweeping claim
HEDGES = frozenset({"some", "few", "not all", "not every", "only some", "a few", "several"})
#: of those, the ones that deny a generalisation whatever they scope over ("not all jews are ...")
NEGATED_HEDGES = frozenset({"not all", "not every"})


@dataclass(frozen=True)
class Entry:
    """One lexicon entry (one spelling of it)."""

    term: str
    category: str
    weight: float
    source: str
    sub: str | None = None
    compound: bool = False
    kind: str = "trope"
    canonical: str = ""
    explicit: bool = False
    coded: bool = False


@dataclass(frozen=True)
class Hit:
    """A lexicon match in a post's normalised text."""

    entry: Entry
    start: int
    end: int
    text: str
    hedged: bool = False

    def as_evidence(self) -> dict:
        d = {"term": self.entry.canonical or self.entry.term, "match": self.text, "category": self.entry.category,
             "weight": self.entry.weight, "source": self.entry.source}
        if self.entry.sub:
            d["sub"] = self.entry.sub
        if self.hedged:
            d["hedged"] = True
        return d


def _hit(entry: Entry, start: int, end: int, text: str) -> Hit:
    """``Hit(entry, start, end, text)``, built without the frozen dataclass's ``__init__`` (which
    sets each field through ``object.__setattr__``): the same object, made ~4x faster."""
    h = object.__new__(Hit)
    h.__dict__.update(entry=entry, start=start, end=end, text=text, hedged=False)
    return h


class LexiconError(ValueError):
    """A lexicon file that cannot be used, with the file and entry named."""


def _is_boundary(ch: str) -> bool:
    return not (ch.isalnum() or ch == "_")


@dataclass
class Lexicon:
    """A compiled lexicon. Build with :func:`load_lexicon`; call :meth:`match` on raw post text."""

    entries: list[Entry]
    path: str = ""
    _automaton: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        auto = ahocorasick.Automaton()
        patterns: dict[str, list[Entry]] = {}
        for e in self.entries:
            norm = normalize(e.term)
            spaced, _, squashed = norm.partition(SEPARATOR)
            for form in {spaced, squashed}:
                if form:
                    patterns.setdefault(form, []).append(e)
        for form, es in patterns.items():
            # per pattern: its length and, per entry, the entry, its dedup key and compound flag
            auto.add_word(form, (len(form), tuple((e, (e.canonical or e.term, e.category), e.compound) for e in es)))
        auto.make_automaton()
        self._automaton = auto
        self.n_patterns = len(patterns)

    def match_normalized(self, norm: str) -> list[Hit]:
        """Hits in an already normalised text (one per entry term, first occurrence)."""
        if not norm:
            return []
        hits: list[Hit] = []
        seen: set[tuple[str, str]] = set()
        n = len(norm)
        # a squashed view equal to the spaced one repeats its hits, which the dedup drops: not searched
        spaced, _, squashed = norm.partition(SEPARATOR)
        stop = len(spaced) if squashed == spaced else n
        for end_idx, (length, es) in self._automaton.iter(norm, 0, stop):
            start = end_idx - length + 1
            right = end_idx + 1
            if start == 0:
                left_ok = True
            else:
                c = norm[start - 1]
                left_ok = not (c.isalnum() or c == "_")
            if right < n:
                c = norm[right]
                if c.isalnum() or c == "_":
                    # allow a plural / possessive ending
                    if norm.startswith("es", right) and (right + 2 >= n or _is_boundary(norm[right + 2])):
                        right += 2
                    elif c == "s" and (right + 1 >= n or _is_boundary(norm[right + 1])):
                        right += 1
            right_ok = right >= n or _is_boundary(norm[right])
            both = left_ok and right_ok
            for e, key, compound in es:
                if not (both or compound) or key in seen:
                    continue
                seen.add(key)
                hits.append(_hit(e, start, right, norm[start:right]))
        if not hits:  # most posts: nothing to resolve
            return hits
        # the referent rule looks at every hit, before nesting is resolved ("kikes" inside "gas the kikes")
        referent = any(h.entry.category in REFERENT_CUES or h.entry.coded for h in hits)
        # drop a hit inside a longer hit of the same category or, for tropes, any trope ("jews
        # control" inside "jews control the media", "zio" inside "zio nazi")
        if len(hits) > 1:
            hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
            kept: list[Hit] = []
            for h in hits:
                if any((k.entry.category == h.entry.category or k.entry.kind == h.entry.kind == "trope")
                       and k.start <= h.start and h.end <= k.end for k in kept):
                    continue
                kept.append(h)
            hits = kept
        tropes = [h for h in hits if h.entry.kind == "trope"]
        if tropes:
            if not referent:  # a trope without a Jewish referent is not evidence of antisemitism
                hits = [h for h in hits if h.entry.kind != "trope"]
            else:
                # where a referent word starts, a quantifier before it scopes over Jews: "some jews
                # control ..." is not hedged, "not all jews are ..." is
                ref_starts = {h.start for h in hits if h.entry.category in REFERENT_CUES}
                hits = [_hedge(h, norm, negated_only=h.start in ref_starts) if h.entry.kind == "trope" else h
                        for h in hits]
        return hits

    def match(self, text: str) -> list[Hit]:
        """Lexicon hits in a raw post text."""
        return self.match_normalized(normalize(text))


def _hedge(hit: Hit, norm: str, negated_only: bool = False) -> Hit:
    """``hit`` marked hedged when one of the two words before it is a partial quantifier (only a
    negated one, "not all", when ``negated_only``)."""
    before = norm[max(0, hit.start - 40):hit.start].split()[-2:]
    if not before:
        return hit
    hedges = NEGATED_HEDGES if negated_only else HEDGES
    if before[-1] in hedges or " ".join(before) in hedges or (len(before) == 2 and before[0] in hedges):
        return Hit(hit.entry, hit.start, hit.end, hit.text, hedged=True)
    return hit


@lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop-word list, imported on first use (scikit-learn takes most of a
    second to import, which every command line run would pay otherwise)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def _check_tails(spellings: list[str], where: str) -> None:
    """Refuse a variant (``spellings[1:]``; ``spellings[0]`` is the term) that is a shorter word tail
    of another spelling of the same entry and drops content words (not only stop words): it would
    match where the head is absent."""
    words = {s: normalize(s).partition(SEPARATOR)[0].split() for s in spellings}
    for short, ws in list(words.items())[1:]:  # the term itself defines the entry; its variants may not shrink it
        for long, wl in words.items():
            if len(ws) < len(wl) and ws and wl[-len(ws):] == ws:
                head = wl[:-len(ws)]
                if any(w not in english_stop_words() for w in head):
                    raise LexiconError(f"{where}: variant {short!r} is a shorter tail of {long!r} and would match "
                                       f"without {' '.join(head)!r}; make it an entry of its own")


def _parse(data: object, path: str) -> list[Entry]:
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise LexiconError(f"{path}: expected a mapping with a list under 'entries'")
    known = set(CATEGORIES) | set(CUES)
    out: list[Entry] = []
    for i, raw in enumerate(data["entries"]):
        where = f"{path}: entries[{i}]"
        if not isinstance(raw, dict):
            raise LexiconError(f"{where}: expected a mapping, got {type(raw).__name__}")
        for key in ("term", "category", "weight", "source"):
            if key not in raw:
                raise LexiconError(f"{where}: missing field '{key}'")
        term = str(raw["term"]).strip()
        if not term:
            raise LexiconError(f"{where}: field 'term' is empty")
        cat = raw["category"]
        if cat not in known:
            raise LexiconError(f"{where} ({term}): field 'category' is {cat!r}; expected one of {sorted(known)}")
        try:
            weight = float(raw["weight"])
        except (TypeError, ValueError):
            raise LexiconError(f"{where} ({term}): field 'weight' must be a number, got {raw['weight']!r}") from None
        if not 0 <= weight <= 1:
            raise LexiconError(f"{where} ({term}): field 'weight' must be between 0 and 1")
        variants = raw.get("variants") or []
        if not isinstance(variants, list):
            raise LexiconError(f"{where} ({term}): field 'variants' must be a list")
        kind = raw.get("kind", "cue" if cat in CUES else "trope")
        if kind == "trope":
            _check_tails([term, *map(str, variants)], f"{where} ({term})")
        for spelling in [term, *map(str, variants)]:
            out.append(Entry(term=spelling, category=cat, weight=weight, source=str(raw["source"]),
                             sub=raw.get("sub"), compound=bool(raw.get("compound", False)), kind=kind,
                             canonical=term if spelling != term else "", explicit=bool(raw.get("explicit", False)),
                             coded=bool(raw.get("coded", False))))
    return out


def default_lexicon_path() -> Path:
    """The lexicon shipped in the package."""
    return Path(str(resources.files("engineroom") / "data" / "hate" / "lexicon.yaml"))


def load_lexicon(paths: Iterable[str | Path] | None = None) -> Lexicon:
    """Load and compile the default lexicon plus any extra YAML files (same format)."""
    files = [default_lexicon_path(), *(Path(p) for p in (paths or ()))]
    entries: list[Entry] = []
    for f in files:
        try:
            data = yaml.safe_load(Path(f).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LexiconError(f"{f}: lexicon file not found") from None
        except yaml.YAMLError as exc:
            raise LexiconError(f"{f}: not valid YAML: {exc}") from None
        entries.extend(_parse(data, str(f)))
    return Lexicon(entries, path=",".join(map(str, files)))


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped lexicon, compiled once per process."""
    return load_lexicon()
