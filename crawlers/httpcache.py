"""HTTP cache used only for conditional GET: every stored feed is revalidated, never served stale.

Scrapy's RFC2616Policy treats a response with only `Last-Modified` as fresh for a tenth of its age
(a feed last changed a month ago would be "fresh" for three days) and serves the cached copy when
the server answers 5xx or times out. A news monitor wants neither: it must ask every run (cheaply,
with If-None-Match / If-Modified-Since, answered 304) and must see failures as failures.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.extensions.httpcache import RFC2616Policy


class RevalidatePolicy(RFC2616Policy):
    """Store responses that carry validators; always revalidate; only a 304 reuses the copy."""

    def is_cached_response_fresh(self, cachedresponse, request) -> bool:
        self._set_conditional_validators(request, cachedresponse)
        return False

    def is_cached_response_valid(self, cachedresponse, response, request) -> bool:
        return response.status == 304


class RevalidateCacheMiddleware(HttpCacheMiddleware):
    """The cache middleware without error recovery: a timeout stays a timeout in source health."""

    def process_exception(self, request, exception, spider=None):
        request.meta.pop("cached_response", None)
        return None
