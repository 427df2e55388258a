"""Send state of stored briefs: failed sends are remembered so the next run retries them."""

from __future__ import annotations

from sqlite_utils import Database

from crackdown.archive import utcnow


def record_send_failure(db: Database, date: str, error: str) -> None:
    db.execute("UPDATE briefs SET send_error = ?, send_failed_at = ? WHERE date = ?",
               [error[:1000], utcnow(), date])


def clear_send_failure(db: Database, date: str) -> None:
    db.execute("UPDATE briefs SET send_error = NULL, send_failed_at = NULL WHERE date = ?", [date])


def failed_unsent_dates(db: Database, since: str, before: str) -> list[str]:
    """Dates in [since, before) whose brief failed to send and was never sent, oldest first."""
    return [r[0] for r in db.execute(
        "SELECT date FROM briefs WHERE send_error IS NOT NULL AND sent_at IS NULL "
        "AND date >= ? AND date < ? ORDER BY date", [since, before])]
