"""Domain data shared by the ``domains`` and ``accounts`` analyses (data, not analysis logic).

* :func:`load_ratings` — the Lin et al. (2023) news-domain quality ratings (``pc1``, 0-1) bundled
  in ``engineroom/data/domains/``.
* :func:`registered_domain`, :func:`host_of`, :func:`is_shortener`, :func:`shorteners`,
  :func:`is_platform` — re-exported from :mod:`engineroom.links`, the package's one definition of
  what a link's domain is.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from ..links import host_of, is_platform, is_shortener, platforms, registered_domain, shorteners  # noqa: F401

#: pc1 below this is "low credibility" (see data/domains/README.md)
LOW_CREDIBILITY = 0.4


@lru_cache(maxsize=1)
def load_ratings() -> pd.DataFrame:
    """Lin et al. (2023) ratings: columns ``domain``, ``pc1`` (0 = lowest quality, 1 = highest)."""
    path = resources.files("engineroom") / "data" / "domains" / "lin2023_domain_pc1.csv.gz"
    with resources.as_file(path) as p:
        df = pd.read_csv(p, dtype={"domain": str, "pc1": float}, keep_default_na=False)
    df["domain"] = df["domain"].str.lower().str.strip()
    return df
