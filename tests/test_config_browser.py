"""The keys browser sources add, and the two disabled browser sources config.toml ships."""

from __future__ import annotations

import pytest

from crackdown.config import ConfigError, load_config, parse_config
from tests.conftest import REPO


def _source(**keys) -> dict:
    return {"id": "forum", "name": "Forum", "type": "browser", "url": "https://forum.example/list",
            "item_selector": "li.thread", "link_selector": "a", **keys}


@pytest.mark.parametrize("raw,key,problem", [
    ({"sources": [_source(item_selector="")]}, "sources[0] (forum).item_selector",
     'required for type = "browser"'),
    ({"sources": [_source(load_more_rounds=99)]}, "sources[0] (forum).load_more_rounds", "between 0 and 50"),
    ({"sources": [_source(load_more_selector="#more")]}, "sources[0] (forum).load_more_rounds",
     "must be >= 1"),
    ({"sources": [_source(load_more_selector="//button", load_more_rounds=1)]},
     "sources[0] (forum).load_more_selector", "must be a CSS selector"),
    ({"sources": [_source(type="html", load_more_rounds=2)]}, "sources[0] (forum).load_more_rounds",
     'only applies to type = "browser"'),
    ({"crawl": {"browser_memory_mb": 64}}, "crawl.browser_memory_mb", "must be >= 128"),
    ({"crawl": {"browser_timeout": 0}}, "crawl.browser_timeout", "must be > 0"),
    ({"crawl": {"chromium_path": 5}}, "crawl.chromium_path", "must be a string"),
])
def test_browser_keys_are_validated(raw, key, problem):
    with pytest.raises(ConfigError) as err:
        parse_config(raw, "cfg.toml")
    assert err.value.key == key and problem in err.value.problem


def test_a_missing_chromium_is_not_a_config_error():
    config = parse_config({"crawl": {"chromium_path": "/nonexistent/chromium"}, "sources": [_source()]})
    assert config.crawl.chromium_path == "/nonexistent/chromium" and config.sources[0].type == "browser"


def test_shipped_browser_sources_are_disabled():
    browser = [s for s in load_config(REPO / "config.toml").sources if s.type == "browser"]
    assert {s.id for s in browser} == {"amazon_seller_forums", "ikjzd"}
    assert not any(s.enabled for s in browser)
    assert all(s.download_delay and s.download_delay >= 30 for s in browser)
