"""Bytes → text for pages and feeds whose charset may be missing, too narrow or plain wrong.

Chinese sites label GBK pages 'gb2312', serve UTF-8 under a GBK declaration, or declare nothing.
The cascade, each step gated by a strict decode that either succeeds or raises:
  1. the source's configured `encoding` (the operator knows best)
  2. UTF-8 (GBK or Big5 bytes almost never form valid UTF-8, so a clean decode is decisive)
  3. the charsets the response declares (header, XML declaration, <meta>), widened to supersets
  4. UTF-8 with replacement characters, when only a few bytes are broken
  5. charset-normalizer's guess
  6. the first declared charset (or UTF-8) with replacement characters
"""

from __future__ import annotations

import codecs
import re

# Declared charsets that real pages exceed: read them as their supersets.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
              "big5": "big5hkscs", "x-big5": "big5hkscs", "iso-8859-1": "cp1252",
              "latin-1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252"}
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9._\-]+)", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._\-]+)", re.I)


def normalise_charset(name: str) -> str | None:
    """The Python codec to use for a declared charset name, or None when Python has none."""
    name = (name or "").strip().lower()
    if not name:
        return None
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charsets(body: bytes, content_type: str = "") -> list[str]:
    """Charsets named by the Content-Type header, the XML declaration and <meta>, in that order."""
    found = []
    match = _HEADER_CHARSET.search(content_type or "")
    if match:
        found.append(match.group(1))
    head = body[:4096]
    for pattern in (_XML_DECL, _META_CHARSET):
        match = pattern.search(head)
        if match:
            found.append(match.group(1).decode("ascii", "ignore"))
    codecs_ = []
    for name in found:
        codec = normalise_charset(name)
        if codec and codec not in codecs_:
            codecs_.append(codec)
    return codecs_


def decode_body(body: bytes, content_type: str = "", override: str = "") -> tuple[str, str]:
    """(text, codec used). Never raises: a hopeless body decodes with replacement characters."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8):].decode("utf-8", "replace"), "utf-8"
    declared = declared_charsets(body, content_type)
    candidates = [normalise_charset(override)] if override else []
    candidates += ["utf-8", *declared]
    for codec in filter(None, candidates):
        try:
            return body.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    mostly_utf8 = _mostly_utf8(body)
    if mostly_utf8 is not None:
        return mostly_utf8, "utf-8"
    guess = _guess(body)
    if guess:
        return guess
    fallback = declared[0] if declared else "utf-8"
    return body.decode(fallback, "replace"), fallback


def _mostly_utf8(body: bytes) -> str | None:
    """UTF-8 with a few corrupt bytes (a broken feed generator) stays UTF-8: a guess would turn
    every other character into mojibake. GBK or Big5 read as UTF-8 is almost all replacement."""
    text = body.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    return text if good > 0 and bad <= max(2, 0.1 * good) else None


def _guess(body: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    if best is None:
        return None
    codec = normalise_charset(best.encoding) or best.encoding
    try:
        return body.decode(codec), codec
    except (UnicodeDecodeError, LookupError):
        return None


def feed_as_utf8(body: bytes, content_type: str = "", override: str = "") -> bytes:
    """A feed re-encoded as UTF-8 with its XML declaration saying so, for feedparser.

    feedparser trusts the declared charset and falls back to cp1252, which turns GBK-in-'gb2312'
    and UTF-8-in-'gbk' feeds into mojibake; decoding here first avoids both.
    """
    text, _ = decode_body(body, content_type, override)
    text = re.sub(r"^(\s*<\?xml[^>]*?encoding\s*=\s*)[\"'][^\"']*[\"']", r'\1"utf-8"', text,
                  count=1, flags=re.I)
    return text.encode("utf-8")
