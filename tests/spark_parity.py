"""Shared by the Spark tests: a small corpus every analysis finds something in, and the
comparison of findings tables between engines (same rows; floats within tolerance; JSON lists
compared as sets; community / cluster labels compared as partitions)."""

from __future__ import annotations

import json
import math
import os
import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

import engineroom

# ---------------------------------------------------------------------------------------------
# a small corpus with structure every analysis can find something in
# ---------------------------------------------------------------------------------------------
T0 = datetime(2024, 3, 1)
TAGS = ["news", "politics", "smearcampaign", "weaponised", "sackjones", "football", "music", "uk"]
DOMAINS = ["bbc.co.uk", "theguardian.com", "fakenewsdaily.net", "bit.ly", "example.org"]
TEXTS = [
    "Great match today, what a goal",
    "Antisemitism is just a smear used to silence critics",
    "The so-called antisemitism crisis is weaponised by the lobby",
    "Jews control the media and the banks",
    "We stand with our Jewish neighbours against hate",
    "New album out now, listen here",
    "Sack Jones now, the council must act",
    "Read this report on the election",
]


def build_corpus(path: Path, n_posts: int = 2500, seed: int = 7) -> Path:
    """Write a small deterministic corpus (accounts, posts, interactions, hashtags, urls)."""
    rng = random.Random(seed)
    accounts = [f"{1000 + i}" for i in range(80)]
    ring = accounts[:8]  # a coordinated group: retweets and links within seconds of each other
    acc_rows = [
        dict(platform="twitter", account_id=a, handle=f"user{a}" if a not in ring else f"xq{a}zz{i}",
             display_name=f"User {a}", bio="news and views" if a not in ring else "Patriot. Truth. News.",
             created_at=T0 - timedelta(days=400 + (3 if a in ring else rng.randint(0, 3000))),
             followers=rng.randint(0, 5000) if a not in ring else rng.randint(0, 20),
             following=rng.randint(0, 2000), posts_count=rng.randint(10, 50000), verified=False,
             default_profile=a in ring, default_profile_image=a in ring)
        for i, a in enumerate(accounts)
    ]
    posts, inter, tags, urls = [], [], [], []
    pid = 1

    def add_post(account, when, text, kind="post", rt=None, reply=None, hashtags=(), links=(), mentions=()):
        nonlocal pid
        post_id = str(pid)
        pid += 1
        row = dict(platform="twitter", post_id=post_id, account_id=account,
                   handle=next(r["handle"] for r in acc_rows if r["account_id"] == account),
                   created_at=when, text=text, lang="en", kind=kind,
                   like_count=rng.randint(0, 30), retweet_count=rng.randint(0, 10),
                   reply_count=rng.randint(0, 5), quote_count=0,
                   client="Twitter Web App" if account not in ring else "autopost")
        if rt is not None:
            row.update(retweet_of_post_id=rt[0], retweet_of_account_id=rt[1])
            inter.append(dict(platform="twitter", post_id=post_id, kind="retweet", source_account_id=account,
                              target_account_id=rt[1], target_handle=None, target_post_id=rt[0],
                              created_at=when, target_key=rt[1]))
        if reply is not None:
            row.update(reply_to_post_id=reply[0], reply_to_account_id=reply[1], conversation_id=reply[0])
            inter.append(dict(platform="twitter", post_id=post_id, kind="reply", source_account_id=account,
                              target_account_id=reply[1], target_handle=None, target_post_id=reply[0],
                              created_at=when, target_key=reply[1]))
        for m in mentions:
            inter.append(dict(platform="twitter", post_id=post_id, kind="mention", source_account_id=account,
                              target_account_id=m, target_handle=f"user{m}", target_post_id=None,
                              created_at=when, target_key=m))
        for i, tag in enumerate(dict.fromkeys(hashtags)):
            tags.append(dict(platform="twitter", post_id=post_id, tag=tag, tag_raw=tag, position=i))
        for i, dom in enumerate(links):
            u = f"https://{dom}/story/{rng.randint(1, 6)}"
            urls.append(dict(platform="twitter", post_id=post_id, position=i, url=u, expanded_url=u,
                             domain=dom, host=dom))
        posts.append(row)
        return post_id

    originals: list[tuple[str, str, datetime]] = []
    while pid <= n_posts:
        when = T0 + timedelta(seconds=rng.randint(0, 10 * 86400))
        roll = rng.random()
        if roll < 0.08 and originals:
            # the ring retweets one post within a minute, and shares the same link
            src = rng.choice(originals)
            for j, a in enumerate(ring):
                t = when + timedelta(seconds=5 * j + rng.randint(0, 3))
                text = rng.choice(TEXTS[1:4])
                add_post(a, t, f"RT: {text}", kind="retweet", rt=(src[0], src[1]),
                         hashtags=["smearcampaign", "weaponised"][: 1 + j % 2])
                add_post(a, t + timedelta(seconds=20), f"{TEXTS[1]} https://fakenewsdaily.net/story/1",
                         hashtags=["smearcampaign"], links=["fakenewsdaily.net"])
        elif roll < 0.35 and originals:
            src = rng.choice(originals)
            a = rng.choice(accounts)
            add_post(a, max(when, src[2] + timedelta(seconds=30)), "RT " + rng.choice(TEXTS), kind="retweet",
                     rt=(src[0], src[1]))
        elif roll < 0.5 and originals:
            src = rng.choice(originals)
            a = rng.choice(accounts)
            add_post(a, max(when, src[2] + timedelta(seconds=60)), "@reply " + rng.choice(TEXTS), kind="reply",
                     reply=(src[0], src[1]), mentions=[src[1]])
        else:
            a = rng.choice(accounts)
            k = rng.randint(0, 3)
            post_id = add_post(a, when, rng.choice(TEXTS) + f" #{rng.choice(TAGS)}",
                               hashtags=rng.sample(TAGS, k),
                               links=rng.sample(DOMAINS, rng.randint(0, 1)),
                               mentions=rng.sample(accounts, rng.randint(0, 2)))
            originals.append((post_id, a, when))
    with engineroom.open(path) as corpus:
        con = corpus.con
        for name, rows in (("accounts", acc_rows), ("posts", posts), ("interactions", inter),
                           ("hashtags", tags), ("urls", urls)):
            df = pd.DataFrame(rows)
            con.register("__rows", df)
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM __rows")
            con.unregister("__rows")
        con.execute("INSERT INTO ingests (ingest_id, file, format, records_read, records_stored, records_duplicate, "
                    "records_quarantined, started_at, finished_at) VALUES ('test', 'generated', 'test', ?, ?, 0, 0, "
                    "now()::TIMESTAMP, now()::TIMESTAMP)", [len(posts), len(posts)])
    return path


