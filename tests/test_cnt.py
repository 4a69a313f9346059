"""Parity with the Coordination Network Toolkit 1.5.2: same edges and weights on the same corpus.

The corpus is a planted one (a few thousand posts with an operation and chance co-retweets) plus
hand-made edge cases: the window boundary (60 s in, 61 s out), repeated co-actions (asymmetric
directed weights), posts of mentions only, empty URLs, two URLs in one post, the same URL twice,
URLs in retweets (ignored), CSV-hostile text (quotes, commas, CR LF, tabs), non-ASCII text and a
pair at exactly the Jaccard threshold. CNT runs through its own command line in a subprocess.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

cnt = pytest.importorskip("coordination_network_toolkit")

from engineroom.cnt import compare  # noqa: E402
from engineroom.coordination.plant import plant_corpus  # noqa: E402

T0 = datetime(2024, 3, 5, 12, 0, 0)


def _edge_cases(con) -> None:
    rows = []
    urls = []

    def post(pid, acc, secs, text=None, rt=None, reply=None):
        rows.append(
            {
                "platform": "twitter",
                "post_id": pid,
                "account_id": acc,
                "created_at": T0 + timedelta(seconds=secs),
                "text": text,
                "kind": "retweet" if rt else ("reply" if reply else "post"),
                "retweet_of_post_id": rt,
                "reply_to_post_id": reply,
            }
        )

    # window boundary: 60 s apart is in, 61 s is out
    post("e1", "acc_a", 0, rt="target1")
    post("e2", "acc_b", 60, rt="target1")
    post("e3", "acc_c", 121, rt="target1")
    # repeated co-actions: acc_d posts the same text three times, acc_e once (directed weights 3 and 1)
    for i in range(3):
        post(f"e4{i}", "acc_d", 1000 + i, text="Same words, \"quoted\" and\r\nsplit\tacross lines")
    post("e50", "acc_e", 1010, text="same words, \"quoted\" and split across   lines @someone")
    # mentions only: normalise to '' (CNT quirk: all such posts match; engineroom: never)
    post("e60", "acc_f", 2000, text="@x @y")
    post("e61", "acc_g", 2005, text="@z")
    # links: empty URLs (CNT quirk), two URLs, the same URL twice, a URL in a retweet (ignored)
    post("e70", "acc_h", 3000, text="no link here")
    post("e71", "acc_i", 3001, text="no link either")
    post("e72", "acc_h", 3100, text="two links")
    urls += [("e72", 0, "https://a.example/1"), ("e72", 1, "https://b.example/2")]
    post("e73", "acc_i", 3110, text="same link twice")
    urls += [("e73", 0, "https://a.example/1"), ("e73", 1, "https://a.example/1")]
    post("e74", "acc_j", 3120, text="RT with link", rt="target2")
    urls += [("e74", 0, "https://a.example/1")]
    # Jaccard exactly at the threshold (4 shared of 5 tokens = 0.8) and just below (3 of 5 = 0.6)
    post("e80", "acc_k", 4000, text="alpha beta gamma delta epsilon")
    post("e81", "acc_l", 4010, text="alpha beta gamma delta")
    post("e82", "acc_m", 4020, text="alpha beta gamma")
    # non-ASCII text (CNT's Unicode word segmentation)
    post("e90", "acc_n", 5000, text="Émigré café-au-lait 12.5% — “quoted” ✡️ שלום עולם")
    post("e91", "acc_o", 5003, text="émigré café-au-lait 12.5% — “quoted” ✡️ שלום עולם!")
    # replies to the same post (co_reply) and a reply with the same text as a post (co_tweet)
    post("e95", "acc_p", 6000, text="Reply text", reply="target3")
    post("e96", "acc_q", 6001, text="reply text", reply="target3")

    df = pd.DataFrame(rows)
    cols = [r[0] for r in con.execute("DESCRIBE posts").fetchall()]
    for c in cols:
        if c not in df.columns:
            df[c] = None
    con.register("__edge", df[cols])
    con.execute("INSERT INTO posts SELECT * FROM __edge")
    con.unregister("__edge")
    u = pd.DataFrame(urls, columns=["post_id", "position", "url"]).assign(platform="twitter")
    u["expanded_url"] = u["url"]
    u["domain"] = u["url"].str.split("/").str[2]
    u["host"] = u["domain"]
    con.register("__u", u[["platform", "post_id", "position", "url", "expanded_url", "domain", "host"]])
    con.execute("INSERT INTO urls SELECT * FROM __u")
    con.unregister("__u")


@pytest.fixture(scope="module")
def parity_db(tmp_path_factory):
    import engineroom

    path = tmp_path_factory.mktemp("cnt") / "parity.duckdb"
    with engineroom.open(path) as corpus:
        plant_corpus(corpus.con, n_posts=3000, seed=3, n_operation=12, days=2, events=16)
        _edge_cases(corpus.con)
        corpus.con.execute("CHECKPOINT")
    return path


@pytest.mark.slow
def test_same_edges_and_weights_as_cnt(parity_db, tmp_path):
    result = compare(parity_db, time_window=60, min_weight=1, workdir=tmp_path / "w1", n_cpus=2)
    for network, info in result["networks"].items():
        assert info["equal"], (network, info)
        assert info["cnt_directed_edges"] > 0, network
    assert result["edges_equal"] is True
    # the quirks were there and were corrected
    assert result["quirk_fixes"]["empty_url_rows_deleted"] > 0
    assert result["quirk_fixes"]["empty_text_posts_marked"] >= 2
    assert result["cnt_total_seconds"] > 0 and result["engineroom_seconds"] > 0
    assert result["speedup"] == pytest.approx(result["cnt_total_seconds"] / result["engineroom_seconds"], rel=0.02)


@pytest.mark.slow
def test_parity_with_min_weight_and_other_window(parity_db, tmp_path):
    result = compare(
        parity_db,
        networks=("co_tweet",),
        time_window=20,
        min_weight=2,
        workdir=tmp_path / "w2",
        n_cpus=2,
    )
    assert result["edges_equal"] is True, result["networks"]
    assert result["networks"]["co_tweet"]["cnt_directed_edges"] > 0


@pytest.mark.slow
def test_edge_cases_as_expected(parity_db):
    """The hand-made cases give the edges their comment says (engineroom side, no CNT run)."""
    import engineroom
    from engineroom.analyses.coordination import Coordination

    import shutil, tempfile, os  # noqa: E401

    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "copy.duckdb")
        shutil.copyfile(parity_db, db)
        with engineroom.open(db) as corpus:
            Coordination(networks=("co_retweet", "co_tweet", "co_link", "co_similar_tweet", "co_reply"), min_weight=1).run(corpus.engine())
            e = corpus.query("SELECT network, account_1, account_2, weight, weight_1_2, weight_2_1, post_ids FROM coordination")
    pairs = {(r.network, r.account_1, r.account_2): r for r in e.itertuples()}
    assert ("co_retweet", "acc_a", "acc_b") in pairs  # 60 s: inclusive
    assert ("co_retweet", "acc_b", "acc_c") not in pairs  # 61 s
    de = pairs[("co_tweet", "acc_d", "acc_e")]
    assert (de.weight_1_2, de.weight_2_1, de.weight) == (3, 1, 3)
    assert sorted(__import__("json").loads(de.post_ids)) == ["e40", "e41", "e42", "e50"]
    assert ("co_tweet", "acc_f", "acc_g") not in pairs  # mentions only
    assert ("co_link", "acc_h", "acc_i") in pairs and pairs[("co_link", "acc_h", "acc_i")].weight == 1
    assert not any(k[0] == "co_link" and "acc_j" in k for k in pairs)  # URLs of retweets ignored
    assert ("co_similar_tweet", "acc_k", "acc_l") in pairs  # J = 0.8
    assert ("co_similar_tweet", "acc_k", "acc_m") not in pairs  # J = 0.6
    assert ("co_similar_tweet", "acc_n", "acc_o") in pairs
    assert ("co_reply", "acc_p", "acc_q") in pairs
    assert ("co_tweet", "acc_p", "acc_q") in pairs  # replies are not reposts
