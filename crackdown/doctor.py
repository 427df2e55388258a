"""`crackdown doctor`: checks that say what to fix."""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import stat
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
    checks.append(_last_run(config))
    checks.append(_model(config))
    checks += _empty_sources(config)
    browser_sources = [s.id for s in config.sources if s.enabled and s.type == "browser"]
    if browser_sources:
        checks.append(_browser(config, browser_sources))
    from crackdown.doctor_notify import notify_checks

    checks += notify_checks(config)
    if network:
        if config.email.enabled:
            checks.append(_smtp(config))
        else:
            checks.append(Check("smtp", True, "[email] enabled = false: briefs are stored, not sent"))
        checks += [_reachable(s.id, s.url) for s in config.sources if s.enabled]
    return checks


def _archive(config: Config) -> Check:
    """Integrity, writability and permissions, read-only: the doctor never creates or migrates."""
    import sqlite3

    path = Path(config.archive.path)
    if not path.exists():
        folder = next((p for p in path.parents if p.exists()), Path("/"))
        if not os.access(folder, os.W_OK):
            return Check("archive", False, f"{path} does not exist and {folder} is not writable; "
                                           "create the folder or change [archive] path")
        return Check("archive", True, f"{path} does not exist yet; the first `crackdown run` "
                                      "creates it")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
            posts = db.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error as exc:
        return Check("archive", False, f"{path} cannot be read as an archive ({exc}); restore a "
                                       "backup or point [archive] path at the right file")
    if result != "ok":
        return Check("archive", False, f"{path} integrity check failed: {result}. Restore a backup "
                                       "or `sqlite3 archive.db .recover`")
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return Check("archive", False, f"{path} or its folder is read-only; runs cannot record "
                                       f"anything: fix the permissions (owner {path.owner()})")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Check("archive", False, f"{path} is readable by other users (mode {mode:04o}); "
                                       f"run `chmod 600 {path}`")
    return Check("archive", True, f"{path}: {posts} posts, integrity ok, owner-only")


def _last_run(config: Config) -> Check:
    """What the last `crackdown run` left: a killed run, a failure to fix, or fine."""
    import sqlite3

    from sqlite_utils import Database

    from crackdown.archive import runs
    from crackdown.lock import lock_holder, lock_path

    path = Path(config.archive.path)
    holder = lock_holder(lock_path(path))
    if holder:
        return Check("last run", True, f"a run is in progress (pid {holder})")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            last = runs.last_run(Database(db))
        finally:
            db.close()
    except sqlite3.Error:
        last = None   # no archive yet, or the archive check above already says what is wrong
    if last is None:
        return Check("last run", True, "no `crackdown run` recorded yet")
    when = f"run {last['id']} started {last['started_at']}"
    if last["status"] in ("running", "interrupted"):
        return Check("last run", False, f"{when} was killed or stopped before finishing; the next "
                                        "`crackdown run` completes its work")
    if last["status"] == "failed":
        return Check("last run", False, f"{when} failed: {last['error']}")
    return Check("last run", True, f"{when}: {last['status']}")


def _empty_sources(config: Config) -> list[Check]:
    """Sources whose list loads but has held nothing for several runs (crackdown/source_check.py)."""
    import sqlite3

    from sqlite_utils import Database

    from crackdown.source_check import empty_sources

    path = Path(config.archive.path)
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = empty_sources(Database(db), config)
        finally:
            db.close()
    except sqlite3.Error:
        return []   # no archive yet, or one from before migration 1500: nothing to say
    return [Check(f"source {f.source_id}", False, f.explain(with_id=False)) for f in found]


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


def _browser(config: Config, source_ids: list[str]) -> Check:
    """Chromium and scrapy-playwright for `type = "browser"` sources (other sources never need them)."""
    import subprocess

    from crawlers.browser_support import browser_problem, find_chromium

    problem = browser_problem(config)
    if problem:
        return Check("browser", False, f"{problem}; sources {', '.join(source_ids)} cannot run "
                                       "(every other source still does)")
    path = find_chromium(config.crawl.chromium_path)
    try:
        version = subprocess.run([path, "--version"], capture_output=True, text=True,
                                 timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("browser", False, f"{path} does not run ({exc}); reinstall chromium")
    return Check("browser", True, f"{version or 'chromium'} at {path} for {', '.join(source_ids)}")


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
