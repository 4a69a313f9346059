"""Narratives and counter-speech defined in YAML packs, scored per post.

See :mod:`engineroom.narratives.packs` for the pack format and where packs are found, and
:mod:`engineroom.narratives.scorer` for the scoring (similarity to exemplars + keywords).

>>> from engineroom.narratives import load_narratives, NarrativeScorer
>>> scorer = NarrativeScorer(load_narratives())                         # doctest: +SKIP
>>> [m.narrative for m in scorer.score(["The antisemitism smear is a witch hunt"])]  # doctest: +SKIP
['antisemitism_smear']
"""

from .packs import (
    DEFAULT_THRESHOLD,
    ENV_VAR,
    KINDS,
    Narrative,
    NarrativePackError,
    Pack,
    default_pack_dir,
    load_narratives,
    load_pack,
    pack_paths,
    parse_pack,
    user_pack_dir,
)
from .scorer import Match, NarrativeScorer

__all__ = [
    "DEFAULT_THRESHOLD", "ENV_VAR", "KINDS", "Narrative", "NarrativePackError", "Pack", "default_pack_dir",
    "load_narratives", "load_pack", "pack_paths", "parse_pack", "user_pack_dir", "Match", "NarrativeScorer",
]
