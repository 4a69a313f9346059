"""Benchmark of the network analysis (graph building in the engine, Leiden, PageRank) at scale.

Builds a corpus of ``posts`` posts directly in DuckDB with the shape of an ``engineroom synth``
corpus (one account per 15 posts, heavy-tailed activity and popularity, 50 planted communities,
35 % retweets, 14 % replies, 2 % quotes, mentions in 30 % of posts, hashtags in half the posts,
links in a fifth), without writing and ingesting export files (which at 10M posts takes far
longer than the analysis itself), then times :class:`engineroom.analyses.network.Network`.

    python -m engineroom.graphs.bench --posts 10000000 --db /tmp/bench.duckdb
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def build(corpus, posts: int, seed: float = 0.42) -> dict[str, int]:
    """Fill an empty corpus with ``posts`` random posts and their interactions, hashtags, urls."""
    con = corpus.con
    A = max(100, posts // 15)
    C = 50
    con.execute(f"SELECT setseed({seed})")
    con.execute(f"""
        CREATE TEMP TABLE _p AS
        SELECT i, 'twitter' AS platform, 'p' || i AS post_id,
               floor({A} * pow(random(), 3))::BIGINT AS author,
               TIMESTAMP '2024-03-01' + to_seconds((random() * 30 * 86400)::BIGINT) AS created_at,
               random() AS r1, random() AS r2, random() AS r3, random() AS r4
        FROM range({posts}) t(i)
    """)
    # target in the author's community 80 % of the time, popular accounts more often
    tgt = f"""CASE WHEN r2 < 0.8
                   THEN (author % {C}) + {C} * floor(({A} / {C}) * pow(r3, 3))::BIGINT
                   ELSE floor({A} * pow(r3, 4))::BIGINT END"""
    con.execute(f"""
        INSERT INTO posts (platform, post_id, account_id, handle, created_at, text, kind)
        SELECT platform, post_id, 'a' || author, 'user' || author, created_at, 'post ' || i,
               CASE WHEN r1 < 0.35 THEN 'retweet' WHEN r1 < 0.49 THEN 'reply' WHEN r1 < 0.51 THEN 'quote'
                    ELSE 'post' END
        FROM _p
    """)
    con.execute(f"""
        INSERT INTO accounts (platform, account_id, handle, followers)
        SELECT 'twitter', 'a' || i, 'user' || i, (1000 * pow(random(), 4))::BIGINT FROM range({A}) t(i)
    """)
    con.execute(f"""
        INSERT INTO interactions (platform, post_id, kind, source_account_id, target_account_id,
                                  target_handle, target_post_id, created_at, target_key)
        SELECT platform, post_id,
               CASE WHEN r1 < 0.35 THEN 'retweet' WHEN r1 < 0.49 THEN 'reply' ELSE 'quote' END,
               'a' || author, 'a' || t, 'user' || t, 'p' || floor(random() * {posts})::BIGINT, created_at, 'a' || t
        FROM (SELECT *, {tgt} AS t FROM _p WHERE r1 < 0.51)
        WHERE t <> author
    """)
    con.execute(f"""
        INSERT INTO interactions (platform, post_id, kind, source_account_id, target_account_id,
                                  target_handle, target_post_id, created_at, target_key)
        SELECT platform, post_id, 'mention', 'a' || author, NULL, 'user' || t, NULL, created_at, '@user' || t
        FROM (SELECT *, {tgt} AS t FROM _p WHERE r4 < 0.3)
        WHERE t <> author
    """)
    con.execute("""
        INSERT INTO hashtags (platform, post_id, tag, tag_raw, position)
        SELECT DISTINCT ON (platform, post_id, tag) platform, post_id, tag, tag, pos FROM (
            SELECT platform, post_id, 'tag' || ((author % 50) * 1000 + floor(1000 * pow(random(), 3))::BIGINT) AS tag,
                   0 AS pos FROM _p WHERE r4 < 0.5
            UNION ALL
            SELECT platform, post_id, 'tag' || floor(50000 * pow(random(), 5))::BIGINT, 1 FROM _p WHERE r4 < 0.2)
    """)
    con.execute("""
        INSERT INTO urls (platform, post_id, position, url, expanded_url, domain, host)
        SELECT platform, post_id, 0, 'https://d' || d || '.example/x', 'https://d' || d || '.example/x',
               'd' || d || '.example', 'd' || d || '.example'
        FROM (SELECT *, floor(5000 * pow(random(), 3))::BIGINT AS d FROM _p WHERE r3 < 0.2)
    """)
    con.execute("DROP TABLE _p")
    return corpus.counts()


def main(argv: list[str] | None = None) -> dict:
    import engineroom
    from engineroom.analyses import run_analyses

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, default=Path("bench_network.duckdb"))
    args = ap.parse_args(argv)
    fresh = not args.db.exists()
    corpus = engineroom.open(args.db)
    corpus.con.execute("SET enable_progress_bar = false")  # DuckDB's own bar would mix into the JSON line
    t0 = time.perf_counter()
    if fresh or corpus.count("posts") == 0:
        counts = build(corpus, args.posts)
    else:
        counts = corpus.counts()
    t_build = time.perf_counter() - t0
    steps: dict[str, float] = {}
    t1 = time.perf_counter()
    summary = run_analyses(corpus, only=["network"], on_step=lambda n, s, _: steps.__setitem__(n, s))["network"]
    result = {
        "posts": counts["posts"], "interactions": counts["interactions"], "hashtags": counts["hashtags"],
        "corpus_build_s": round(t_build, 1), "network_s": round(time.perf_counter() - t1, 1),
        "nodes": summary["nodes"], "edges": summary["edges"], "communities": summary["communities"],
        "modularity": summary["modularity"], "timings": summary.get("timings"),
    }
    corpus.close()
    print(json.dumps(result))
    return result


if __name__ == "__main__":  # pragma: no cover
    main()
