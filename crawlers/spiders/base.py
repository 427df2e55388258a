"""What every source spider shares: start request, failure capture, article following, health."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TwistedTimeoutError

from crackdown.archive import open_archive, posts, sources
from crackdown.config import SourceConfig
from crawlers.items import PostItem

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
        return f"HTTP {status} {hint} at {exc.response.url}".replace("  ", " ")
    if failure.check(DNSLookupError):
        return f"DNS lookup failed for {url}"
    if failure.check(TwistedTimeoutError, TCPTimedOutError):
        return f"timed out fetching {url}"
    if failure.check(ConnectionRefusedError):
        return f"connection refused by {url}"
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
        self._known: set[str] | None = None

    async def start(self):
        yield scrapy.Request(self.source.url, callback=self.parse, errback=self.on_error,
                             dont_filter=True)

    def on_error(self, failure) -> None:
        reason = describe_failure(failure)
        log.warning("%s: %s", self.source.id, reason)
        self.failures.append(reason)

    def fail(self, reason: str) -> None:
        """Record a problem that is not an HTTP error (HTML instead of a feed, bad JSON…)."""
        log.warning("%s: %s", self.source.id, reason)
        self.failures.append(reason)

    # --- incremental crawling ---------------------------------------------------------------
    def new_only(self, items: list[PostItem]) -> list[PostItem]:
        """Drops items whose URL is archived already, so their pages are not fetched again."""
        from crawlers.normalize import canonical_url

        self.items_seen += len(items)
        db = open_archive(self.db_path)
        try:
            known = posts.known_urls(db, [canonical_url(i.url) for i in items])
        finally:
            db.close()
        return [i for i in items if canonical_url(i.url) not in known]

    def follow_or_yield(self, item: PostItem) -> Iterator:
        """Fetch the article page when the source asks for it; else yield the item as it is."""
        if self.source.fetch_articles and item.url.startswith(("http://", "https://")):
            yield scrapy.Request(item.url, callback=self.parse_article, errback=self.article_failed,
                                 cb_kwargs={"item": item})
        else:
            yield item

    def parse_article(self, response, item: PostItem):
        if "html" in response.headers.get(b"Content-Type", b"text/html").decode("latin-1").lower():
            item.article_html = response.text
            item.article_url = response.url
        yield item

    def article_failed(self, failure):
        # The feed's summary is still worth keeping when the article page cannot be fetched.
        log.info("%s: article not fetched: %s", self.source.id, describe_failure(failure))
        item = failure.request.cb_kwargs["item"]
        yield item

    # --- source health -----------------------------------------------------------------------
    def record_health(self, db) -> None:
        """Called once at close by the store pipeline: success, failure, or 'went silent'."""
        previous = sources.previous_item_count(db, self.source.id)
        if not self.failures and self.items_seen == 0 and previous:
            self.failures.append(f"returned no items (had {previous} on the previous crawl)")
        if self.failures:
            sources.record_failure(db, self.source.id, "; ".join(self.failures[:3]),
                                   self.items_seen, self.new_items)
        else:
            sources.record_success(db, self.source.id, self.items_seen, self.new_items)
