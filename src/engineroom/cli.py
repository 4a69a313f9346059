"""The ``engineroom`` command line: a thin shell over the library API.

Each command parses its options, calls one library function and prints what it returned. The
contract (command names, options, ``--json`` printing one JSON object on the last line) is in
``../shared/DESIGN.md`` and the README.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .corpus import DEFAULT_DB

class _Typer(typer.Typer):
    """The command line: a corpus another process holds is one line of error, not a traceback."""

    def __call__(self, *args, **kwargs):
        from .corpus import CorpusLocked

        try:
            return super().__call__(*args, **kwargs)
        except CorpusLocked as exc:
            from rich.markup import escape

            Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise SystemExit(1) from None


app = _Typer(
    name="engineroom",
    help="Find the engine room of online hate and influence campaigns.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
users_app = typer.Typer(help="Manage reviewers of the review app.", no_args_is_help=True)
train_app = typer.Typer(help="Train the models that ship inside the package.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure models on labelled data.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(train_app, name="train")
app.add_typer(eval_app, name="eval")

console = Console()
err = Console(stderr=True)

DbOption = typer.Option(Path(DEFAULT_DB), "--db", help="corpus file (DuckDB)")


def fail(message: str, code: int = 1) -> None:
    """Print a clear error and exit non-zero."""
    # file names and record text in messages are not Rich markup
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def _print_version(value: bool) -> None:
    if value:
        from .version import __version__

        print(f"engineroom {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print engineroom's version and exit."),
) -> None:
    """Find the engine room of online hate and influence campaigns."""


def print_json_last(obj: dict) -> None:
    """The ``--json`` contract: one JSON object on the last line of output."""
    sys.stdout.flush()
    print(json.dumps(obj, default=str, sort_keys=True))


# -- corpus ------------------------------------------------------------------------------
@app.command()
def ingest(
    paths: List[Path] = typer.Argument(..., help="export files (compressed or not) or folders"),
    db: Path = DbOption,
    format: str = typer.Option(
        "auto",
        "--format",
        help="auto (detected from the file's content), twarc2, twitter-v1, io-archive, io-users, ira-csv, "
        "crowdtangle, crowdtangle-api, meta (Meta Content Library), bluesky, telegram, telethon, mastodon, reddit, "
        "youtube, tiktok, 4chan or csv",
    ),
    map: List[str] = typer.Option([], "--map", help="csv: field=column override, repeatable"),
    media_dir: Optional[Path] = typer.Option(None, "--media-dir", help="folder with local media files"),
    engine: str = typer.Option(
        "duckdb", "--engine",
        help="duckdb, or spark: read and normalise with DuckDB as always, then also write the "
        "day-partitioned Parquet layout that 'analyze --engine spark' reads (docs/scaling.md)",
    ),
    json_out: bool = typer.Option(False, "--json", help="print counts as one JSON object last"),
) -> None:
    """Ingest export files into the corpus; prints read / stored / duplicate / quarantined counts."""
    import engineroom
    from .ingest import IngestError

    column_map = {}
    for item in map:
        if "=" not in item:
            fail(f"--map takes field=column, got {item!r}")
        field, column = item.split("=", 1)
        column_map[field.strip()] = column.strip()
    if engine not in ("duckdb", "spark"):
        fail(f"unknown engine {engine!r}: use duckdb or spark")
    parquet_counts = None
    try:
        with engineroom.open(db) as corpus:
            reports = corpus.ingest(paths, format=format, column_map=column_map or None, media_dir=media_dir)
            if engine == "spark":
                from .engines.spark import default_workdir, export_parquet

                parquet_counts = export_parquet(corpus)
                parquet_dir = default_workdir(corpus)
    except IngestError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted: the file being ingested was rolled back; files finished before it are stored", code=130)
    except RuntimeError as exc:
        if "interrupt" not in str(exc).lower():  # DuckDB reports Ctrl-C during a statement this way
            raise
        fail("interrupted: the file being ingested was rolled back; files finished before it are stored", code=130)
    table = Table(title=f"ingest into {db}")
    for col in ("file", "format", "read", "stored", "duplicate", "quarantined", "posts/s", "notes"):
        # whole file names (folded over lines, never cut short)
        table.add_column(col, justify="left" if col in ("file", "format", "notes") else "right",
                         overflow="fold" if col in ("file", "notes") else "ellipsis")
    totals = dict(read=0, stored=0, duplicate=0, quarantined=0)
    per_file = []
    for r in reports:
        rate = f"{r.read / r.seconds:,.0f}" if r.seconds > 0 and not r.skipped else "-"
        notes = [r.note] if getattr(r, "note", None) else (["already ingested"] if r.skipped else [])
        notes += [f"records: {r.details['layout']}"] if r.details.get("layout") else []
        notes += [f"assumed: {a}" for a in r.details.get("assumptions", [])]
        table.add_row(escape(str(r.file)), r.format, f"{r.read:,}", f"{r.stored:,}", f"{r.duplicate:,}", f"{r.quarantined:,}", rate,
                      escape("; ".join(notes)))
        for k in totals:
            totals[k] += getattr(r, k)
        per_file.append({"file": str(r.file), "format": r.format, "read": r.read, "stored": r.stored,
                         "duplicate": r.duplicate, "quarantined": r.quarantined, "skipped": r.skipped, "note": r.note,
                         "layout": r.details.get("layout"), "assumptions": r.details.get("assumptions", [])})
    table.add_row("total", "", *(f"{totals[k]:,}" for k in ("read", "stored", "duplicate", "quarantined")), "", "")
    console.print(table)
    if parquet_counts is not None:
        console.print(f"Parquet layout for Spark: {parquet_dir} ({parquet_counts['posts']:,} posts)")
    if json_out:
        print_json_last({**totals, "files": len(reports), "per_file": per_file})


@app.command("merge-shards")
def merge_shards_cmd(
    shards: List[Path] = typer.Argument(..., help="shards' Parquet layouts (X.duckdb.parquet) or their corpus files"),
    db: Path = DbOption,
    json_out: bool = typer.Option(False, "--json", help="print counts as one JSON object last"),
) -> None:
    """Merge shards ingested apart (ingest --engine spark) into one corpus, each post once; prints
    read / stored / duplicate / quarantined per shard as ingest does (docs/scaling.md)."""
    import engineroom
    from .shards import ShardError, merge_shards

    try:
        with engineroom.open(db) as corpus:
            reports = merge_shards(corpus, shards)
            posts = corpus.count("posts")
    except ShardError as exc:
        fail(str(exc))
    table = Table(title=f"merge shards into {db}")
    for col in ("shard", "read", "stored", "duplicate", "quarantined"):
        table.add_column(col, justify="left" if col == "shard" else "right")
    totals = dict(read=0, stored=0, duplicate=0, quarantined=0)
    for r in reports:
        table.add_row(r.file + (" (already merged)" if r.skipped else ""),
                      *(f"{getattr(r, k):,}" for k in totals))
        for k in totals:
            totals[k] += getattr(r, k)
    table.add_row("total", *(f"{totals[k]:,}" for k in totals))
    console.print(table)
    console.print(f"{posts:,} posts in {db}; Parquet layout for Spark written beside it")
    if json_out:
        print_json_last({**totals, "shards": len(reports), "posts": posts})


@app.command()
def synth(
    posts: int = typer.Option(50_000, "--posts", help="number of posts to generate"),
    format: str = typer.Option("twarc2", "--format", help="twarc2, io-archive or csv"),
    out: Path = typer.Option(..., "--out", help="output file (FILE.truth.json is written beside it)"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
) -> None:
    """Write a synthetic corpus with planted ground truth (engine room, campaign, burst, operation)."""
    from .synth import synthesize

    truth = synthesize(posts=posts, out=out, format=format, seed=seed)
    console.print(f"wrote {posts:,} posts to {out} and ground truth to {truth['truth_path']}")


@app.command()
def analyze(
    db: Path = DbOption,
    only: Optional[str] = typer.Option(None, "--only", help="comma-separated analyses to run"),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb or spark"),
    spark_master: Optional[str] = typer.Option(None, "--spark-master", help="Spark master URL (default local[*])"),
    settings: Optional[List[str]] = typer.Option(
        None, "--set", help="NAME.PARAM=VALUE: an analysis parameter, e.g. network.seed=7; a list is "
        "comma-separated, e.g. coordination.networks=A,B (repeatable; an unknown NAME.PARAM lists the "
        "valid ones)"),
    keep_post_findings: bool = typer.Option(
        False, "--keep-post-findings",
        help="spark: per-post findings (hate, narratives) stay in Parquet beside the corpus; the corpus "
        "file gets views over them (docs/scaling.md)"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Run analyses (all registered by default) in dependency order."""
    import engineroom
    from .analyses import parse_settings

    try:
        params = parse_settings(settings or [])
    except ValueError as exc:
        fail(str(exc))
    if not db.exists():
        fail(f"no corpus at {db}: run 'engineroom ingest' first")
    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    options = {"master": spark_master} if spark_master else {}
    if keep_post_findings:
        if engine != "spark":
            fail("--keep-post-findings needs --engine spark")
        options["keep_post_findings"] = True
    with engineroom.open(db, read_only=True) as corpus:
        empty = not corpus.has_table("posts") or corpus.count("posts") == 0
    if empty:
        fail(f"the corpus at {db} holds no posts: ingest an export first (engineroom ingest FILE --db {db})")

    at = {"step": ""}

    def start(name: str, position: int, total: int) -> None:
        at["step"] = f"[{position}/{total}] "
        err.print(f"{at['step']}{name} ...", highlight=False, markup=False)

    def step(name: str, seconds: float, summary: dict) -> None:
        console.print(f"{at['step']}[bold]{name}[/] done in {seconds:.1f}s " + escape(json.dumps(summary, default=str)[:300]),
                      highlight=False)

    try:
        with engineroom.open(db) as corpus:
            from .analyses import run_analyses

            results = run_analyses(corpus, only=names, engine=engine, params=params, on_step=step, on_start=start,
                                    **options)
    except ValueError as exc:
        fail(str(exc))
    if json_out:
        print_json_last(results)


