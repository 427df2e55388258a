"""The list bodies (feeds, list pages, JSON pages) that a source's last complete crawl read.

An unchanged list is revalidated with a 304 and Scrapy hands the spider its cached copy. Reading
that copy again is what recovers a run that died between the fetch and storing the list's items
(the copy is cached before it is parsed). Once a crawl of the source has completed, though, every
item of that body was stored or dropped on purpose, and reading it again only costs time:
feedparser on 40 unchanged feeds was a quarter of a repeat crawl (benchmarks/bench_crawl.py).

So a crawl that completes without a failure writes the digests of the lists it read, with each
list's item count (source health compares counts run to run), into the source's HTTP cache
folder; a failed, interrupted or killed crawl writes nothing, and its lists are read again. The
digest covers the source's configuration and the age limit as well as the body: a changed
selector or `max_age_days` reads the same body differently. The record names the archive and the
`last_ok_at` that crawl wrote to it, and counts only while the archive still says so: an archive
restored from an older copy, or a second archive beside it (they share the cache folder), reads
the lists again and gets their posts back. Deleting the cache folder only makes the next crawl
read everything again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from crackdown.config import SourceConfig

log = logging.getLogger(__name__)

FILE_NAME = "list_digests.json"


def list_digest(body: bytes, source: SourceConfig, max_age_days: int) -> str:
    """What identifies one reading of a list: its bytes, read with this configuration."""
    digest = hashlib.sha256()
    digest.update(repr(source).encode("utf-8"))
    digest.update(f"\0{max_age_days}\0".encode())
    digest.update(body)
    return digest.hexdigest()


def _path(cache_dir: Path | str, source_id: str) -> Path:
    # Scrapy's FilesystemCacheStorage keeps the source's responses in <cache_dir>/<source id>/
    # under two-character folders, so this file name cannot meet one of them.
    return Path(cache_dir) / source_id / FILE_NAME


def load(cache_dir: Path | str, source_id: str, archive: str,
         last_ok_at: str | None) -> dict[str, int]:
    """Digest -> item count of the lists read by the complete crawl that wrote `last_ok_at` to
    `archive` ({} when there is no such record)."""
    path = _path(cache_dir, source_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not last_ok_at or data["archive"] != archive or data["completed_at"] != last_ok_at:
            return {}
        return {str(k): int(v) for k, v in data["lists"].items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        # Unreadable means "not known to be read": every list is simply read again.
        log.warning("%s: ignoring %s (%s); its lists are read again", source_id, path, exc)
        return {}


def save(cache_dir: Path | str, source_id: str, lists: dict[str, int], archive: str,
         completed_at: str) -> None:
    """Replace the record with this complete crawl's lists (written whole, then renamed)."""
    path = _path(cache_dir, source_id)
    tmp = path.with_name(FILE_NAME + ".tmp")
    record = {"archive": archive, "completed_at": completed_at, "lists": lists}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        # Only a saving of time is lost: the next crawl reads these lists again.
        log.warning("%s: could not record the lists read in %s: %s", source_id, path, exc)
