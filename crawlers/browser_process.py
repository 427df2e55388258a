"""The one Chromium a crawl shares between its browser sources, started by the crawl and tied to it.

scrapy-playwright launches a browser per crawler, and a crawl has one crawler per source: three
browser sources meant three Chromiums (~500 MB each, measured). Instead the runner starts one
here and every browser crawler connects to it over the DevTools protocol (PLAYWRIGHT_CDP_URL).

Because this module starts it, the browser cannot outlive the crawl:
- normal end, SIGTERM, an exception: `SharedChromium.stop()` runs in the runner's `finally`;
- the crawl process killed outright (SIGKILL, OOM killer): the kernel sends Chromium SIGKILL too
  (PR_SET_PDEATHSIG), and its helper processes exit when their browser does;
- its temporary profile is deleted on stop, or by the next crawl if this one was killed.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from crawlers.browser_support import LAUNCH_FLAGS

log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1
_DEVTOOLS = re.compile(r"DevTools listening on (ws://\S+)")


_PROFILE_PREFIX = "crackdown-chromium-"


def _remove_orphaned_profiles() -> None:
    """Temporary profiles of crawls that were killed outright (no `stop()` ran): their crawl's pid,
    in the folder name, is gone. Profiles of crawls still running are left alone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_PROFILE_PREFIX}*"):
        pid = folder.name[len(_PROFILE_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


class BrowserStartError(RuntimeError):
    """Chromium did not start; the message carries its last words."""


def _die_with_parent() -> None:   # runs in the child between fork and exec
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class SharedChromium:
    """`with SharedChromium(path, memory_mb) as browser:` … `browser.ws_url` for PLAYWRIGHT_CDP_URL."""

    def __init__(self, executable: str, memory_mb: int, start_timeout: float = 30.0):
        self.executable, self.memory_mb, self.start_timeout = executable, memory_mb, start_timeout
        self.process: subprocess.Popen | None = None
        self.profile = ""
        self.ws_url = ""

    def start(self) -> str:
        _remove_orphaned_profiles()
        self.profile = tempfile.mkdtemp(prefix=f"{_PROFILE_PREFIX}{os.getpid()}-")
        args = [self.executable, *LAUNCH_FLAGS, "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                # V8's heap gets half the cap: the rest is the browser's own processes
                f"--js-flags=--max-old-space-size={max(64, self.memory_mb // 2)}", "about:blank"]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, preexec_fn=_die_with_parent,
                                        start_new_session=True)
        self.ws_url = self._wait_for_devtools()
        log.info("chromium %d listening at %s", self.process.pid, self.ws_url)
        return self.ws_url

    def _wait_for_devtools(self) -> str:
        deadline, seen = time.monotonic() + self.start_timeout, []
        stream = self.process.stderr
        while time.monotonic() < deadline:
            ready, _, _ = select.select([stream], [], [], 0.2)
            if ready:
                line = stream.readline().decode("utf-8", "replace")
                if not line and self.process.poll() is not None:
                    break
                seen.append(line.strip())
                match = _DEVTOOLS.search(line)
                if match:
                    # keep draining stderr so that Chromium never blocks on a full pipe
                    self._drain()
                    return match.group(1)
            elif self.process.poll() is not None:
                break
        self.stop()
        last = " | ".join(s for s in seen[-3:] if s) or "no output"
        raise BrowserStartError(f"chromium at {self.executable} did not start within "
                                f"{self.start_timeout:.0f} s: {last}")

    def _drain(self) -> None:
        import threading

        stream = self.process.stderr
        threading.Thread(target=lambda: [None for _ in iter(stream.readline, b"")], daemon=True,
                         name="chromium-stderr").start()

    def stop(self) -> None:
        """Terminate Chromium and its process group, then remove its profile."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass
        if self.process is not None:
            # helpers (zygote, renderers) share its process group; the profile goes once they
            # are gone, or a dying renderer writes it back
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    break
                time.sleep(0.05)
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = ""

    def __enter__(self) -> SharedChromium:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