LABEL_COLUMNS = {"community", "cluster_id", "cluster", "component"}  # arbitrary ids: compare as partitions
REL, ABS = 1e-6, 1e-9


def _normalise_json(value):
    if isinstance(value, str) and value[:1] in "[{":
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return json.dumps(_canonical(parsed), sort_keys=True)
    return value


def _canonical(obj):
    if isinstance(obj, dict):
        return {k: _canonical(v) for k, v in obj.items()}
    if isinstance(obj, list):
        items = [_canonical(v) for v in obj]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(obj, float):
        return round(obj, 6)
    return obj


def _partition_signature(df: pd.DataFrame, label: str, others: list[str]) -> set:
    """The partition a label column induces over rows (labels themselves are arbitrary)."""
    groups = df.groupby(label, dropna=False).apply(
        lambda g: tuple(sorted("|".join(map(str, row)) for row in g[others].itertuples(index=False))),
        include_groups=False,
    )
    return set(groups.tolist())


def compare_tables(a: pd.DataFrame, b: pd.DataFrame, table: str) -> None:
    """Assert two findings tables agree: same columns and rows; floats within tolerance."""
    assert sorted(a.columns) == sorted(b.columns), f"{table}: columns differ {set(a.columns) ^ set(b.columns)}"
    assert len(a) == len(b), f"{table}: {len(a)} rows on DuckDB, {len(b)} on Spark"
    if len(a) == 0:
        return
    b = b[list(a.columns)]
    labels = [c for c in a.columns if c in LABEL_COLUMNS]
    floats = [c for c in a.columns if pd.api.types.is_float_dtype(a[c]) or pd.api.types.is_float_dtype(b[c])]
    for df in (a, b):
        for c in df.columns:
            if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
                df[c] = df[c].map(_normalise_json)
    keys = [c for c in a.columns if c not in floats and c not in labels]
    for label in labels:
        others = keys or [c for c in a.columns if c != label]
        assert _partition_signature(a, label, others) == _partition_signature(b, label, others), (
            f"{table}: {label} groups differ")
    sort_cols = keys + floats
    a = a.assign(**{c: a[c].round(6) for c in floats}).sort_values(sort_cols, kind="stable").reset_index(drop=True) \
        if floats else a.sort_values(sort_cols, kind="stable").reset_index(drop=True)
    b = b.assign(**{c: b[c].round(6) for c in floats}).sort_values(sort_cols, kind="stable").reset_index(drop=True) \
        if floats else b.sort_values(sort_cols, kind="stable").reset_index(drop=True)
    for c in keys:
        left, right = a[c].astype(object).where(a[c].notna(), None), b[c].astype(object).where(b[c].notna(), None)
        if pd.api.types.is_numeric_dtype(a[c]) and pd.api.types.is_numeric_dtype(b[c]):
            left, right = a[c].astype(float), b[c].astype(float)
            bad = ~((left == right) | (left.isna() & right.isna()))
        else:
            bad = pd.Series([x != y for x, y in zip(left.map(str), right.map(str))])
        assert not bad.any(), f"{table}.{c}: {int(bad.sum())} rows differ, e.g. {left[bad].head(3).tolist()} vs {right[bad].head(3).tolist()}"
    for c in floats:
        x, y = a[c].astype(float), b[c].astype(float)
        ok = [(math.isnan(p) and math.isnan(q)) or math.isclose(p, q, rel_tol=REL * 1000, abs_tol=ABS * 1000)
              for p, q in zip(x, y)]
        assert all(ok), f"{table}.{c}: values differ beyond tolerance"


