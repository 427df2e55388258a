"""`type = "json"`: sites that publish through a JSON API (AMZ123's flash news is a Nuxt app whose
list comes from a POST to its API; a plain GET of the page has no items).

The request (method, JSON body, headers, paging) and the map from the response to posts (item list
path, id/title/link/date/text fields, a link template) come from `[sources.request]` and
`[sources.fields]` (crackdown/config_json.py). Pages are read newest first: paging stops at the
cap, at an empty page, or at the first page holding an item already archived or too old.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

import scrapy

from crackdown.config_json import TIME_PLACEHOLDER, JsonFields, template_fields
from crawlers import json_path
from crawlers.items import PostItem
from crawlers.normalize import canonical_url
from crawlers.spiders.base import SourceSpider

log = logging.getLogger(__name__)

MAX_ITEMS_PER_PAGE = 1000   # a hostile answer with a million tiny items is cut here


def fill_placeholders(value, now: float | None = None):
    """Body values like "{now-2d}" as epoch seconds (or ms with "{now_ms-2d}"), recursively."""
    now = time.time() if now is None else now
    if isinstance(value, dict):
        return {k: fill_placeholders(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_placeholders(v, now) for v in value]
    match = TIME_PLACEHOLDER.match(value) if isinstance(value, str) else None
    if not match:
        return value
    ms, amount, unit = match.groups()
    at = now - (int(amount) * (86400 if unit == "d" else 3600) if amount else 0)
    return int(at * 1000) if ms else int(at)


def epoch_to_iso(value, unit: str) -> str | None:
    """An epoch number (seconds or milliseconds; 'auto' tells them apart by size) as ISO UTC."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if unit == "ms" or (unit == "auto" and abs(number) >= 1e11):
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=timezone.utc).replace(microsecond=0).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def item_date(item: dict, fields: JsonFields) -> str | None:
    """The item's date for the normalise pipeline: epoch numbers become ISO UTC, strings go to the
    common date reader there (in the source's timezone)."""
    value = json_path.scalar(item, fields.date)
    if value is None:
        return None
    numeric = isinstance(value, (int, float)) or (isinstance(value, str)
                                                  and value.strip().lstrip("-").isdigit())
    if fields.date_unit == "text" or not numeric:
        return str(value).strip()[:100] or None
    return epoch_to_iso(value, fields.date_unit)


def item_link(item: dict, fields: JsonFields, base_url: str) -> str:
    if fields.link:
        link = json_path.text(item, fields.link)
        return urljoin(base_url, link) if link else ""
    values = {}
    for name in template_fields(fields.link_template):
        value = json_path.text(item, name)
        if not value:
            return ""   # no id, no link: the item is skipped rather than linked wrongly
        values[name] = quote(value, safe="")
    link = fields.link_template
    for name, value in values.items():
        link = link.replace("{" + name + "}", value)
    return urljoin(base_url, link)


def items_from_json(data, fields: JsonFields, source_id: str, base_url: str) -> list[PostItem] | None:
    """Posts in one parsed response; None when the item path reaches nothing."""
    rows = json_path.items_at(data, fields.items)
    if rows is None:
        return None
    if len(rows) > MAX_ITEMS_PER_PAGE:
        log.info("%s: %d items in one response; reading the first %d", source_id, len(rows),
                 MAX_ITEMS_PER_PAGE)
    posts = []
    for row in rows[:MAX_ITEMS_PER_PAGE]:
        title = json_path.text(row, fields.title)
        link = item_link(row, fields, base_url)
        if not title or not link.startswith(("http://", "https://")):
            continue
        posts.append(PostItem(
            source_id=source_id, url=link, title=title,
            body_html=json_path.text(row, fields.text) if fields.text else "",
            author=json_path.text(row, fields.author) or None if fields.author else None,
            published=item_date(row, fields) if fields.date else None,
            guid=json_path.text(row, fields.id) or None if fields.id else None,
        ))
    return posts


