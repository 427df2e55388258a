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
