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
from rich.table import Table
from rich.markup import escape

from .corpus import DEFAULT_DB

app = typer.Typer(
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
    from rich.markup import escape

    # file names and record text in messages are not Rich markup
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
    raise typer.Exit(code)


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
        help="auto|twarc2|twitter-v1|io-archive|io-users|ira-csv|crowdtangle|bluesky|telegram|csv|mastodon|reddit|"
        "youtube|tiktok|4chan|telethon|crowdtangle-api",
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
                from .spark import default_workdir, export_parquet

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


@app.command()
def synth(
    posts: int = typer.Option(50_000, "--posts", help="number of posts to generate"),
    format: str = typer.Option("twarc2", "--format", help="twarc2|io-archive|csv"),
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
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Run analyses (all registered by default) in dependency order."""
    import engineroom

    if not db.exists():
        fail(f"no corpus at {db}: run 'engineroom ingest' first")
    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    options = {"master": spark_master} if spark_master else {}

    def step(name: str, seconds: float, summary: dict) -> None:
        console.print(f"[bold]{name}[/] done in {seconds:.1f}s " + json.dumps(summary, default=str)[:300], highlight=False)

    try:
        with engineroom.open(db) as corpus:
            from .analyses import run_analyses

            results = run_analyses(corpus, only=names, engine=engine, on_step=step, **options)
    except ValueError as exc:
        fail(str(exc))
    if json_out:
        print_json_last(results)


@app.command()
def report(
    db: Path = DbOption,
    out: Path = typer.Option(Path("report.html"), "--out", help="HTML file to write"),
    pseudonymize: bool = typer.Option(False, "--pseudonymize", help="replace handles, names and ids by keyed pseudonyms"),
    key: Optional[str] = typer.Option(None, "--key", envvar="ENGINEROOM_PSEUDONYM_KEY", help="pseudonym key (kept by the analyst)"),
    allow: Optional[Path] = typer.Option(None, "--allow", help="file of public-figure handles to keep, one a line"),
) -> None:
    """Write a self-contained HTML report (works offline)."""
    import engineroom
    from .report import write_report

    if not db.exists():
        fail(f"no corpus at {db}")
    try:
        with engineroom.open(db) as corpus:
            path = write_report(corpus, out, pseudonymize=pseudonymize, key=key, allow_file=allow)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    console.print(f"wrote {path}")


@app.command()
def export(
    table: str = typer.Argument(..., help="findings table, or graph / coordination / engine_room / platform-report"),
    db: Path = DbOption,
    out: Path = typer.Option(..., "--out", help="FILE.csv, .parquet, .json, .gexf or .graphml"),
    edge_type: Optional[str] = typer.Option(None, "--edge-type", help="graph: retweet, quote, reply, mention"),
    community: Optional[str] = typer.Option(None, "--community", help="graph: keep one community"),
) -> None:
    """Export a findings table or graph."""
    import engineroom
    from .export import export_table

    if not db.exists():
        fail(f"no corpus at {db}")
    try:
        with engineroom.open(db) as corpus:
            path = export_table(corpus, table, out, edge_type=edge_type, community=community)
    except (KeyError, ValueError) as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))
    console.print(f"wrote {path}")


@app.command()
def serve(
    db: Path = DbOption,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
) -> None:
    """Run the review web app."""
    from .serve import serve as run_server

    if not db.exists():
        fail(f"no corpus at {db}")
    run_server(db, host=host, port=port)


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="login name"),
    db: Path = DbOption,
    password: Optional[str] = typer.Option(None, "--password", envvar="ENGINEROOM_PASSWORD", help="password (prompted if absent)"),
    admin: bool = typer.Option(False, "--admin"),
) -> None:
    """Add a reviewer who can log in to the review app."""
    import engineroom
    from .serve.auth import add_user

    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        with engineroom.open(db) as corpus:
            add_user(corpus, name, password, is_admin=admin)
    except ValueError as exc:
        fail(str(exc))
    console.print(f"added user {name}")


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
    console.print(f"AUC {result['auc']:.4f}  precision@{result.get('k')} {result['precision_at_k']:.3f}  n={result['n']}")
    if json_out:
        print_json_last(result)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
