"""Which marketplaces a post concerns, from what it mentions (English and Chinese names)."""

from __future__ import annotations

import re

from classify.lexicon import ASCII_BOUNDARY

_PATTERNS = {
    # Platform jargon counts too: forum posts often name the tool ("Seller Central", "ASIN",
    # "VeRO", "Seller Hub") or the seller slang (亚麻 for Amazon) rather than the marketplace.
    "amazon": r"\bamazon\b|\bfba\b|\bfbm\b|seller ?central|\basins?\b|brand registry|buy box|"
              r"prime day|亚马逊|亞馬遜|亚麻",
    "ebay": r"\bebay\b|\bvero\b|seller hub|易贝|亿贝",
    "walmart": r"\bwalmart\b|\bwfs\b|沃尔玛|沃爾瑪",
    "etsy": r"\betsy\b",
    "shopify": r"\bshopify\b|shop pay\b",
    # TikTok alone is the video app ("a TikTok that took off"); the marketplace is TikTok Shop.
    "tiktok_shop": r"tik ?tok shop|tiktok小店|tiktok电商|抖音电商|抖音小店|抖店|(?-i:\bTTS\b)",
    "temu": r"\btemu\b|拼多多跨境",
    "aliexpress": r"aliexpress|ali express|速卖通",
    "shein": r"\bshein\b|希音",
    "shopee": r"\bshopee\b|虾皮",
}
# \b treats Chinese characters as word characters, so "Etsy卖家" has no boundary after "Etsy".
_COMPILED = {m: re.compile(p.replace(r"\b", ASCII_BOUNDARY), re.IGNORECASE)
             for m, p in _PATTERNS.items()}


def mentioned_marketplaces(text: str) -> set[str]:
    """The marketplaces `text` names (lower-case ids, e.g. "tiktok_shop"), possibly none."""
    return {m for m, rx in _COMPILED.items() if rx.search(text)}
