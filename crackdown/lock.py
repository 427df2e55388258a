"""One run at a time: an advisory lock file beside the archive.

flock is released by the kernel when the holder dies, so a lock left by a killed run is never
"stuck". The holder writes its pid inside and empties the file when it finishes cleanly: a pid
still there when we get the lock means the previous run was killed (a stale lock), which is
worth a warning.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


class LockHeld(Exception):
    """Another crackdown run holds the lock."""


class LockUnavailable(Exception):
    """The lock file cannot be created (read-only or missing folder)."""


class RunLock:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None
        self.stale_pid: str | None = None   # pid of a killed previous holder, if any

    def __enter__(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise LockUnavailable(f"cannot create the run lock {self.path}: {exc.strerror}. The "
                                  "archive's folder must exist and be writable") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise LockHeld(f"another crackdown run (pid {holder}) holds {self.path}; "
                           "this one exits without doing anything") from None
        left = os.read(fd, 64).decode(errors="replace").strip()
        if left:
            self.stale_pid = left
            log.warning("the previous run (pid %s) was killed before it finished; its stale lock "
                        "is taken over and this run completes its work", left)
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def lock_path(archive_path: Path) -> Path:
    return Path(archive_path).with_name(Path(archive_path).name + ".lock")


def lock_holder(path: Path) -> str | None:
    """The pid of the run holding the lock at `path`, or None when no run holds it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.read(fd, 64).decode(errors="replace").strip() or "unknown"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
