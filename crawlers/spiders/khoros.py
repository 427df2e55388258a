"""Khoros (ex-Lithium) community boards: eBay and Etsy seller forums.

A board's RSS feed URL carries a community id that is not guessable
(`/<community-id>/rss/board?board.id=<Board>`), so a source may be configured with the board page
(`/t5/<Board>/bd-p/<id>`) instead: the spider reads the feed URL from the page's RSS <link>. The
feed holds only the newest ~20 posts and has no paging, which is why this runs daily.
"""

from __future__ import annotations

from urllib.parse import urljoin

import scrapy
from parsel import Selector

from crawlers.spiders.feed import FeedSpider, looks_like_html

_RSS_LINK_XPATH = ("//link[@rel='alternate' and (contains(@type, 'rss') or contains(@type, 'atom'))]"
                   "/@href")


def board_feed_url(html: str, page_url: str) -> str | None:
    """The board's feed URL from its page's RSS <link>, preferring a board (not site-wide) feed."""
    hrefs = [urljoin(page_url, h.strip()) for h in Selector(text=html).xpath(_RSS_LINK_XPATH).getall()
             if h.strip()]
    boards = [h for h in hrefs if "board.id=" in h or "/rss/board" in h]
    return (boards or hrefs or [None])[0]


class KhorosSpider(FeedSpider):
    def parse(self, response):
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        if not looks_like_html(content_type, response.body):
            yield from self.parse_feed(response)
            return
        if response.meta.get("discovered_from"):
            self.fail(f"the RSS link on {response.meta['discovered_from']} leads to HTML at "
                      f"{response.url}; set url to the board's feed")
            return
        feed_url = board_feed_url(self.decode(response), response.url)
        if not feed_url:
            self.nothing_matched(f"no RSS <link> on the board page {response.url} (the forum may "
                                 "have left Khoros)")
            self.fail(f"no RSS <link> on the board page {response.url}; set url to the board feed "
                      "(…/rss/board?board.id=<Board>)")
            return
        yield scrapy.Request(feed_url, callback=self.parse_list, errback=self.on_error,
                             dont_filter=True, meta={"discovered_from": response.url})
