"""Labelled real posts for the default narratives: references to rows, texts read at run time.

The labels live in ``engineroom/data/narratives/labelled/real_posts.csv`` as references, never as
copies of the posts: ``file`` (a path under the shared data folder, e.g.
``data/jikeli_antisemitism_dev/tweets.csv.gz``), ``key`` (the row key in that file: ``TweetID``
for the Jikeli/ISCA tweets, ``post_id`` for the IRA-vs-organic corpus and HateXplain, ``id`` for
the RedditBias comments, ``LINE:N`` for the N-th
quoted passage on a line of a seed article), ``narrative`` (empty = none of the default narratives)
and ``split``: ``dev`` or ``heldout`` for the first batches (``sha256("engineroom-narratives-v1:" +
file + ":" + key) mod 3 == 0`` is held out), ``fresh`` for a later batch labelled after the pack was
tuned, ``test`` for a blind batch labelled before the last rule changes (dev, heldout and fresh
were then merged into the tuning set) and measured once, ``test2`` for a second blind batch labelled
while the pack was rewritten, never shown to the rule writer. How the rows were chosen and judged is in ``docs/narratives.md``.

:func:`load_labelled` joins the references to the texts and returns ``text,narrative`` rows, the
format ``engineroom eval narratives --data FILE.csv`` reads::

    python -m engineroom.narratives.labelled --data-dir ../shared --split heldout --out heldout.csv
    engineroom eval narratives --data heldout.csv
"""

from __future__ import annotations

import argparse
import re
from importlib import resources
from pathlib import Path

import pandas as pd

#: the reference file shipped with the package
LABELS = Path(str(resources.files("engineroom") / "data" / "narratives" / "labelled" / "real_posts.csv"))
#: a quoted passage in a seed article ("…" or “…”, at least 25 characters)
QUOTE = re.compile(r"[“\"]([^”\"]{25,})[”\"]")
#: dev: tuned on; heldout: measured after each tuning round; fresh: labelled later, measured once;
#: test: a blind batch labelled before the last rule changes and measured once at the end (then tuned on);
#: test2: a second blind batch, labelled by another engineer who never saw the pack, measured once;
#: learned1: posts a trial learned scorer matched and the rules did not, labelled by a third engineer
SPLITS = ("dev", "heldout", "fresh", "test", "test2", "learned1")
_KEYS = {
    "jikeli_antisemitism_dev": ("TweetID", "FullText"),
    "ira_vs_organic_dev": ("post_id", "text"),
    "hatexplain": ("post_id", "text"),
    "redditbias_jews": ("id", "comment"),
    "davidson_hate_offensive": ("row_id", "tweet"),
}


def _texts(data_dir: Path, file: str, keys: set[str]) -> dict[str, str]:
    path = data_dir / file
    if not path.exists():
        raise FileNotFoundError(f"{path}: labelled posts refer to this file; pass the shared data folder as data_dir")
    if file.startswith("seeds/"):
        out = {}
        for ln, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for qi, q in enumerate(QUOTE.findall(line)):
                out[f"{ln}:{qi}"] = q
        return {k: out[k] for k in keys if k in out}
    folder = Path(file).parent.name
    if folder not in _KEYS:
        raise ValueError(f"{file}: no row key known for this file")
    key_col, text_col = _KEYS[folder]
    df = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=[key_col, text_col])
    df = df[df[key_col].isin(keys)].drop_duplicates(key_col)
    texts = df[text_col]
    if folder == "jikeli_antisemitism_dev":  # FullText writes line breaks as the two characters \n
        texts = texts.str.replace("\\n", "\n", regex=False)
    return dict(zip(df[key_col], texts))


def load_labelled(data_dir: str | Path, split: str | None = None, labels: str | Path | None = None) -> pd.DataFrame:
    """``text, narrative, split, file, key`` for every labelled reference (``split``: dev / heldout / fresh / test / test2 / None = all).

    ``data_dir`` is the shared folder that holds ``data/`` and ``seeds/`` (``../shared`` from a
    checkout). A reference whose row is missing raises ``ValueError``: the counts must reconcile.
    """
    data_dir = Path(data_dir)
    ref = pd.read_csv(labels or LABELS, dtype=str, keep_default_na=False)
    if split is not None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)} (got {split!r})")
        ref = ref[ref["split"] == split]
    texts: dict[tuple[str, str], str] = {}
    for file, d in ref.groupby("file"):
        for k, t in _texts(data_dir, file, set(d["key"])).items():
            texts[(file, k)] = t
    missing = [f"{f}:{k}" for f, k in zip(ref["file"], ref["key"]) if (f, k) not in texts]
    if missing:
        raise ValueError(f"{len(missing)} labelled rows not found in the data, e.g. {', '.join(missing[:3])}")
    out = ref.assign(text=[texts[(f, k)] for f, k in zip(ref["file"], ref["key"])])
    return out[["text", "narrative", "split", "file", "key"]].reset_index(drop=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the labelled real posts as text,narrative CSV.")
    ap.add_argument("--data-dir", required=True, help="the shared folder holding data/ and seeds/")
    ap.add_argument("--split", choices=list(SPLITS), default=None)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    df = load_labelled(a.data_dir, a.split)
    df[["text", "narrative"]].to_csv(a.out, index=False)
    print(f"{len(df)} rows → {a.out}")


if __name__ == "__main__":
    main()