@app.command()
def report(
    db: Path = DbOption,
    out: Path = typer.Option(Path("report.html"), "--out", help="HTML file to write"),
    pseudonymize: bool = typer.Option(False, "--pseudonymize", help="replace handles, names and ids by keyed pseudonyms"),
    key_file: Optional[Path] = typer.Option(
        None, "--key-file", help="file whose first line is the pseudonym key (else the ENGINEROOM_PSEUDONYM_KEY "
        "environment variable; never an argument, which other users of the machine can read in ps)"),
    allow: Optional[Path] = typer.Option(None, "--allow", help="file of public-figure handles to keep, one a line"),
) -> None:
    """Write a self-contained HTML report (works offline)."""
    import engineroom
    from .report import read_key, write_report

    if not db.exists():
        fail(f"no corpus at {db}")
    try:
        key = read_key(key_file) if pseudonymize else None
        with engineroom.open(db) as corpus:
            analysed = corpus.has_table("runs") and corpus.count("runs") > 0
            path = write_report(corpus, out, pseudonymize=pseudonymize, key=key, allow_file=allow)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    if not analysed:
        err.print(f"note: no analysis has run on {db} yet, so the report shows the corpus only: "
                  f"run 'engineroom analyze --db {db}' first", highlight=False, markup=False, soft_wrap=True)
    console.print(f"wrote {path}")


