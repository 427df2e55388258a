"""Text preparation before classification: drop the page furniture that extraction leaves behind.

A crawled article often opens with "Skip to main content", a share bar, a byline and a photo
caption, and closes with cookie, affiliate and newsletter notices. None of it says anything about
enforcement, yet it fills the encoder's window ahead of the article. `strip_boilerplate` removes
such lines by rule:

1. Whole lines that are furniture (navigation, share bars, bylines, dates, captions, notices),
   recognised only when short, so a real paragraph that happens to mention "share" stays.
2. Share-bar runs glued to the start of a paragraph ("Share on Facebook Share on X The FTC …").
3. Repeated lines (menus printed twice) after their first occurrence.

Rules are conservative: when in doubt a line stays. The title is never touched.

`without_cjk` is the English encoder's own cut: an English post without its Chinese or Japanese
runs (a Chinese seller forum's title and chrome around a quoted English notice).
"""

from __future__ import annotations

import re

# Lines longer than this are content, whatever words they contain (bylines and captions are short).
SHORT_LINE_WORDS = 25
SHORT_LINE_CHARS = 160

_SHARE_WORDS = (
    r"share|shares|tweet|email|e-mail|print|facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|"
    r"telegram|copy link|copy|link|flipboard|messenger|wechat|weibo|teilen|compartir|condividi|"
    r"partager|udostępnij|シェア|ツイート|分享|分享到|微信|微博|朋友圈|qq"
)
# A line made only of share-bar words ("Share on Facebook Share on Twitter Email Print").
_SHARE_LINE = re.compile(
    rf"^(?:(?:{_SHARE_WORDS})(?:\s+(?:on|via|this|article|story|to|auf|en|su|sur|na))*[\s|:·•/,]*)+$",
    re.IGNORECASE)
# The same run glued to the front of a paragraph: at least two share targets in a row.
_SHARE_PREFIX = re.compile(
    r"^(?:(?:share|tweet)(?:\s+(?:on|via|this))*\s+(?:facebook|twitter|x|linkedin|whatsapp|reddit|"
    r"pinterest|email)[\s|·•,]*){2,}", re.IGNORECASE)

_NAVIGATION = re.compile(
    r"^(?:skip to (?:main )?content|skip to navigation|skip navigation|jump to content|menu|"
    r"main menu|close menu|open menu|search|home|back to top|top of page|to top|sign in|log in|"
    r"login|register|subscribe|subscribe now|sign up|my account|toggle navigation|navigation|"
    r"zum inhalt springen|direkt zum inhalt|aller au contenu|passer au contenu|ir al contenido|"
    r"saltar al contenido|vai al contenuto|salta al contenuto|przejdź do treści|"
    r"本文へスキップ|メニュー|返回顶部|首页|登录|注册|搜索)$",
    re.IGNORECASE)

# Notices that may run long (cookie banners, affiliate and legal disclaimers): matched on any line
# up to LONG_NOTICE_WORDS, so they must be specific enough never to describe an article's subject.
LONG_NOTICE_WORDS = 80
_LONG_NOTICE = re.compile(
    r"(?:\b(?:we|this (?:site|website))(?: and our partners)? uses? cookies\b"
    r"|\bcookies?\b.*\b(?:accept all|reject all|cookie settings|cookie preferences|consent)\b"
    r"|\bwe (?:may )?(?:earn|receive) (?:a )?(?:small )?(?:commission|compensation)"
    r"|\baffiliate (?:links?|commission|disclosure)"
    r"|\bas an amazon associate,? (?:we|i) earn\b"
    r"|\b(?:sign up|subscribe) (?:for|to) (?:our|the) (?:free )?(?:daily |weekly )?newsletter"
    r"|^(?:disclaimer|legal notice|attorney advertising)\b"
    r"|^this (?:alert|article|post|publication|material|content|blog|update|client alert|newsletter)"
    r"\b.{0,80}\b(?:informational purposes|legal advice|attorney advertising)"
    r"|\bprior results do not guarantee\b"
    r"|点击上方.{0,8}关注|长按.{0,6}(?:识别|扫码)|扫码关注|扫描二维码|免责声明|版权声明|转载请注明)",
    re.IGNORECASE)
# Furniture that is always short: copyright lines, ad labels, Chinese source/editor lines.
_SHORT_NOTICE = re.compile(
    r"(?:\ball rights reserved\b|^©|^copyright\b|\bterms of (?:use|service)\b.*\bprivacy\b"
    r"|^advertisement$|^sponsored(?: content)?$|^ad$|^anzeige$|^publicidad$|^pubblicità$|^publicité$"
    r"|^reklama$|^広告$|^广告$|阅读原文|本文来源|^来源[:：]|^责任编辑|^编辑[:：]|^作者[:：]|"
    r"^原标题[:：]|^图片来源)",
    re.IGNORECASE)

