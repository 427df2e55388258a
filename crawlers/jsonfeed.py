"""JSON Feed 1.0 and 1.1 (jsonfeed.org) → PostItems, with the fields XML feeds give.

Recognised by Content-Type (`application/feed+json`, `application/json`) or by its body (an object
whose "version" is a jsonfeed.org URL). Everything in the document is untrusted: wrong types are
skipped field by field, an item without a usable link is dropped, a title is plain text (escaped
here so the normalise pipeline keeps '<script>' in it as words), `content_html` is HTML and goes
the way feed HTML goes (scripts dropped by crawlers/normalize.html_to_text). Size is capped before
this runs (`[crawl] max_body_bytes`) and the pipelines cap each field, as for XML feeds.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urljoin

from crawlers.encoding import decode_body
from crawlers.items import PostItem

JSON_TYPES = ("application/feed+json", "application/json")
_VERSION = re.compile(rb'"version"\s*:\s*"https?:\\?/\\?/jsonfeed\.org\\?/version\\?/1')
# A title-less item (microblog posts) is named by the start of its text.
_UNTITLED_CHARS = 120


class JsonFeedError(ValueError):
    """The body is not a JSON Feed we can read; the message says what is wrong with it."""


def is_json_feed(content_type: str, body: bytes) -> bool:
    """True for a JSON object served as JSON (a feed source's JSON is never XML: a document that
    is not a JSON Feed gets that said about it), or any body declaring a jsonfeed.org version."""
    media = content_type.split(";")[0].strip().lower()
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"{"):
        return False
    return media in JSON_TYPES or bool(_VERSION.search(head))


def json_feed_items(body: bytes, content_type: str, feed_url: str, source_id: str,
                    encoding: str = "") -> list[PostItem]:
    """The feed's items; raises JsonFeedError when the document is not a JSON Feed."""
    text = decode_body(body, content_type, encoding)[0].lstrip("\ufeff")
    try:
        document = json.loads(text)
    except RecursionError:
        raise JsonFeedError("JSON nested too deeply to be a feed") from None
    except ValueError as exc:
        raise JsonFeedError(f"not valid JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise JsonFeedError("JSON without an \"items\" list: not a JSON Feed (jsonfeed.org)")
    base = _string(document.get("home_page_url")) or feed_url
    base = feed_url if not base.startswith(("http://", "https://")) else base
    feed_lang = _string(document.get("language"))
    feed_authors = _authors(document)
    items = []
    for entry in document["items"]:
        item = _item(entry, base, source_id, feed_lang, feed_authors) if isinstance(entry, dict) else None
        if item is not None:
            items.append(item)
    return items


def _string(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _authors(obj: dict) -> str:
    """1.1's `authors` list, else 1.0's single `author`: names joined with ', '."""
    found = obj.get("authors")
    if not isinstance(found, list):
        found = [obj.get("author")]
    names = [_string(a.get("name")) for a in found if isinstance(a, dict)]
    return ", ".join(n for n in names if n)[:200]


def _item(entry: dict, base: str, source_id: str, feed_lang: str, feed_authors: str) -> PostItem | None:
    link = _string(entry.get("url")) or _string(entry.get("external_url"))
    guid = _string(entry.get("id")) or (str(entry["id"]) if isinstance(entry.get("id"), int) else "")
    if not link and guid.startswith(("http://", "https://")):
        link = guid   # 1.0 feeds that put the permalink in id only
    if not link:
        return None
    content_html = _string(entry.get("content_html"))
    content_text = _string(entry.get("content_text"))
    summary = _string(entry.get("summary"))
    body_html = content_html or (f"<p>{html.escape(content_text)}</p>" if content_text else "")
    if not body_html and summary:
        body_html = f"<p>{html.escape(summary)}</p>"
    title = _string(entry.get("title"))
    if not title:
        plain = content_text or summary or re.sub(r"<[^>]+>", " ", content_html)
        title = " ".join(html.unescape(plain).split())[:_UNTITLED_CHARS]
    if not title:
        return None
    raw_date = _string(entry.get("date_published")) or _string(entry.get("date_modified"))
    lang = _string(entry.get("language")) or feed_lang
    return PostItem(
        source_id=source_id, url=urljoin(base, link), title=html.escape(title, quote=False),
        body_html=body_html, author=_authors(entry) or feed_authors or None,
        published=raw_date or None, guid=guid or None,
        lang=(lang.split("-")[0].lower() or None) if lang else None,
    )
