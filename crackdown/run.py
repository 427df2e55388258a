"""The daily job: lock, run record, crawl → classify → brief → send, and the exit status.

Exit codes (documented in the README): 0 all good; 1 partial (some sources failed, brief still
produced); 3 nothing could be done (no source reachable, archive unwritable, email failed);
75 another run holds the lock; 128 + signal number when SIGTERM/SIGINT stopped it (143, 130).
(2, usage/config errors, is the CLI's.)
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crackdown.archive import ArchiveError, open_archive, runs
from crackdown.config import Config
from crackdown.lock import LockUnavailable, RunLock, lock_path

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_FAILED, EXIT_LOCKED = 0, 1, 2, 3, 75
# A machine off for longer than this is not flooded with old briefs when it comes back.
CATCH_UP_DAYS = 7


@dataclass
class RunResult:
    exit_code: int
    stats: dict = field(default_factory=dict)
    brief_date: str | None = None
    messages: list[str] = field(default_factory=list)


def default_brief_date(config: Config, now: datetime | None = None) -> Date:
    """Yesterday in the brief's time zone: the last complete day when cron runs in the morning."""
    now = now or datetime.now(ZoneInfo(config.brief.timezone))
    return (now.astimezone(ZoneInfo(config.brief.timezone)) - timedelta(days=1)).date()


def daily_run(config: Config, day: Date | None = None, send: bool = True,
              log_level: str = "WARNING") -> RunResult:
    """Everything `crackdown run` does, under the run lock (raises LockHeld when taken).

    Without `day`, the brief for yesterday is built and sent, and so are the briefs of days a
    stopped machine missed (up to CATCH_UP_DAYS back); with `day`, only that date.
    """
    # Everything a run writes (the HTTP cache holds the crawled pages) is as private as the archive.
    previous_umask = os.umask(0o077)
    try:
        with RunLock(lock_path(config.archive.path)):
            return _run_stages(config, day or default_brief_date(config), send, "run", log_level,
                               catch_up=day is None)
    except LockUnavailable as exc:
        return RunResult(EXIT_FAILED, messages=[str(exc)])
    finally:
        os.umask(previous_umask)


def _run_stages(config: Config, day: Date, send: bool, command: str, log_level: str,
                catch_up: bool = False) -> RunResult:
    from classify.encoder import ModelUnavailable
    from classify.stage import classify_archive
    from crawlers.runner import crawl

    result = RunResult(EXIT_OK, brief_date=day.isoformat())
    emailing = send and config.email.enabled
    try:
        run_id, days = _open_run(config, command, day, emailing, catch_up)
    except (ArchiveError, sqlite3.Error) as exc:
        result.exit_code = EXIT_FAILED
        result.messages.append(f"archive unusable, nothing was done: {exc}")
        return result
    status, error = "ok", None
    with _terminate_as_exception():
        try:
            report = crawl(config, log_level=log_level)
            _raise_if_terminated_during_crawl()
            result.stats["crawl"] = report.as_stats()
            if report.failed:
                result.messages += [f"source {sid} failed: {why}" for sid, why in report.failed.items()]
                all_failed = not report.ok
                result.exit_code = EXIT_FAILED if all_failed else EXIT_PARTIAL
                status = "failed" if all_failed else "partial"
            result.stats["classify"] = classify_archive(config).as_stats()
            _brief_and_send(config, days, emailing, result,
                            chatting=send and any(c.enabled for c in config.notify))
        except ModelUnavailable as exc:
            status, error = "failed", f"model unavailable: {exc}"
            result.exit_code = EXIT_FAILED
            result.messages.append(f"{error}. The crawl is archived; no brief was built, and the "
                                   "next run after fixing [classify] model builds and sends it")
        except MailFailure as exc:
            status, error = "failed", str(exc)
            result.exit_code = EXIT_FAILED
            result.messages.append(str(exc))
        except (ArchiveError, sqlite3.Error, OSError) as exc:
            # OSError: a full or read-only disk under the model cache or the HTTP cache
            status, error = "failed", f"write failed: {exc}"
            result.exit_code = EXIT_FAILED
            result.messages.append(f"{error}. Check free space and permissions; the next run "
                                   "redoes what is missing")
        except Terminated as exc:
            status, error = "interrupted", f"stopped by {exc.signal_name}"
            result.exit_code = 128 + exc.signum
            result.messages.append(f"{error}; the next run completes the work")
        except BaseException as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            _finish(config, run_id, status, result.stats, error)
            raise
    _finish(config, run_id, status, result.stats, error)
    return result


def _open_run(config: Config, command: str, day: Date, emailing: bool,
              catch_up: bool) -> tuple[int, list[Date]]:
    """Close the rows of killed runs, start this run's row, and pick the dates to brief."""
    db = open_archive(config.archive.path)
    try:
        stale = runs.mark_interrupted(db)
        if stale:
            log.warning("run(s) %s ended without finishing; marked 'interrupted'",
                        ", ".join(map(str, stale)))
        done = runs.latest_brief_date(db, sent_only=emailing) if catch_up else None
        return runs.start_run(db, command), brief_dates(day, done)
    finally:
        db.close()


def brief_dates(target: Date, last_done: str | None, limit: int = CATCH_UP_DAYS) -> list[Date]:
    """`target` plus the days after the last finished brief that a stopped machine missed,
    oldest first, at most `limit` days. A first run briefs only `target`."""
    if last_done is None:
        return [target]
    first = max(Date.fromisoformat(last_done) + timedelta(days=1), target - timedelta(days=limit - 1))
    count = (target - first).days + 1
    return [first + timedelta(days=i) for i in range(count)] if count > 0 else [target]


