"""Network, trends and campaigns on the IRA-vs-organic development corpus (skips without it).

The corpus is loaded straight into the corpus tables with DuckDB (posts, @-mentions and
hashtags parsed from the text) so the test does not depend on the ingest adapter's speed.
Only aggregate figures are checked; no per-account result is printed.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import normalized_mutual_info_score

from conftest import shared_dataset


def load_ira(corpus, folder) -> None:
    con = corpus.con
    posts = str(folder / "posts.csv.gz")
    con.execute(f"""
        INSERT INTO posts (platform, post_id, account_id, handle, created_at, text, lang, kind)
        SELECT 'twitter', post_id, account_id, screen_name, strptime(created_at, '%Y-%m-%d %H:%M'), text, lang,
               CASE WHEN is_quote IN ('True', 'true', '1') THEN 'quote' ELSE 'post' END
        FROM read_csv('{posts}', all_varchar = true, header = true)
        QUALIFY row_number() OVER (PARTITION BY post_id) = 1
    """)
    con.execute("""
        INSERT INTO accounts (platform, account_id, handle)
        SELECT 'twitter', account_id, any_value(handle) FROM posts GROUP BY account_id
    """)
    con.execute("""
        INSERT INTO interactions (platform, post_id, kind, source_account_id, target_handle, created_at, target_key)
        SELECT DISTINCT 'twitter', post_id, 'mention', account_id, lower(h), created_at, '@' || lower(h)
        FROM (SELECT post_id, account_id, created_at, unnest(regexp_extract_all(text, '@(\\w{1,15})', 1)) AS h FROM posts)
        WHERE h <> ''
    """)
    con.execute("""
        INSERT INTO hashtags (platform, post_id, tag, tag_raw, position)
        SELECT 'twitter', post_id, tag, any_value(raw), min(pos) FROM (
            SELECT post_id, lower(t) AS tag, t AS raw, 0 AS pos
            FROM (SELECT post_id, unnest(regexp_extract_all(text, '#(\\w+)', 1)) AS t FROM posts)
        ) GROUP BY post_id, tag
    """)


@pytest.mark.slow
def test_ira_communities_separate_categories(corpus):
    folder = shared_dataset("ira_vs_organic_dev")
    load_ira(corpus, folder)
    s = corpus.analyze(only=["network", "trends"], params={"trends": {"resolutions": ["day"]}})
    assert s["network"]["edges_by_kind"]["mention"] > 5000
    assert s["network"]["modularity"] > 0.5
    nodes = corpus.table("graph_nodes")
    labels = pd.read_csv(folder / "account_labels.csv", dtype=str, keep_default_na=False)
    ira = nodes.merge(labels[labels["label"] == "ira"], on="account_id")
    assert len(ira) > 300
    nmi = normalized_mutual_info_score(ira["account_category"], ira["community"])
    purity = ira.groupby("community")["account_category"].agg(lambda x: x.value_counts().iloc[0]).sum() / len(ira)
    assert nmi > 0.35 and purity > 0.7, (round(nmi, 3), round(purity, 3))
    trends = corpus.table("trends")
    assert len(trends) > 50 and (trends["posts"] >= 5).all()
    # the Fearmonger hoax #KochFarms (Nov 2015, named in the dataset README) bursts
    koch = trends[trends["tag"] == "kochfarms"]
    assert len(koch) and koch["start"].min().strftime("%Y-%m") == "2015-11"
