"""`crackdown watch`: the hourly job — crawl, classify what is new, alert chat channels when a
wave starts (reports/notify/waves.py), and retry deliveries still owed.

Runs under the same lock as `crackdown run` (a watch never overlaps the daily run's crawl).
Exit codes: 0 all good; 1 partial (some sources or channels failed; the next watch retries the
channels); 3 nothing could be done (archive unusable, no source reachable, model unavailable);
75 the lock is held (raised as LockHeld for the CLI).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone

from crackdown.archive import ArchiveError, open_archive, runs, tags
from crackdown.config import Config
from crackdown.lock import LockUnavailable, RunLock, lock_path

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PARTIAL, EXIT_FAILED = 0, 1, 3


@dataclass
class WatchResult:
    exit_code: int
    stats: dict = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def watch(config: Config, now: datetime | None = None, crawl: bool = True,
          log_level: str = "WARNING") -> WatchResult:
    """One watch (raises LockHeld when a run or another watch holds the lock). `now` replaces
    the clock (replays and tests); `crawl=False` only tests the archive and delivers."""
    previous_umask = os.umask(0o077)
    try:
        with RunLock(lock_path(config.archive.path)):
            return _watch(config, now or datetime.now(timezone.utc), crawl, log_level)
    except LockUnavailable as exc:
        return WatchResult(EXIT_FAILED, messages=[str(exc)])
    finally:
        os.umask(previous_umask)


def _watch(config: Config, now: datetime, crawl: bool, log_level: str) -> WatchResult:
    from reports.notify.waves import detect_and_alert

    result = WatchResult(EXIT_OK)
    try:
        db = open_archive(config.archive.path)
        run_id = runs.start_run(db, "watch")
        db.close()
    except (ArchiveError, sqlite3.Error) as exc:
        return WatchResult(EXIT_FAILED, messages=[f"archive unusable, nothing was done: {exc}"])
    status, error = "ok", None
    try:
        if crawl:
            status = _crawl_and_classify(config, log_level, result)
        if result.exit_code != EXIT_FAILED:
            report = detect_and_alert(config, now)
            result.stats["watch"] = {"date": report.date, "day_fraction": report.day_fraction,
                                     "already_briefed": report.already_briefed,
                                     "new_waves": [f"{w['topic']}|{'+'.join(w['markets'])}"
                                                   for w in report.waves],
                                     "delivered": len(report.delivery.sent),
                                     "failed_channels": sorted(report.delivery.failed)}
            for channel, why in report.delivery.failed.items():
                result.messages.append(f"channel {channel} failed: {why}")
            if report.delivery.failed and result.exit_code == EXIT_OK:
                result.exit_code, status = EXIT_PARTIAL, "partial"
    except (ArchiveError, sqlite3.Error, OSError) as exc:
        status, error = "failed", f"write failed: {exc}"
        result.exit_code = EXIT_FAILED
        result.messages.append(f"{error}. Check free space and permissions")
    finally:
        try:
            db = open_archive(config.archive.path)
            runs.finish_run(db, run_id, status, result.stats, error)
            db.close()
        except ArchiveError as exc:
            log.error("could not record the watch's end: %s", exc)
    return result


def _crawl_and_classify(config: Config, log_level: str, result: WatchResult) -> str:
    from classify.encoder import ModelUnavailable
    from crawlers.runner import crawl

    report = crawl(config, log_level=log_level)
    result.stats["crawl"] = report.as_stats()
    status = "ok"
    if report.failed:
        result.messages += [f"source {sid} failed: {why}" for sid, why in report.failed.items()]
        if not report.ok:
            result.exit_code = EXIT_FAILED
            return "failed"
        result.exit_code, status = EXIT_PARTIAL, "partial"
    db = open_archive(config.archive.path)
    try:
        unclassified = tags.has_unclassified(db)
    finally:
        db.close()
    if unclassified:   # loading the model costs seconds: only when there is something new
        from classify.stage import classify_archive

        try:
            result.stats["classify"] = classify_archive(config).as_stats()
        except ModelUnavailable as exc:
            result.exit_code = EXIT_FAILED
            result.messages.append(f"model unavailable: {exc}; nothing was alerted")
            return "failed"
    return status
