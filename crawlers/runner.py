"""The crawl stage: one Scrapy CrawlerProcess per run, one crawler per enabled source.

Only this module starts Twisted. Results reach the other stages through the archive; the
returned summary is for the run record and the exit status.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from crackdown.archive import open_archive
from crackdown.archive import sources as source_rows
from crackdown.config import Config, SourceConfig

log = logging.getLogger(__name__)


@dataclass
class CrawlReport:
    ok: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    # sources a stop signal cut short: not failures (see SourceSpider.record_health)
    interrupted: list[str] = field(default_factory=list)
    items_seen: int = 0
    new_posts: int = 0

    def as_stats(self) -> dict:
        return {"sources_ok": len(self.ok), "sources_failed": len(self.failed),
                "sources_interrupted": len(self.interrupted), "failures": self.failed,
                "items_seen": self.items_seen, "new_posts": self.new_posts}


def spider_class(source_type: str):
    from crawlers.spiders.discourse import DiscourseSpider
    from crawlers.spiders.feed import FeedSpider
    from crawlers.spiders.html import HtmlSpider
    from crawlers.spiders.json_api import JsonApiSpider
    from crawlers.spiders.khoros import KhorosSpider
    from crawlers.spiders.reddit import RedditSpider

    classes = {"feed": FeedSpider, "reddit": RedditSpider, "discourse": DiscourseSpider,
               "khoros": KhorosSpider, "html": HtmlSpider, "json": JsonApiSpider}
    if source_type == "browser":   # imports Playwright: only when a browser source runs
        from crawlers.spiders.browser import BrowserSpider

        return BrowserSpider
    if source_type not in classes:
        raise NotImplementedError(f"source type {source_type!r} has no spider yet")
    return classes[source_type]


def select_sources(config: Config, only: list[str] | None = None) -> list[SourceConfig]:
    """Enabled sources, or exactly the ones named (unknown ids are an error)."""
    if only:
        unknown = [s for s in only if s not in {src.id for src in config.sources}]
        if unknown:
            raise KeyError(f"unknown source id(s): {', '.join(unknown)}; see `crackdown sources`")
        return [config.source(s) for s in only]
    return [s for s in config.sources if s.enabled]


def crawl(config: Config, only: list[str] | None = None, log_level: str = "WARNING") -> CrawlReport:
    """Crawl the selected sources into the archive; a failing source never stops the others."""
    from scrapy.crawler import CrawlerProcess

    from crawlers.settings import build_settings, source_overrides

    selected = select_sources(config, only)
    db = open_archive(config.archive.path)
    source_rows.sync_sources(db, config.sources)
    db.close()

    report = CrawlReport()
    if not selected:
        return report
    process = CrawlerProcess(build_settings(config, selected[0], log_level))
    crawlers = []
    browser_missing = _browser_problem(config, selected)
    shared_browser = None
    if not browser_missing and any(src.type == "browser" for src in selected):
        from crawlers.browser_process import BrowserStartError, SharedChromium
        from crawlers.browser_support import find_chromium

        shared_browser = SharedChromium(find_chromium(config.crawl.chromium_path),
                                        config.crawl.browser_memory_mb, config.crawl.browser_timeout)
        try:
            shared_browser.start()
        except BrowserStartError as exc:
            browser_missing, shared_browser = f"browser unavailable: {exc}", None
    for src in selected:
        if src.type == "browser" and browser_missing:
            report.failed[src.id] = browser_missing
            continue
        try:
            cls = spider_class(src.type)
        except NotImplementedError as exc:
            report.failed[src.id] = str(exc)
            continue
        # Per-source settings (delay, robots) ride on a subclass: Scrapy reads custom_settings
        # from the spider class when it builds that crawler.
        overrides = source_overrides(config, src)
        if src.type == "browser":
            from crawlers.browser_support import browser_settings

            overrides.update(browser_settings(config, src, shared_browser.ws_url))
        per_source = type(f"{cls.__name__}_{src.id}", (cls,), {"custom_settings": overrides})
        crawler = process.create_crawler(per_source)
        crawlers.append((src, crawler))
        process.crawl(crawler, source=src, db_path=str(config.archive.path))
    try:
        if crawlers:
            process.start(install_signal_handlers=True)
    finally:
        if shared_browser is not None:   # the browser never outlives the crawl
            from crawlers.browser_support import reap_children

            shared_browser.stop()
            reap_children()
    for src, crawler in crawlers:
        spider = crawler.spider
        if spider is None:
            report.failed[src.id] = "spider did not start"
            continue
        report.items_seen += spider.items_seen
        report.new_posts += spider.new_items
        if spider.failures:
            report.failed[src.id] = "; ".join(spider.failures[:3])
        elif spider.interrupted:
            log.warning("%s: %s; not counted as a failure, the next run fetches the rest",
                        src.id, spider.interrupted)
            report.interrupted.append(src.id)
        else:
            report.ok.append(src.id)
    _record_unstarted(config, report)
    return report


def _browser_problem(config: Config, selected: list[SourceConfig]) -> str | None:
    """Why browser sources cannot run here (no Chromium, no scrapy-playwright), if any is selected."""
    if not any(src.type == "browser" for src in selected):
        return None
    from crawlers.browser_support import browser_problem

    problem = browser_problem(config)
    if problem:
        log.warning("%s; browser sources are skipped, every other source runs", problem)
    return problem


def _record_unstarted(config: Config, report: CrawlReport) -> None:
    """Sources that never reached a spider (no spider for their type) still show in health."""
    db = open_archive(config.archive.path)
    try:
        for source_id, reason in report.failed.items():
            if reason.startswith(("source type", "browser unavailable")):
                source_rows.record_failure(db, source_id, reason)
    finally:
        db.close()
