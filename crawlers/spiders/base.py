"""What every source spider shares: start request, failure capture, article following, health."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.web._newclient import ResponseFailed
from twisted.web.http import PotentialDataLoss

from crackdown.archive import open_archive, posts, sources, utcnow
from crackdown.config import SourceConfig
from crawlers import list_digests
from crawlers.items import PostItem
from crawlers.politeness import RETRY_AFTER_CAP_SECONDS

log = logging.getLogger(__name__)


def describe_failure(failure) -> str:
    """A one-line reason a person can act on, for `sources.last_error`."""
    exc = failure.value
    request = getattr(failure, "request", None)
    url = request.url if request is not None else ""
    if failure.check(HttpError):
        status = exc.response.status
        hint = {403: "forbidden (blocked User-Agent or IP?)", 404: "not found (URL moved?)",
                429: "rate limited", 410: "gone"}.get(status, "")
        waited = (request.meta.get("retry_after_exceeded") if request is not None else None)
        if waited:
            hint += f"; Retry-After {waited:.0f} s is over the {RETRY_AFTER_CAP_SECONDS:.0f} s cap"
        return f"HTTP {status} {hint} at {exc.response.url}".replace("  ", " ")
    if failure.check(DNSLookupError, CannotResolveHostError):
        return f"DNS lookup failed for {url}"
    if failure.check(TwistedTimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return f"timed out fetching {url}"
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return f"connection refused by {url}"
    if failure.check(IgnoreRequest) and "redirect" in str(exc):
        return f"redirect loop (more than 5 redirects) from {url}"
    if failure.check(IgnoreRequest) and "robots" in str(exc).lower():
        return f"forbidden by robots.txt: {url} (set obey_robots = false only with permission)"
    if failure.check(DownloadCancelledError, CancelledError) or "max size" in str(exc).lower():
        return (f"response too large at {url} (over [crawl] max_body_bytes); "
                "raise the limit if the source is legitimate")
    if failure.check(ResponseFailed, PotentialDataLoss, ResponseDataLossError):
        return f"truncated response (connection closed mid-body) from {url}"
    return f"{type(exc).__name__}: {exc} ({url})"


class SourceSpider(scrapy.Spider):
    """A spider for one configured source. Subclasses implement `parse` for their format."""

    def __init__(self, source: SourceConfig, db_path: str, **kwargs):
        super().__init__(name=source.id, **kwargs)
        self.source = source
        self.db_path = db_path
        self.items_seen = 0
        self.new_items = 0
        self.failures: list[str] = []
        # Set when a stop signal (cron's `timeout`, a shutdown) cut this source's crawl short.
        self.interrupted: str | None = None
        self._known: set[str] | None = None
        # What a read list matched nothing with (a selector, a JSON path): the zero-items streak
        # in source health names it (see crackdown/source_check.py).
        self.lists_read = 0
        self.empty_reason: str | None = None
        self.skipped_old = 0
        # Digest -> item count of the lists read this crawl, and of those the last complete
        # crawl read (crawlers/list_digests.py; loaded at the first list).
        self.list_digests_now: dict[str, int] = {}
        self._list_digests_before: dict[str, int] | None = None

    async def start(self):
        yield scrapy.Request(self.source.url, callback=self.parse_list, errback=self.on_error,
                             dont_filter=True)

    def on_error(self, failure) -> None:
        reason = describe_failure(failure)
        if self.stop_requested() and not failure.check(HttpError):
            # Scrapy's graceful stop lets a download in flight run into its timeout (or cuts
            # it): that says nothing about the source, so it is not counted against it.
            request = getattr(failure, "request", None)
            self.interrupted = ("interrupted by a stop signal while fetching "
                                f"{request.url if request is not None else self.source.url}")
            log.info("%s: %s (%s)", self.source.id, self.interrupted, reason)
            return
        log.warning("%s: %s", self.source.id, reason)
        self.failures.append(reason)

    def stop_requested(self) -> bool:
        """True once SIGTERM/SIGINT asked the crawl to stop: Scrapy's graceful stop clears
        `crawling` before it closes the spider, while a spider that finishes on its own (or is
        closed by CLOSESPIDER_*) is closed with `crawling` still set."""
        crawler = getattr(self, "crawler", None)
        return crawler is not None and not crawler.crawling

    def nothing_matched(self, what: str) -> None:
        """The list was fetched and read, but `what` (e.g. "item_selector 'a.title' on URL")
        found no items: evidence of a layout or platform change when it repeats."""
        self.lists_read += 1
        self.empty_reason = what

    def fail(self, reason: str) -> None:
        """Record a problem that is not an HTTP error (HTML instead of a feed, bad JSON…)."""
        log.warning("%s: %s", self.source.id, reason)
        self.failures.append(reason)

    # --- incremental crawling ---------------------------------------------------------------
    def parse_list(self, response) -> Iterator:
        """The callback of a list request: `parse`, unless the response is the cached copy of a
        list (revalidated with a 304) that the source's last complete crawl read. Then nothing
        in it is new, and only its item count is taken, as that crawl counted it."""
        digest = list_digests.list_digest(response.body, self.source, self.max_age_days())
        if "cached" in response.flags:
            count = self.list_digests_before().get(digest)
            if count is not None:
                self.items_seen += count
                self.lists_read += 1
                self.list_digests_now[digest] = count
                log.info("%s: %s unchanged since the last complete crawl (%d items); not read "
                         "again", self.source.id, response.url, count)
                return
        seen = self.items_seen
        yield from self.parse(response) or ()
        if self.items_seen > seen:   # a list with no items is read every time (and reported)
            self.list_digests_now[digest] = self.items_seen - seen

    def list_digests_before(self) -> dict[str, int]:
        if self._list_digests_before is None:
            self._list_digests_before = {}
            if self._cache_dir():
                db = open_archive(self.db_path)
                try:
                    last_ok_at = sources.last_ok_at(db, self.source.id)
                finally:
                    db.close()
                self._list_digests_before = list_digests.load(
                    self._cache_dir(), self.source.id, self._archive(), last_ok_at)
        return self._list_digests_before

    def _archive(self) -> str:
        return str(Path(self.db_path).resolve())

    def _cache_dir(self) -> str:
        settings = getattr(self, "settings", None)
        enabled = settings is not None and settings.getbool("HTTPCACHE_ENABLED")
        return settings.get("HTTPCACHE_DIR", "") if enabled else ""

    def max_age_days(self) -> int:
        settings = getattr(self, "settings", None)
        return settings.getint("CRACKDOWN_MAX_AGE_DAYS") if settings is not None else 0

    def new_only(self, items: list[PostItem]) -> list[PostItem]:
        """Drops items whose URL is archived already, and items the list itself shows to be too
        old (crawlers/list_age.py), so their pages are not fetched."""
        from crawlers.list_age import split_old
        from crawlers.normalize import canonical_url

        unique: dict[str, PostItem] = {}
        for item in items:  # the same post listed twice (tracking parameters differ) is one post
            unique.setdefault(canonical_url(item.url), item)
        items = list(unique.values())
        self.items_seen += len(items)
        self.lists_read += 1
        items, old = split_old(items, self.max_age_days(), self.source.max_id_gap,
                               self.source.timezone)
        if old:
            self.skipped_old += len(old)
            log.info("%s: skipped %d old list items without fetching them (first: %s: %s)",
                     self.source.id, len(old), old[0][0].url, old[0][1])
        db = open_archive(self.db_path)
        try:
            known = posts.known_urls(db, [canonical_url(i.url) for i in items])
        finally:
            db.close()
        return [i for i in items if canonical_url(i.url) not in known]

    def follow_or_yield(self, item: PostItem) -> Iterator:
        """Fetch the article page when the source asks for it; else yield the item as it is."""
        if self.source.fetch_articles and item.url.startswith(("http://", "https://")):
            yield self.article_request(item)
        else:
            yield item

    def article_request(self, item: PostItem, callback=None) -> scrapy.Request:
        # Article pages are fetched once (their URL is archived afterwards): caching them would
        # only fill the disk.
        return scrapy.Request(item.url, callback=callback or self.parse_article,
                              errback=self.article_failed, cb_kwargs={"item": item},
                              meta={"dont_cache": True})

    def parse_article(self, response, item: PostItem):
        content_type = response.headers.get(b"Content-Type", b"text/html").decode("latin-1")
        if "html" in content_type.lower():
            item.article_html = self.decode(response)
            item.article_url = response.url
        yield item

    def decode(self, response) -> str:
        """The response as text, surviving missing or wrong charsets (see crawlers/encoding.py)."""
        from crawlers.encoding import decode_body

        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        return decode_body(response.body, content_type, self.source.encoding)[0]

    def prepare(self, item: PostItem) -> PostItem:
        """Source-level facts every item carries into the pipelines."""
        item.lang = item.lang or self.source.lang
        item.timezone = self.source.timezone
        return item

    def article_failed(self, failure):
        # The feed's summary is still worth keeping when the article page cannot be fetched.
        log.info("%s: article not fetched: %s", self.source.id, describe_failure(failure))
        item = failure.request.cb_kwargs["item"]
        yield item

    # --- source health -----------------------------------------------------------------------
    def record_health(self, db) -> None:
        """Called once at close by the store pipeline: success, failure, or 'went silent'."""
        if not self.failures and (self.interrupted or self.stop_requested()):
            # Stopped before it finished: neither a failure nor a complete crawl; the posts
            # stored so far stay, and the next run fetches the rest.
            self.interrupted = self.interrupted or "interrupted by a stop signal"
            sources.record_interrupted(db, self.source.id, self.new_items)
            return
        self._record_empty_streak(db)
        previous = sources.previous_item_count(db, self.source.id)
        if not self.failures and self.items_seen == 0 and previous:
            self.failures.append(f"returned no items (had {previous} on the previous crawl)")
        if self.failures:
            sources.record_failure(db, self.source.id, "; ".join(self.failures[:3]),
                                   self.items_seen, self.new_items)
        else:
            at = utcnow()
            sources.record_success(db, self.source.id, self.items_seen, self.new_items, at=at)
            # Complete: every item of these lists is stored or dropped on purpose.
            if self._cache_dir():
                list_digests.save(self._cache_dir(), self.source.id, self.list_digests_now,
                                  self._archive(), at)

    def _record_empty_streak(self, db) -> None:
        from crackdown.archive import empty_runs

        if self.items_seen:
            empty_runs.record_items(db, self.source.id)
        elif self.lists_read:   # the list was read and held nothing (not a fetch failure)
            empty_runs.record_empty(db, self.source.id, self.empty_reason
                                    or f"the {self.source.type} list at {self.source.url} had no items")
