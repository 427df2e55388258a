"""`crackdown sources --check` and `doctor`: sources whose list loads but yields zero items several
runs in a row are explained as a probable layout or platform change, naming what matched nothing.

Three real crawls (subprocesses) against 127.0.0.1: the eBay board after its move off Khoros,
still configured as `khoros`; an API whose item list moved; an HTML list whose selector no longer
matches; and two healthy sources that must not be flagged.
"""

from __future__ import annotations

import pytest

from tests.api_server import ApiServer
from tests.conftest import FIXTURES, run_cli
from tests.test_crawl_json import write_config


@pytest.fixture(scope="module")
def streak(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("streak")
    api = ApiServer()
    api.static("GET", "/forum/selling-57920/", (FIXTURES / "crawl/ebay_forum_board.html").read_bytes(),
               "text/html; charset=utf-8")
    api.json_route("POST", "/kx_list", {"status": 0, "data": {"list": []}})
    api.static("GET", "/news/", "<html><body><div id='app'></div><a href='/about'>About</a></body></html>",
               "text/html")
    api.json_route("GET", "/ok.json", {"rows": [{"t": "Sellers report holds", "u": "https://ok.test/1"}]})
    sources = [
        {"id": "ebay_old", "name": "eBay as Khoros", "type": "khoros",
         "url": f"{api.base}/forum/selling-57920/"},
        {"id": "kx_moved", "name": "API moved", "type": "json", "url": f"{api.base}/kx_list",
         "request": {"method": "POST", "body": {"start_time": "{now-2d}"}},
         "fields": {"items": "data.row_map.*.kx_content", "title": "title",
                    "link_template": "https://www.amz123.com/kx/{id}"}},
        {"id": "news_redesign", "name": "Redesigned list", "type": "html", "url": f"{api.base}/news/",
         "item_selector": "ul.news li", "link_selector": "a"},
        {"id": "healthy", "name": "Healthy API", "type": "json", "url": f"{api.base}/ok.json",
         "fields": {"items": "rows", "title": "t", "link": "u"}},
    ]
    config = write_config(tmp, sources)
    checks = []
    for run in range(3):
        result = run_cli("--config", config, "crawl", timeout=120)
        assert result.returncode == 1, result.stderr      # partial: three sources fail
        if run == 1:
            checks.append(run_cli("--config", config, "sources", "--check"))
    checks.append(run_cli("--config", config, "sources", "--check"))
    doctor = run_cli("--config", config, "doctor", "--no-network")
    yield {"before": checks[0], "after": checks[1], "doctor": doctor}
    api.close()


def test_two_empty_runs_are_not_yet_a_finding(streak):
    assert streak["before"].returncode == 0, streak["before"].stdout
    assert "no source has returned zero items several runs in a row" in streak["before"].stdout


def test_check_names_what_matched_nothing_for_each_broken_source(streak):
    out = streak["after"].stdout
    assert streak["after"].returncode == 1
    lines = {line.split(":")[0].removeprefix("CHECK "): line for line in out.splitlines()
             if line.startswith("CHECK ")}
    assert set(lines) == {"ebay_old", "kx_moved", "news_redesign"}
    for line in lines.values():
        assert "zero items in 3 runs in a row since" in line and "probable layout or platform change" in line
    assert "no RSS <link> on the board page" in lines["ebay_old"] and 'type = "html"' in lines["ebay_old"]
    assert "items path 'data.row_map.*.kx_content' matched nothing" in lines["kx_moved"]
    assert "object with keys: status, data" in lines["kx_moved"]
    assert "item_selector 'ul.news li' matched nothing" in lines["news_redesign"]
    assert "3 source(s) look broken" in out


def test_doctor_reports_the_same_sources(streak):
    out = streak["doctor"].stdout
    assert "[FAIL] source ebay_old: probable layout or platform change: zero items in 3 runs" in out
    assert "[FAIL] source kx_moved" in out and "healthy" not in out


def test_a_source_with_items_ends_its_streak(tmp_path):
    from crackdown.archive import empty_runs, open_archive
    from crackdown.archive import sources as source_rows
    from crackdown.config import load_config
    from crackdown.source_check import empty_sources

    path = write_config(tmp_path, [{"id": "s", "name": "S", "type": "feed", "url": "https://x.test/f"}])
    config = load_config(path)
    db = open_archive(config.archive.path)
    source_rows.sync_sources(db, config.sources)
    for day in ("2026-12-01", "2026-12-02", "2026-12-03"):
        empty_runs.record_empty(db, "s", "the feed had no entries", at=f"{day}T06:00:00+00:00")
    found = empty_sources(db, config)
    assert [(f.source_id, f.runs, f.since) for f in found] == [("s", 3, "2026-12-01")]
    empty_runs.record_items(db, "s")
    assert empty_sources(db, config) == []
