"""Queue notifications in the archive and deliver what is owed, channel by channel.

A notification is recorded once (with a pending delivery per subscribed channel) and then
delivered; a failed delivery stays pending with its error and is retried by the next `watch` or
`run`, for notifications of the last RETRY_DAYS days. One channel failing, slow or rate-limited
never stops the others: every delivery is tried on its own, and errors are recorded, not raised.
Error texts never hold a secret (they name the channel and host; any secret value that a service
echoed back is blanked before it is stored or logged).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import timedelta

from crackdown.archive import notifications, runs
from crackdown.config import Config
from crackdown.config_notify import NotifyConfig
from reports.notify import sender
from reports.notify.base import DeliveryError, Message
from reports.notify.messages import brief_message, trial_message, wants, wave_message

log = logging.getLogger(__name__)

RETRY_DAYS = 2
# Seconds between two messages to the same channel in one run: the services' documented rates
# (Slack ~1/s per webhook, DingTalk and WeCom 20/min per robot, Telegram ~1/s per chat,
# Feishu 5/s, Teams 4/s).
SPACING = {"slack": 1.0, "dingtalk": 3.0, "wecom": 3.0, "telegram": 1.0, "feishu": 0.2,
           "teams": 0.25, "webhook": 0.0}


@dataclass
class DeliveryReport:
    sent: list[tuple[str, str, str]] = field(default_factory=list)    # (channel, kind, key)
    failed: dict[str, str] = field(default_factory=dict)              # channel → last error
    superseded: int = 0


def channel_language(config: Config, channel: NotifyConfig) -> str:
    return channel.language or config.brief.language


def subscribers(config: Config, kind: str, facts: dict) -> list[str]:
    return [c.id for c in config.notify if c.enabled and wants(c, kind, facts)]


def queue(db, config: Config, kind: str, key: str, date: str, facts: dict) -> int | None:
    """Record a notification for every channel that takes it (None: announced before, or no
    channel takes it)."""
    channels = subscribers(config, kind, facts)
    if not channels:
        return None
    return notifications.create(db, kind, key, date, facts, channels)


def build_message(config: Config, channel: NotifyConfig, kind: str, facts: dict) -> Message:
    lang = channel_language(config, channel)
    topics = list(config.topics)
    if kind == "wave_start":
        return wave_message(facts, lang, topics)
    if kind == "brief":
        return brief_message(facts, lang, topics, channel)
    return trial_message(channel, lang)


def redact(text: str, channel: NotifyConfig) -> str:
    """`text` with every secret value of `channel` blanked (belt and braces: our own errors
    never include them, but a service might echo a token back)."""
    for name in (channel.url_env, channel.secret_env, channel.token_env):
        value = channel.env_value(name)
        if value and len(value) >= 4:
            text = text.replace(value, f"[${name}]")
    return text


def send_one(config: Config, channel: NotifyConfig, kind: str, facts: dict) -> None:
    """Build and send one message now; raises DeliveryError (already redacted)."""
    missing = channel.missing_secrets()
    if missing:
        raise DeliveryError(f"environment variable(s) {', '.join(missing)} not set for channel "
                            f"{channel.id}; export them where crackdown runs", permanent=True)
    try:
        sender(channel.type)(channel, build_message(config, channel, kind, facts))
    except DeliveryError as exc:
        raise DeliveryError(redact(str(exc), channel), exc.retry_after, exc.permanent) from None
    except Exception as exc:   # a bug or an odd reply must not stop the other channels
        raise DeliveryError(redact(f"{type(exc).__name__}: {exc}", channel)) from None


def deliver_pending(config: Config, db, today: Date, sleep=time.sleep) -> DeliveryReport:
    """Send every delivery still owed (notifications about the last RETRY_DAYS days)."""
    report = DeliveryReport()
    channels = {c.id: c for c in config.notify if c.enabled}
    since = (today - timedelta(days=RETRY_DAYS)).isoformat()
    last_sent: dict[str, float] = {}
    throttled: set[str] = set()
    for row in notifications.pending(db, since):
        channel = channels.get(row["channel"])
        if channel is None:
            continue   # removed or disabled in the config: left pending, never sent
        if row["kind"] == "wave_start" and runs.get_brief(db, row["date"]) is not None:
            notifications.mark_superseded(db, row["id"], channel.id, "the day's brief went out first")
            report.superseded += 1
            continue
        if channel.id in throttled:
            continue
        gap = SPACING.get(channel.type, 0.0) - (time.monotonic() - last_sent.get(channel.id, -1e9))
        if gap > 0:
            sleep(gap)
        try:
            send_one(config, channel, row["kind"], row["data"])
        except DeliveryError as exc:
            notifications.mark_failed(db, row["id"], channel.id, str(exc))
            report.failed[channel.id] = str(exc)
            log.warning("channel %s: %s %s not delivered: %s (retried by the next run)",
                        channel.id, row["kind"], row["key"], exc)
            if exc.retry_after:
                throttled.add(channel.id)
            continue
        finally:
            last_sent[channel.id] = time.monotonic()
        notifications.mark_sent(db, row["id"], channel.id)
        report.sent.append((channel.id, row["kind"], row["key"]))
        log.info("channel %s: %s %s delivered", channel.id, row["kind"], row["key"])
    return report


def announce_brief(config: Config, brief) -> None:
    """Queue the summary of a day's brief for the channels that take "brief" (once per date)."""
    from crackdown.archive import open_archive
    from reports.notify.messages import brief_facts, brief_link

    db = open_archive(config.archive.path)
    try:
        queue(db, config, "brief", brief.date, brief.date,
              brief_facts(brief, brief_link(config.brief, brief.date)))
    finally:
        db.close()


def deliver_now(config: Config, today: Date) -> DeliveryReport:
    from crackdown.archive import open_archive

    db = open_archive(config.archive.path)
    try:
        return deliver_pending(config, db, today)
    finally:
        db.close()