@app.command()
def export(
    table: str = typer.Argument(..., help="any table of the corpus (a findings table such as engine_room, "
                                "coordination, domains), or graph, platform-report, dsa-notices, labels-posts, "
                                "labels-accounts, reviews"),
    db: Path = DbOption,
    out: Path = typer.Option(..., "--out", help="FILE.csv, .parquet, .json, .jsonl or .ndjson; "
                             ".gexf or .graphml for graph"),
    edge_type: Optional[str] = typer.Option(None, "--edge-type", help="graph: retweet, quote, reply, mention"),
    community: Optional[str] = typer.Option(None, "--community", help="graph: keep one community"),
    notifier_name: Optional[str] = typer.Option(None, "--notifier-name", help="dsa-notices: who notifies"),
    notifier_email: Optional[str] = typer.Option(None, "--notifier-email", help="dsa-notices: their email"),
) -> None:
    """Export a findings table or graph (reads the corpus only: works while `serve` runs)."""
    import engineroom
    from .export import export_table, write_dsa_notices

    if not db.exists():
        fail(f"no corpus at {db}")
    try:
        with engineroom.open(db, read_only=True) as corpus:
            if table.strip().lower().replace("_", "-") == "dsa-notices":
                path, n, left = write_dsa_notices(corpus, out, notifier_name or "", notifier_email or "")
                console.print(f"wrote {path}: {n} notice{'s' if n != 1 else ''}"
                              + (f"; {left} confirmed item{'s' if left != 1 else ''} left out (no exact URL; listed in the JSON)" if left else ""))
                return
            path = export_table(corpus, table, out, edge_type=edge_type, community=community)
    except (KeyError, ValueError) as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))
    console.print(f"wrote {path}")


