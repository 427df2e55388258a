"""Chat notifications: what was announced, its delivery per channel, and the waves alerted.

`notifications` holds one row per thing announced (kind "wave_start" keyed by date, topic and
marketplaces; kind "brief" keyed by date) with its facts as JSON; `notification_deliveries` one
row per notification × channel: status "pending" (with the last error when an attempt failed,
retried by the next run), "sent", or "superseded" (a wave alert still owed when that day's brief
went out). `wave_alerts` has one row per (date, topic, marketplace) alerted; marketplace "*" is
a topic-wide wave that named none.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from crackdown.archive import utcnow

ANY_MARKET = "*"


def alerted_markets(db: Database, date: str, topic: str) -> set[str]:
    return {r[0] for r in db.execute(
        "SELECT marketplace FROM wave_alerts WHERE date = ? AND topic = ?", [date, topic])}


def create(db: Database, kind: str, key: str, date: str, data: dict,
           channels: list[str]) -> int | None:
    """Record a notification and a pending delivery per channel; None when (kind, key) exists
    already (it was announced before)."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO notifications (kind, key, date, created_at, data) "
        "VALUES (?, ?, ?, ?, ?)", [kind, key, date, utcnow(), json.dumps(data, ensure_ascii=False)])
    if not cursor.rowcount:
        return None
    nid = cursor.lastrowid
    for channel in channels:
        db.execute("INSERT INTO notification_deliveries (notification_id, channel) VALUES (?, ?)",
                   [nid, channel])
    return nid


def record_wave(db: Database, date: str, topic: str, markets: list[str], notification_id: int,
                posts: int, expected: float, p_value: float) -> None:
    for market in markets:
        db.execute("INSERT OR IGNORE INTO wave_alerts (date, topic, marketplace, notification_id, "
                   "detected_at, posts, expected, p_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [date, topic, market, notification_id, utcnow(), posts, expected, p_value])


def pending(db: Database, since_date: str) -> list[dict]:
    """Deliveries still owed for notifications about `since_date` or later, oldest first."""
    cursor = db.execute(
        """SELECT n.id, n.kind, n.key, n.date, n.data, d.channel, d.attempts
           FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id
           WHERE d.status = 'pending' AND n.date >= ? ORDER BY n.id, d.channel""", [since_date])
    cols = [c[0] for c in cursor.description]
    rows = [dict(zip(cols, r)) for r in cursor.fetchall()]
    for r in rows:
        r["data"] = json.loads(r["data"])
    return rows


def mark_sent(db: Database, notification_id: int, channel: str) -> None:
    db.execute("UPDATE notification_deliveries SET status = 'sent', sent_at = ?, error = NULL, "
               "attempts = attempts + 1, last_attempt_at = ? WHERE notification_id = ? AND "
               "channel = ?", [utcnow(), utcnow(), notification_id, channel])


def mark_failed(db: Database, notification_id: int, channel: str, error: str) -> None:
    db.execute("UPDATE notification_deliveries SET error = ?, attempts = attempts + 1, "
               "last_attempt_at = ? WHERE notification_id = ? AND channel = ?",
               [error[:1000], utcnow(), notification_id, channel])


def mark_superseded(db: Database, notification_id: int, channel: str, why: str) -> None:
    db.execute("UPDATE notification_deliveries SET status = 'superseded', error = ? "
               "WHERE notification_id = ? AND channel = ?", [why, notification_id, channel])


def deliveries(db: Database, kind: str | None = None) -> list[dict]:
    """Every delivery with its notification (newest first): for `notify status` and tests."""
    where, args = ("WHERE n.kind = ?", [kind]) if kind else ("", [])
    cursor = db.execute(
        f"""SELECT n.id, n.kind, n.key, n.date, d.channel, d.status, d.attempts, d.sent_at, d.error
            FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id
            {where} ORDER BY n.id DESC, d.channel""", args)
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, r)) for r in cursor.fetchall()]
