"""The `crackdown` command line: the group, and the pipeline, classifier and operations commands.

Each command loads the config once, calls one library function and turns library errors into a
sentence and an exit code. The archive commands (search, similar, timeline, export, prune,
datasette-metadata) live in crackdown/cli_archive.py and are registered on the same group here.
Heavy imports (torch, scrapy) happen inside commands, never at module import, so `crackdown --help`
stays fast.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from crackdown import cli_archive, cli_events, cli_notify
from crackdown.cli_support import (
    EXIT_FAILED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    State,
    exit_with,
    fail,
    parse_date,
)
from crackdown.config import resolve_config_path

log = logging.getLogger(__name__)


def _setup_logging(verbosity: int, log_file: str | None = None) -> None:
    """Quiet under cron: warnings and errors only, unless -v. The level sits on the handler too,
    because Scrapy resets the root logger's level when it starts. A --log-file keeps INFO and
    up (DEBUG with -vv) whatever the terminal shows, rotated so years of cron stay bounded."""
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if verbosity == 1:   # -v is about crackdown; Scrapy's own chatter starts at -vv
        handler.addFilter(lambda r: r.levelno >= logging.WARNING
                          or not r.name.startswith(("scrapy", "twisted", "py.warnings")))
    handlers: list[logging.Handler] = [handler]
    if log_file:
        handlers.append(_file_handler(Path(log_file), min(level, logging.INFO)))
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(min(h.level for h in handlers))


LOG_FILE_BYTES, LOG_FILE_BACKUPS = 5_000_000, 5


def _file_handler(path: Path, level: int) -> logging.Handler:
    from logging.handlers import RotatingFileHandler

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():   # owner-only, like the archive: it names sources and recipients
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        handler = RotatingFileHandler(path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS,
                                      encoding="utf-8")
    except OSError as exc:
        click.echo(f"error: cannot write --log-file {path}: {exc.strerror}", err=True)
        sys.exit(EXIT_USAGE)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: "
                                           "%(message)s"))
    return handler


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (default ./config.toml, else $CRACKDOWN_CONFIG).")
@click.option("--db", type=click.Path(dir_okay=False), help="Archive path (overrides [archive] path).")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.option("--log-file", type=click.Path(dir_okay=False),
              help="Also log INFO and up to this file (rotated at 5 MB, 5 kept).")
@click.version_option(package_name="crackdown")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db: str | None, verbose: int, quiet: bool,
        log_file: str | None) -> None:
    """Crackdown: marketplace-enforcement news for e-commerce sellers.

    Crawls seller forums and trade news, tags posts by enforcement topic, and emails a
    daily brief; everything is archived in SQLite.
    """
    verbosity = -1 if quiet else verbose
    _setup_logging(verbosity, log_file)
    ctx.obj = State(config_path, db, verbosity)


for _command in cli_archive.COMMANDS + cli_events.COMMANDS + cli_notify.COMMANDS:
    cli.add_command(_command)


# --- pipeline commands ----------------------------------------------------------------------

@cli.command()
@click.option("--out", type=click.Path(file_okay=False), default="demo-output", show_default=True,
              help="Folder for archive.db, brief.html, brief.zh.html, brief.txt, backtest.txt and "
                   "metadata.json.")
@click.pass_obj
def demo(state: State, out: str) -> None:
    """Run the whole pipeline offline against the bundled May 2021 demo site."""
    from crackdown.config import DEFAULT_TOPICS
    from crackdown.demo import DemoFolderInUse, run_demo

    topics = DEFAULT_TOPICS
    if resolve_config_path(state.config_path).exists():
        topics = state.config.topics   # the shipped config's topics carry the keyword lexicon
    try:
        result, files = run_demo(Path(out), topics, state.scrapy_log_level)
    except DemoFolderInUse as exc:
        raise click.UsageError(str(exc)) from exc
    for message in result.messages:
        click.echo(message, err=True)
    folder = files.archive.parent.resolve()
    click.echo(f"Datasette metadata: {files.metadata.resolve()}\n"
               f"browse the archive with: datasette {folder}/   (or: datasette {files.archive.resolve()} "
               f"-m {files.metadata.resolve()})", err=True)
    click.echo(f"backtest of the corpus's three weeks: {files.backtest.resolve()}", err=True)
    if files.html_zh:
        click.echo(f"the brief in Chinese: {files.html_zh.resolve()}", err=True)
    click.echo(str(files.html.resolve()))   # last, on stdout: the brief is what the demo is for
    sys.exit(result.exit_code)


@cli.command()
@click.option("--date", "day", help="Brief date YYYY-MM-DD (default: yesterday in [brief] timezone).")
@click.option("--no-send", is_flag=True, help="Build the brief but do not email it.")
@click.pass_obj
def run(state: State, day: str | None, no_send: bool) -> None:
    """The daily job: crawl, classify, build and email the brief (cron-safe).

    Without --date it briefs yesterday and catches up days a stopped machine missed; a date
    already sent is never sent twice. Prints nothing on success (unless -v).
    """
    from crackdown.lock import LockHeld
    from crackdown.run import daily_run

    config = state.config
    try:
        result = daily_run(config, parse_date(day, "--date"), send=not no_send,
                           log_level=state.scrapy_log_level)
    except LockHeld as exc:
        fail(str(exc), EXIT_LOCKED)
    exit_with(result, "run")


@cli.command()
@click.option("--source", "source_ids", multiple=True, help="Only this source id (repeatable).")
@click.pass_obj
def crawl(state: State, source_ids: tuple[str, ...]) -> None:
    """Fetch new posts from the configured sources into the archive."""
    from crawlers.runner import crawl as run_crawl

    config = state.config
    try:
        report = run_crawl(config, list(source_ids) or None, state.scrapy_log_level)
    except KeyError as exc:
        fail(exc.args[0], EXIT_USAGE)
    for sid, why in report.failed.items():
        click.echo(f"{sid}: {why}", err=True)
    click.echo(f"{report.new_posts} new posts from {len(report.ok)} sources "
               f"({len(report.failed)} failed)")
    if report.interrupted:  # a stop signal: exit as `run` does (128 + SIGTERM)
        click.echo(f"stopped by a signal before {', '.join(report.interrupted)} finished; "
                   "the next crawl fetches the rest", err=True)
        sys.exit(143)
    if report.failed:
        sys.exit(EXIT_FAILED if not report.ok else EXIT_PARTIAL)


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Re-tag every post (e.g. after a model change).")
@click.pass_obj
def classify(state: State, everything: bool) -> None:
    """Tag posts that have no tags from the current model."""
    from classify.encoder import ModelUnavailable
    from classify.stage import classify_archive

    try:
        report = classify_archive(state.config, everything)
    except ModelUnavailable as exc:
        fail(str(exc))
    click.echo(f"classified {report.classified} posts ({report.tagged} with a topic) "
               f"with model {report.model_version}")


@cli.command()
@click.option("--date", "day", help="Brief date YYYY-MM-DD (default: yesterday).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout.")
@click.option("--send", is_flag=True,
              help="Email the brief (once per date); also retries briefs whose send failed.")
@click.option("--resend", is_flag=True, help="Email it even if it was sent already (implies --send).")
@click.option("--format", "fmt", type=click.Choice(["html", "text"]), default="html", show_default=True)
@click.pass_obj
def brief(state: State, day: str | None, out: str | None, send: bool, resend: bool, fmt: str) -> None:
    """Build (and optionally email) the brief for a date.

    The brief is stored in the archive either way; a failed send exits 3 and is retried by the
    next `crackdown run` or `crackdown brief --send`.
    """
    from crackdown.run import MailFailure, default_brief_date, send_pending
    from reports.daily import make_brief

    config = state.config
    target = parse_date(day, "--date") or default_brief_date(config)
    rendered = make_brief(config, target)
    content = rendered.html if fmt == "html" else rendered.text
    if out:
        Path(out).write_text(content, encoding="utf-8")
        click.echo(out, err=True)
    else:
        click.echo(content)
    if send or resend:
        if not config.email.enabled:
            fail("[email] enabled = false in the config; enable it to send", EXIT_USAGE)
        try:
            sent = send_pending(config, target, resend=resend)
        except MailFailure as exc:
            fail(str(exc))
        for date in sent:
            click.echo(f"brief for {date} sent to {', '.join(config.email.to)}", err=True)
        if target.isoformat() not in sent:
            click.echo(f"brief for {target} was sent already; use --resend to send again", err=True)


# --- classifier commands --------------------------------------------------------------------

@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def predict(state: State, file: str) -> None:
    """Classify posts in a JSONL file (id, title, text, optional lang); print JSON lines."""
    from classify.data_io import DataError, read_jsonl
    from classify.encoder import ModelUnavailable
    from classify.predict import predict_rows

    try:
        rows = read_jsonl(file, require=("id", "text"))
        predictions = predict_rows(state.config, rows)
    except DataError as exc:
        fail(str(exc), EXIT_USAGE)
    except ModelUnavailable as exc:
        fail(str(exc))
    for out in predictions:
        click.echo(json.dumps(out, ensure_ascii=False))


@cli.command(name="eval")
@click.option("--data", "data_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="JSONL with id, title, text, labels (list of topic ids, [] = none).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def eval_command(state: State, data_file: str, as_json: bool) -> None:
    """Precision, recall and F1 per topic and macro on labelled JSONL (with a bootstrap interval
    for macro-F1 and the macro scores per language)."""
    from classify.data_io import DataError, read_jsonl
    from classify.encoder import ModelUnavailable
    from classify.evaluate import evaluation_report, format_table
    from classify.predict import predict_rows

    config = state.config
    try:
        rows = read_jsonl(data_file, require=("id", "text", "labels"), topics=config.topic_ids())
        predictions = predict_rows(config, rows)
    except DataError as exc:
        fail(str(exc), EXIT_USAGE)
    except ModelUnavailable as exc:
        fail(str(exc))
    # A row's own lang is its label; the language read from the text stands in where it has none.
    langs = [r.get("lang") or p["lang"] for r, p in zip(rows, predictions)]
    report = evaluation_report(config.topic_ids(), [r["labels"] for r in rows],
                               [p["labels"] for p in predictions], langs)
    click.echo(json.dumps(report, indent=2) if as_json else format_table(report))


@cli.command()
@click.argument("post_id", type=int)
@click.argument("topics", nargs=-1)
@click.option("--none", "no_topic", is_flag=True, help="The post carries no enforcement topic.")
@click.pass_obj
def label(state: State, post_id: int, topics: tuple[str, ...], no_topic: bool) -> None:
    """Record a correction: POST_ID's true topics (or --none); classify learns from it."""
    from crackdown.archive import open_archive, posts, tags

    config = state.config
    if bool(topics) == no_topic:
        fail("give the post's topics, or --none (not both)", EXIT_USAGE)
    unknown = [t for t in topics if t not in config.topic_ids()]
    if unknown:
        fail(f"unknown topic(s) {', '.join(unknown)}; known: {', '.join(config.topic_ids())}",
             EXIT_USAGE)
    db = open_archive(config.archive.path)
    if posts.get_post(db, post_id) is None:
        fail(f"no post {post_id} in {config.archive.path}; find ids with `crackdown search`",
             EXIT_USAGE)
    tags.add_label(db, post_id, topics, config.topic_ids())
    click.echo(f"post {post_id}: {', '.join(topics) or 'no topic'} (applied at the next classify)")


