"""Labelled real posts for the default narratives: references to rows, texts read at run time.

The labels live in ``engineroom/data/narratives/labelled/real_posts.csv`` as references, never as
copies of the posts: ``file`` (a path under the shared data folder, e.g.
``data/jikeli_antisemitism_dev/tweets.csv.gz``), ``key`` (the row key in that file: ``TweetID``
for the Jikeli/ISCA tweets, ``post_id`` for the IRA-vs-organic corpus and HateXplain, ``id`` for
the RedditBias comments, ``row_id`` for the Davidson tweets, ``URL`` (the post's Facebook address)
for the CrowdTangle CSV subset, the tweet ``id`` for twarc2 JSONL files, the message ``id`` for
Telethon dumps, ``LINE:N`` for the N-th quoted passage on a line of a seed article), ``narrative`` (empty = none of the default narratives)
and ``split``: ``dev`` or ``heldout`` for the first batches (``sha256("engineroom-narratives-v1:" +
file + ":" + key) mod 3 == 0`` is held out), ``fresh`` for a later batch labelled after the pack was
tuned, ``test`` for a blind batch labelled before the last rule changes (dev, heldout and fresh
were then merged into the tuning set) and measured once, ``test2`` for a second blind batch labelled
while the pack was rewritten, never shown to the rule writer (tuning data since), ``test3`` for a
third blind batch, labelled the same way from rows and sources no earlier split used. How the rows
were chosen and judged is in ``docs/narratives.md`` and the labelled README.

:func:`load_labelled` joins the references to the texts and returns ``text,narrative`` rows, the
format ``engineroom eval narratives --data FILE.csv`` reads::

    python -m engineroom.narratives.labelled --data-dir ../shared --split heldout --out heldout.csv
    engineroom eval narratives --data heldout.csv
"""

from __future__ import annotations

import argparse
import json
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
#: test2: a second blind batch, labelled by another engineer who never saw the pack, measured once (then tuned on);
#: learned1: posts a trial learned scorer matched and the rules did not, labelled by a third engineer;
#: test3: a third blind batch (new sources: CrowdTangle, twarc2, Telethon too), measured once on the pack of its round
SPLITS = ("dev", "heldout", "fresh", "test", "test2", "learned1", "test3")
_KEYS = {
    "jikeli_antisemitism_dev": ("TweetID", "FullText"),
    "ira_vs_organic_dev": ("post_id", "text"),
    "hatexplain": ("post_id", "text"),
    "redditbias_jews": ("id", "comment"),
    "davidson_hate_offensive": ("row_id", "tweet"),
    "crowdtangle_csv_derived": ("URL", "Message"),  # the post's URL: unique per row, survives re-reads
}


def _twarc2_texts(path: Path) -> dict[str, str]:
    """Tweet ``id`` → ``text`` of every tweet in a twarc2 JSONL file.

    Reads response pages (``data`` a list, plus the referenced tweets under ``includes.tweets``),
    stream lines (``data`` one tweet) and flattened lines (the tweet itself); a line that is not
    JSON (a capture cut off at its end) is skipped.
    """
    out: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(obj, dict):
                continue
            data = obj.get("data", obj if "text" in obj else [])
            tweets = ([data] if isinstance(data, dict) else list(data)) + list(obj.get("includes", {}).get("tweets", []))
            for t in tweets:
                if isinstance(t, dict) and "id" in t and isinstance(t.get("text"), str):
                    out.setdefault(str(t["id"]), t["text"])
    return out


def _telethon_texts(path: Path) -> dict[str, str]:
    """Message ``id`` → ``message`` text of every ``Message`` record in a Telethon ``to_dict()`` dump."""
    msgs = json.loads(path.read_text(encoding="utf-8"))
    return {str(m["id"]): m["message"] for m in msgs if m.get("_") == "Message" and m.get("message")}


#: JSON sources: folder → reader of every row (key → text) in one of its files
_JSON_READERS = {"twarc2_twarc-csv": _twarc2_texts, "telegram_telethon": _telethon_texts}


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
    if folder in _JSON_READERS:
        rows = _JSON_READERS[folder](path)
        return {k: rows[k] for k in keys if k in rows}
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
    """``text, narrative, split, file, key`` for every labelled reference (``split``: one of :data:`SPLITS`, None = all).

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
