"""`crackdown doctor` for chat channels: each [[notify]] channel's settings, secrets and last
delivery, checked without sending anything (`crackdown notify test ID` sends)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from crackdown.config import Config
from crackdown.config_notify import NotifyConfig

# Where each service's webhooks live; another host is allowed (proxies, Lark, tests) but noted.
USUAL_HOSTS = {"slack": ("hooks.slack.com",), "teams": (".webhook.office.com", ".logic.azure.com",
                                                       ".powerplatform.com"),
               "feishu": ("open.feishu.cn", "open.larksuite.com"), "dingtalk": ("oapi.dingtalk.com",),
               "wecom": ("qyapi.weixin.qq.com",), "telegram": ("api.telegram.org",)}


def notify_checks(config: Config) -> list:
    from crackdown.doctor import Check

    failures = _last_failures(Path(config.archive.path))
    checks = []
    for ch in config.notify:
        name = f"notify {ch.id}"
        if not ch.enabled:
            checks.append(Check(name, True, f"{ch.type}, enabled = false: nothing is sent"))
            continue
        problem = _problem(ch)
        if problem:
            checks.append(Check(name, False, problem))
        elif ch.id in failures:
            checks.append(Check(name, False, f"{ch.type}: the last delivery failed and is retried by "
                                              f"the next run: {failures[ch.id]}"))
        else:
            checks.append(Check(name, True, f"{ch.type} for {', '.join(ch.events)}{_host_note(ch)}; "
                                            f"`crackdown notify test {ch.id}` sends a test"))
    return checks


def _problem(ch: NotifyConfig) -> str:
    missing = ch.missing_secrets()
    if missing:
        return (f"environment variable(s) {', '.join(missing)} not set: export them where "
                "crackdown runs (cron/systemd environment file)")
    url = ch.endpoint()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        var = f"${ch.url_env}" if ch.url_env else "url"
        return f"{var} is not an http(s) URL; paste the webhook URL the service gave you"
    if ch.type == "dingtalk" and "access_token=" not in url:
        return f"${ch.url_env} has no access_token= parameter; copy the robot's whole webhook URL"
    if ch.type == "wecom" and "key=" not in url:
        return f"${ch.url_env} has no key= parameter; copy the robot's whole webhook URL"
    return ""


def _host_note(ch: NotifyConfig) -> str:
    host = urlsplit(ch.endpoint()).hostname or ""
    usual = USUAL_HOSTS.get(ch.type, ())
    if usual and not any(host == u or (u.startswith(".") and host.endswith(u)) for u in usual):
        return f" (host {host}, not the usual {usual[0].lstrip('.')})"
    return ""


def _last_failures(path: Path) -> dict[str, str]:
    """Channel → error of its newest delivery still pending after a failed attempt."""
    from crackdown.archive import ArchiveError, notifications, open_archive

    if not path.exists():
        return {}
    try:
        db = open_archive(path, readonly=True)
        try:
            rows = notifications.deliveries(db)
        finally:
            db.close()
    except (ArchiveError, sqlite3.Error):   # an archive from before notifications existed
        return {}
    out: dict[str, str] = {}
    for r in rows:
        if r["status"] == "pending" and r["error"] and r["channel"] not in out:
            out[r["channel"]] = r["error"]
    return out
