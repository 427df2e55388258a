"""Feed dates without a zone are read in the source's `timezone`, as numeric and HTML dates are;
a date that names its zone keeps it. One real crawl of feeds served from 127.0.0.1."""

from __future__ import annotations

import sqlite3

from tests.conftest import run_cli, write_config
from tests.fixtures.crawl.site import rss

# (slug, pubDate as the feed prints it, UTC expected from a source in Asia/Shanghai)
SHANGHAI = [
    ("rfc-naive", "Tue, 11 May 2021 09:30:00", "2021-05-11T01:30:00+00:00"),
    ("iso-naive", "2021-05-11T09:30:00", "2021-05-11T01:30:00+00:00"),
    ("rfc-zero", "Tue, 11 May 2021 09:30:00 +0000", "2021-05-11T09:30:00+00:00"),
    ("rfc-gmt", "Tue, 11 May 2021 09:30:00 GMT", "2021-05-11T09:30:00+00:00"),
    ("rfc-edt", "Tue, 11 May 2021 09:30:00 EDT", "2021-05-11T13:30:00+00:00"),
    ("iso-z", "2021-05-11T09:30:00Z", "2021-05-11T09:30:00+00:00"),
    ("iso-offset", "2021-05-11T09:30:00+08:00", "2021-05-11T01:30:00+00:00"),
]

ATOM_NAIVE = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
              "<title>t</title><id>urn:t</id><updated>2021-05-11T09:30:00</updated>"
              "<entry><title>Atom naive</title><id>urn:a1</id><link href=\"{base}/atom/1\"/>"
              "<updated>2021-05-11T09:30:00</updated><summary>s</summary></entry></feed>")


def test_naive_feed_dates_use_the_source_timezone(tmp_path, http_server):
    base = http_server.base
    items = [{"title": slug, "link": f"{base}/sh/{slug}", "date": date} for slug, date, _ in SHANGHAI]
    sources = [
        {"id": "shanghai", "name": "Shanghai feed", "type": "feed", "timezone": "Asia/Shanghai",
         "url": http_server.add("/sh/feed", rss(items))},
        # the same naive date from a source without a timezone stays UTC
        {"id": "utc", "name": "UTC feed", "type": "feed",
         "url": http_server.add("/utc/feed", rss([{"title": "u", "link": f"{base}/utc/1",
                                                   "date": "Tue, 11 May 2021 09:30:00"}]))},
        {"id": "atom", "name": "Atom feed", "type": "feed", "timezone": "Asia/Shanghai",
         "url": http_server.add("/atom/feed", ATOM_NAIVE.format(base=base), "application/atom+xml")},
    ]
    result = run_cli("--config", str(write_config(tmp_path, sources)), "crawl")
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(tmp_path / "archive.db")
    stored = dict(db.execute("SELECT url, published_at FROM posts"))
    assert {slug: stored[f"{base}/sh/{slug}"] for slug, _, _ in SHANGHAI} == {
        slug: utc for slug, _, utc in SHANGHAI}
    assert stored[f"{base}/utc/1"] == "2021-05-11T09:30:00+00:00"
    assert stored[f"{base}/atom/1"] == "2021-05-11T01:30:00+00:00"
