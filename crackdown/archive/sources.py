"""Source rows: config mirrored into the archive, and each crawl's outcome (source health)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from crackdown.archive import utcnow
from crackdown.config import SourceConfig


def sync_sources(db: Database, sources: Iterable[SourceConfig]) -> None:
    """Insert or update the descriptive columns of configured sources; health columns are kept."""
    with db.atomic():
        for src in sources:
            db.execute(
                """INSERT INTO sources (id, name, type, url, tier, lang)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET name=excluded.name, type=excluded.type,
                       url=excluded.url, tier=excluded.tier, lang=excluded.lang""",
                [src.id, src.name, src.type, src.url, src.tier, src.lang],
            )


def record_success(db: Database, source_id: str, items_seen: int, new_items: int,
                   at: str | None = None) -> None:
    at = at or utcnow()
    db.execute(
        """UPDATE sources SET last_ok_at = ?, last_attempt_at = ?, consecutive_failures = 0,
               items_total = items_total + ?, last_item_count = ?
           WHERE id = ?""",
        [at, at, new_items, items_seen, source_id],
    )


def record_failure(db: Database, source_id: str, error: str, items_seen: int = 0,
                   new_items: int = 0, at: str | None = None) -> None:
    at = at or utcnow()
    db.execute(
        """UPDATE sources SET last_error = ?, last_error_at = ?, last_attempt_at = ?,
               consecutive_failures = consecutive_failures + 1,
               items_total = items_total + ?, last_item_count = ?
           WHERE id = ?""",
        [error[:1000], at, at, new_items, items_seen, source_id],
    )


def record_interrupted(db: Database, source_id: str, new_items: int = 0, at: str | None = None) -> None:
    """A crawl a stop signal cut short: an attempt, but neither a failure nor a success. The failure
    streak, last error and last item count (the 'went silent' baseline) are left as they were."""
    at = at or utcnow()
    db.execute(
        """UPDATE sources SET last_attempt_at = ?, items_total = items_total + ? WHERE id = ?""",
        [at, new_items, source_id],
    )


def previous_item_count(db: Database, source_id: str) -> int | None:
    row = db.execute("SELECT last_item_count FROM sources WHERE id = ?", [source_id]).fetchone()
    return row[0] if row else None


def last_ok_at(db: Database, source_id: str) -> str | None:
    row = db.execute("SELECT last_ok_at FROM sources WHERE id = ?", [source_id]).fetchone()
    return row[0] if row else None


def source_health(db: Database) -> list[dict]:
    """All sources with their health, worst first."""
    cursor = db.execute(
        """SELECT id, name, type, tier, url, last_ok_at, last_error, last_error_at,
                  consecutive_failures, items_total, last_attempt_at, last_item_count
           FROM sources ORDER BY consecutive_failures DESC, id""")
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row)) for row in cursor.fetchall()]
