"""Which marketplaces a post concerns, from what it mentions (English and Chinese names)."""

from __future__ import annotations

import re

from classify.lexicon import keyword_pattern

# Names and jargon, matched on lower-cased text with ASCII word boundaries (see keyword_pattern).
# Platform jargon counts too: forum posts often name the tool ("Seller Central", "ASIN", "VeRO",
# "Seller Hub") or the seller slang (亚麻 for Amazon) rather than the marketplace.
_NAMES = {
    "amazon": ["amazon", "fba", "fbm", "seller central", "sellercentral", "asin", "asins",
               "brand registry", "buy box", "prime day", "亚马逊", "亞馬遜", "亚麻"],
    "ebay": ["ebay", "vero", "seller hub", "易贝", "亿贝"],
    "walmart": ["walmart", "wfs", "沃尔玛", "沃爾瑪"],
    "etsy": ["etsy"],
    "shopify": ["shopify", "shop pay"],
    # TikTok alone is the video app ("a TikTok that took off"); the marketplace is TikTok Shop.
    "tiktok_shop": ["tiktok shop", "tik tok shop", "tiktok小店", "tiktok电商", "抖音电商", "抖音小店",
                    "抖店"],
    "temu": ["temu", "拼多多跨境"],
    "aliexpress": ["aliexpress", "ali express", "速卖通"],
    "shein": ["shein", "希音"],
    "shopee": ["shopee", "虾皮"],
}
_COMPILED = {m: keyword_pattern(names) for m, names in _NAMES.items()}
# "TTS" is TikTok Shop only in capitals ("tts" is also text-to-speech).
_TTS = re.compile(r"(?<![A-Za-z0-9])TTS(?![A-Za-z0-9])")


def mentioned_marketplaces(text: str) -> set[str]:
    """The marketplaces `text` names (lower-case ids, e.g. "tiktok_shop"), possibly none."""
    lowered = text.lower()
    found = {m for m, rx in _COMPILED.items() if rx.search(lowered)}
    if _TTS.search(text):
        found.add("tiktok_shop")
    return found
