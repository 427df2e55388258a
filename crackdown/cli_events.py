"""`crackdown` commands about events (enforcement waves followed across days): events, event,
backtest.

Registered on the main group by crackdown/cli.py (see COMMANDS). Imports of the archive and the
reports stage happen inside the commands, so `crackdown --help` stays fast.
"""

from __future__ import annotations

import csv
import json
import sys

import click

from crackdown.cli_support import EXIT_USAGE, State, fail, parse_date

FORMATS = click.Choice(["table", "json", "csv"])


def _open(state: State):
    from crackdown.cli_archive import _open_existing_archive

    return _open_existing_archive(state)


def _names(state: State) -> dict[str, str]:
    return {t.id: t.name for t in state.config.topics}


def _emit(rows: list[dict], fmt: str) -> None:
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    elif fmt == "csv" and rows:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([{k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                           for k, v in row.items()} for row in rows])


def _table(rows: list[list], header: list[str]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in [header, *rows]:
        click.echo("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())


@click.command()
@click.option("--active", is_flag=True, help="Only events still under way.")
@click.option("--topic", help="Only this topic id.")
@click.option("--marketplace", help="Only this marketplace.")
@click.option("--since", help="Events under way on or after YYYY-MM-DD.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_obj
def events(state: State, active: bool, topic: str | None, marketplace: str | None,
           since: str | None, fmt: str) -> None:
    """Enforcement waves followed across days, newest first.

    An event is a topic on a marketplace from the first day the surge test fired until
    [events] quiet_days quiet days in a row. `run` and `brief` keep them up to date.
    """
    from crackdown.archive import events as store

    since_d = parse_date(since, "--since")
    if topic and topic not in _names(state):
        fail(f"unknown topic {topic!r}; choose from {', '.join(_names(state))}", EXIT_USAGE)
    db = _open(state)
    rows = store.list_events(db, active=active, topic=topic, marketplace=marketplace,
                             since=since_d.isoformat() if since_d else None)
    if fmt != "table":
        _emit(rows, fmt)
        return
    if not rows:
        click.echo("no events (they are tracked by `crackdown run` and `crackdown brief`)", err=True)
        return
    names = _names(state)
    _table([[r["id"], names.get(r["topic"], r["topic"])[:32], r["marketplace"], r["start_day"],
             r["end_day"] or "-", r["status"], r["posts"], r["sources"],
             f"{r['peak_count']} on {r['peak_day']}",
             ", ".join(p["name"] for p in r["parties"][:3])] for r in rows],
           ["id", "topic", "marketplace", "flagged", "ended", "status", "posts", "sources", "peak",
            "named"])


@click.command()
@click.argument("event_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def event(state: State, event_id: int, fmt: str) -> None:
    """One event: its day-by-day timeline, named parties, first reports by tier and stories."""
    from crackdown.archive import events as store

    db = _open(state)
    row = store.get_event(db, event_id)
    if row is None:
        fail(f"no event {event_id}; list them with `crackdown events`", EXIT_USAGE)
    if fmt == "json":
        click.echo(json.dumps(row, ensure_ascii=False, indent=2))
        return
    name = _names(state).get(row["topic"], row["topic"])
    click.echo(f"Event {row['id']}: {name} - {row['marketplace']} - {row['status']}")
    click.echo(f"flagged {row['start_day']}, first post {row['first_day']}, "
               f"{'ended ' + row['end_day'] if row['end_day'] else 'still under way on ' + row['last_day']}; "
               f"{row['posts']} posts from {row['sources']} sources, peak {row['peak_count']} "
               f"on {row['peak_day']} (usual level {row['baseline_mean']:.1f}/day)")
    click.echo("\nTimeline")
    top = max((n for _, n, _ in row["daily"]), default=1) or 1
    for day, n, sources in row["daily"]:
        mark = ("run-up" if day < row["start_day"] else "FLAG" if day == row["start_day"]
                else "peak" if day == row["peak_day"] else "")
        bar = "#" * max(round(30 * n / top), 1 if n else 0)
        click.echo(f"  {day}  {n:4d}  {len(sources):3d} src  {bar:30s} {mark}".rstrip())
    click.echo("\nNamed parties (sources naming them)")
    if not row["parties"]:
        click.echo("  none found")
    for p in row["parties"]:
        alias = f" / {', '.join(p['aliases'])}" if p["aliases"] else ""
        click.echo(f"  {p['name']}{alias}  {p['sources']}  first named {p['first_day']}")
    click.echo("\nFirst reports")
    for kind, label in (("post", "first post"), ("media", "first media"), ("official", "first official")):
        at = row[f"first_{kind}_at"]
        if at:
            click.echo(f"  {label:15s} {at[:16]}  {row[f'first_{kind}_source']}: "
                       f"{row[f'first_{kind}_title']}\n  {'':15s} {row[f'first_{kind}_url']}")
        else:
            click.echo(f"  {label:15s} none")
    click.echo(f"\nStories ({len(row['stories'])})")
    for s in row["stories"]:
        click.echo(f"  {(s['first_seen'] or '')[:10]}  {s['posts']:3d} posts  {s['title']}")


@click.command()
@click.option("--from", "first", required=True, help="First day to replay (YYYY-MM-DD).")
@click.option("--to", "last", required=True, help="Last day to replay (YYYY-MM-DD).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_obj
def backtest(state: State, first: str, last: str, fmt: str) -> None:
    """Replay surge tests and event tracking day by day over the archive: when each event began,
    when Crackdown flagged it, and the flag's lead over the first media and official posts.

    Read-only: nothing is stored, no brief changes, no mail is sent.
    """
    from reports.event_tracking import backtest as run_backtest
    from reports.event_tracking import format_backtest, lead_row

    first_d, last_d = parse_date(first, "--from"), parse_date(last, "--to")
    if last_d < first_d:
        fail("--to is before --from", EXIT_USAGE)
    db = _open(state)
    result = run_backtest(db, state.config, first_d, last_d)
    rows = [dict(lead_row(ep), false_alarm=False) for ep in result.events]
    rows += [dict(lead_row(ep), false_alarm=True) for ep in result.false_alarms]
    if fmt != "table":
        _emit(rows, fmt)
        return
    click.echo(format_backtest(result, _names(state), state.config.events.min_posts))


COMMANDS = (events, event, backtest)