@app.command()
def serve(
    db: Path = DbOption,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    no_blur: bool = typer.Option(False, "--no-blur", help="show matched slurs unblurred"),
    workers: int = typer.Option(1, "--workers", help="processes serving requests (one core each)"),
) -> None:
    """Run the review web app (reads the corpus only while serving a request)."""
    from .serve import serve as run_server

    if not db.exists():
        fail(f"no corpus at {db}")
    run_server(db, host=host, port=port, blur_slurs=not no_blur, workers=workers)


def _password(password: Optional[str]) -> str:
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="login name"),
    db: Path = DbOption,
    password: Optional[str] = typer.Option(None, "--password", envvar="ENGINEROOM_PASSWORD", help="password (prompted if absent)"),
    admin: bool = typer.Option(False, "--admin", help="may manage users and download exports"),
    email: Optional[str] = typer.Option(None, "--email", help="for DSA notices the user sends"),
) -> None:
    """Add a reviewer (or --admin) who can log in to the review app (works while it runs)."""
    from .serve.auth import add_user

    try:
        add_user(db, name, _password(password), is_admin=admin, email=email)
    except ValueError as exc:
        fail(str(exc))
    console.print(f"added {'admin' if admin else 'reviewer'} {name}")


@users_app.command("remove")
def users_remove(name: str = typer.Argument(..., help="login name"), db: Path = DbOption) -> None:
    """Remove a user; their sessions end at once (their decisions stay in the audit log)."""
    from .serve.auth import remove_user

    try:
        n = remove_user(db, name)
    except KeyError as exc:
        fail(str(exc.args[0]))
    console.print(f"removed {name} ({n} session{'s' if n != 1 else ''} ended)")


@users_app.command("passwd")
def users_passwd(
    name: str = typer.Argument(..., help="login name"),
    db: Path = DbOption,
    password: Optional[str] = typer.Option(None, "--password", envvar="ENGINEROOM_PASSWORD", help="new password (prompted if absent)"),
) -> None:
    """Set a user's password; their sessions end (they log in again with the new one)."""
    from .serve.auth import set_password

    try:
        n = set_password(db, name, _password(password))
    except KeyError as exc:
        fail(str(exc.args[0]))
    except ValueError as exc:
        fail(str(exc))
    console.print(f"password of {name} changed ({n} session{'s' if n != 1 else ''} ended)")


