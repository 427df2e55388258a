"""Discourse forums: `/latest.json` (or a category's list) → `/t/<slug>/<id>.json` for the first post."""

from __future__ import annotations

import json
from urllib.parse import urljoin

import scrapy

from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider


def topic_list_items(data: dict, source_id: str, base_url: str) -> list[PostItem]:
    """Topics of a Discourse topic list, as items whose body is filled from the topic JSON."""
    items = []
    for topic in (data.get("topic_list") or {}).get("topics") or []:
        topic_id, slug, title = topic.get("id"), topic.get("slug") or "topic", topic.get("title")
        if topic_id is None or not title or topic.get("pinned_globally"):
            continue
        items.append(PostItem(
            source_id=source_id, url=urljoin(base_url, f"/t/{slug}/{topic_id}"), title=title,
            published=topic.get("created_at"), guid=str(topic_id),
            body=topic.get("excerpt") or "",
        ))
    return items


def first_post(topic_json: dict) -> tuple[str, str | None, str | None]:
    """(cooked HTML, author, created_at) of a topic's opening post."""
    posts = (topic_json.get("post_stream") or {}).get("posts") or []
    first = next((p for p in posts if p.get("post_number") == 1), posts[0] if posts else None)
    if not first:
        return "", None, None
    return first.get("cooked") or "", first.get("username"), first.get("created_at")


class DiscourseSpider(SourceSpider):
    def parse(self, response):
        try:
            data = json.loads(response.body)
        except ValueError:
            self.fail(f"expected Discourse JSON at {response.url}; use the /latest.json URL")
            return
        items = topic_list_items(data, self.source.id, response.url)
        if not items:
            self.nothing_matched(f"no topics at topic_list.topics in the JSON from {response.url}")
        for item in self.new_only(items):
            yield scrapy.Request(item.url + ".json", callback=self.parse_topic,
                                 errback=self.article_failed, cb_kwargs={"item": self.prepare(item)},
                                 meta={"dont_cache": True})

    def parse_topic(self, response, item: PostItem):
        try:
            cooked, author, created = first_post(json.loads(response.body))
        except ValueError:
            yield item
            return
        item.body_html = cooked or item.body
        item.author = author or item.author
        item.published = item.published or created
        yield item
