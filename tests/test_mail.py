"""Sending the brief to a real aiosmtpd server on 127.0.0.1: STARTTLS, implicit TLS, plain; a
failed send followed by a successful retry; parsed back with the stdlib email parser."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from crackdown.archive import open_archive, runs
from crackdown.config import EmailConfig
from crackdown.run import MailFailure, send_pending
from reports.daily import make_brief
from reports.mail import MailError, build_message, send_message
from tests.test_brief_build import DAY, HandArchive, at

USER, PASSWORD = "brief-bot", "s3cret-from-env"


@pytest.fixture(scope="module")
def cert(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made for this test run."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(
                       [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def check_login(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


class SmtpServer:
    """aiosmtpd on 127.0.0.1 in one of the three modes the brief supports."""

    def __init__(self, mode: str, cert: tuple[Path, Path] | None = None, port: int | None = None):
        self.inbox = Inbox()
        self.port = port or free_port()
        kwargs: dict = {}
        if mode != "none":
            server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_ctx.load_cert_chain(*cert)
            if mode == "starttls":
                kwargs = {"tls_context": server_ctx, "require_starttls": True,
                          "authenticator": check_login, "auth_required": True}
            else:
                # implicit TLS: aiosmtpd does not know the socket is encrypted, so allow AUTH
                kwargs = {"ssl_context": server_ctx, "authenticator": check_login,
                          "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    def stop(self):
        self.controller.stop()


def client_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.load_verify_locations(cafile=str(cert[0]))
    return ctx


def email_cfg(port: int, security: str, username: str = "") -> EmailConfig:
    return EmailConfig(enabled=True, host="127.0.0.1", port=port, security=security,
                       username=username, password_env="CRACKDOWN_TEST_SMTP_PASSWORD",
                       from_addr="crackdown@example.com",
                       to=("seller@example.com", "partner@example.com"), timeout=10.0)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A hand-made archive with an English and a Chinese post, and the brief built for DAY."""
    arch = HandArchive(tmp_path_factory.mktemp("mail") / "archive.db")
    arch.add("bytes", "Aukey goes dark on Amazon.com", at(DAY, 9), {"store_closure": 0.9})
    arch.add("zhnews", "跨境电商“封号潮”来袭:深圳多家大卖被波及", at(DAY, 10), {"store_closure": 0.9},
             body="近一周来,亚马逊针对中国卖家的封号行动持续发酵。", lang="zh")
    rendered = make_brief(arch.config(), DAY)
    arch.db.close()
    return arch, rendered


