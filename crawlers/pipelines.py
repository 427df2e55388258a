"""Item pipelines, in order: normalise ► dedupe ► extract ► store (see settings.ITEM_PIPELINES)."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta, timezone

from scrapy.exceptions import DropItem

from classify.language import detect_language
from crackdown.archive import open_archive, posts, utcnow
from crawlers.dates import zone
from crawlers.extract import extract_article
from crawlers.items import PostItem
from crawlers.normalize import (
    canonical_url,
    clean_text,
    content_hash,
    html_to_text,
    to_utc_iso,
)

log = logging.getLogger(__name__)

# A hostile or broken page (a 10 MB single line) must not bloat the archive or the classifier.
MAX_BODY_CHARS = 200_000


class NormalisePipeline:
    """Canonical URL, plain-text body, UTC date; drops items older than `max_age_days`."""

    def __init__(self, max_age_days: int):
        self.max_age_days = max_age_days

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getint("CRACKDOWN_MAX_AGE_DAYS"))

    def process_item(self, item: PostItem) -> PostItem:
        item.url = canonical_url(item.url)
        if not item.url.startswith(("http://", "https://")):
            # javascript:, data: or file: links must never reach the reader's mail client
            raise DropItem(f"not an http(s) link: {item.url[:80]}")
        item.title = clean_text(html_to_text(item.title))[:500] or "(untitled)"
        item.body = html_to_text(item.body_html) if item.body_html else clean_text(item.body)
        item.body = item.body[:MAX_BODY_CHARS]
        item.published = to_utc_iso(item.published, zone(item.timezone), lang=item.lang or "")
        if self.max_age_days and item.published:
            cutoff = datetime.now(timezone.utc) - timedelta(days=self.max_age_days)
            if datetime.fromisoformat(item.published) < cutoff:
                raise DropItem(f"older than {self.max_age_days} days: {item.url}")
        return item


class DedupePipeline:
    """The same canonical URL reached twice in one crawl is kept once."""

    def __init__(self):
        self.seen: set[str] = set()

    def process_item(self, item: PostItem) -> PostItem:
        if item.url in self.seen:
            raise DropItem(f"duplicate url {item.url}")
        self.seen.add(item.url)
        return item


class ExtractPipeline:
    """Replaces the feed summary with the article's main text when the page was fetched."""

    def process_item(self, item: PostItem) -> PostItem:
        if not item.article_html:
            return item
        extracted = extract_article(item.article_html, item.article_url or item.url)
        if extracted and len(extracted.text) >= max(80, len(item.body) // 2):
            # trafilatura separates paragraphs with one newline; the archive uses blank lines
            text = clean_text(extracted.text.replace("\n", "\n\n"))
            if text.startswith(item.title):
                text = text[len(item.title):].lstrip()
            item.body = text
            if not item.published and extracted.date:
                item.published = to_utc_iso(extracted.date, zone(item.timezone))
        item.article_html = ""  # free the page early
        return item


class StorePipeline:
    """Saves posts into the archive and counts new ones on the spider for source health."""

    def __init__(self, crawler, db_path: str):
        self.crawler, self.db_path, self.db = crawler, db_path, None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.get("CRACKDOWN_DB"))

    def open_spider(self) -> None:
        self.db = open_archive(self.db_path)

    def process_item(self, item: PostItem) -> PostItem:
        spider = self.crawler.spider
        text = f"{item.title}\n{item.body}"
        # posts.lang is the classifier's own reading of the text, so an analyst filtering by
        # language sees what the classifier read; the feed's language only decides text too
        # short or mixed to call.
        lang = detect_language(text, item.lang) if text.strip() else (item.lang or "en")
        row = {
            "url": item.url, "source_id": item.source_id, "title": item.title,
            "body": item.body, "author": (item.author or None), "published_at": item.published,
            "fetched_at": utcnow(), "lang": lang,
            "content_hash": content_hash(item.title, item.body), "guid": item.guid,
            "origin": item.origin,
        }
        try:
            with self.db.atomic():
                _, inserted = posts.save_post(self.db, row)
        except sqlite3.Error as exc:
            # Disk full or read-only: recorded once as the source's failure; the post is not
            # archived, so the next run fetches it again.
            if not any(f.startswith("archive write failed") for f in spider.failures):
                spider.fail(f"archive write failed ({exc}); check free space and permissions")
            raise DropItem(f"not archived: {item.url}") from None
        if inserted:
            spider.new_items += 1
        return item

    def close_spider(self) -> None:
        spider = self.crawler.spider
        try:
            spider.record_health(self.db)
        except sqlite3.Error as exc:   # the run's own report still carries the failure
            log.error("%s: source health not recorded: %s", spider.source.id, exc)
        self.db.close()
