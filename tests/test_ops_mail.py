"""Sending under cron against a real aiosmtpd server with AUTH: SMTP down, login refused, sent
once per date however often `run` runs, missed days caught up; the password never leaks."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.conftest import FixtureServer, run_cli
from tests.ops_support import free_port, ops_config, rss, rss_item, yesterday_utc

USER = "crackdown-bot"
PASSWORD = "Pw-7f3c91e2-do-not-leak"
WRONG_PASSWORD = "Wrong-5d0aa8b4-do-not-leak"
PASSWORD_ENV = "CRACKDOWN_TEST_SMTP_PASSWORD"

# plain-text AUTH is what this local test server is for; aiosmtpd rightly warns about it
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class Mailbox:
    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


def smtp_server(port: int) -> tuple[Controller, Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=authenticate,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    return controller, box


def brief_date_of(msg) -> str:
    return re.search(r"\d{4}-\d{2}-\d{2}", msg["Subject"]).group(0)


@pytest.fixture(scope="module")
def mail_story(tmp_path_factory):
    """One archive through the life of a cron job; each step's result is kept for the tests."""
    tmp = tmp_path_factory.mktemp("mail")
    http = FixtureServer()
    http.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    first_day = yesterday_utc() - timedelta(days=2)
    days = [first_day + timedelta(days=i) for i in range(3)]
    items = [rss_item(http.base, f"d{n}-{i}", f"Amazon suspends seller accounts over fake reviews "
                      f"day {n} story {i}", "Amazon suspended seller accounts for review abuse.",
                      pubdate=f"{d.strftime('%a, %d %b %Y')} 09:00:00 +0000")
             for n, d in enumerate(days) for i in range(3)]
    http.add("/feed", rss(items), headers={"ETag": '"v1"'})   # cacheable: the cache's modes are checked
    port = free_port()
    config = ops_config(tmp, [{"id": "news", "name": "News", "type": "feed", "url": http.base + "/feed"}],
                        extra=f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\n'
                              f'security = "none"\nusername = "{USER}"\npassword_env = "{PASSWORD_ENV}"\n'
                              'from = "crackdown@example.com"\nto = ["seller@example.com"]\n')
    log_file = tmp / "crackdown.log"
    base = ["--config", str(config), "-vv", "--log-file", str(log_file)]
    good, wrong = {PASSWORD_ENV: PASSWORD}, {PASSWORD_ENV: WRONG_PASSWORD}
    day = days[0].isoformat()
    steps: dict = {"days": [d.isoformat() for d in days], "log_file": log_file,
                   "archive": tmp / "archive.db"}
    steps["smtp_down"] = run_cli(*base, "run", "--date", day, env=good)
    controller, box = smtp_server(port)
    try:
        steps["login_refused"] = run_cli(*base, "run", "--date", day, env=wrong)
        steps["mails_after_refused"] = len(box.messages)
        steps["sent"] = run_cli(*base, "run", "--date", day, env=good)
        steps["again"] = run_cli(*base, "run", "--date", day, env=good)
        steps["mails_after_again"] = len(box.messages)
        steps["catch_up"] = run_cli(*base, "run", env=good)
        steps["caught_up"] = run_cli(*base, "run", env=good)
    finally:
        controller.stop()
        http.close()
    steps["mailbox"] = box.messages
    return steps


def test_smtp_down_stores_the_brief_unsent_and_exits_3(mail_story):
    result = mail_story["smtp_down"]
    assert result.returncode == 3
    assert "stored but not sent" in result.stderr
    db = sqlite3.connect(mail_story["archive"])
    statuses = [r[0] for r in db.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses[0] == "failed"
    error = db.execute("SELECT error FROM runs ORDER BY id LIMIT 1").fetchone()[0]
    assert "not sent" in error


def test_login_refused_exits_3_and_says_what_to_check(mail_story):
    result = mail_story["login_refused"]
    assert result.returncode == 3
    assert "refused" in result.stderr and PASSWORD_ENV in result.stderr
    assert mail_story["mails_after_refused"] == 0


def test_a_date_is_sent_once_however_often_run_runs(mail_story):
    assert mail_story["sent"].returncode == 0, mail_story["sent"].stderr
    assert mail_story["again"].returncode == 0
    assert mail_story["mails_after_again"] == 1
    first = mail_story["mailbox"][0]
    assert brief_date_of(first) == mail_story["days"][0]
    assert first.is_multipart() and first["To"] == "seller@example.com"


def test_missed_days_are_caught_up_in_order_and_only_once(mail_story):
    assert mail_story["catch_up"].returncode == 0, mail_story["catch_up"].stderr
    assert mail_story["caught_up"].returncode == 0
    assert [brief_date_of(m) for m in mail_story["mailbox"]] == mail_story["days"]
    db = sqlite3.connect(mail_story["archive"])
    sent = dict(db.execute("SELECT date, sent_at IS NOT NULL FROM briefs"))
    assert all(sent[d] for d in mail_story["days"])


def test_the_password_never_reaches_logs_archive_or_mail(mail_story):
    outputs = [mail_story[k] for k in ("smtp_down", "login_refused", "sent", "again", "catch_up",
                                       "caught_up")]
    texts = [o.stdout + o.stderr for o in outputs]
    texts.append(mail_story["log_file"].read_text(encoding="utf-8"))
    texts += [m.as_string() for m in mail_story["mailbox"]]
    archive = mail_story["archive"]
    blobs = [p.read_bytes() for p in archive.parent.glob(archive.name + "*")]
    for secret in (PASSWORD, WRONG_PASSWORD):
        assert not any(secret in t for t in texts)
        assert not any(secret.encode() in b for b in blobs)
    # -vv really logged the SMTP conversation's neighbourhood (the grep is not vacuous)
    assert "run finished with exit code 0" in texts[-len(mail_story["mailbox"]) - 1]


def test_archive_lock_log_and_http_cache_are_owner_only(mail_story):
    archive = mail_story["archive"]
    for path in (archive, archive.with_name(archive.name + ".lock"), mail_story["log_file"]):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    cached = [p for p in (archive.parent / "httpcache").rglob("*")]
    assert cached, "the crawl should have cached the feed"
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in cached)


def test_a_password_in_the_config_file_is_refused(tmp_path):
    config = ops_config(tmp_path, [], extra='[email]\npassword = "hunter2"\n')
    result = run_cli("--config", str(config), "run", "--no-send")
    assert result.returncode == 2 and "password" in result.stderr


def _other_interface_address() -> str | None:
    """An address of this host that is not loopback (None when the host has none)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))   # no packet is sent: this only picks a route
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_demo_server_binds_loopback_only():
    import socket

    from crawlers.demo_site.site import DemoServer

    with DemoServer() as server:
        host, port = server.httpd.server_address[:2]
        assert host == "127.0.0.1"
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        other = _other_interface_address()
        if other is None:
            pytest.skip("this host has no non-loopback IPv4 address to probe")
        with pytest.raises(OSError):
            socket.create_connection((other, port), timeout=5).close()
