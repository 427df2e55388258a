"""List pages without feeds (cifnews, AMZ123, WeCenter forums): selectors from the source's config
pick each item's link, title and date; every new item's article page is then fetched for its text.

A selector is XPath when it starts with '/', './' or '(' and CSS otherwise (parsel's `::text` and
`::attr(name)` work). `item_selector` picks one element per post; the others run inside it.
"""

from __future__ import annotations

from urllib.parse import urljoin

from parsel import Selector, SelectorList

from crawlers.dates import parse_date
from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider


def select(node: Selector, expression: str) -> SelectorList:
    expression = expression.strip()
    if expression.startswith(("/", "./", "(")):
        return node.xpath(expression)
    return node.css(expression)


def _text(node: Selector) -> str:
    if isinstance(node.root, str):
        return node.root.strip()
    return " ".join(t.strip() for t in node.xpath(".//text()").getall() if t.strip())


def _first_text(node: Selector, expression: str) -> str:
    found = select(node, expression)
    return _text(found[0]) if found else ""


def _link(node: Selector, expression: str) -> tuple[str, str]:
    """(href, link text) of the first match; an attribute/text selector gives the href directly."""
    found = select(node, expression)
    if not found:
        return "", ""
    first = found[0]
    if isinstance(first.root, str):
        return first.root.strip(), ""
    href = first.attrib.get("href") or first.xpath(".//a/@href").get() or ""
    return href.strip(), _text(first)


def _date(node: Selector, expression: str) -> str:
    """The first readable date among the match's machine-readable attributes (`datetime`, a
    `title` tooltip such as Discuz's full date behind '前天'), its descendants' and its text."""
    found = select(node, expression)
    if not found:
        return ""
    first = found[0]
    if isinstance(first.root, str):
        return first.root.strip()
    candidates = [first.attrib.get(a, "") for a in ("datetime", "data-time", "title")]
    candidates += first.xpath(".//*/@datetime | .//*/@title").getall()
    candidates.append(_text(first))
    return next((c.strip() for c in candidates if c.strip() and parse_date(c)), _text(first))


def list_page_items(html: str, page_url: str, source) -> list[PostItem]:
    """Items on a list page, selected by the source's `*_selector` settings."""
    page = Selector(text=html)
    items, seen = [], set()
    for node in select(page, source.item_selector):
        href, link_text = _link(node, source.link_selector)
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(page_url, href)
        if url in seen:
            continue
        seen.add(url)
        title = ((_first_text(node, source.title_selector) if source.title_selector else "")
                 or link_text or _text(node))
        if not title:
            continue  # an image-only or icon link: not a headline
        published = _date(node, source.date_selector) if source.date_selector else None
        items.append(PostItem(source_id=source.id, url=url, title=title, published=published or None))
    return items


def what_matched_nothing(html: str, page_url: str, source) -> str:
    """Which selector found nothing on a list page that gave no items (for source health)."""
    nodes = select(Selector(text=html), source.item_selector)
    if not nodes:
        return f"item_selector {source.item_selector!r} matched nothing on {page_url}"
    return (f"link_selector {source.link_selector!r} found no usable link in the {len(nodes)} "
            f"elements item_selector {source.item_selector!r} matched on {page_url}")


class HtmlSpider(SourceSpider):
    def parse(self, response):
        html = self.decode(response)
        items = list_page_items(html, response.url, self.source)
        if not items:
            self.nothing_matched(what_matched_nothing(html, response.url, self.source))
            self.fail(f"{self.empty_reason}; the page layout may have changed (or it needs "
                      "JavaScript)")
            return
        for item in self.new_only(items):
            # a list page carries no text: the article page is the post
            yield self.article_request(self.prepare(item))
