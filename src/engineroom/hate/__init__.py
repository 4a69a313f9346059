"""Antisemitism and hate detection: lexicon, normalisation, features, the shipped model, training
and evaluation.

* :mod:`engineroom.hate.normalize` — undo obfuscation (leetspeak, homoglyphs, separators, hashtag
  compounds, echo parentheses, emoji);
* :mod:`engineroom.hate.lexicon` — the trope lexicon (``data/hate/lexicon.yaml``) with IHRA categories;
* :mod:`engineroom.hate.features` — hashed n-gram TF-IDF and lexicon features;
* :mod:`engineroom.hate.model` — the shipped model (:func:`shipped_model`);
* :mod:`engineroom.hate.train` — ``engineroom train hate``;
* :mod:`engineroom.hate.evaluate` — ``engineroom eval hate``.

>>> from engineroom.hate import shipped_model
>>> shipped_model().predict(["(((They))) control the media"]).label   # doctest: +SKIP
['antisemitic']
"""

from .lexicon import CATEGORIES, default_lexicon, load_lexicon
from .model import HateModel, load_model, shipped_model
from .normalize import normalize

__all__ = ["CATEGORIES", "default_lexicon", "load_lexicon", "HateModel", "load_model", "shipped_model", "normalize"]