def _brief_and_send(config: Config, days: list[Date], emailing: bool, result: RunResult,
                    chatting: bool = False) -> None:
    """Build each day's brief, then email it once; a send failure leaves later days unsent too,
    so the next run sends them in date order. Chat channels get each day's summary whatever the
    email did (reports/notify/deliver.py records and retries them)."""
    from reports.daily import make_brief

    result.stats["sent"] = []
    try:
        for d in days:
            rendered = make_brief(config, d)
            stats = {"date": d.isoformat(), "subject": rendered.subject,
                     "html_bytes": len(rendered.html.encode("utf-8"))}
            result.stats["brief"] = stats
            if len(days) > 1:
                result.stats.setdefault("briefs", []).append(stats)
            if chatting:
                from reports.notify.deliver import announce_brief

                announce_brief(config, rendered.brief)
            if emailing:
                with _signals_deferred():
                    result.stats["sent"] += send_pending(config, d)
    finally:
        if chatting:
            _deliver_chats(config, days[-1], result)


def _deliver_chats(config: Config, day: Date, result: RunResult) -> None:
    """Deliver what chat channels are owed; a failed channel makes the run partial, never more."""
    from reports.notify.deliver import deliver_now

    with _signals_deferred():
        report = deliver_now(config, day)
    result.stats["chat"] = {"sent": [f"{c}:{k}:{key}" for c, k, key in report.sent],
                            "failed": sorted(report.failed)}
    for channel, why in report.failed.items():
        result.messages.append(f"channel {channel} failed: {why} (retried by the next run)")
    if report.failed and result.exit_code == EXIT_OK:
        result.exit_code = EXIT_PARTIAL


class Terminated(BaseException):
    """SIGTERM/SIGINT arrived: stop where we are; the archive's transactions keep it whole."""

    def __init__(self, signum: int):
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        super().__init__(self.signal_name)


def _raise_terminated(signum: int, _frame) -> None:
    raise Terminated(signum)


@contextmanager
def _terminate_as_exception():
    """Outside Scrapy's reactor a SIGTERM would otherwise be lost (Scrapy's handler stays
    installed after the crawl and only talks to a stopped reactor)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    for s in previous:
        signal.signal(s, _raise_terminated)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


@contextmanager
def _signals_deferred():
    """A stop signal waits until the send is recorded: killed between the SMTP hand-over and
    `sent_at`, the next run would mail the same brief again. (Handlers rather than a signal
    mask: the mask is per thread, and Scrapy's and the encoder's threads would still take it.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    stops = (signal.SIGTERM, signal.SIGINT)
    previous = {s: signal.getsignal(s) for s in stops}
    for s in stops:
        signal.signal(s, lambda signum, _frame: pending.append(signum))
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
    if pending:
        raise Terminated(pending[0])


def _raise_if_terminated_during_crawl() -> None:
    """Scrapy turns SIGTERM/SIGINT into a graceful stop of the crawl and swaps its handlers for
    `_signal_kill` (SIG_IGN after a second signal); seeing that means we were asked to stop.
    Both signals' handlers swap together, so the two cannot be told apart: SIGTERM (what cron,
    systemd and kill send) is reported."""
    stopped = any(h is signal.SIG_IGN or getattr(h, "__name__", "") == "_signal_kill"
                  for h in (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)))
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, _raise_terminated)
    if stopped:
        raise Terminated(signal.SIGTERM)


class MailFailure(Exception):
    pass


def send_pending(config: Config, day: Date, resend: bool = False) -> list[str]:
    """Email the brief for `day` unless it was sent already (`resend`: send it again), after
    retrying briefs of the previous CATCH_UP_DAYS whose send failed, oldest first.

    A failure is recorded on every brief still owed (so the next run or `brief --send` retries
    them) and raised as MailFailure; the briefs stay stored. Returns the dates sent.
    """
    from crackdown.archive import briefs
    from reports.mail import MailError, build_message, send_message

    db = open_archive(config.archive.path)
    try:
        since = (day - timedelta(days=CATCH_UP_DAYS)).isoformat()
        due = briefs.failed_unsent_dates(db, since, day.isoformat())
        row = runs.get_brief(db, day.isoformat())
        if row is not None and (resend or not row["sent_at"]):
            due.append(day.isoformat())
        sent: list[str] = []
        for n, date in enumerate(due):
            brief = runs.get_brief(db, date)
            msg = build_message(config.email, brief["subject"], brief["html"], brief["text"])
            try:
                send_message(config.email, msg)
            except MailError as exc:
                for owed in due[n:]:
                    briefs.record_send_failure(db, owed, str(exc))
                done = f" (sent {', '.join(sent)} first)" if sent else ""
                raise MailFailure(f"brief for {date} stored but not sent{done}: {exc}. The next "
                                  "`crackdown run` or `crackdown brief --send` retries it") from None
            with db.atomic():
                runs.mark_sent(db, date, list(config.email.to))
                briefs.clear_send_failure(db, date)
            sent.append(date)
        return sent
    finally:
        db.close()


def _finish(config: Config, run_id: int, status: str, stats: dict, error: str | None) -> None:
    try:
        db = open_archive(config.archive.path)
        runs.finish_run(db, run_id, status, stats, error)
        db.close()
    except ArchiveError as exc:
        log.error("could not record the run's end: %s", exc)
