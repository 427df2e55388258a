"""Subreddit listings: the JSON listing (`/new.json`) or the Atom feed (`/new/.rss`)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from crawlers.items import PostItem
from crawlers.spiders.feed import FeedSpider


def listing_to_items(listing: dict, source_id: str, base_url: str) -> list[PostItem]:
    """Posts of a Reddit `Listing` (kind t3), with their self-text as body."""
    from urllib.parse import urljoin

    items = []
    for child in (listing.get("data") or {}).get("children") or []:
        if child.get("kind") != "t3":
            continue
        d = child.get("data") or {}
        permalink = d.get("permalink") or ""
        if not permalink or not d.get("title"):
            continue
        created = d.get("created_utc")
        published = (datetime.fromtimestamp(created, tz=timezone.utc).isoformat()
                     if isinstance(created, (int, float)) else None)
        body_html = d.get("selftext_html") or ""
        body = "" if body_html else (d.get("selftext") or "")
        if not body_html and not body and d.get("url") and not d.get("is_self"):
            body = f"Link: {d['url']}"
        items.append(PostItem(
            source_id=source_id, url=urljoin(base_url, permalink), title=d["title"],
            body_html=_unescape(body_html), body=body, author=d.get("author"),
            published=published, guid=d.get("name"),
        ))
    return items


def _unescape(html: str) -> str:
    # Reddit's JSON carries selftext_html entity-escaped ("&lt;p&gt;").
    import html as html_lib

    return html_lib.unescape(html) if html else ""


class RedditSpider(FeedSpider):
    def parse(self, response):
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if "json" not in content_type and not response.body.lstrip().startswith(b"{"):
            yield from super().parse(response)  # the Atom listing
            return
        try:
            listing = json.loads(response.body)
        except ValueError as exc:
            self.fail(f"invalid JSON listing at {response.url}: {exc}")
            return
        if not isinstance(listing, dict) or listing.get("kind") != "Listing":
            self.fail(f"not a Reddit listing at {response.url}")
            return
        items = listing_to_items(listing, self.source.id, response.url)
        for item in self.new_only(items):
            yield self.prepare(item)  # self-posts carry their text; there is no article to follow
