"""`crackdown` commands for chat channels: `watch` (the hourly wave-start alert job) and
`notify test ID` / `notify status`.

Registered on the main group by crackdown/cli.py (see COMMANDS). Heavy imports (Scrapy, the
encoder) happen inside the commands, never at module import.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

import click

from crackdown.cli_support import EXIT_LOCKED, EXIT_OK, EXIT_USAGE, State, exit_with, fail

log = logging.getLogger(__name__)


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time; use ISO 8601, e.g. "
                                 "2026-11-20T09:00:00+00:00", param_hint="--now") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@click.command()
@click.option("--now", "now", help="Pretend it is this time (ISO 8601; no offset = UTC): "
                                   "replays and tests.")
@click.option("--no-crawl", is_flag=True, help="Only test the archive and deliver what is owed.")
@click.pass_obj
def watch(state: State, now: str | None, no_crawl: bool) -> None:
    """Hourly job: crawl, classify, alert chat channels when a wave starts today.

    Alerts once per topic × marketplace wave, never for a day already briefed; deliveries that
    failed are retried by the next watch or run. Prints nothing on success (unless -v).
    """
    from crackdown.lock import LockHeld
    from crackdown.watch import watch as run_watch

    config = state.config
    if not config.notify:
        log.info("no [[notify]] channels in %s: waves are detected and recorded, not sent",
                 config.path)
    try:
        result = run_watch(config, _parse_now(now), crawl=not no_crawl,
                           log_level=state.scrapy_log_level)
    except LockHeld as exc:
        fail(str(exc), EXIT_LOCKED)
    exit_with(result, "watch")


@click.group()
def notify() -> None:
    """Chat channels ([[notify]] in the config): test one, or see deliveries."""


@notify.command(name="test")
@click.argument("channel_id")
@click.pass_obj
def notify_test(state: State, channel_id: str) -> None:
    """Send a test message to channel CHANNEL_ID now (nothing is recorded)."""
    from reports.notify.base import DeliveryError
    from reports.notify.deliver import send_one

    config = state.config
    channel = next((c for c in config.notify if c.id == channel_id), None)
    if channel is None:
        known = ", ".join(c.id for c in config.notify) or "none configured"
        fail(f"no [[notify]] channel {channel_id!r} in {config.path} (known: {known})", EXIT_USAGE)
    try:
        send_one(config, channel, "test", {})
    except DeliveryError as exc:
        fail(f"channel {channel.id} ({channel.type}): {exc}")
    click.echo(f"test message sent to {channel.id} ({channel.type})")
    sys.exit(EXIT_OK)


@notify.command(name="status")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.pass_obj
def notify_status(state: State, limit: int) -> None:
    """Recent notifications and their delivery per channel."""
    from crackdown.archive import ArchiveError, notifications, open_archive

    try:
        db = open_archive(state.config.archive.path)
    except ArchiveError as exc:
        fail(str(exc))
    rows = notifications.deliveries(db)[:limit]
    if not rows:
        click.echo("no notifications yet")
    for r in rows:
        click.echo(f"{r['date']}  {r['kind']:<10} {r['channel']:<16} {r['status']:<10} "
                   f"attempts {r['attempts']}  {r['key']}")
        if r["error"] and r["status"] != "sent":
            click.echo(f"    {r['error']}")


COMMANDS = (watch, notify)
