"""The archive: one SQLite file, the only place that writes SQL.

Stages never share objects; they share this file. Open it with `open_archive(path)`; the
submodules (`sources`, `posts`, `tags`, `runs`, `briefs`, `queries`) are plain functions that take
the `sqlite_utils.Database` it returns.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

from crackdown.archive import schema

log = logging.getLogger(__name__)


class ArchiveError(Exception):
    """The archive cannot be opened or written; the message says what to do."""


def utcnow() -> str:
    """Current time as the archive stores it: ISO-8601 UTC, seconds precision, 'Z'-less offset."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def open_archive(path: Path | str, *, readonly: bool = False) -> Database:
    """Open (creating if needed) the archive at `path`, in WAL mode, schema up to date.

    A new file is created with owner-only permissions: it holds what a seller monitors.
    """
    path = Path(path)
    if readonly:
        if not path.exists():
            raise ArchiveError(f"no archive at {path}; run `crackdown crawl` first or pass --db")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        return Database(conn)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        db = Database(sqlite3.connect(str(path), timeout=30, isolation_level=None))
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        schema.apply(db)
    except (OSError, sqlite3.Error) as exc:
        raise ArchiveError(f"cannot open archive {path}: {exc}. Check that the folder exists, is "
                           "writable and has free space, or pass --db PATH") from exc
    return db
