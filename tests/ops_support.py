"""Helpers for the operations, fault and hostile-input tests: a shared trained model, configs
with ops settings, a measured CLI run, SMTP servers, fault-injecting process set-up.
"""

from __future__ import annotations

import ctypes
import os
import re
import resource
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import date as Date
from datetime import datetime, timezone
from pathlib import Path

from tests.conftest import REPO, write_config

# Training the classifier heads takes ~100 s on 2 cores; the model directory is named by a
# fingerprint of everything it was trained from, so every test can share one cache safely.
SHARED_MODEL_DIR = Path(os.environ.get("CRACKDOWN_TEST_MODEL_DIR",
                                       REPO / ".pytest_cache" / "crackdown-model"))

FEED_DAY = Date(2026, 11, 20)
FEED_PUBDATE = "Fri, 20 Nov 2026 10:00:00 +0000"


def wait_until(predicate, timeout: float, what: str) -> None:
    """Poll `predicate` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def ops_config(tmp_path: Path, sources: list[dict], *, crawl: dict | None = None,
               classify: dict | None = None, extra: str = "") -> Path:
    """`write_config` plus [crawl] overrides, the shared model cache and optional [classify] keys."""
    path = write_config(tmp_path, sources, extra)
    text = path.read_text(encoding="utf-8")
    for key, value in (crawl or {}).items():
        line = f"{key} = {_toml(value)}"
        text, n = re.subn(rf"(?m)^{key} = .*$", line, text, count=1)
        if not n:
            text = text.replace("[crawl]\n", f"[crawl]\n{line}\n", 1)
    text = re.sub(r'(?m)^model_dir = .*$', f'model_dir = "{SHARED_MODEL_DIR}"', text)
    for key, value in (classify or {}).items():
        text = text.replace("[classify]\n", f"[classify]\n{key} = {_toml(value)}\n", 1)
    path.write_text(text, encoding="utf-8")
    return path


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return f'"{value}"'


def rss(items: list[str], title: str = "Feed") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{title}'
            f"</title><link>http://127.0.0.1/</link>{''.join(items)}</channel></rss>")


def rss_item(base: str, slug: str, title: str, body: str = "", pubdate: str = FEED_PUBDATE,
             guid: str | None = None) -> str:
    """One RSS item; title and body are inserted as given (the caller escapes or not)."""
    return (f"<item><title>{title}</title><link>{base}/p/{slug}</link>"
            f"<guid isPermaLink=\"false\">{guid or slug}</guid><pubDate>{pubdate}</pubDate>"
            f"<description>{body}</description></item>")


def enforcement_items(base: str, prefix: str, count: int) -> list[str]:
    """Posts the classifier tags (review abuse, closures), so they reach the brief."""
    return [rss_item(base, f"{prefix}-{i}",
                     f"Amazon suspends seller accounts over fake reviews ({prefix} {i})",
                     f"Amazon suspended hundreds of seller accounts for review manipulation and "
                     f"froze their funds this week, report {prefix} number {i}.")
            for i in range(count)]


# Peak RSS is read from /proc/self/status (VmHWM, this process's own memory) rather than
# getrusage's ru_maxrss, which Linux carries across fork and exec: a child of a pytest process that
# has loaded models would report the parent's peak, not its own.
_MEASURE = """
import re, sys
from crackdown.cli import cli
code = 0
try:
    cli(sys.argv[1:], prog_name="crackdown")
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
finally:
    with open("/proc/self/status") as status:
        peak_kb = re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)
    print(f"MAXRSS_KB {peak_kb}", file=sys.stderr)
sys.exit(code)
"""


def run_measured(*args: str, env: dict | None = None, timeout: float = 300,
                 preexec_fn=None) -> tuple[subprocess.CompletedProcess, int]:
    """`crackdown ARGS` in a fresh interpreter; returns the result and its peak RSS in MB."""
    result = subprocess.run([sys.executable, "-c", _MEASURE, *args], cwd=REPO, capture_output=True,
                            text=True, timeout=timeout, env={**os.environ, **(env or {})},
                            preexec_fn=preexec_fn)
    match = re.search(r"MAXRSS_KB (\d+)", result.stderr)
    return result, int(match.group(1)) // 1024 if match else -1


def run_day_measured(config: Path, server) -> dict:
    """`crackdown run` for FEED_DAY without sending, timed and measured; then the server is closed
    and the archive opened. Returns result, elapsed (s), rss_mb and db (sqlite3, Row rows)."""
    started = time.monotonic()
    result, rss_mb = run_measured("--config", str(config), "run", "--date", FEED_DAY.isoformat(),
                                  "--no-send")
    elapsed = time.monotonic() - started
    server.close()
    db = sqlite3.connect(config.parent / "archive.db")
    db.row_factory = sqlite3.Row
    return {"result": result, "elapsed": elapsed, "rss_mb": rss_mb, "db": db}


def popen_cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "crackdown.cli", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drop_root_file_override() -> None:
    """preexec_fn: the child keeps uid 0 but loses CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH, so file
    permissions bind it as they bind a normal user (tests run as root in CI containers)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:   # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def limit_file_size(max_bytes: int):
    """preexec_fn factory: no file may grow past `max_bytes` (a full disk, as the writer sees it:
    Python ignores SIGXFSZ, so writes fail with EFBIG)."""
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return apply


def yesterday_utc() -> Date:
    return datetime.now(timezone.utc).date().fromordinal(datetime.now(timezone.utc).date().toordinal() - 1)
