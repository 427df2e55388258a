"""`crackdown doctor` against real servers: SMTP login accepted or refused by aiosmtpd, a source
on a closed local port, a missing model, a broken or exposed archive; each failure says what to fix."""

from __future__ import annotations

import os
import sqlite3

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from crackdown.config import load_config
from crackdown.doctor import run_checks
from tests.conftest import run_cli
from tests.ops_support import free_port, ops_config

USER, PASSWORD, ENV = "doctor-bot", "Doc-93be1f-secret", "CRACKDOWN_DOCTOR_TEST_PASSWORD"

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class Sink:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    # handled=False: aiosmtpd answers 535 itself on failure
    ok = (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def smtp_port():
    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, authenticator=authenticate,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    yield port
    controller.stop()


def doctor_config(tmp_path, smtp_port: int, sources=(), model: str | None = None):
    email = (f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
             f'username = "{USER}"\npassword_env = "{ENV}"\nfrom = "c@example.com"\n'
             'to = ["s@example.com"]\n')
    path = ops_config(tmp_path, list(sources), extra=email,
                      classify={"model": model} if model else None)
    return load_config(path)


def checks_by_name(config) -> dict:
    return {c.name: c for c in run_checks(config, network=True)}


def test_smtp_login_accepted(tmp_path, smtp_port, monkeypatch):
    monkeypatch.setenv(ENV, PASSWORD)
    check = checks_by_name(doctor_config(tmp_path, smtp_port))["smtp"]
    assert check.ok and "login" in check.detail


def test_smtp_login_refused_names_what_to_check(tmp_path, smtp_port, monkeypatch):
    monkeypatch.setenv(ENV, "not-the-password")
    check = checks_by_name(doctor_config(tmp_path, smtp_port))["smtp"]
    assert not check.ok and "login refused" in check.detail and ENV in check.detail
    assert "not-the-password" not in check.detail


def test_smtp_password_missing_says_which_variable(tmp_path, smtp_port, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    check = checks_by_name(doctor_config(tmp_path, smtp_port))["smtp"]
    assert not check.ok and f"set ${ENV}" in check.detail


def test_smtp_down(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, PASSWORD)
    check = checks_by_name(doctor_config(tmp_path, free_port()))["smtp"]
    assert not check.ok and "unreachable" in check.detail


def test_source_on_a_closed_port_and_missing_model_via_the_cli(tmp_path, smtp_port):
    closed = free_port()
    config = doctor_config(tmp_path, smtp_port, model=str(tmp_path / "no-model"), sources=[
        {"id": "gone", "name": "Gone", "type": "feed", "url": f"http://127.0.0.1:{closed}/feed"}])
    result = run_cli("--config", str(config.path), "doctor", env={ENV: PASSWORD})
    assert result.returncode == 3
    lines = result.stdout.splitlines()
    assert any(line.startswith("[FAIL] source gone:") and f"127.0.0.1:{closed}" in line
               and "check the URL" in line for line in lines)
    assert any(line.startswith("[FAIL] model:") and "local path" in line for line in lines)
    assert any(line.startswith("[ok] smtp:") for line in lines)
    assert any(line.startswith("[ok] archive:") for line in lines)
    assert PASSWORD not in result.stdout + result.stderr


def test_archive_problems_say_what_to_fix(tmp_path, smtp_port):
    config = doctor_config(tmp_path, smtp_port)
    archive = config.archive.path
    archive.write_bytes(b"this is not a database" * 100)
    check = checks_by_name(config)["archive"]
    assert not check.ok and "restore a backup" in check.detail

    archive.unlink()
    sqlite3.connect(archive).execute("CREATE TABLE posts (id INTEGER)").connection.commit()
    archive.chmod(0o644)
    check = checks_by_name(config)["archive"]
    assert not check.ok and f"chmod 600 {archive}" in check.detail
    archive.chmod(0o600)
    assert checks_by_name(config)["archive"].ok


def test_last_run_says_whether_a_run_was_killed_failed_or_is_running(tmp_path, smtp_port):
    from crackdown.archive import open_archive, runs
    from crackdown.lock import RunLock, lock_path

    config = doctor_config(tmp_path, smtp_port)
    assert checks_by_name(config)["last run"].detail.startswith("no `crackdown run`")
    db = open_archive(config.archive.path)
    killed = runs.start_run(db, "run")   # left 'running' by a process that is gone
    check = checks_by_name(config)["last run"]
    assert not check.ok and f"run {killed}" in check.detail and "completes its work" in check.detail

    with RunLock(lock_path(config.archive.path)):
        check = checks_by_name(config)["last run"]
        assert check.ok and f"pid {os.getpid()}" in check.detail

    runs.finish_run(db, killed, "failed", {}, "archive write failed: disk I/O error")
    check = checks_by_name(config)["last run"]
    assert not check.ok and "disk I/O error" in check.detail
    runs.finish_run(db, runs.start_run(db, "run"), "ok", {})
    db.close()
    assert checks_by_name(config)["last run"].ok
