"""What a spider yields: one post, before normalisation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PostItem:
    source_id: str
    url: str
    title: str
    body_html: str = ""         # feed summary / content, or a forum post's HTML
    body: str = ""              # plain text; filled by the normalise and extract pipelines
    author: str | None = None
    published: str | None = None  # raw date string or ISO; normalised to UTC ISO
    guid: str | None = None
    origin: str | None = None   # the outlet, for aggregated news-search feeds
    lang: str | None = None
    timezone: str = ""          # the source's zone for naive dates ("" = UTC)
    article_html: str = ""      # the article page, when fetch_articles followed the link
    article_url: str = ""
