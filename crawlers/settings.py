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

DOWNLOADER_MIDDLEWARES = {
    # robots.txt once per host per run, not once per source (see crawlers/robots.py)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.robots.SharedRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.politeness.RetryAfterMiddleware": 550,
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
    "crawlers.httpcache.RevalidateCacheMiddleware": 900,
    # last before the network: only real downloads wait for the host's turn
    "crawlers.politeness.HostGateMiddleware": 950,
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
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES,
        "COOKIES_ENABLED": False,
        # Conditional GET: cached validators (ETag, Last-Modified) make unchanged feeds a 304;
        # every run revalidates (see crawlers/httpcache.py for why not plain RFC2616Policy).
        "HTTPCACHE_ENABLED": True,
        "HTTPCACHE_POLICY": "crawlers.httpcache.RevalidatePolicy",
        "HTTPCACHE_DIR": str(cache_dir),
        "HTTPCACHE_STORAGE": "scrapy.extensions.httpcache.FilesystemCacheStorage",
        "CLOSESPIDER_ERRORCOUNT": 20,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19's remote control is a code-execution HTTP server on localhost (with a
        # token written to the user's profile): nothing a cron job should expose.
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": log_level,
        # The CLI's handlers (stderr, --log-file) already carry Scrapy's records; Scrapy's own
        # root handler printed every warning a second time under cron.
        "LOG_INSTALL_ROOT_HANDLER": False,
        # Dropped items (too old, duplicates) are routine; at WARNING cron mailed them every day.
        "DEFAULT_DROPITEM_LOG_LEVEL": "INFO",
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "CRACKDOWN_DB": str(config.archive.path),
        "CRACKDOWN_MAX_AGE_DAYS": crawl.max_age_days,
        "CRACKDOWN_BROWSER_MEMORY_MB": crawl.browser_memory_mb,
    })