# ---------------------------------------------------------------------------------------------
# when the JVM dies: what a failure message should say about it
# ---------------------------------------------------------------------------------------------
#: Spark's own exit codes (org.apache.spark.util.SparkExitCode) and what they mean here
JVM_EXIT_CODES = {
    50: "an uncaught fatal error in a thread (a task's StackOverflowError or InternalError, say)",
    51: "an uncaught error while handling another",
    52: "a task ran out of Java heap (in local mode the executor is the driver, so the JVM exits)",
}


def jvm_logging(folder: Path) -> str:
    """Java options that leave a dying JVM's evidence in ``folder``: a GC log and, on a crash of
    the JVM itself, its fatal-error file (one of each per JVM, ``%p`` is its process id)."""
    return f"-Xlog:gc:file={folder}/gc-%p.log:uptime -XX:ErrorFile={folder}/hs_err_%p.log"


def jvm_post_mortem(session, folder: Path | None) -> str:
    """A few lines on the JVM behind ``session`` for a test's failure message.

    Whether it still runs; if not, its exit code and what Spark means by it, the last lines of its
    GC log and the start of a fatal-error file from ``folder`` (see :func:`jvm_logging`), this
    machine's free memory and the free disk under the temporary folder. A dead JVM fails every
    later call with ``Connection refused``; this says why it died where the logs allow.
    """
    proc = getattr(getattr(session.sparkContext, "_gateway", None), "proc", None)
    if proc is None:
        return "the JVM was not started by this process"
    code = proc.poll()
    if code is None:
        return f"the JVM (pid {proc.pid}) is still running"
    why = JVM_EXIT_CODES.get(code, f"killed by signal {-code}" if code < 0 else "not one of Spark's codes")
    lines = [f"the JVM (pid {proc.pid}) exited with code {code}: {why}"]
    if folder is not None:
        gc = folder / f"gc-{proc.pid}.log"
        if gc.exists():
            lines.append("its GC log ends: " + " | ".join(gc.read_text(errors="replace").splitlines()[-4:]))
        err = folder / f"hs_err_{proc.pid}.log"
        if err.exists():
            lines.append("its fatal-error file begins: " + " | ".join(err.read_text(errors="replace").splitlines()[:12]))
    try:
        mem = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        lines.append(f"MemAvailable now {mem['MemAvailable'].strip()}")
    except (OSError, KeyError, ValueError):
        pass
    tmp = os.environ.get("TMPDIR", "/tmp")
    lines.append(f"free disk under {tmp}: {shutil.disk_usage(tmp).free >> 20} MB")
    return "; ".join(lines)