@users_app.command("list")
def users_list(db: Path = DbOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """The users of the review app: role, email, when added, live sessions."""
    from .serve.auth import list_users

    rows = list_users(db)
    if as_json:
        print_json_last({"users": rows})
        return
    t = Table("user", "role", "email", "added", "sessions")
    for r in rows:
        t.add_row(r["username"], r["role"], r["email"] or "", str(r["created_at"])[:19], str(r["sessions"]))
    console.print(t)


@app.command()
def demo(
    out: Path = typer.Option(Path("demo-out"), "--out", help="folder for the corpus, ground truth and report"),
    posts: int = typer.Option(50_000, "--posts"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Synthesize a corpus with planted ground truth, ingest it, analyze it and write report.html."""
    from .demo import run_demo

    result = run_demo(out, posts=posts, seed=seed, console=console)
    console.print(f"report: {result['report']}")


@app.command()
def bench(
    posts: int = typer.Option(100_000, "--posts"),
    compare: Optional[str] = typer.Option(None, "--compare", help="cnt: also run coordination-network-toolkit"),
    engine: str = typer.Option("duckdb", "--engine"),
    workdir: Optional[Path] = typer.Option(None, "--workdir", help="keep files here (default: a temp folder)"),
    only: Optional[str] = typer.Option(None, "--only", help="comma-separated analyses to time (default: all)"),
    seed: int = typer.Option(0, "--seed", help="synth random seed"),
    fmt: str = typer.Option("twarc2", "--format", help="synthetic export format: twarc2 or io-archive"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Time every stage on N synthetic posts; posts/s and peak memory per stage."""
    from .bench import BenchError, run_bench

    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    try:
        result = run_bench(posts=posts, compare=compare, engine=engine, workdir=workdir, console=console, only=names,
                           seed=seed, format=fmt)
    except (ValueError, BenchError) as exc:
        fail(str(exc))
    if json_out:
        print_json_last(result)


# -- models ------------------------------------------------------------------------------
@train_app.command("hate")
def train_hate(
    out: Optional[Path] = typer.Option(None, "--out", help="folder for the model (default: the package's own)"),
    data: Path = typer.Option(Path("../shared/data"), "--data", help="folder of the labelled datasets"),
) -> None:
    """Train the hate / antisemitism model from ../shared/data."""
    from .hate.train import train

    result = train(out=out, data_dir=data, console=console)
    console.print(json.dumps(result, default=str))


@train_app.command("accounts")
def train_accounts(
    out: Optional[Path] = typer.Option(None, "--out", help="folder for the models (default: the package's own)"),
    data: Path = typer.Option(Path("../shared/data"), "--data", help="folder of the labelled datasets"),
    cv: bool = typer.Option(True, "--cv/--no-cv", help="cross-validate first (figures go to model_card.json)"),
) -> None:
    """Train the account models (cresci-2017 profiles, IRA vs organic behaviour) from ../shared/data."""
    from .accountscore.train import train

    result = train(out=out, data_dir_=data, cv=cv, console=console)
    console.print(json.dumps(result, default=str))


@eval_app.command("hate")
def eval_hate(
    data: Path = typer.Option(..., "--data", help="CSV with columns text,label (1 = antisemitic)"),
    by: Optional[str] = typer.Option(None, "--by", help="break results down by this column"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Precision, recall, F1, ROC AUC and posts/s of the hate model on a labelled CSV."""
    from .hate.evaluate import evaluate_file

    try:
        result = evaluate_file(data, by=by)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    table = Table(title=f"hate on {data}")
    for col in ("group", "n", "precision", "recall", "f1", "auc"):
        table.add_column(col)
    rows = [("all", result)] + sorted((result.get("by") or {}).items())
    for name, m in rows:
        table.add_row(str(name), str(m["n"]), *(f"{m[k]:.3f}" if m.get(k) is not None else "-" for k in ("precision", "recall", "f1", "auc")))
    console.print(table)
    console.print(f"{result['posts_per_s']:,.0f} posts/s")
    if json_out:
        print_json_last(result)


@eval_app.command("narratives")
def eval_narratives(
    data: Path = typer.Option(..., "--data", help="CSV with columns text,narrative (empty = none)"),
    pack: Optional[list[Path]] = typer.Option(None, "--pack", help="extra narrative pack file or folder (repeatable)"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Precision, recall and F1 per narrative of the narrative packs on a labelled CSV."""
    from .narratives import NarrativePackError
    from .narratives.evaluate import evaluate_file

    try:
        result = evaluate_file(data, packs=pack)
    except (FileNotFoundError, ValueError, NarrativePackError) as exc:
        fail(str(exc))
    table = Table(title=f"narratives on {data}")
    for col in ("narrative", "labelled", "matched", "precision", "recall", "f1"):
        table.add_column(col)
    for name, m in result["by_narrative"].items():
        table.add_row(name, str(m["n"]), str(m["predicted"]),
                      *(f"{m[k]:.3f}" if m.get(k) is not None else "-" for k in ("precision", "recall", "f1")))
    console.print(table)
    console.print(f"{result['n']:,} posts, {result['posts_per_s']:,.0f} posts/s")
    if json_out:
        print_json_last(result)


@eval_app.command("accounts")
def eval_accounts(
    db: Optional[Path] = typer.Option(None, "--db", help="corpus with the accounts analysis run"),
    labels: Optional[Path] = typer.Option(None, "--labels", help="CSV account_id,label (1 = operation / bot)"),
    profiles: Optional[Path] = typer.Option(None, "--profiles", help="cresci-style profile CSV with a label column"),
    k: Optional[int] = typer.Option(None, "--k", help="k for precision at k (default: number of positives)"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """ROC AUC and precision at k of the operation-likeness score."""
    from .accountscore.evaluate import evaluate_corpus, evaluate_profiles

    try:
        if profiles is not None:
            result = evaluate_profiles(profiles, k=k)
        elif db is not None and labels is not None:
            result = evaluate_corpus(db, labels, k=k)
        else:
            fail("give --db and --labels, or --profiles")
            return
    except (FileNotFoundError, ValueError, KeyError) as exc:
        fail(str(exc))
        return
    console.print(f"AUC {result['auc']:.4f}  precision@{result.get('k')} {result['precision_at_k']:.3f}  n={result['n']}"
                  + (f"  flagged: precision {result['precision']:.3f} recall {result['recall']:.3f}" if "recall" in result else ""))
    if result.get("warning"):
        console.print(f"[yellow]warning:[/yellow] {result['warning']}")
        h = result.get("held_out") or {}
        if h.get("auc") is not None:
            console.print(f"held out: AUC {h['auc']:.4f}  n={h['n']}"
                          + (f"  flagged: precision {h['precision']:.3f} recall {h['recall']:.3f}" if "recall" in h else ""))
    if json_out:
        print_json_last(result)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
