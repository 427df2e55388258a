"""Brief → email-safe HTML (autoescaped Jinja, CSS inlined by css-inline) and plain text."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from reports import i18n
from reports.brief import Brief, times

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_HTML_BYTES = 100_000   # Gmail clips messages over ~102 KB


# Characters no well-formed URL holds: whitespace, quotes, angle brackets, and the invisible
# controls below (an ESC could drive a terminal showing the text part; a newline forges a line).
_URL_BREAKERS = re.compile(r"[\s\"'<>\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def safe_url(url: str | None) -> str:
    """Only absolute http(s) links reach the email, in both parts; anything else (javascript:,
    data:, relative, malformed, control characters) becomes "" and the template shows the text
    without a link."""
    url = (url or "").strip()
    if not url or _URL_BREAKERS.search(url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        return url
    return ""


# C0/C1 controls and bidi overrides: feed text must not reorder or hide what the reader sees.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _clean(value):
    if isinstance(value, Markup):  # template output (a macro): its parts were cleaned already
        return value
    return _INVISIBLE.sub("", value) if isinstance(value, str) else value


def pad(text: str, width: int) -> str:
    """Left-align in a monospace column: Chinese characters take two columns."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def _env(lang: str = "en") -> Environment:
    """The template environment for one language: `_()`/`ngettext()` look up reports/i18n.py's
    catalogue (newstyle gettext: placeholders are filled, and escaped in the HTML)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(enabled_extensions=("html.j2",),
                                                  disabled_extensions=("txt.j2",),
                                                  default_for_string=True, default=True),
                      trim_blocks=True, lstrip_blocks=True, finalize=_clean,
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(i18n.gettext(lang), i18n.ngettext(lang), newstyle=True)
    env.filters["safe_url"] = safe_url
    env.filters["market"] = lambda m: i18n.market_label(m, lang)
    env.filters["tier"] = lambda t: i18n.tier_label(t, lang)
    env.filters["day"] = lambda d: i18n.format_date(d, lang)
    env.filters["times"] = times
    # In the HTML, _() returns Markup, which finalize passes through untouched: feed text given
    # to _() as a placeholder goes through `| clean` (or a macro, whose output was cleaned).
    env.filters["clean"] = _clean
    env.filters["pad"] = pad
    env.globals.update(sep=i18n.list_separator(lang), html_lang=i18n.HTML_LANG.get(lang, lang))
    return env


def render_html(brief: Brief) -> str:
    """The HTML brief with inline styles. When it would exceed Gmail's clipping limit, each
    topic shows fewer stories: the largest per-topic count that fits (binary search)."""
    import css_inline

    template = _env(brief.language).get_template("brief.html.j2")

    def render(max_items: int) -> str:
        return css_inline.inline(template.render(brief=brief, max_items=max_items))

    most = max((len(s.stories) for s in brief.sections), default=0)
    html = render(most)
    if len(html.encode("utf-8")) <= MAX_HTML_BYTES or most <= 1:
        return html
    low, high, best = 1, most - 1, render(1)
    while low <= high:
        mid = (low + high) // 2
        candidate = render(mid)
        if len(candidate.encode("utf-8")) <= MAX_HTML_BYTES:
            low, best = mid + 1, candidate
        else:
            high = mid - 1
    return best


def render_text(brief: Brief) -> str:
    return _env(brief.language).get_template("brief.txt.j2").render(brief=brief)
