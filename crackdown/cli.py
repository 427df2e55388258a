"""The `crackdown` command line: thin click commands over the stages.

Each command loads the config once, calls one library function and turns library errors into a
sentence and an exit code. Heavy imports (torch, scrapy) happen inside commands, never at module
import, so `crackdown --help` stays fast.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import sys
from datetime import date as Date
from pathlib import Path

import click

from crackdown.config import Config, ConfigError, load_config, resolve_config_path

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_FAILED, EXIT_LOCKED = 0, 1, 2, 3, 75


class State:
    def __init__(self, config_path: str | None, db: str | None, verbosity: int):
        self.config_path, self.db, self.verbosity = config_path, db, verbosity
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            path = resolve_config_path(self.config_path)
            try:
                self._config = load_config(path).with_db(self.db)
            except ConfigError as exc:
                click.echo(f"config error: {exc}", err=True)
                sys.exit(EXIT_USAGE)
        return self._config

    @property
    def scrapy_log_level(self) -> str:
        return "INFO" if self.verbosity > 1 else ("WARNING" if self.verbosity >= 0 else "ERROR")


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


def _parse_date(value: str | None, option: str) -> Date | None:
    if value is None:
        return None
    try:
        return Date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option) from None


def _fail(message: str, code: int = EXIT_FAILED) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


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


# --- pipeline commands ----------------------------------------------------------------------

@cli.command()
@click.option("--out", type=click.Path(file_okay=False), default="demo-output", show_default=True,
              help="Folder for archive.db, brief.html and brief.txt.")
@click.pass_obj
def demo(state: State, out: str) -> None:
    """Run the whole pipeline offline against the bundled May 2021 demo site."""
    from crackdown.config import DEFAULT_TOPICS
    from crackdown.demo import run_demo

    topics = DEFAULT_TOPICS
    if resolve_config_path(state.config_path).exists():
        topics = state.config.topics   # the shipped config's topics carry the keyword lexicon
    result, html_path = run_demo(Path(out), topics, state.scrapy_log_level)
    for message in result.messages:
        click.echo(message, err=True)
    click.echo(str(html_path.resolve()))
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
        result = daily_run(config, _parse_date(day, "--date"), send=not no_send,
                           log_level=state.scrapy_log_level)
    except LockHeld as exc:
        _fail(str(exc), EXIT_LOCKED)
    # Through logging, not echo: the same lines reach stderr (cron's mail) and --log-file.
    for message in result.messages:
        log.log(logging.ERROR if result.exit_code >= EXIT_FAILED else logging.WARNING, "%s", message)
    log.info("run finished with exit code %d: %s", result.exit_code, result.stats)
    sys.exit(result.exit_code)


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
        _fail(exc.args[0], EXIT_USAGE)
    for sid, why in report.failed.items():
        click.echo(f"{sid}: {why}", err=True)
    click.echo(f"{report.new_posts} new posts from {len(report.ok)} sources "
               f"({len(report.failed)} failed)")
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
        _fail(str(exc))
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
    target = _parse_date(day, "--date") or default_brief_date(config)
    rendered = make_brief(config, target)
    content = rendered.html if fmt == "html" else rendered.text
    if out:
        Path(out).write_text(content, encoding="utf-8")
        click.echo(out, err=True)
    else:
        click.echo(content)
    if send or resend:
        if not config.email.enabled:
            _fail("[email] enabled = false in the config; enable it to send", EXIT_USAGE)
        try:
            sent = send_pending(config, target, resend=resend)
        except MailFailure as exc:
            _fail(str(exc))
        for date in sent:
            click.echo(f"brief for {date} sent to {', '.join(config.email.to)}", err=True)
        if target.isoformat() not in sent:
            click.echo(f"brief for {target} was sent already; use --resend to send again", err=True)


# --- archive commands -----------------------------------------------------------------------

@cli.command()
@click.argument("query")
@click.option("--topic", "topics", multiple=True, help="Only posts tagged with this topic.")
@click.option("--marketplace", "marketplaces", multiple=True, help="Only posts about this marketplace.")
@click.option("--source", "sources", multiple=True, help="Only posts from this source id.")
@click.option("--since", help="Dated on or after YYYY-MM-DD.")
@click.option("--until", help="Dated before YYYY-MM-DD.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@click.pass_obj
def search(state: State, query: str, topics, marketplaces, sources, since, until, limit, sort,
           fmt) -> None:
    """Full-text search of the archive (FTS5 syntax: "exact phrase", OR, NOT, prefix*).

    Ranked by relevance (bm25, title weighted) or --sort date. Queries with Chinese characters
    use a trigram index (e.g. 视频验证); terms under three characters (封号) match as substrings.
    """
    import sqlite3

    from crackdown.archive.search import SYNTAX_HELP, SearchSyntaxError
    from crackdown.archive.search import search as search_archive

    since_d, until_d = _parse_date(since, "--since"), _parse_date(until, "--until")
    db = _open_existing_archive(state)
    try:
        rows = search_archive(db, query, topics=topics, marketplaces=marketplaces, sources=sources,
                              since=since_d.isoformat() if since_d else None,
                              until=until_d.isoformat() if until_d else None,
                              limit=limit, sort=sort)
    except SearchSyntaxError as exc:
        _fail(f"cannot parse query {query!r} ({exc}).\nSyntax: {SYNTAX_HELP}", EXIT_USAGE)
    except sqlite3.OperationalError as exc:
        _fail(f"search failed: {exc}. An archive opened read-only keeps its old schema: run any "
              "crackdown command once with write access to upgrade it")
    _print_rows(rows, fmt, ["dated_at", "source_id", "topics", "title", "url"])


def _open_existing_archive(state: State):
    """Open the configured archive (applying pending migrations), or exit 3 if there is none."""
    from crackdown.archive import ArchiveError, open_archive

    path = Path(state.config.archive.path)
    if not path.exists():
        _fail(f"no archive at {path}; run `crackdown crawl` first or pass --db")
    try:
        # A reader without write access (an analyst's copy) still gets the archive as it is.
        return open_archive(path, readonly=not os.access(path, os.W_OK))
    except ArchiveError as exc:
        _fail(str(exc))


def _print_rows(rows: list[dict], fmt: str, table_cols: list[str]) -> None:
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    elif fmt == "csv":
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        for row in rows:
            click.echo(" | ".join(str(row.get(c) or "")[:16 if c == "dated_at" else 100]
                                  for c in table_cols))
            if row.get("snippet"):
                click.echo("    " + _highlight(row["snippet"].replace("\n", " ")[:200]))
        if not rows:
            click.echo("no matches", err=True)


def _highlight(snippet: str) -> str:
    """Matches come [bracketed]; on a terminal they are also bold (click drops the style in pipes)."""
    import re

    return re.sub(r"\[[^\[\]]+\]", lambda m: click.style(m.group(0), bold=True), snippet)


@cli.command()
@click.argument("target")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@click.pass_obj
def similar(state: State, target: str, limit: int, fmt: str) -> None:
    """Posts nearest to POST_ID, or to a quoted "text", by stored sentence embedding.

    "Show me everything like this thread": cosine similarity over the embeddings `classify`
    stores (English posts). Free text is embedded with the configured model first.
    """
    from crackdown.archive import similar as vectors

    config = state.config
    db = _open_existing_archive(state)
    post_id = int(target) if target.isdigit() else None
    if post_id is not None:
        try:
            query = vectors.post_vector(db, post_id)
        except vectors.NoEmbedding as exc:
            _fail(str(exc), EXIT_USAGE)
    else:
        from classify.encoder import ModelUnavailable
        from classify.stage import config_encoder
        from crackdown.archive.search import has_cjk

        if has_cjk(target):
            click.echo("warning: the encoder is English-only and maps most Chinese characters to "
                       "[UNK]; use `crackdown search` for Chinese text", err=True)
        try:
            # the same encoder (int8 ONNX when exported) that wrote the stored embeddings
            query = config_encoder(config).encode([target])[0]
        except ModelUnavailable as exc:
            _fail(str(exc))
    vectors.refresh_index(db)
    rows = vectors.describe(db, vectors.nearest(db, query, limit=limit, exclude=post_id))
    _print_rows(rows, fmt, ["similarity", "id", "dated_at", "source_id", "topics", "title"])


@cli.command()
@click.argument("topic")
@click.option("--marketplace", help="Only posts about this marketplace.")
@click.option("--since", help="First day YYYY-MM-DD (default: the topic's first post).")
@click.option("--until", help="Stop before YYYY-MM-DD (default: after the topic's last post).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@click.pass_obj
def timeline(state: State, topic: str, marketplace: str | None, since: str | None, until: str | None,
             fmt: str) -> None:
    """A topic's posts per UTC day, with surges marked by the brief's own test."""
    from crackdown.archive.timeline import topic_timeline

    config = state.config
    if topic not in config.topic_ids():
        _fail(f"unknown topic {topic!r}; known: {', '.join(config.topic_ids())}", EXIT_USAGE)
    since_d, until_d = _parse_date(since, "--since"), _parse_date(until, "--until")
    db = _open_existing_archive(state)
    b = config.brief
    days = topic_timeline(db, topic, marketplace=marketplace, since=since_d, until=until_d,
                          baseline_days=b.baseline_days, min_count=b.min_surge_count,
                          p_value=b.surge_p_value)
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["day", "posts", "sources", "baseline_mean", "ratio", "p_value", "surge"])
        for d in days:
            writer.writerow([d.day, d.posts, d.sources, d.baseline_mean, d.ratio, f"{d.p_value:.3g}",
                             int(d.surge)])
        return
    if not days:
        click.echo(f"no posts tagged {topic}" + (f" about {marketplace}" if marketplace else ""), err=True)
        return
    scale = max(d.posts for d in days) or 1
    for d in days:
        mark = f"  << SURGE {d.ratio}x the usual {d.baseline_mean}/day" if d.surge else ""
        click.echo(f"{d.day}  {d.posts:>5}  {d.sources:>3} src  {'#' * round(30 * d.posts / scale)}{mark}")


@cli.command()
@click.option("--since", help="Posts dated on or after YYYY-MM-DD (default: all).")
@click.option("--until", help="Posts dated before YYYY-MM-DD.")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout.")
@click.pass_obj
def export(state: State, since: str | None, until: str | None, fmt: str, out: str | None) -> None:
    """Export posts with source, topics, marketplaces and corrections as JSON lines."""
    from crackdown.archive.retention import export_posts, write_jsonl

    since_d, until_d = _parse_date(since, "--since"), _parse_date(until, "--until")
    db = _open_existing_archive(state)
    rows = export_posts(db, since=since_d.isoformat() if since_d else None,
                        until=until_d.isoformat() if until_d else None)
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            n = write_jsonl(rows, handle)
        click.echo(f"{n} posts written to {out}", err=True)
    else:
        write_jsonl(rows, sys.stdout)


@cli.command()
@click.option("--before", required=True, help="Delete posts dated before YYYY-MM-DD.")
@click.option("--no-vacuum", is_flag=True, help="Skip VACUUM (the file keeps its size until then).")
@click.pass_obj
def prune(state: State, before: str, no_vacuum: bool) -> None:
    """Delete posts dated before a day (with their tags, embeddings and labels); keep briefs.

    Takes the run lock, so it never runs alongside `crackdown run`. Export first if you want a
    copy: `crackdown export --until D --out old.jsonl`.
    """
    from crackdown.archive.retention import prune_before
    from crackdown.lock import LockHeld, LockUnavailable, RunLock, lock_path

    day = _parse_date(before, "--before")
    db = _open_existing_archive(state)
    try:
        with RunLock(lock_path(state.config.archive.path)):
            report = prune_before(db, day.isoformat(), vacuum=not no_vacuum)
    except LockHeld as exc:
        _fail(str(exc), EXIT_LOCKED)
    except LockUnavailable as exc:
        _fail(str(exc))
    click.echo(f"pruned {report.posts} posts and {report.stories} stories dated before {day}; "
               f"archive {report.bytes_before / 1e6:.1f} MB -> {report.bytes_after / 1e6:.1f} MB")


@cli.command(name="datasette-metadata")
@click.option("--out", type=click.Path(dir_okay=False), help="Default: metadata.json beside the archive.")
@click.pass_obj
def datasette_metadata(state: State, out: str | None) -> None:
    """Write Datasette metadata (titles, descriptions, canned queries) for the archive."""
    from crackdown.archive.datasette import write_metadata

    archive = Path(state.config.archive.path)
    path = write_metadata(archive, Path(out) if out else None)
    click.echo(str(path))
    click.echo(f"serve with: datasette {archive} -m {path}   (or: datasette {archive.parent}/ "
               "when metadata.json sits beside the archive)", err=True)


@cli.command()
@click.pass_obj
def sources(state: State) -> None:
    """Source health: last success, last error, items, consecutive failures."""
    from crackdown.archive import ArchiveError, open_archive
    from crackdown.archive import sources as source_rows

    config = state.config
    try:
        db = open_archive(config.archive.path)
        source_rows.sync_sources(db, config.sources)
        rows = source_rows.source_health(db)
    except ArchiveError as exc:
        _fail(str(exc))
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
        _fail(str(exc), EXIT_USAGE)
    except ModelUnavailable as exc:
        _fail(str(exc))
    for out in predictions:
        click.echo(json.dumps(out, ensure_ascii=False))


@cli.command(name="eval")
@click.option("--data", "data_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="JSONL with id, title, text, labels (list of topic ids, [] = none).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def eval_command(state: State, data_file: str, as_json: bool) -> None:
    """Precision, recall and F1 per topic and macro on labelled JSONL."""
    from classify.data_io import DataError, read_jsonl
    from classify.encoder import ModelUnavailable
    from classify.evaluate import format_table, score_predictions
    from classify.predict import predict_rows

    config = state.config
    try:
        rows = read_jsonl(data_file, require=("id", "text", "labels"), topics=config.topic_ids())
        predicted = [p["labels"] for p in predict_rows(config, rows)]
    except DataError as exc:
        _fail(str(exc), EXIT_USAGE)
    except ModelUnavailable as exc:
        _fail(str(exc))
    report = score_predictions(config.topic_ids(), [r["labels"] for r in rows], predicted)
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
        _fail("give the post's topics, or --none (not both)", EXIT_USAGE)
    unknown = [t for t in topics if t not in config.topic_ids()]
    if unknown:
        _fail(f"unknown topic(s) {', '.join(unknown)}; known: {', '.join(config.topic_ids())}",
              EXIT_USAGE)
    db = open_archive(config.archive.path)
    if posts.get_post(db, post_id) is None:
        _fail(f"no post {post_id} in {config.archive.path}; find ids with `crackdown search`",
              EXIT_USAGE)
    tags.add_label(db, post_id, topics, config.topic_ids())
    click.echo(f"post {post_id}: {', '.join(topics) or 'no topic'} (applied at the next classify)")


# --- operations -----------------------------------------------------------------------------

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
