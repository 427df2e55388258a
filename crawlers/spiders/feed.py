"""RSS 0.9x/1.0/2.0 and Atom feeds (Scrapy fetches, feedparser parses the bytes it was given), and
JSON Feed 1.0/1.1 (crawlers/jsonfeed.py), told apart by Content-Type or by the body."""

from __future__ import annotations

import re

import feedparser

from crawlers.dates import names_zone, parse_date
from crawlers.encoding import feed_as_utf8
from crawlers.items import PostItem
from crawlers.jsonfeed import JsonFeedError, is_json_feed, json_feed_items
from crawlers.normalize import struct_time_to_iso
from crawlers.spiders.base import SourceSpider

_NUMERIC_DATE = re.compile(r"\s*\d{4}[/.-]\d{1,2}[/.-]\d{1,2}(?:\s|$)")
_OUTLET_SUFFIX = re.compile(r"\s+[-–—|]\s+([^-–—|]{2,80})$")


def looks_like_html(content_type: str, body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    if head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")):
        return False
    return "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))


def parse_feed_bytes(body: bytes, headers: dict[str, str], base_url: str) -> feedparser.FeedParserDict:
    """feedparser on bytes already downloaded: it never fetches anything itself."""
    return feedparser.parse(body, response_headers={**headers, "content-location": base_url},
                            sanitize_html=True, resolve_relative_uris=True)


def entry_to_item(entry, source_id: str, strip_title_suffix: bool = False,
                  base_url: str = "") -> PostItem | None:
    """One feedparser entry as a PostItem (None when it has neither a link nor a title)."""
    link = entry.get("link") or ""
    title = entry.get("title") or ""
    if not link or not title:
        return None
    content = ""
    if entry.get("content"):
        content = max((c.get("value") or "" for c in entry["content"]), key=len)
    summary = entry.get("summary") or ""
    origin = None
    if strip_title_suffix:
        src = entry.get("source") or {}
        origin = src.get("title") if isinstance(src, dict) else None
        exact = re.search(rf"\s+[-–—|]\s+{re.escape(origin)}\s*$", title) if origin else None
        match = exact or _OUTLET_SUFFIX.search(title)
        if match:
            # the <source> element names the outlet exactly, even one with a dash in its name
            origin = origin or match.group(1).strip()
            title = title[:match.start()]
    raw_date = (entry.get("published") or entry.get("updated") or "").strip()
    if _NUMERIC_DATE.match(raw_date):
        # feedparser misreads forum dates like "2020/1/10 14:33:00" (as 2020-11-01); the
        # normalise pipeline parses them year-first instead.
        published = raw_date
    elif raw_date and not names_zone(raw_date) and parse_date(raw_date) is not None:
        # feedparser's struct_time is UTC even when the feed gave no zone; the raw text goes to
        # the normalise pipeline, which reads it in the source's timezone.
        published = raw_date
    else:
        published = (struct_time_to_iso(entry.get("published_parsed"))
                     or struct_time_to_iso(entry.get("updated_parsed")) or raw_date or None)
    return PostItem(
        source_id=source_id, url=link, title=title,
        body_html=content if len(content) > len(summary) else summary,
        author=entry.get("author"), published=published, guid=entry.get("id"), origin=origin,
    )


def is_truncated(body: bytes) -> bool:
    """A feed cut off in transit: its root element never closes."""
    tail = body[-1024:].rstrip().lower()
    return not tail.endswith((b"</rss>", b"</feed>", b"</rdf:rdf>", b"</channel>"))


class FeedSpider(SourceSpider):
    """Feeds of any flavour; optionally follows each new item's link to extract the full article."""

    def parse(self, response):
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        if is_json_feed(content_type, response.body):
            yield from self.parse_json_feed(response)
            return
        if looks_like_html(content_type, response.body):
            self.fail(f"served HTML ({content_type or 'no Content-Type'}) where a feed was expected "
                      f"at {response.url}; check the feed URL")
            return
        yield from self.parse_feed(response)

    def parse_json_feed(self, response):
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        try:
            items = json_feed_items(response.body, content_type, response.url, self.source.id,
                                    self.source.encoding)
        except JsonFeedError as exc:
            self.fail(f"unparseable JSON Feed at {response.url}: {exc}")
            return
        for item in self.new_only(items):
            yield from self.follow_or_yield(self.prepare(item))

    def parse_feed(self, response):
        """Items of the feed in `response`, new ones followed or yielded."""
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        headers = {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
                   for k, v in response.headers.items()}
        # Decoded here (not by feedparser) so GBK-labelled-gb2312 and mislabelled feeds read right.
        media_type = content_type.split(";")[0].strip() or "application/xml"
        headers["content-type"] = f"{media_type}; charset=utf-8"
        body = feed_as_utf8(response.body, content_type, self.source.encoding)
        parsed = parse_feed_bytes(body, headers, response.url)
        if parsed.bozo and not parsed.entries:
            self.fail(f"unparseable feed at {response.url}: {parsed.get('bozo_exception')}")
            return
        items = [it for it in (entry_to_item(e, self.source.id, self.source.strip_title_suffix)
                               for e in parsed.entries) if it is not None]
        if parsed.bozo and is_truncated(response.body):
            self.fail(f"truncated feed at {response.url} ({len(response.body)} bytes, root element "
                      f"never closed); kept the {len(items)} complete items")
        for item in self.new_only(items):
            yield from self.follow_or_yield(self.prepare(item))
