"""Main text and date of an article page, via trafilatura (the one place that calls it)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Extracted:
    text: str
    date: str | None
    title: str | None


def extract_article(html: str, url: str) -> Extracted | None:
    """The article's main text without navigation, ads and comments; None when nothing usable."""
    import trafilatura  # imported here: it is slow to import and only the crawl needs it

    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          include_tables=False, favor_precision=True)
    except Exception as exc:  # trafilatura raises a variety of parser errors on broken pages
        log.warning("extraction failed for %s: %s", url, exc)
        return None
    if doc is None or not (doc.text or "").strip():
        return None
    return Extracted(text=doc.text, date=doc.date, title=doc.title)
