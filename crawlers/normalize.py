"""Small pure helpers the pipelines share: canonical URLs, dates as UTC, HTML to text, hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timedelta, timezone, tzinfo
from html import unescape as html_unescape
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import lxml.html

from crawlers.dates import parse_date

_TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_hsenc",
    "_hsmi", "mkt_tok", "ref", "ref_src", "spm", "share_from", "cmpid", "rss", "from",
}
_BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote",
               "pre", "section", "article", "header", "footer", "ul", "ol", "table"}


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop fragments, default ports and tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and not ((scheme == "http" and parts.port == 80) or
                           (scheme == "https" and parts.port == 443)):
        host = f"{host}:{parts.port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not (k.lower().startswith("utm_") or k.lower() in _TRACKING_PARAMS)]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


# Dates outside this window are data errors (a feed claiming 1970 or 2099), not news.
_EARLIEST = datetime(1995, 1, 1, tzinfo=timezone.utc)


def to_utc_iso(value: str | datetime | None, default_tz: tzinfo = timezone.utc,
               now: datetime | None = None, *, lang: str = "") -> str | None:
    """A date (RFC 822, ISO 8601, '2020/1/10 14:33:00', '3 hours ago', '昨天 14:20', 'vor 2
    Stunden', …) as ISO-8601 UTC, or None. Naive dates are read in `default_tz`; relative ones
    count back from `now`; `lang` (the source's) orders an ambiguous '05/06/2021'."""
    if value is None or value == "":
        return None
    dt = value if isinstance(value, datetime) else parse_date(str(value), default_tz, now, lang=lang)
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    dt = dt.astimezone(timezone.utc).replace(microsecond=0)
    latest = (now or datetime.now(timezone.utc)) + timedelta(days=2)
    if dt < _EARLIEST or dt > latest:
        return None
    return dt.isoformat()


def struct_time_to_iso(st) -> str | None:
    """feedparser's *_parsed values are UTC struct_times."""
    if not st:
        return None
    try:
        return to_utc_iso(datetime(*st[:6], tzinfo=timezone.utc))
    except (TypeError, ValueError):
        return None


def html_to_text(html: str | None) -> str:
    """Readable text from an HTML fragment: scripts dropped, blocks become paragraphs."""
    if not html:
        return ""
    if "<" not in html:
        # still HTML: "&lt;script&gt;" is the literal text "<script>", shown escaped later
        return clean_text(html_unescape(html))
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return clean_text(re.sub(r"<[^>]+>", " ", html))
    for bad in root.xpath("//script|//style|//noscript|//iframe|//object"):
        bad.drop_tree()
    pieces: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _BLOCK_TAGS:
            pieces.append("\n\n")
        if el.text:
            pieces.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                pieces.append(child.tail)
        if tag in _BLOCK_TAGS:
            pieces.append("\n\n")

    walk(root)
    return clean_text("".join(pieces))


def clean_text(text: str) -> str:
    """Normalise Unicode, collapse spaces inside lines and blank-line runs between paragraphs."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\xa0", " ")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    paragraphs = [re.sub(r"[ \t]+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines() if line.strip())
                       for p in paragraphs if p)


def content_hash(title: str, body: str) -> str:
    """Identity of the text, independent of URL: syndicated copies share it."""
    basis = re.sub(r"\W+", " ", f"{title}\n{body}".lower()).strip()
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()

