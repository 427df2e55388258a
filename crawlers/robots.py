"""robots.txt once per host per run, shared by every source on that host.

Each source is its own Scrapy crawler with its own RobotsTxtMiddleware, so eight subreddits fetched
reddit.com/robots.txt eight times a run. This subclass keeps the parsed files in one process-wide
cache keyed by scheme and host: the first source to need a host fetches the file (through its own
crawler, so its cache, politeness and User-Agent apply) and the others wait for that answer.
A source with `obey_robots = false` has no robots middleware at all (Scrapy's NotConfigured), so
it neither fetches nor consults the file.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

log = logging.getLogger(__name__)

# "scheme://host:port" → parser (None: no usable robots.txt, everything allowed) or, while the
# first fetch is in flight, the Deferred that fires with it. One run = one process.
_PARSERS: dict[str, object] = {}


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with the parsed files shared across crawlers."""

    def __init__(self, crawler):
        super().__init__(crawler)   # raises NotConfigured when this source ignores robots.txt
        # Scrapy's _parse_robots/_robots_error resolve the pending entry under the key we pass.
        self._parsers = _PARSERS

    async def robot_parser(self, request: Request):
        url = urlparse_cached(request)
        key = f"{url.scheme}://{url.netloc}"
        if key not in _PARSERS:
            _PARSERS[key] = Deferred()
            await self._fetch(key, request)
        parser = _PARSERS[key]
        if isinstance(parser, Deferred):
            # A Deferred awaited as a Future hands its result to the first waiter only (the
            # others would get None, i.e. "allow all"): each waiter gets its own copy.
            mine: Deferred = Deferred()
            parser.addBoth(_forward_to(mine))
            return await maybe_deferred_to_future(mine)
        return parser

    async def _fetch(self, key: str, request: Request) -> None:
        robots = Request(f"{key}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                         meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
        try:
            response = await self.crawler.engine.download_async(robots)
            await self._parse_robots(response, key, request)
        except Exception as exc:  # noqa: BLE001 - any failure means "no robots.txt": allowed
            if not isinstance(exc, IgnoreRequest):
                log.warning("robots.txt not fetched from %s (%s: %s); crawling as allowed",
                            key, type(exc).__name__, exc)
            self._robots_error(exc, key)
        self._stats.inc_value("robotstxt/request_count")


def _forward_to(waiter: Deferred):
    def forward(result):
        if not waiter.called:   # a waiter whose request was cancelled meanwhile
            waiter.callback(result)
        return result   # the shared Deferred keeps its result for the next waiter
    return forward
