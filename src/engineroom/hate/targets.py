"""Who a hateful post attacks: the protected groups it names, the slurs it uses, and whether it
reports racism rather than committing it.

``other_hate`` means (docs/hate.md, "What other_hate means"): a post that attacks people for who
they are — their religion, race, ethnicity, nationality, migration status, gender, sexuality or
disability — other than Jews (that is the ``antisemitic`` label). The any-hate head of the model
(:mod:`engineroom.hate.model`) scores how hateful a text sounds; it also scores posts that attack
nobody ("kill those mother fuckers!" about terrorists, a sports headline) and posts that report
racism (Black Lives Matter posts about police violence). So a post is labelled ``other_hate`` only
when, besides the score, it

* names a protected group (``group`` entries: "muslims", "refugees", "blacks", ...) or uses a slur
  for one (``slur`` entries), and
* is not in an anti-racism frame (``frame`` entries: "racism", "#BlackLivesMatter", "killed by
  police", ...) — unless it uses a slur, which no report of racism needs.

The terms are data (``engineroom/data/hate/targets.yaml``, sources there), matched whole (word
boundaries, an ``s``/``es`` plural allowed) on the normalised text (:mod:`engineroom.hate.normalize`),
so a hashtag counts by its words: ``#IslamKills`` names Islam. :func:`target_of` also says whether
the group is named only inside hashtags (``via = "hashtag"``): the text itself attacks nobody, a
campaign hashtag does. Matching runs only on posts the any-hate head already flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from .normalize import SEPARATOR, normalize

KINDS = ("group", "slur", "frame")
_HASHTAG = re.compile(r"#\w+", re.UNICODE)


def default_targets_path() -> Path:
    """The target list shipped in the package."""
    return Path(str(resources.files("engineroom") / "data" / "hate" / "targets.yaml"))


@dataclass(frozen=True)
class Target:
    """What :func:`target_of` found in a post."""

    #: protected groups named or slurred, sorted (e.g. ``["migration", "religion"]``)
    groups: tuple[str, ...]
    #: the terms that matched (group nouns and slurs), in the order of the text
    terms: tuple[str, ...]
    #: a slur was used
    slur: bool
    #: the post reports or condemns racism, bigotry or police violence
    frame: bool
    #: ``"text"`` when the post's own words (outside hashtags) name the group, ``"hashtag"`` when
    #: only its hashtags do, ``None`` when it names none
    via: str | None

    @property
    def attacks_group(self) -> bool:
        """The post can be ``other_hate``: it names a group or uses a slur, and is not a report of
        racism that uses no slur."""
        return bool(self.terms) and (self.slur or not self.frame)

    def as_evidence(self) -> dict:
        return {"groups": list(self.groups), "terms": list(self.terms), "via": self.via}


class Targets:
    """A compiled target list: :meth:`find` on normalised text, :func:`target_of` on a raw post."""

    def __init__(self, entries: list[dict], path: str = "") -> None:
        self.path = path
        self.kind: dict[str, str] = {}
        self.group: dict[str, str] = {}
        for i, e in enumerate(entries):
            where = f"{path}: entries[{i}]"
            if not isinstance(e, dict) or e.get("kind") not in KINDS or not isinstance(e.get("terms"), list):
                raise ValueError(f"{where}: expected kind ({', '.join(KINDS)}), group and a list of terms")
            for t in e["terms"]:
                norm = normalize(str(t)).partition(SEPARATOR)[0].strip()
                if not norm:
                    raise ValueError(f"{where}: empty term {t!r}")
                self.kind[norm] = e["kind"]
                self.group[norm] = str(e.get("group", e["kind"]))
        words = sorted(self.kind, key=len, reverse=True)  # longest first: "sand nigger" before "nigger"
        self._re = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, words)) + r")(?:es|s)?(?![\w])")

    def find(self, norm: str) -> list[str]:
        """The terms in a normalised text's spaced view, in order (each once)."""
        spaced = norm.partition(SEPARATOR)[0]
        out: list[str] = []
        for m in self._re.finditer(spaced):
            t = m.group(1)
            if t not in out:
                out.append(t)
        return out

    def target_of(self, raw: str, norm: str | None = None) -> Target:
        """The :class:`Target` of a raw post (``norm``: its normalised text, if already computed)."""
        found = self.find(normalize(raw) if norm is None else norm)
        terms = tuple(t for t in found if self.kind[t] != "frame")
        frame = any(self.kind[t] == "frame" for t in found)
        via = None
        if terms:
            own = self.find(normalize(_HASHTAG.sub(" ", raw)))
            via = "text" if any(self.kind[t] != "frame" for t in own) else "hashtag"
        return Target(groups=tuple(sorted({self.group[t] for t in terms})), terms=terms,
                      slur=any(self.kind[t] == "slur" for t in terms), frame=frame, via=via)


def load_targets(path: str | Path | None = None) -> Targets:
    """Load a target list (default: the shipped one)."""
    p = Path(path) if path else default_targets_path()
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ValueError(f"{p}: expected a mapping with a list under 'entries'")
    return Targets(data["entries"], str(p))


@lru_cache(maxsize=1)
def default_targets() -> Targets:
    """The shipped target list, compiled once per process."""
    return load_targets()


def target_of(raw: str) -> Target:
    """The :class:`Target` of a raw post under the shipped list."""
    return default_targets().target_of(raw)
