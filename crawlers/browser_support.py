"""What `type = "browser"` sources need around the browser, without importing Playwright: finding
Debian's Chromium, the launch flags this machine needs, the Scrapy settings of a browser crawler,
the memory its processes use, and reaping any that outlive the crawl.

Playwright itself is imported only by crawlers/spiders/browser.py and by scrapy-playwright's
download handler, and only in a crawl that has a browser source to run. Nothing here downloads a
browser: `playwright install` is never run; the Chromium is the system's (`apt-get install
chromium`) or the one `[crawl] chromium_path` names.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import signal
from pathlib import Path

from crackdown.config import Config, SourceConfig

log = logging.getLogger(__name__)

# Debian's /usr/bin/chromium is a shell launcher (it sources /etc/chromium.d and execs this
# binary); launching the binary directly keeps the process tree one level shallower.
_CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome")
LAUNCH_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                # no crash handler process that could outlive the browser
                "--disable-breakpad", "--disable-crash-reporter", "--disable-dev-shm-usage",
                "--renderer-process-limit=1"]
BLOCKED_RESOURCES = frozenset({"image", "font", "media"})
INSTALL_HINT = "install it with `apt-get install chromium` or set [crawl] chromium_path"


def find_chromium(configured: str = "") -> str | None:
    """The Chromium executable to launch: the configured path, else the first one found."""
    if configured:
        path = Path(configured).expanduser()
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    for candidate in _CANDIDATES:
        found = candidate if Path(candidate).is_absolute() and os.access(candidate, os.X_OK) \
            else shutil.which(candidate)
        if found:
            return found
    return None


def browser_problem(config: Config) -> str | None:
    """Why browser sources cannot run on this machine, or None when they can."""
    if importlib.util.find_spec("scrapy_playwright") is None:
        return ("browser unavailable: the scrapy-playwright package is not installed; "
                "`pip install -e .` installs it")
    if find_chromium(config.crawl.chromium_path) is None:
        where = (f"[crawl] chromium_path {config.crawl.chromium_path!r} is not an executable file"
                 if config.crawl.chromium_path else "no Chromium found on this machine")
        return f"browser unavailable: {where}; {INSTALL_HINT}"
    return None


def block_heavy(request) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: images, fonts and media are never fetched (text is all we read)."""
    return request.resource_type in BLOCKED_RESOURCES


def browser_settings(config: Config, source: SourceConfig, cdp_url: str) -> dict:
    """Per-crawler settings of a browser source: its own Playwright download handler (so other
    sources' crawlers never load Playwright) connected to the crawl's one shared Chromium
    (crawlers/browser_process.py), one page at a time, a timeout per page."""
    crawl = config.crawl
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    # The page's own timeout, plus the load-more rounds, bound the whole download.
    rounds_s = source.load_more_rounds * min(5.0, crawl.browser_timeout)
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_CDP_URL": cdp_url,
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 1,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": crawl.browser_timeout * 1000,
        "PLAYWRIGHT_ABORT_REQUEST": block_heavy,
        "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": False,
        "CONCURRENT_REQUESTS": 1,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_TIMEOUT": crawl.browser_timeout + rounds_s + 5,
    }


def _children() -> dict[int, int]:
    """pid → parent pid of every process on the machine (Linux /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields start after the last ')'
        parents[int(entry.name)] = int(stat[stat.rfind(")") + 2:].split()[1])
    return parents


def descendants(pid: int | None = None) -> list[int]:
    """Every process started (directly or not) by `pid` (default: this process)."""
    root = os.getpid() if pid is None else pid
    parents = _children()
    found, frontier = [], [root]
    while frontier:
        current = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


def children_memory_mb() -> float:
    """Memory of this process's descendants (the Playwright driver and Chromium), in MB, as
    proportional set size: Chromium's processes share most of their pages (the 300 MB binary),
    and summing their RSS counted the same pages up to ten times."""
    total_kb = 0
    for pid in descendants():
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
                    break
        except (OSError, ValueError):
            continue
    return total_kb / 1024


def browser_processes(pid: int | None = None) -> list[int]:
    """Descendants of `pid` (default: this process) that are Chromium or the Playwright driver."""
    found = []
    for child in descendants(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").lower()
        except OSError:
            continue
        if b"chrom" in cmdline or b"playwright" in cmdline:
            found.append(child)
    return found


def reap_children() -> int:
    """Kill the browser processes the crawl started and left running (a browser whose driver was
    cut off); returns how many it had to kill. Called after every crawl with browser sources."""
    leftover = browser_processes()
    for pid in leftover:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        log.warning("killed process %d left behind by the browser", pid)
    return len(leftover)
