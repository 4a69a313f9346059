"""Narrative packs: YAML files that define narratives and counter-speech without code.

A pack is a YAML file::

    pack: my-pack                       # optional; defaults to the file name
    description: what the pack covers   # optional
    language: en                        # the language the phrases and exemplars are written in
    context: UK politics 2017-2021      # where and when the pack's narratives were seen (free text)
    narratives:
      - name: antisemitism_smear        # unique key (letters, digits, _ or -)
        kind: narrative                 # narrative | counter_speech
        description: Antisemitism is a smear / weaponised / invented
        threshold: 0.35                 # optional, 0-1: minimum score for a post to match
        exemplars:                      # posts that push the narrative (at least one)
          - "The antisemitism smear is a witch-hunt to stop him"
        keywords:                       # phrases that count as evidence (may be empty)
          - antisemitism smear
          - witch hunt
        require:                        # concept groups: a post matches only when EVERY group
          antisemitism: [antisemit*, jew hate*]          # has one of its phrases in it
          dismissal: [smear*, witch hunt*, weaponi*]
        or_require:                     # optional: other sets of groups that also qualify a post
          - jews: [jew, jews]                           # (every group of ONE set, instead of `require`)
            persecution: [witch hunt*, purg*]
            side: [labour, palestin*]
        exclude:                        # contexts that mean the post is something else
          - mueller
          - russia investigation
        near:                           # optional: groups whose phrases must stand close together
          groups: [antisemitism, dismissal]   # in every group set that has all of them
          words: 8                      # at most this many words apart
                                        # (or a list of such rules, each with its own groups and words)

Phrases (``keywords``, ``require`` and ``exclude``) are matched on the normalised post
(:func:`engineroom.hate.normalize.normalize`: case-folded, obfuscation undone, hashtags split
*and* kept whole, so ``witch hunt`` finds "Witch-hunt", "#WitchHunt" and "witchhunt") as whole
words; a phrase ending in ``*`` matches any word that starts with it (``antisemit*`` finds
antisemitism, antisemitic, antisemites; ``anti semit*`` finds "anti-Semitism"). A plural ``s``
after a phrase still matches. A narrative with ``require`` groups matches a post only when each
group has a phrase in it and no ``exclude`` phrase is present, *and* its score reaches the
threshold; the evidence names the phrase found for each group. ``or_require`` lists other sets of
groups that qualify a post as well (a post needs every group of ``require`` *or* every group of one
``or_require`` set): a narrative that is said in two ways (naming antisemitism, or naming the
party, the Jews and the witch-hunt without the word) needs no second narrative. ``near`` ties groups
together (one rule, or a list of rules with their own groups and distances): in each group set (``require`` or an ``or_require`` set) that has every group it names,
one phrase of each of those groups must lie within ``words`` words of the others (the word
distance from the end of the earlier phrase to the start of the later one; adjacent words are 1
apart), so "Israel ... 20 words later ... controls" is not "Israel controls". ``require`` is what makes a
narrative mean what it says: "witch hunt" alone is a US politics slogan about investigations;
"witch hunt" next to a reference to antisemitism is the denial narrative.

Where packs come from (all are loaded, later names override earlier ones):

1. the default packs shipped in ``engineroom/data/narratives/*.yaml`` (unless ``defaults=False``);
2. every ``*.yaml`` / ``*.yml`` in the user folder ``~/.config/engineroom/narratives/``
   (``$XDG_CONFIG_HOME`` respected);
3. the files or folders in the environment variable ``ENGINEROOM_NARRATIVE_PACKS``
   (separated by ``os.pathsep``);
4. the files or folders passed explicitly (the ``narratives`` analysis's ``packs`` parameter).

A pack that cannot be used raises :class:`NarrativePackError` naming the file, the narrative and the
field at fault.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable

import yaml

KINDS = ("narrative", "counter_speech")
ENV_VAR = "ENGINEROOM_NARRATIVE_PACKS"
DEFAULT_THRESHOLD = 0.3
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,79}$")
_FIELDS = {"name", "kind", "description", "exemplars", "keywords", "threshold", "require", "or_require", "exclude", "near"}
_PACK_FIELDS = {"pack", "description", "language", "context", "narratives"}
#: what a pack that does not say its language or context is recorded as
UNSPECIFIED = "unspecified"


class NarrativePackError(ValueError):
    """A narrative pack file that cannot be used; the message names the file and field."""


@dataclass(frozen=True)
class Narrative:
    """One narrative (or counter-speech) definition."""

    name: str
    kind: str
    description: str
    exemplars: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    threshold: float = DEFAULT_THRESHOLD
    pack: str = ""
    source: str = ""
    #: concept groups (name → phrases): every group must have a phrase in the post
    require: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: phrases that rule the narrative out (another context that shares its words)
    exclude: tuple[str, ...] = ()
    language: str = UNSPECIFIED
    context: str = UNSPECIFIED
    #: other sets of concept groups, each of which qualifies a post as well as ``require`` does
    or_require: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...] = ()
    #: proximity rules ``((groups, words), ...)``: in each group set that has all of a rule's groups, one
    #: phrase of each must lie within ``words`` words of the others
    near: tuple[tuple[tuple[str, ...], int], ...] = ()


@dataclass
class Pack:
    name: str
    path: str
    narratives: list[Narrative] = field(default_factory=list)
    description: str = ""
    language: str = UNSPECIFIED
    context: str = UNSPECIFIED


def _str_list(value: object, where: str, fname: str, allow_empty: bool) -> tuple[str, ...]:
    if value is None:
        value = []
    if not isinstance(value, list):
        raise NarrativePackError(f"{where}: field '{fname}' must be a list of strings, got {type(value).__name__}")
    out = []
    for j, v in enumerate(value):
        if not isinstance(v, (str, int, float)) or isinstance(v, bool) or not str(v).strip():
            raise NarrativePackError(f"{where}: field '{fname}'[{j}] must be a non-empty string, got {v!r}")
        out.append(str(v).strip())
    if not out and not allow_empty:
        raise NarrativePackError(f"{where}: field '{fname}' needs at least one entry")
    return tuple(out)


def _require(value: object, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``require``: a mapping of concept-group name to a non-empty list of phrases."""
    if value is None:
        return ()
    if not isinstance(value, dict) or not value:
        raise NarrativePackError(f"{where}: field 'require' must be a mapping of concept group name to a list of phrases")
    out = []
    for g, phrases in value.items():
        if not isinstance(g, str) or not _NAME_RE.match(g):
            raise NarrativePackError(f"{where}: field 'require' group name must be letters, digits, '_' or '-' (got {g!r})")
        out.append((g, _str_list(phrases, where, f"require.{g}", allow_empty=False)))
    return tuple(out)


