"""Reading a labelled CSV that a user hands to ``engineroom eval``: every cell as text, clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def read_labelled_csv(path: str | Path) -> pd.DataFrame:
    """The CSV at ``path`` with every cell as a string (empty cells stay empty strings).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` (one line, with the path) for a
    file that is not readable as CSV."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{path}: not a readable CSV ({exc})") from None
