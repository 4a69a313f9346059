"""The third blind batch of labelled real posts (split ``test3``) and the row keys of its new sources.

The batch adds three real-export sources (the CrowdTangle CSV subset, twarc2 JSONL, a Telethon dump).
Their readers are checked on small files written here (no shared data needed), and the batch's
references are checked against the real files where ``../shared/data`` is present. The batch's
figures are measured once, by the narratives evaluation, not by this file.
"""

import json

import pandas as pd
import pytest

from conftest import SHARED_DATA, shared_dataset
from engineroom.narratives.labelled import LABELS, SPLITS, load_labelled

NARRATIVES = {"", "antisemitism_smear", "israel_lobby_control", "counter_speech_antisemitism"}
NEW_FILES = (
    "data/real_exports/crowdtangle_csv_derived/db2_rows_with_genocide.csv",
    "data/real_exports/telegram_telethon/Adriirda_channel_messages.json",
)


def _ref() -> pd.DataFrame:
    return pd.read_csv(LABELS, dtype=str, keep_default_na=False)


def test_test3_is_a_known_split_and_its_keys_are_new():
    """Every test3 row is a row no earlier split labelled, with a default narrative or none."""
    assert "test3" in SPLITS
    ref = _ref()
    assert not ref.duplicated(["file", "key"]).any()
    t3 = ref[ref["split"] == "test3"]
    assert len(t3) > 0
    assert set(t3["narrative"]) <= NARRATIVES
    earlier = ref[ref["split"] != "test3"]
    assert not set(zip(earlier["file"], earlier["key"])) & set(zip(t3["file"], t3["key"]))
    assert {f for f in t3["file"] if f.startswith("data/real_exports/")} >= set(NEW_FILES)


def _write(tmp_path, rel: str, content: str):
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")


def _labels(tmp_path, rows: list[tuple[str, str]]):
    labels = tmp_path / "labels.csv"
    pd.DataFrame([(f, k, "", "test3") for f, k in rows], columns=["file", "key", "narrative", "split"]).to_csv(labels, index=False)
    return labels


def test_new_source_readers_resolve_their_keys(tmp_path):
    """twarc2 (pages, stream lines, flattened lines, a cut-off last line), Telethon (messages, not
    service records) and the CrowdTangle CSV (keyed by post URL, a message with a line break) resolve."""
    page = {"data": [{"id": "11", "text": "page tweet"}], "includes": {"tweets": [{"id": "12", "text": "quoted tweet"}]}}
    stream = {"data": {"id": "13", "text": "stream tweet"}}
    flat = {"id": "14", "text": "flattened tweet", "author_id": "1"}
    _write(tmp_path, "data/real_exports/twarc2_twarc-csv/t.jsonl",
           "\n".join(json.dumps(x) for x in (page, stream, flat)) + '\n{"data": {"id": "15", "te')
    msgs = [{"_": "Message", "id": 7, "message": "a chat message"}, {"_": "MessageService", "id": 8, "action": {}}]
    _write(tmp_path, "data/real_exports/telegram_telethon/m.json", json.dumps(msgs))
    _write(tmp_path, "data/real_exports/crowdtangle_csv_derived/c.csv",
           'Page Name,Post Created,Shares,Message,URL\n"P","2024-01-01 10:00:00 EST","3","two\nlines","https://www.facebook.com/1/posts/2"\n')
    tw, tg, ct = ("data/real_exports/twarc2_twarc-csv/t.jsonl", "data/real_exports/telegram_telethon/m.json",
                  "data/real_exports/crowdtangle_csv_derived/c.csv")
    keys = [(tw, "11"), (tw, "12"), (tw, "13"), (tw, "14"), (tg, "7"), (ct, "https://www.facebook.com/1/posts/2")]
    got = load_labelled(tmp_path, labels=_labels(tmp_path, keys))
    assert list(got["text"]) == ["page tweet", "quoted tweet", "stream tweet", "flattened tweet", "a chat message", "two\nlines"]
    for missing in [(tw, "15"), (tg, "8"), (ct, "row:1")]:  # cut-off line, service record, a key that is not a URL
        with pytest.raises(ValueError, match="1 labelled rows not found"):
            load_labelled(tmp_path, labels=_labels(tmp_path, [missing]))


@pytest.mark.slow  # reads six source files (a few seconds)
def test_test3_resolves_to_real_rows():
    """The batch joins to its texts in every source it uses: counts reconcile, one text per row."""
    for name in ("jikeli_antisemitism_dev", "ira_vs_organic_dev", "hatexplain", "redditbias_jews",
                 "davidson_hate_offensive", "real_exports"):
        shared_dataset(name)
    ref = _ref()
    t3 = load_labelled(SHARED_DATA.parent, "test3")
    assert len(t3) == (ref["split"] == "test3").sum()
    assert (t3["text"].str.len() > 0).all()
    assert set(t3["file"]) == set(ref.loc[ref["split"] == "test3", "file"])
    counts = t3["narrative"].value_counts()
    for name in NARRATIVES:
        assert counts.get(name, 0) > 0, name
