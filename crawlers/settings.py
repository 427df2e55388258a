"""Scrapy settings built from config: politeness, caching, limits, pipelines."""

from __future__ import annotations

from pathlib import Path

from scrapy.settings import Settings

from crackdown.config import Config, SourceConfig

ITEM_PIPELINES = {
    "crawlers.pipelines.NormalisePipeline": 100,
    "crawlers.pipelines.DedupePipeline": 200,
    "crawlers.pipelines.ExtractPipeline": 300,
    "crawlers.pipelines.StorePipeline": 900,
}


def source_overrides(config: Config, source: SourceConfig) -> dict:
    """The settings that differ between sources: politeness toward that source's host."""
    crawl = config.crawl
    delay = crawl.download_delay if source.download_delay is None else source.download_delay
    obey = crawl.obey_robots if source.obey_robots is None else source.obey_robots
    return {
        "ROBOTSTXT_OBEY": obey,
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if delay > 0 else 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1 if delay > 0 else 8,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle and delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.5),
    }


def build_settings(config: Config, source: SourceConfig, log_level: str = "WARNING") -> Settings:
    """Process-wide settings; `source_overrides` adds what differs per source."""
    crawl = config.crawl
    cache_dir = Path(config.archive.path).resolve().parent / "httpcache"
    return Settings({
        "BOT_NAME": "crackdown",
        "USER_AGENT": crawl.user_agent,
        **source_overrides(config, source),
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_body_bytes,
        "DOWNLOAD_WARNSIZE": crawl.max_body_bytes // 2,
        "RETRY_ENABLED": crawl.retries > 0,
        "RETRY_TIMES": crawl.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        # Conditional GET: cached validators (ETag, Last-Modified) make unchanged feeds a 304.
        "HTTPCACHE_ENABLED": True,
        "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
        "HTTPCACHE_DIR": str(cache_dir),
        "HTTPCACHE_STORAGE": "scrapy.extensions.httpcache.FilesystemCacheStorage",
        "CLOSESPIDER_ERRORCOUNT": 20,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": log_level,
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "CRACKDOWN_DB": str(config.archive.path),
        "CRACKDOWN_MAX_AGE_DAYS": crawl.max_age_days,
    })
