"""Validation of the keys `type = "browser"` sources add: `[crawl] chromium_path`,
`browser_timeout`, `browser_memory_mb`, and each source's `load_more_selector` /
`load_more_rounds`. A missing Chromium is not a config error: `crackdown doctor` and
`crackdown sources` report it, and every other source still runs."""

from __future__ import annotations

from pathlib import Path

from crackdown.config import ConfigError, CrawlConfig, SourceConfig


def check_browser_crawl(path: Path, crawl: CrawlConfig) -> None:
    if crawl.browser_timeout <= 0:
        raise ConfigError(path, "crawl.browser_timeout", "must be > 0 (seconds per rendered page)")
    if crawl.browser_memory_mb < 128:
        raise ConfigError(path, "crawl.browser_memory_mb",
                          f"must be >= 128 (Chromium needs ~100 MB to start), not {crawl.browser_memory_mb}")


def check_browser_source(path: Path, label: str, src: SourceConfig) -> None:
    if src.type != "browser":
        for key in ("load_more_selector", "load_more_rounds"):
            if getattr(src, key):
                raise ConfigError(path, f"{label}.{key}", 'only applies to type = "browser" sources')
        return
    for key in ("item_selector", "link_selector"):
        if not getattr(src, key):
            raise ConfigError(path, f"{label}.{key}", 'is required for type = "browser"')
    if not 0 <= src.load_more_rounds <= 50:
        raise ConfigError(path, f"{label}.load_more_rounds",
                          f"must be between 0 and 50 (times to click or scroll), not {src.load_more_rounds}")
    if src.load_more_selector and not src.load_more_rounds:
        raise ConfigError(path, f"{label}.load_more_rounds",
                          "must be >= 1 when load_more_selector is set (how many times to click it)")
    if src.load_more_selector.lstrip().startswith(("/", "./", "(")):
        raise ConfigError(path, f"{label}.load_more_selector", "must be a CSS selector (the button to click)")
