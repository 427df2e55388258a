"""`crackdown` commands that query or maintain an existing archive: search, similar, timeline,
export, prune and datasette-metadata.

Registered on the main group by crackdown/cli.py (see COMMANDS). Like every command module, heavy
imports (the archive, the encoder, torch) happen inside the commands, never at module import.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import click

from crackdown.cli_support import EXIT_LOCKED, EXIT_USAGE, State, fail, parse_date


@click.command()
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

    since_d, until_d = parse_date(since, "--since"), parse_date(until, "--until")
    db = _open_existing_archive(state)
    try:
        rows = search_archive(db, query, topics=topics, marketplaces=marketplaces, sources=sources,
                              since=since_d.isoformat() if since_d else None,
                              until=until_d.isoformat() if until_d else None,
                              limit=limit, sort=sort)
    except SearchSyntaxError as exc:
        fail(f"cannot parse query {query!r} ({exc}).\nSyntax: {SYNTAX_HELP}", EXIT_USAGE)
    except sqlite3.OperationalError as exc:
        fail(f"search failed: {exc}. An archive opened read-only keeps its old schema: run any "
             "crackdown command once with write access to upgrade it")
    _print_rows(rows, fmt, ["dated_at", "source_id", "topics", "title", "url"])


def _open_existing_archive(state: State):
    """Open the configured archive (applying pending migrations), or exit 3 if there is none."""
    from crackdown.archive import ArchiveError, open_archive

    path = Path(state.config.archive.path)
    if not path.exists():
        fail(f"no archive at {path}; run `crackdown crawl` first or pass --db")
    try:
        # A reader without write access (an analyst's copy) still gets the archive as it is.
        return open_archive(path, readonly=not os.access(path, os.W_OK))
    except ArchiveError as exc:
        fail(str(exc))


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


@click.command()
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
            fail(str(exc), EXIT_USAGE)
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
            fail(str(exc))
    vectors.refresh_index(db)
    rows = vectors.describe(db, vectors.nearest(db, query, limit=limit, exclude=post_id))
    _print_rows(rows, fmt, ["similarity", "id", "dated_at", "source_id", "topics", "title"])


@click.command()
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
        fail(f"unknown topic {topic!r}; known: {', '.join(config.topic_ids())}", EXIT_USAGE)
    since_d, until_d = parse_date(since, "--since"), parse_date(until, "--until")
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


@click.command()
@click.option("--since", help="Posts dated on or after YYYY-MM-DD (default: all).")
@click.option("--until", help="Posts dated before YYYY-MM-DD.")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout.")
@click.pass_obj
def export(state: State, since: str | None, until: str | None, fmt: str, out: str | None) -> None:
    """Export posts with source, topics, marketplaces and corrections as JSON lines."""
    from crackdown.archive.retention import export_posts, write_jsonl

    since_d, until_d = parse_date(since, "--since"), parse_date(until, "--until")
    db = _open_existing_archive(state)
    rows = export_posts(db, since=since_d.isoformat() if since_d else None,
                        until=until_d.isoformat() if until_d else None)
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            n = write_jsonl(rows, handle)
        click.echo(f"{n} posts written to {out}", err=True)
    else:
        write_jsonl(rows, sys.stdout)


@click.command()
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

    day = parse_date(before, "--before")
    db = _open_existing_archive(state)
    try:
        with RunLock(lock_path(state.config.archive.path)):
            report = prune_before(db, day.isoformat(), vacuum=not no_vacuum)
    except LockHeld as exc:
        fail(str(exc), EXIT_LOCKED)
    except LockUnavailable as exc:
        fail(str(exc))
    click.echo(f"pruned {report.posts} posts and {report.stories} stories dated before {day}; "
               f"archive {report.bytes_before / 1e6:.1f} MB -> {report.bytes_after / 1e6:.1f} MB")


@click.command(name="datasette-metadata")
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


COMMANDS = (search, similar, timeline, export, prune, datasette_metadata)