_CAPTION = re.compile(
    r"^(?:photo|image|picture|illustration|credit|photograph|foto|bild|imagen|immagine|zdjęcie|"
    r"写真|图片|图)\s*(?:by|credit|:|：|-|—)"
    r"|\((?:photo|image) (?:by|credit)[^)]*\)\s*$"
    r"|(?:getty images|shutterstock|reuters|afp|ap photo|bloomberg|istock|unsplash)\s*\)?\s*$",
    re.IGNORECASE)

# "By Jane Doe", "By Jane Doe and Li Wei | May 13, 2021": capitalised names, then the end of the
# line or a separator. "By May 2021, Amazon had closed…" is a sentence and stays.
_NAME = r"[A-ZÀ-Ý][\w.'’-]*"
_BYLINE = re.compile(
    rf"^(?i:by|von|por|di|par|przez|written by|posted by|words by|author:?)\s+{_NAME}"
    rf"(?:\s+(?:{_NAME}|(?i:and|&|und|y|e|et|i)))*\s*(?:[|,·•—–-].*)?$")

_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_DATE_LINE = re.compile(
    rf"^(?:(?:published|updated|posted|last updated|veröffentlicht|aktualisiert|publicado|"
    rf"actualizado|pubblicato|aggiornato|publié|mis à jour|opublikowano|发布时间|发布于|更新)[:：]?\s*)?"
    rf"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s*)?"
    rf"(?:(?:{_MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+(?:{_MONTHS})\.?\s+\d{{4}}|"
    rf"\d{{4}}[-/.年]\d{{1,2}}[-/.月]\d{{1,2}}日?|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}})"
    rf"(?:[,\s]+(?:at\s+)?\d{{1,2}}[:.]\d{{2}}(?:\s*[ap]\.?m\.?)?(?:\s*[a-z]{{2,4}})?)?"
    rf"(?:\s*[|·•-]\s*\d+\s*min(?:ute)?s?\s+read)?$",
    re.IGNORECASE)
_READ_TIME = re.compile(r"^(?:\d+\s*(?:min(?:ute)?s?|分钟)\s*(?:read|阅读|lesen|lectura|lettura)?|"
                        r"reading time:?\s*\d+.*)$", re.IGNORECASE)
_RELATED = re.compile(
    r"^(?:related|read more|read next|recommended|see also|also read|more from|more stories|"
    r"you may also like|popular|trending|further reading|weiterlesen|lesen sie auch|leer más|"
    r"lee también|leggi anche|lire aussi|à lire aussi|czytaj też|czytaj także|関連記事|"
    r"相关阅读|推荐阅读|延伸阅读|相关文章)\b\s*[:：]?.*$",
    re.IGNORECASE)


def _is_furniture(line: str) -> bool:
    words = len(line.split())
    if words > SHORT_LINE_WORDS or len(line) > SHORT_LINE_CHARS:
        # Long lines are content, except the legal and cookie boilerplate that runs long.
        return words <= LONG_NOTICE_WORDS and bool(_LONG_NOTICE.search(line))
    return bool(_SHARE_LINE.match(line) or _NAVIGATION.match(line) or _LONG_NOTICE.search(line)
                or _SHORT_NOTICE.search(line)
                or _CAPTION.search(line) or _BYLINE.match(line) or _DATE_LINE.match(line)
                or _READ_TIME.match(line) or _RELATED.match(line))


def strip_boilerplate(text: str) -> str:
    """The body without furniture lines; paragraphs keep their order and blank-line separation."""
    if not text:
        return ""
    kept: list[str] = []
    seen: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            if kept and kept[-1] != "":
                kept.append("")
            continue
        line = _SHARE_PREFIX.sub("", line).strip()
        if not line or _is_furniture(line):
            continue
        key = line.lower()
        if key in seen and len(line) < SHORT_LINE_CHARS:
            continue   # a menu or a pull quote printed twice
        seen.add(key)
        kept.append(line)
    while kept and kept[-1] == "":
        kept.pop()
    return "\n".join(kept)


# Runs of CJK ideographs, kana, CJK punctuation and full-width forms.
_CJK_RUN = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def without_cjk(text: str) -> str:
    """`text` without its CJK runs: what the English encoder reads of an English post. A Chinese
    forum thread that quotes an English notice is detected as English, and the encoder spends a
    token on each Chinese character of its title and forum chrome, filling its 64 before the notice;
    the phrase model, the lexicon and the multilingual vector still read the whole text."""
    return re.sub(r"[ \t]{2,}", " ", _CJK_RUN.sub(" ", text)).strip()
