"""Run records (`runs`) and stored briefs (`briefs`)."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from crackdown.archive import utcnow


def start_run(db: Database, command: str) -> int:
    cursor = db.execute("INSERT INTO runs (command, started_at, status) VALUES (?, ?, 'running')",
                        [command, utcnow()])
    return cursor.lastrowid


def finish_run(db: Database, run_id: int, status: str, stats: dict[str, Any],
               error: str | None = None) -> None:
    db.execute("UPDATE runs SET finished_at = ?, status = ?, stats = ?, error = ? WHERE id = ?",
               [utcnow(), status, json.dumps(stats, sort_keys=True, default=str), error, run_id])


def save_brief(db: Database, date: str, subject: str, html: str, text: str) -> None:
    """Store the brief for `date`; a regenerated brief keeps the record of an earlier send."""
    db.execute(
        """INSERT INTO briefs (date, generated_at, subject, html, text) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(date) DO UPDATE SET generated_at = excluded.generated_at,
               subject = excluded.subject, html = excluded.html, text = excluded.text""",
        [date, utcnow(), subject, html, text],
    )


def mark_sent(db: Database, date: str, recipients: list[str]) -> None:
    db.execute("UPDATE briefs SET sent_at = ?, recipients = ? WHERE date = ?",
               [utcnow(), ", ".join(recipients), date])


def get_brief(db: Database, date: str) -> dict | None:
    cursor = db.execute("SELECT * FROM briefs WHERE date = ?", [date])
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row)) if row else None


def mark_interrupted(db: Database) -> list[int]:
    """Close run rows left 'running' by a process that died (the caller holds the run lock, so
    no live run owns them). Returns their ids."""
    ids = [r[0] for r in db.execute("SELECT id FROM runs WHERE status = 'running'")]
    if ids:
        db.execute("UPDATE runs SET status = 'interrupted', finished_at = ?, error = COALESCE(error, "
                   "'the process ended before finishing (killed, crashed or power loss)') "
                   "WHERE status = 'running'", [utcnow()])
    return ids


def latest_brief_date(db: Database, sent_only: bool) -> str | None:
    """The newest brief date that is done: sent (when emailing) or merely stored."""
    where = "WHERE sent_at IS NOT NULL" if sent_only else ""
    return db.execute(f"SELECT MAX(date) FROM briefs {where}").fetchone()[0]


def last_run(db: Database) -> dict | None:
    """The newest `crackdown run` record (for `doctor`)."""
    cursor = db.execute("SELECT id, started_at, finished_at, status, error FROM runs "
                        "WHERE command = 'run' ORDER BY id DESC LIMIT 1")
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row)) if row else None
