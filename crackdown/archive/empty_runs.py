"""The zero-items streak of each source (migration 1500): runs in a row whose list was fetched
and read but gave no items, since when, and what matched nothing."""

from __future__ import annotations

from sqlite_utils import Database

from crackdown.archive import utcnow


def record_items(db: Database, source_id: str) -> None:
    """The list gave items: the streak is over."""
    db.execute("UPDATE sources SET empty_runs = 0, empty_since = NULL, empty_reason = NULL "
               "WHERE id = ?", [source_id])


def record_empty(db: Database, source_id: str, reason: str, at: str | None = None) -> None:
    """One more run whose list was read and held nothing; `reason` names what matched nothing."""
    at = at or utcnow()
    db.execute("""UPDATE sources SET empty_runs = empty_runs + 1,
                      empty_since = COALESCE(empty_since, ?), empty_reason = ?
                  WHERE id = ?""", [at, reason[:1000], source_id])


def empty_streaks(db: Database, min_runs: int) -> list[dict]:
    """Sources with at least `min_runs` empty runs in a row, longest streak first."""
    cursor = db.execute(
        """SELECT id, type, url, empty_runs, empty_since, empty_reason, last_item_count,
                  items_total
           FROM sources WHERE empty_runs >= ? ORDER BY empty_runs DESC, id""", [min_runs])
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row)) for row in cursor.fetchall()]
