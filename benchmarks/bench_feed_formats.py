"""JSON Feed against RSS, per item: the same 200 generated items parsed both ways, as the feed
spider does it (bytes → decode → parse → PostItems), best of several rounds.

    .venv/bin/python benchmarks/bench_feed_formats.py [--items 200] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawlers.encoding import feed_as_utf8  # noqa: E402
from crawlers.jsonfeed import json_feed_items  # noqa: E402
from crawlers.spiders.feed import entry_to_item, parse_feed_bytes  # noqa: E402

START = datetime(2021, 5, 13, 12, 0, tzinfo=timezone.utc)
BODY = ("<p>Sellers report account suspensions after a review policy sweep; several say their funds "
        "are on hold while they prepare a plan of action.</p>") * 4


def items(n: int) -> list[dict]:
    return [{"title": f"Seller accounts suspended in review sweep, part {i}",
             "url": f"https://news.example/2021/05/sweep-{i}", "html": BODY,
             "date": START - timedelta(minutes=17 * i)} for i in range(n)]


def as_rss(rows: list[dict]) -> bytes:
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
             "<link>https://news.example/</link><description>d</description>"]
    for r in rows:
        parts.append(f"<item><title>{escape(r['title'])}</title><link>{r['url']}</link>"
                     f"<guid>{r['url']}</guid><pubDate>{format_datetime(r['date'])}</pubDate>"
                     f"<description>{escape(r['html'])}</description></item>")
    return ("".join(parts) + "</channel></rss>").encode("utf-8")


def as_json_feed(rows: list[dict]) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t",
                       "home_page_url": "https://news.example/",
                       "items": [{"id": r["url"], "url": r["url"], "title": r["title"],
                                  "content_html": r["html"], "date_published": r["date"].isoformat()}
                                 for r in rows]}).encode("utf-8")


def parse_rss(body: bytes) -> list:
    parsed = parse_feed_bytes(feed_as_utf8(body, "application/rss+xml"),
                              {"content-type": "application/rss+xml; charset=utf-8"}, "https://news.example/feed")
    return [i for i in (entry_to_item(e, "src") for e in parsed.entries) if i is not None]


def parse_json(body: bytes) -> list:
    return json_feed_items(body, "application/feed+json", "https://news.example/feed.json", "src")


def best(fn, body: bytes, rounds: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        count = len(fn(body))
        times.append(time.perf_counter() - start)
    return min(times), count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    rows = items(args.items)
    rss_body, json_body = as_rss(rows), as_json_feed(rows)
    for name, fn, body in (("RSS 2.0 (feedparser)", parse_rss, rss_body),
                           ("JSON Feed 1.1", parse_json, json_body)):
        seconds, count = best(fn, body, args.rounds)
        print(f"{name:22} {len(body) / 1024:7.0f} KB  {count} items  {seconds * 1000:7.1f} ms  "
              f"{seconds / count * 1e6:7.1f} µs/item")


if __name__ == "__main__":
    main()