def describe_shape(data) -> str:
    """What the response holds at its top, for a failure message that helps fix the path."""
    if isinstance(data, dict):
        keys = ", ".join(list(data)[:12]) or "none"
        return f"an object with keys: {keys}"
    if isinstance(data, list):
        return f"a list of {len(data)}"
    return f"a {type(data).__name__}"


class JsonApiSpider(SourceSpider):
    async def start(self):
        yield self.page_request(self.source.request.first_page)

    # --- requests ---------------------------------------------------------------------------
    def page_request(self, page: int) -> scrapy.Request:
        req = self.source.request
        headers = {"Accept": "application/json", **dict(req.headers)}
        meta = {"page": page, "page_index": (page - req.first_page) // req.page_step}
        if req.method == "POST":
            body = fill_placeholders(req.body_dict())
            if req.page_param:
                body[req.page_param] = page
            headers.setdefault("Content-Type", "application/json")
            # A POST is not cacheable: a conditional POST may be answered 412, not 304.
            meta["dont_cache"] = True
            return scrapy.Request(self.source.url, method="POST", body=json.dumps(body),
                                  headers=headers, callback=self.parse, errback=self.on_error,
                                  dont_filter=True, meta=meta)
        url = self.source.url
        if req.page_param:
            parts = urlsplit(url)
            query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                     if k != req.page_param] + [(req.page_param, str(page))]
            url = urlunsplit(parts._replace(query=urlencode(query)))
        # GET goes through the HTTP cache: ETag / Last-Modified make an unchanged list a 304.
        return scrapy.Request(url, headers=headers, callback=self.parse_list,
                              errback=self.on_error, dont_filter=True, meta=meta)

    # --- responses --------------------------------------------------------------------------
    def parse(self, response):
        data = self.parse_body(response)
        if data is None:
            return
        fields = self.source.fields
        if not self.status_ok(data, response.url):
            return
        items = items_from_json(data, fields, self.source.id, self.source.url)
        if items is None:
            where = f"items path {fields.items!r}" if fields.items else "the response (items = \"\")"
            self.nothing_matched(f"{where} matched nothing in the JSON from {response.url} "
                                 f"(it holds {describe_shape(data)})")
            self.fail(f"{self.empty_reason}; the API may have changed: fix [sources.fields] items")
            return
        if not items and response.meta["page_index"] == 0:
            self.nothing_matched(f"items path {fields.items!r} in the JSON from {response.url} "
                                 "held no item with a title and a link")
        unique = {canonical_url(i.url) for i in items}
        new = self.new_only(items)
        for item in new:
            yield from self.follow_or_yield(self.prepare(item))
        req = self.source.request
        next_index = response.meta["page_index"] + 1
        # Newest first: a page with an archived or too-old item means the rest is old too.
        if req.page_param and items and len(new) == len(unique) and next_index < req.max_pages:
            yield self.page_request(response.meta["page"] + req.page_step)

    def parse_body(self, response):
        """The parsed JSON, or None after recording why it is not JSON."""
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        head = response.body[:256].lstrip().lower()
        if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
            kind = "HTML" if b"html" in head else "markup"
            self.fail(f"served {kind} ({content_type or 'no Content-Type'}) where JSON was "
                      f"expected at {response.url}; the API moved or blocks us (check method, "
                      "headers and url)")
            return None
        try:
            return json.loads(response.body)
        except (ValueError, RecursionError) as exc:
            self.fail(f"response from {response.url} is not JSON ({type(exc).__name__}: "
                      f"{str(exc)[:120]}; {len(response.body)} bytes, {content_type or 'no Content-Type'})")
            return None

    def status_ok(self, data, url: str) -> bool:
        """APIs that answer 200 with {"status": 401, "info": "..."} fail here, by name."""
        fields = self.source.fields
        if not fields.status:
            return True
        status = json_path.text(data, fields.status)
        if not fields.status_ok or status == fields.status_ok:
            return True
        message = json_path.text(data, fields.message)[:200] if fields.message else ""
        self.fail(f"API at {url} answered {fields.status} = {status or '(missing)'!s}, not "
                  f"{fields.status_ok}" + (f": {message}" if message else ""))
        return False
