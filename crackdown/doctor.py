"""`crackdown doctor`: checks that say what to fix."""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from crackdown.config import Config


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def run_checks(config: Config, network: bool = True) -> list[Check]:
    checks = [Check("config", True, f"{config.path}: {len(config.sources)} sources, "
                                    f"{len(config.topics)} topics")]
    checks.append(_archive(config))
    checks.append(_model(config))
    if network:
        if config.email.enabled:
            checks.append(_smtp(config))
        checks += [_reachable(s.id, s.url) for s in config.sources if s.enabled]
    return checks


def _archive(config: Config) -> Check:
    from crackdown.archive import ArchiveError, open_archive

    path = Path(config.archive.path)
    try:
        db = open_archive(path)
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
        posts = db.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
        db.close()
    except ArchiveError as exc:
        return Check("archive", False, str(exc))
    if result != "ok":
        return Check("archive", False, f"{path} integrity check failed: {result}. Restore a backup "
                                       "or `sqlite3 archive.db .recover`")
    return Check("archive", True, f"{path}: {posts} posts, integrity ok")


def _model(config: Config) -> Check:
    from classify.encoder import ModelUnavailable, resolve_model

    try:
        location = resolve_model(config.classify.model)
    except ModelUnavailable as exc:
        return Check("model", False, str(exc))
    if Path(location).exists() or config.classify.model != location:
        return Check("model", True, f"{config.classify.model} at {location}")
    return Check("model", False, f"{location!r} is not a local directory; the hub is not reachable "
                                 "offline: use the packaged model or a local path")


def _smtp(config: Config) -> Check:
    cfg = config.email
    try:
        if cfg.security == "ssl":
            smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=10,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=10)
        with smtp:
            smtp.ehlo()
            if cfg.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if cfg.username:
                if not cfg.password():
                    return Check("smtp", False, f"set ${cfg.password_env} for {cfg.username}")
                smtp.login(cfg.username, cfg.password())
    except smtplib.SMTPAuthenticationError as exc:
        return Check("smtp", False, f"login refused ({exc.smtp_code}); check username and "
                                    f"${cfg.password_env}")
    except (smtplib.SMTPException, OSError) as exc:
        return Check("smtp", False, f"{cfg.host}:{cfg.port} unreachable: {exc}")
    return Check("smtp", True, f"{cfg.host}:{cfg.port} ({cfg.security}) accepts us"
                               + (" and the login" if cfg.username else ""))


def _reachable(source_id: str, url: str) -> Check:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=5):
            pass
    except OSError as exc:
        return Check(f"source {source_id}", False, f"cannot connect to {parts.hostname}:{port} "
                                                   f"({exc}); check the URL or the network")
    return Check(f"source {source_id}", True, f"{parts.hostname}:{port} reachable")
