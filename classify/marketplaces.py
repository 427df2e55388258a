"""Which marketplaces a post concerns, from what it mentions (English and Chinese names)."""

from __future__ import annotations

import re

_PATTERNS = {
    "amazon": r"\bamazon\b|\bfba\b|\bfbm\b|seller ?central|\basin\b|亚马逊|亞馬遜",
    "ebay": r"\bebay\b|易贝|亿贝",
    "walmart": r"\bwalmart\b|沃尔玛|沃爾瑪",
    "etsy": r"\betsy\b",
    "shopify": r"\bshopify\b",
    "tiktok_shop": r"tik ?tok shop|tiktok|抖音电商|抖音小店|\btts\b",
    "temu": r"\btemu\b|拼多多跨境",
    "aliexpress": r"aliexpress|ali express|速卖通",
    "shein": r"\bshein\b|希音",
    "shopee": r"\bshopee\b|虾皮",
}
_COMPILED = {m: re.compile(p, re.IGNORECASE) for m, p in _PATTERNS.items()}


def mentioned_marketplaces(text: str) -> set[str]:
    return {m for m, rx in _COMPILED.items() if rx.search(text)}