def _or_require(value: object, where: str) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]:
    """``or_require``: a list of ``require``-style mappings (alternative sets of concept groups)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise NarrativePackError(f"{where}: field 'or_require' must be a list of mappings of concept group name to a list of phrases")
    return tuple(_require(v, f"{where} or_require[{j}]") for j, v in enumerate(value))


def _near_rule(value: object, where: str, sets: list[dict]) -> tuple[tuple[str, ...], int]:
    """One ``near`` rule: ``{groups: [two or more group names], words: N}``; the groups must exist in some set."""
    if not isinstance(value, dict) or set(value) != {"groups", "words"}:
        raise NarrativePackError(f"{where}: field 'near' must be a mapping with 'groups' (a list of group names) and 'words' (a number), "
                                 "or a list of such mappings")
    groups = _str_list(value["groups"], where, "near.groups", allow_empty=False)
    words = value["words"]
    if len(groups) < 2:
        raise NarrativePackError(f"{where}: field 'near.groups' needs at least two group names")
    if isinstance(words, bool) or not isinstance(words, int) or words < 1:
        raise NarrativePackError(f"{where}: field 'near.words' must be a whole number of words >= 1 (got {words!r})")
    if not any(all(g in s for g in groups) for s in sets):
        raise NarrativePackError(f"{where}: field 'near.groups' names groups that no one group set has all of ({', '.join(groups)})")
    return groups, words


def _near(value: object, where: str, require, or_require) -> tuple[tuple[tuple[str, ...], int], ...]:
    """``near``: one rule (a mapping) or a list of rules; each applies to every group set that has all its groups."""
    if value is None:
        return ()
    sets = [dict(require), *(dict(alt) for alt in or_require)]
    rules = value if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) else [value]
    return tuple(_near_rule(v, where, sets) for v in rules)


def parse_pack(data: object, path: str) -> Pack:
    """Validate a parsed YAML document as a pack (see the module doc for the format)."""
    if not isinstance(data, dict):
        raise NarrativePackError(f"{path}: a pack must be a mapping with a 'narratives' list, got {type(data).__name__}")
    if "narratives" not in data:
        raise NarrativePackError(f"{path}: missing field 'narratives'")
    items = data["narratives"]
    if not isinstance(items, list) or not items:
        raise NarrativePackError(f"{path}: field 'narratives' must be a non-empty list")
    unknown = set(map(str, data)) - _PACK_FIELDS
    if unknown:
        raise NarrativePackError(f"{path}: unknown pack field(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_PACK_FIELDS))}")
    pack_name = str(data.get("pack") or Path(path).stem)
    meta = {}
    for key in ("language", "context"):
        v = data.get(key, UNSPECIFIED)
        if not isinstance(v, str) or not v.strip():
            raise NarrativePackError(f"{path}: field '{key}' must be a non-empty string (got {v!r})")
        meta[key] = " ".join(v.split())
    pack = Pack(pack_name, path, description=str(data.get("description") or ""), **meta)
    seen: set[str] = set()
    for i, raw in enumerate(items):
        where = f"{path}: narratives[{i}]"
        if not isinstance(raw, dict):
            raise NarrativePackError(f"{where}: must be a mapping, got {type(raw).__name__}")
        name = raw.get("name")
        if name is None:
            raise NarrativePackError(f"{where}: missing field 'name'")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise NarrativePackError(f"{where}: field 'name' must be letters, digits, '_' or '-' (got {name!r})")
        where = f"{path}: narratives[{i}] ({name})"
        if name in seen:
            raise NarrativePackError(f"{where}: field 'name' repeats an earlier narrative in this pack")
        seen.add(name)
        unknown = set(raw) - _FIELDS
        if unknown:
            raise NarrativePackError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; allowed: {', '.join(sorted(_FIELDS))}")
        for req in ("kind", "description", "exemplars"):
            if req not in raw:
                raise NarrativePackError(f"{where}: missing field '{req}'")
        kind = raw["kind"]
        if kind not in KINDS:
            raise NarrativePackError(f"{where}: field 'kind' must be one of {', '.join(KINDS)} (got {kind!r})")
        desc = raw["description"]
        if not isinstance(desc, str) or not desc.strip():
            raise NarrativePackError(f"{where}: field 'description' must be a non-empty string")
        exemplars = _str_list(raw["exemplars"], where, "exemplars", allow_empty=False)
        keywords = _str_list(raw.get("keywords"), where, "keywords", allow_empty=True)
        threshold = raw.get("threshold", DEFAULT_THRESHOLD)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < float(threshold) <= 1:
            raise NarrativePackError(f"{where}: field 'threshold' must be a number in (0, 1] (got {threshold!r})")
        require = _require(raw.get("require"), where)
        or_require = _or_require(raw.get("or_require"), where)
        if or_require and not require:
            raise NarrativePackError(f"{where}: field 'or_require' needs a 'require' to be an alternative to")
        exclude = _str_list(raw.get("exclude"), where, "exclude", allow_empty=True)
        near = _near(raw.get("near"), where, require, or_require)
        pack.narratives.append(Narrative(name, kind, desc.strip(), exemplars, keywords, float(threshold), pack_name, path,
                                         require, exclude, meta["language"], meta["context"], or_require=or_require,
                                         near=near))
    return pack


def load_pack(path: str | Path) -> Pack:
    """Read and validate one pack file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NarrativePackError(f"{p}: pack file not found") from None
    except (IsADirectoryError, UnicodeDecodeError, PermissionError) as exc:
        raise NarrativePackError(f"{p}: cannot read pack file ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise NarrativePackError(f"{p}: not valid YAML: {exc}") from None
    return parse_pack(data, str(p))


def default_pack_dir() -> Path:
    """The packs shipped with the package."""
    return Path(str(resources.files("engineroom") / "data" / "narratives"))


def user_pack_dir() -> Path:
    """The user's own pack folder (``~/.config/engineroom/narratives``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "engineroom" / "narratives"


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    return [path]


def pack_paths(packs: Iterable[str | Path] | None = None, defaults: bool = True, user: bool = True,
               env: bool = True) -> list[Path]:
    """Pack files in load order (see the module doc)."""
    paths: list[Path] = []
    if defaults:
        paths += _expand(default_pack_dir())
    if user and user_pack_dir().is_dir():
        paths += _expand(user_pack_dir())
    if env and os.environ.get(ENV_VAR):
        for part in os.environ[ENV_VAR].split(os.pathsep):
            if part.strip():
                paths += _expand(Path(part.strip()))
    for p in packs or ():
        paths += _expand(Path(p))
    return paths


def load_narratives(packs: Iterable[str | Path] | None = None, defaults: bool = True, user: bool = True,
                    env: bool = True) -> list[Narrative]:
    """All narratives from the packs in load order; a later definition of a name replaces an earlier one."""
    by_name: dict[str, Narrative] = {}
    for path in pack_paths(packs, defaults, user, env):
        for n in load_pack(path).narratives:
            by_name[n.name] = n
    if not by_name:
        raise NarrativePackError("no narratives defined: no default packs and none given")
    return list(by_name.values())
