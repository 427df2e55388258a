"""Politeness that Scrapy does not give per process: one request at a time per host across all
sources, and `Retry-After` honoured on 429/503.

Scrapy spaces requests per crawler, and every source is its own crawler, so eight subreddits would
otherwise hit reddit.com at once. `HostGateMiddleware` holds a process-wide lock per host while a
request is in flight and keeps the source's delay between the end of one request and the start of
the next. It sits next to the downloader (after the cache), so only real network requests queue.
"""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet import defer

log = logging.getLogger(__name__)

# Longest `Retry-After` we wait for inside one crawl; a longer one is recorded as a failure and
# tomorrow's run tries again.
RETRY_AFTER_CAP_SECONDS = 120.0


async def _sleep(seconds: float) -> None:
    if seconds <= 0:
        return
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


class _HostState:
    def __init__(self):
        self.lock = defer.DeferredLock()
        self.free_at = 0.0   # monotonic time before which the next request must not start


_HOSTS: dict[str, _HostState] = {}


class HostGateMiddleware:
    """Serialises requests per host across all crawlers of this process (when a delay is set)."""

    def __init__(self, delay: float):
        self.delay = delay

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getfloat("DOWNLOAD_DELAY"))

    async def process_request(self, request):
        if self.delay <= 0:
            return None  # politeness switched off for this source (local tests, benchmarks)
        host = (urlsplit(request.url).hostname or "").lower()
        state = _HOSTS.setdefault(host, _HostState())
        await maybe_deferred_to_future(state.lock.acquire())
        request.meta["_host_gate"] = host
        await _sleep(state.free_at - time.monotonic())
        return None

    def _release(self, request, pause: float = 0.0) -> None:
        host = request.meta.pop("_host_gate", None)
        if host is None:
            return
        state = _HOSTS[host]
        state.free_at = time.monotonic() + max(self.delay, pause)
        state.lock.release()

    def process_response(self, request, response):
        pause = 0.0
        if response.status in (429, 503):
            # the host throttles us, not just this source: every source on it waits
            pause = min(retry_after_seconds(response.headers.get(b"Retry-After")) or 0.0,
                        RETRY_AFTER_CAP_SECONDS)
        self._release(request, pause)
        return response

    def process_exception(self, request, exception):
        self._release(request)
        return None


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's bounded retries, plus: a 429/503 waits what `Retry-After` asks (up to a cap)."""

    async def process_response(self, request, response):
        if response.status in (429, 503) and not request.meta.get("dont_retry", False):
            wait = retry_after_seconds(response.headers.get(b"Retry-After"))
            if wait is not None and wait > RETRY_AFTER_CAP_SECONDS:
                log.warning("%s asks to retry after %.0f s (cap %.0f s); giving up for this run",
                            request.url, wait, RETRY_AFTER_CAP_SECONDS)
                request.meta["retry_after_exceeded"] = wait
                return response
            if wait:
                retry = self._retry(request, response_status_message(response.status))
                if retry is None:
                    return response
                log.info("%s: HTTP %s, waiting %.1f s as Retry-After asks", request.url,
                         response.status, wait)
                await _sleep(wait)
                return retry
        return super().process_response(request, response)
