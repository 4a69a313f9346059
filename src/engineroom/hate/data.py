"""Readers for the labelled development datasets under ``../shared/data`` (see their READMEs).

Each reader returns a pandas frame with ``text``, ``label`` (1 = antisemitic; where the dataset
says nothing about antisemitism, ``NaN``), ``hate`` (1 = hate speech of any kind; ``NaN`` where
unknown), ``source`` and dataset-specific columns (``keyword``, ``split``, ...). Nothing here is
needed at run time; training and evaluation use it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"{path} not found (is ../shared/data there? pass --data DIR)")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def jikeli(data_dir: Path) -> pd.DataFrame:
    """ISCA "Antisemitism on Twitter" development half: ``Biased`` 1 = antisemitic (IHRA).

    ``FullText`` (retweets expanded to the retweeted text) is used, falling back to ``Text``.
    """
    d = _read(Path(data_dir) / "jikeli_antisemitism_dev" / "tweets.csv.gz")
    text = d["FullText"].where(d["FullText"].str.len() > 0, d["Text"])
    lab = d["Biased"].astype(int)
    return pd.DataFrame({"text": text, "label": lab, "hate": lab, "keyword": d["Keyword"],
                         "id": d["TweetID"], "source": "jikeli"})


def hatexplain(data_dir: Path) -> pd.DataFrame:
    """HateXplain posts. ``label`` = 1 when the majority label is hatespeech or offensive AND
    ``Jewish`` is a majority target (val/test only; NaN in train, where targets are unknown, except
    that normal posts are 0). ``hate`` = 1 for majority hatespeech. Undecided posts are dropped."""
    d = _read(Path(data_dir) / "hatexplain" / "hatexplain_posts.csv.gz")
    d = d[d["majority_label"] != "undecided"]
    hateful = d["majority_label"].isin(["hatespeech", "offensive"])
    tj = d["target_jewish"]
    label = np.where(tj == "", np.nan, ((tj == "1") & hateful).astype(float))
    label = np.where((tj == "") & (d["majority_label"] == "normal"), 0.0, label)
    return pd.DataFrame({"text": d["text"].values, "label": label,
                         "hate": (d["majority_label"] == "hatespeech").astype(float).values,
                         "majority_label": d["majority_label"].values, "target_jewish": tj.values,
                         "split": d["split"].values, "id": d["post_id"].values, "source": "hatexplain"})


def redditbias(data_dir: Path) -> pd.DataFrame:
    """RedditBias comments about Jews annotated for an antisemitic stereotype (``bias_sent`` 1/0)."""
    d = _read(Path(data_dir) / "redditbias_jews" / "reddit_comments_religion1_jews_annotated.csv.gz")
    d = d[d["bias_sent"].isin(["0", "1"])]
    lab = d["bias_sent"].astype(float)
    return pd.DataFrame({"text": d["comment"].values, "label": lab.values, "hate": np.nan,
                         "id": d["id"].values, "source": "redditbias"})


def davidson(data_dir: Path) -> pd.DataFrame:
    """Davidson et al. tweets: ``hate`` = 1 for majority hate speech (offensive is not hate)."""
    d = _read(Path(data_dir) / "davidson_hate_offensive" / "labeled_data.csv.gz")
    return pd.DataFrame({"text": d["tweet"].values, "label": np.nan, "hate": (d["class"] == "0").astype(float).values,
                         "id": d["row_id"].values, "source": "davidson"})
