"""The daily job: lock, run record, crawl → classify → brief → send, and the exit status.

Exit codes (documented in the README): 0 all good; 1 partial (some sources failed, brief still
produced); 3 nothing could be done (no source reachable, archive unwritable, email failed);
75 another run holds the lock. (2, usage/config errors, is the CLI's.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crackdown.archive import ArchiveError, open_archive, runs
from crackdown.config import Config
from crackdown.lock import RunLock, lock_path

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_FAILED, EXIT_LOCKED = 0, 1, 2, 3, 75


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
    """Everything `crackdown run` does, under the run lock (raises LockHeld when taken)."""
    with RunLock(lock_path(config.archive.path)):
        return _run_stages(config, day or default_brief_date(config), send, "run", log_level)


def _run_stages(config: Config, day: Date, send: bool, command: str, log_level: str) -> RunResult:
    from classify.stage import classify_archive
    from crawlers.runner import crawl
    from reports.daily import make_brief

    db = open_archive(config.archive.path)
    run_id = runs.start_run(db, command)
    db.close()
    result = RunResult(EXIT_OK, brief_date=day.isoformat())
    status, error = "ok", None
    try:
        report = crawl(config, log_level=log_level)
        result.stats["crawl"] = report.as_stats()
        if report.failed:
            result.messages += [f"source {sid} failed: {why}" for sid, why in report.failed.items()]
            all_failed = not report.ok
            result.exit_code = EXIT_FAILED if all_failed else EXIT_PARTIAL
            status = "failed" if all_failed else "partial"
        result.stats["classify"] = classify_archive(config).as_stats()
        rendered = make_brief(config, day)
        result.stats["brief"] = {"date": day.isoformat(), "subject": rendered.subject,
                                 "html_bytes": len(rendered.html.encode("utf-8"))}
        if send and config.email.enabled:
            sent = send_pending(config, day)
            result.stats["sent"] = sent
    except MailFailure as exc:
        status, error = "failed", str(exc)
        result.exit_code = EXIT_FAILED
        result.messages.append(str(exc))
    except ArchiveError as exc:
        status, error = "failed", str(exc)
        result.exit_code = EXIT_FAILED
        result.messages.append(str(exc))
    except BaseException as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        _finish(config, run_id, status, result.stats, error)
        raise
    _finish(config, run_id, status, result.stats, error)
    return result


class MailFailure(Exception):
    pass


def send_pending(config: Config, day: Date, resend: bool = False) -> list[str]:
    """Send the brief for `day` unless it was sent already (or `resend`). Returns dates sent."""
    from reports.mail import MailError, build_message, send_message

    db = open_archive(config.archive.path)
    try:
        row = runs.get_brief(db, day.isoformat())
        if row is None or (row["sent_at"] and not resend):
            return []
        msg = build_message(config.email, row["subject"], row["html"], row["text"])
        try:
            send_message(config.email, msg)
        except MailError as exc:
            raise MailFailure(f"brief for {day} stored but not sent: {exc}") from None
        runs.mark_sent(db, day.isoformat(), list(config.email.to))
        return [day.isoformat()]
    finally:
        db.close()


def _finish(config: Config, run_id: int, status: str, stats: dict, error: str | None) -> None:
    try:
        db = open_archive(config.archive.path)
        runs.finish_run(db, run_id, status, stats, error)
        db.close()
    except ArchiveError as exc:
        log.error("could not record the run's end: %s", exc)
