"""List pages that JavaScript builds (Amazon Seller Forums, Chinese seller communities): rendered in
headless Chromium through scrapy-playwright, then read by the `html` source's selectors
(crawlers/spiders/html.list_page_items) exactly as a static list page is.

Before the page is read, a script waits for `item_selector` to match (the list is built after
load), then loads more `load_more_rounds` times: it clicks `load_more_selector`, or scrolls to the
bottom when none is set, and waits for new items each round. With `fetch_articles = true` each new
item's page is rendered too; otherwise an item is what the list shows (title, link, date).

The only module that imports Playwright (besides scrapy-playwright's download handler). Settings
that keep the browser small and polite are in crawlers/browser_support.py.
"""

from __future__ import annotations

import logging

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy_playwright.page import PageMethod

from crawlers.browser_support import children_memory_mb
from crawlers.items import PostItem
from crawlers.spiders.html import HtmlSpider, list_page_items

log = logging.getLogger(__name__)
# scrapy-playwright logs every failed page with its traceback at WARNING; the spider reports the
# failure in one line (source health, cron's mail), so only its errors are let through.
logging.getLogger("scrapy-playwright").setLevel(logging.ERROR)

# Waits for the list, then loads more; returns how many items matched at the end.
_LOAD_LIST_JS = """
async ([itemSelector, isXPath, moreSelector, rounds, firstWaitMs, roundWaitMs]) => {
  const count = () => isXPath
    ? document.evaluate(`count(${itemSelector})`, document, null, XPathResult.NUMBER_TYPE, null).numberValue
    : document.querySelectorAll(itemSelector).length;
  const grew = async (before, waitMs) => {
    const end = Date.now() + waitMs;
    while (Date.now() < end) {
      if (count() > before) return true;
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    return count() > before;
  };
  await grew(0, firstWaitMs);
  for (let round = 0; round < rounds; round++) {
    const before = count();
    if (moreSelector) {
      const button = document.querySelector(moreSelector);
      if (!button) break;
      button.click();
    } else {
      const items = isXPath ? [] : document.querySelectorAll(itemSelector);
      if (items.length) items[items.length - 1].scrollIntoView();   // sentinels watch the last item
      window.scrollTo(0, document.body.scrollHeight);
    }
    if (!(await grew(before, roundWaitMs))) break;
  }
  return count();
}
"""


class BrowserSpider(HtmlSpider):
    """An `html` source whose pages are rendered in Chromium first."""

    async def start(self):
        yield scrapy.Request(self.source.url, callback=self.parse, errback=self.on_error,
                             dont_filter=True, meta=self._browser_meta(load_list=True))

    def _browser_meta(self, load_list: bool) -> dict:
        meta = {"playwright": True, "dont_cache": True}
        if load_list:
            selector = self.source.item_selector.strip()
            timeout_ms = int(self.crawler.settings.getfloat("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT"))
            args = [selector, selector.startswith(("/", "./", "(")), self.source.load_more_selector,
                    self.source.load_more_rounds, timeout_ms, min(5000, timeout_ms)]
            meta["playwright_page_methods"] = [PageMethod("evaluate", _LOAD_LIST_JS, args)]
        return meta

    def on_error(self, failure) -> None:
        exc = failure.value
        if not type(exc).__module__.startswith("playwright") or self.stop_requested():
            super().on_error(failure)
            return
        # Playwright's messages run to a call log; the first line says what happened
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        self.fail(f"the browser could not render {failure.request.url}: {first_line} "
                  "(a slow page needs a larger [crawl] browser_timeout)")

    def decode(self, response) -> str:
        # the rendered DOM, already text: scrapy-playwright re-encoded it with the charset it names
        return response.text

    def parse(self, response):
        if not self._within_limits(response):
            return
        if not self.source.fetch_articles:
            items = list_page_items(self.decode(response), response.url, self.source)
            if not items:
                self.fail(f"item_selector {self.source.item_selector!r} matched no links on the rendered "
                          f"page {response.url}; the layout may have changed, or the list needs longer "
                          "than [crawl] browser_timeout to appear")
                return
            for item in self.new_only(items):
                yield self.prepare(item)
            return
        yield from super().parse(response)

    def article_request(self, item: PostItem, callback=None) -> scrapy.Request:
        return scrapy.Request(item.url, callback=callback or self.parse_article,
                              errback=self.article_failed, cb_kwargs={"item": item},
                              meta=self._browser_meta(load_list=False))

    def parse_article(self, response, item: PostItem):
        if self._within_limits(response):
            item.article_html = self.decode(response)
            item.article_url = response.url
        yield item

    def _within_limits(self, response) -> bool:
        """The body-size cap Scrapy applies to plain downloads, and the browser's memory cap."""
        limit = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        if limit and len(response.body) > limit:
            self.fail(f"rendered page too large at {response.url} ({len(response.body)} bytes, over "
                      "[crawl] max_body_bytes)")
            return False
        cap = self.crawler.settings.getint("CRACKDOWN_BROWSER_MEMORY_MB")
        used = children_memory_mb()
        log.info("%s: rendered %s; browser memory %.0f MB", self.source.id, response.url, used)
        if cap and used > cap:
            self.fail(f"the browser used {used:.0f} MB, over [crawl] browser_memory_mb = {cap}; "
                      "stopped this source (raise the cap or lower load_more_rounds)")
            raise CloseSpider("browser_memory")
        return True