# --- operations -----------------------------------------------------------------------------

@cli.command()
@click.option("--check", is_flag=True,
              help="Also explain sources with zero items several runs in a row (exit 1 if any).")
@click.pass_obj
def sources(state: State, check: bool) -> None:
    """Source health: last success, last error, items, consecutive failures."""
    from crackdown.archive import ArchiveError, open_archive
    from crackdown.archive import sources as source_rows
    from crackdown.source_check import empty_sources

    config = state.config
    try:
        db = open_archive(config.archive.path)
        source_rows.sync_sources(db, config.sources)
        rows = source_rows.source_health(db)
        empty = empty_sources(db, config) if check else []
    except ArchiveError as exc:
        fail(str(exc))
    configured = {s.id for s in config.sources}
    for r in rows:
        if r["id"] not in configured:
            continue
        state_word = ("FAILING" if r["consecutive_failures"] else
                      ("ok" if r["last_ok_at"] else "never crawled"))
        click.echo(f"{r['id']:<24} {state_word:<13} last ok {r['last_ok_at'] or '-':<25} "
                   f"items {r['items_total']:>6}  failures {r['consecutive_failures']}")
        if r["consecutive_failures"] and r["last_error"]:
            click.echo(f"    {r['last_error_at']}: {r['last_error']}")
        if config.source(r["id"]).type == "browser" and config.source(r["id"]).enabled:
            from crawlers.browser_support import browser_problem

            problem = browser_problem(config)
            if problem:
                click.echo(f"    {problem}")
    for finding in empty:
        click.echo(f"CHECK {finding.explain()}")
    if check:
        click.echo(f"{len(empty)} source(s) look broken by a layout or platform change"
                   if empty else "no source has returned zero items several runs in a row")
        sys.exit(EXIT_PARTIAL if empty else EXIT_OK)


@cli.command()
@click.option("--network/--no-network", default=True, help="Also check SMTP and source reachability.")
@click.pass_obj
def doctor(state: State, network: bool) -> None:
    """Check config, archive, model, SMTP and sources; say what to fix."""
    from crackdown.doctor import run_checks

    config = state.config
    failed = 0
    for check in run_checks(config, network=network):
        click.echo(f"[{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
        failed += not check.ok
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


def main() -> None:
    cli(prog_name="crackdown")


if __name__ == "__main__":
    main()
