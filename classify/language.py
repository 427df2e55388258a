"""Which language a post is written in, from its own text: scripts first, then function words.

The classifier routes a post by language (the English encoder reads English only), and a
source's configured `lang` is only a hint: an English-language forum carries German threads, a
news search returns Spanish articles. Scripts settle Chinese, Japanese, Korean, Russian and other
Cyrillic, Thai, Arabic, Hebrew, Greek, Devanagari and Vietnamese at once; Latin-script text is
scored by its share of each language's commonest function words, which separates the languages
sellers write in within a few dozen words, at about 50,000 posts/s (no model, no dependency).
Text mostly in a script named by none of these is "und" (undetermined, but not English): it
must not be read by the English-only encoder.
"""

from __future__ import annotations

import re

SAMPLE_CHARS = 1500
# A Latin-script language must cover this share of the sample's words to be named; below it the
# text is too short or too mixed to call, and the caller's hint (or English) stands.
MIN_SHARE = 0.06
# English prose is a third or more English function words; a text of this many words with
# under 2% of them is in some language the lists do not name.
MIN_WORDS_NOT_ENGLISH = 30
MAX_ENGLISH_SHARE = 0.02

_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and of to a in is that for it on with as was are be this have from by "
                    "at or an but not they you we my has were been their our will would your "
                    "what which who all so if can get just out about".split()),
    "de": frozenset("der die das und ist nicht ein eine zu den von mit sich des auf für im dem "
                    "auch es an als wie bei wir ich sie aus hat sind wird nach oder noch nur "
                    "über vom zum zur kein keine mein unser wurde wurden haben".split()),
    "fr": frozenset("le la les et des est un une du en que qui dans pour pas sur au ce avec "
                    "sont se ne plus par nous vous il elle ont été aux cette mais leur leurs "
                    "nos mon ou sans".split()),
    "es": frozenset("el la los las y de del que en un una es por para con no se su al lo como "
                    "más pero sus le ya o fue este esta han hemos mi nos están está muy sin "
                    "sobre".split()),
    "it": frozenset("il lo la gli le e di del della dei che è un una per non con si da sono "
                    "anche come ma al alla nel nella degli delle ho abbiamo mio suo questo "
                    "questa stato più".split()),
    "pt": frozenset("o a os as e de do da dos das que em um uma é para com não se por mais "
                    "na no nas nos ao foi como mas seu sua são está estão pelo pela".split()),
    "pl": frozenset("i w na z że się nie do jest to o od po jak ale za czy są być przez dla "
                    "tak już ich jego jej może mnie mam został została które który która".split()),
    "nl": frozenset("de het een en van is dat niet op te in zijn voor met ook als er maar om "
                    "aan bij nog wel naar dan wordt ze hij wij".split()),
    # Indonesian and Malay (Shopee, Tokopedia, Lazada sellers), Turkish (Trendyol, Hepsiburada)
    "id": frozenset("yang dan di ke dari untuk dengan ini itu tidak akan ada pada juga karena "
                    "atau sudah bisa saya kami mereka dalam oleh telah harus jika lebih".split()),
    "tr": frozenset("ve bir bu da de için ile çok ne gibi daha olan ama en değil var mı ben biz "
                    "onlar ise kadar sonra olarak her göre ya veya şu".split()),
}
_WORD = re.compile(r"[a-zà-öø-ÿąćęłńóśźżßıişğ']+")
# word -> the languages it is a function word of (one dictionary lookup per word, not eight)
_WORD_LANGS: dict[str, tuple[str, ...]] = {}
for _lang, _vocab in _FUNCTION_WORDS.items():
    for _word in _vocab:
        _WORD_LANGS[_word] = (*_WORD_LANGS.get(_word, ()), _lang)
# Scripts counted with one regex each (C speed), against all letters.
_LETTERS = re.compile(r"[^\W\d_]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Other scripts whose share of the letters names the language outright.
_SCRIPTS = (("th", re.compile(r"[\u0e00-\u0e7f]")), ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f]")),
            ("he", re.compile(r"[\u0590-\u05ff]")), ("el", re.compile(r"[\u0370-\u03ff]")),
            ("hi", re.compile(r"[\u0900-\u097f]")))
# Letters only Vietnamese uses among Latin-script languages (ơ ư đ and the stacked tone marks).
_VIETNAMESE = re.compile(r"[ơưđƠƯĐ\u1ea0-\u1ef9]")
_ASCII_LETTERS = re.compile(r"[A-Za-z]")


def _count(pattern: re.Pattern, text: str) -> int:
    return len(pattern.findall(text))


def detect_language(text: str, hint: str | None = None) -> str:
    """An ISO 639-1 code ('en', 'zh', 'ja', 'de', …); `hint` (the source's lang) breaks ties."""
    fallback = (hint or "en").lower()[:2]
    sample = (text or "")[:SAMPLE_CHARS]
    if not sample.isascii():   # the common English case skips the script counts
        letters = _count(_LETTERS, sample)
        if not letters:
            return fallback
        if _count(_KANA, sample) / letters > 0.05:
            return "ja"
        if _count(_HAN, sample) / letters > 0.2:
            return "zh"
        if _count(_HANGUL, sample) / letters > 0.2:
            return "ko"
        if _count(_CYRILLIC, sample) / letters > 0.3:
            return "uk" if any(c in sample for c in "іїєґ") else "ru"
        for lang, script in _SCRIPTS:
            if _count(script, sample) / letters > 0.3:
                return lang
        if _count(_VIETNAMESE, sample) / letters > 0.03:
            return "vi"
        if _count(_ASCII_LETTERS, sample) / letters < 0.5:
            # Mostly a script none of the above names: not English. A hint other than English
            # names it; else it is "und".
            return fallback if fallback != "en" else "und"
    words = _WORD.findall(sample.lower())
    if not words:
        return fallback
    hits = dict.fromkeys(_FUNCTION_WORDS, 0)
    for word in words:
        for lang in _WORD_LANGS.get(word, ()):
            hits[lang] += 1
    best = max(hits, key=hits.get)
    if hits[best] / len(words) < MIN_SHARE:
        # A long Latin-script text with almost no English function words is not English either
        # (Swedish, Czech, Romanian...): the multilingual encoder reads it, not the English one.
        if len(words) >= MIN_WORDS_NOT_ENGLISH and hits["en"] / len(words) < MAX_ENGLISH_SHARE:
            return fallback if fallback != "en" else "und"
        return fallback
    hinted = (hint or "").lower()[:2]
    if hinted in hits and hits[hinted] >= 0.8 * hits[best]:
        return hinted
    return best