def parse(raw: bytes):
    msg = message_from_bytes(raw, policy=email_policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p for p in msg.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert all(p.get_content_charset() == "utf-8" for p in parts.values())
    return msg, parts["text/plain"].get_content(), parts["text/html"].get_content()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_send_over_tls_with_login_from_environment(mode, cert, stored, monkeypatch):
    _, rendered = stored
    server = SmtpServer(mode, cert)
    try:
        cfg = email_cfg(server.port, mode, username=USER)
        monkeypatch.setenv("CRACKDOWN_TEST_SMTP_PASSWORD", PASSWORD)
        send_message(cfg, build_message(cfg, rendered.subject, rendered.html, rendered.text),
                     ssl_context=client_context(cert))
    finally:
        server.stop()
    [(sender, rcpts, raw)] = server.inbox.messages
    assert sender == "crackdown@example.com"
    assert rcpts == ["seller@example.com", "partner@example.com"]
    msg, text, html = parse(raw)
    assert msg["Subject"] == rendered.subject and msg["To"] == "seller@example.com, partner@example.com"
    assert text.replace("\r\n", "\n").rstrip() == rendered.text.rstrip()
    assert html.replace("\r\n", "\n").rstrip() == rendered.html.rstrip()
    assert "跨境电商“封号潮”来袭" in text and "近一周来,亚马逊" in html
    assert PASSWORD.encode() not in raw


def test_wrong_password_and_untrusted_certificate_are_errors_that_say_what_to_do(cert, stored,
                                                                                  monkeypatch):
    _, rendered = stored
    server = SmtpServer("starttls", cert)
    try:
        cfg = email_cfg(server.port, "starttls", username=USER)
        msg = build_message(cfg, rendered.subject, rendered.html, rendered.text)
        monkeypatch.setenv("CRACKDOWN_TEST_SMTP_PASSWORD", "wrong")
        with pytest.raises(MailError, match="CRACKDOWN_TEST_SMTP_PASSWORD"):
            send_message(cfg, msg, ssl_context=client_context(cert))
        monkeypatch.delenv("CRACKDOWN_TEST_SMTP_PASSWORD")
        with pytest.raises(MailError, match="set the environment variable"):
            send_message(cfg, msg, ssl_context=client_context(cert))
        monkeypatch.setenv("CRACKDOWN_TEST_SMTP_PASSWORD", PASSWORD)
        with pytest.raises(MailError, match="SSL|certificate"):
            send_message(cfg, msg)   # the default trust store does not know our certificate
    finally:
        server.stop()
    assert server.inbox.messages == []


def test_failed_send_is_stored_and_retried_by_the_next_send(tmp_path):
    arch = HandArchive(tmp_path / "archive.db")
    arch.add("bytes", "Aukey goes dark on Amazon.com", at(DAY, 9), {"store_closure": 0.9})
    nxt = DAY + timedelta(days=1)
    arch.add("wire", "Amazon defends review crackdown", at(nxt, 9), {"review_abuse": 0.9})
    port = free_port()
    config = replace(arch.config(), email=email_cfg(port, "none"))

    make_brief(config, DAY)
    with pytest.raises(MailFailure, match="stored but not sent.*retries it"):
        send_pending(config, DAY)                      # nobody listens on the port
    row = runs.get_brief(arch.db, DAY.isoformat())
    assert row["sent_at"] is None and "Connection refused" in row["send_error"]

    server = SmtpServer("none", port=port)
    try:
        make_brief(config, nxt)
        assert send_pending(config, nxt) == [DAY.isoformat(), nxt.isoformat()]  # oldest first
        assert send_pending(config, nxt) == []                                   # once per date
        assert send_pending(config, nxt, resend=True) == [nxt.isoformat()]
    finally:
        server.stop()
    subjects = [parse(raw)[0]["Subject"] for _, _, raw in server.inbox.messages]
    assert [s.split(":")[0] for s in subjects] == [f"Crackdown {DAY}", f"Crackdown {nxt}",
                                                   f"Crackdown {nxt}"]
    db = open_archive(arch.path)
    for day in (DAY, nxt):
        row = runs.get_brief(db, day.isoformat())
        assert row["sent_at"] and row["send_error"] is None
        assert row["recipients"] == "seller@example.com, partner@example.com"
    db.close()


def test_previewed_briefs_are_not_mailed_by_a_later_send(tmp_path):
    arch = HandArchive(tmp_path / "archive.db")
    config = replace(arch.config(), email=email_cfg(free_port(), "none"))
    earlier = DAY - timedelta(days=2)
    make_brief(config, earlier)             # `crackdown brief` without --send: only a preview
    make_brief(config, DAY)
    server = SmtpServer("none", port=config.email.port)
    try:
        assert send_pending(config, DAY) == [DAY.isoformat()]
    finally:
        server.stop()
    assert len(server.inbox.messages) == 1


def test_cli_brief_send_exit_code_and_retry(tmp_path, stored):
    from tests.conftest import run_cli, write_config

    arch = HandArchive(tmp_path / "archive.db")
    arch.add("bytes", "Aukey goes dark on Amazon.com", at(DAY, 9), {"store_closure": 0.9})
    arch.db.close()
    port = free_port()
    config = write_config(tmp_path, [], extra=(
        f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'from = "crackdown@example.com"\nto = ["seller@example.com"]\n'))
    args = ["--config", str(config), "brief", "--date", DAY.isoformat(), "--send",
            "--out", str(tmp_path / "b.html")]
    down = run_cli(*args)
    assert down.returncode == 3, down.stderr
    assert "stored but not sent" in down.stderr and "crackdown brief --send" in down.stderr
    server = SmtpServer("none", port=port)
    try:
        up = run_cli(*args)
        again = run_cli(*args)
    finally:
        server.stop()
    assert up.returncode == 0, up.stderr
    assert f"brief for {DAY} sent to seller@example.com" in up.stderr
    assert again.returncode == 0 and "sent already; use --resend" in again.stderr
    assert len(server.inbox.messages) == 1
