"""The brief's languages: one template set, a message catalogue per language.

How it works: templates (and the few sentences built in Python) write their fixed text in English
inside `_()` / `ngettext()` — the gettext convention, so the English text is the message id —
with named placeholders: `{{ _("Wave: %(topic)s", topic=s.topic_name) }}`. For English the id
is the text; for Chinese it is looked up in `reports/locale_zh.py` (a plain dict, no compile
step). To add a string: wrap it in `_()` in the template, add its translation to `ZH`;
tests/test_brief_zh.py extracts every `_()` from the templates and fails on one without a
translation, and renders a Chinese brief that fails on any English text left in it.

Dates, marketplaces, source tiers and list separators are localised here too; topic names come
from `[[topics]] name_zh` (defaults for the default topics). Feed text (titles, excerpts, source
names) stays as written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date as Date

from reports.locale_zh import ZH

LANGUAGES = ("en", "zh")
CATALOGUES: dict[str, dict[str, str]] = {"en": {}, "zh": ZH}
HTML_LANG = {"en": "en", "zh": "zh-CN"}

_MARKETS_EN = {"tiktok_shop": "TikTok Shop", "ebay": "eBay", "aliexpress": "AliExpress",
               "shein": "SHEIN"}
# Names Chinese sellers use; brands usually written in Latin letters stay so.
_MARKETS_ZH = {"amazon": "亚马逊", "walmart": "沃尔玛", "aliexpress": "速卖通", "shopee": "虾皮",
               "ebay": "eBay", "etsy": "Etsy", "shopify": "Shopify", "tiktok_shop": "TikTok Shop",
               "temu": "Temu", "shein": "SHEIN"}
_TIERS_ZH = {"official": "官方", "media": "媒体", "community": "社区"}


def gettext(lang: str) -> Callable[[str], str]:
    catalogue = CATALOGUES.get(lang, {})

    def translate(message: str) -> str:
        return catalogue.get(message, message)
    return translate


def ngettext(lang: str) -> Callable[[str, str, int], str]:
    catalogue = CATALOGUES.get(lang, {})

    def translate(singular: str, plural: str, n: int) -> str:
        if lang == "zh":   # Chinese has one form: the catalogue keys it by the plural
            return catalogue.get(plural, plural)
        return singular if n == 1 else plural
    return translate


def tr(lang: str, message: str, **values) -> str:
    """A catalogue sentence for Python-built text, with its placeholders filled in."""
    text = gettext(lang)(message)
    return text % values if values else text


def market_label(m: str | None, lang: str = "en") -> str:
    m = m or ""
    if lang == "zh":
        return _MARKETS_ZH.get(m, m.title())
    return _MARKETS_EN.get(m, m.title())


def tier_label(tier: str, lang: str = "en") -> str:
    return _TIERS_ZH.get(tier, tier) if lang == "zh" else tier


def list_separator(lang: str) -> str:
    return "、" if lang == "zh" else ", "


def format_date(iso: str, lang: str = "en") -> str:
    """"2021-05-13" → "2021-05-13" (en) or "2021年5月13日" (zh); other text unchanged."""
    if lang != "zh" or not iso:
        return iso
    try:
        d = Date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{d.year}年{d.month}月{d.day}日"


def localized_topics(topics, lang: str) -> list:
    """Topics with `name` in the brief's language (Chinese: `name_zh`, else the English name)."""
    if lang != "zh":
        return list(topics)
    return [replace(t, name=t.name_zh or t.name) for t in topics]
