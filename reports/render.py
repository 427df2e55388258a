"""Brief → email-safe HTML (autoescaped Jinja, CSS inlined by css-inline) and plain text."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from reports.brief import Brief, market_label

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_HTML_BYTES = 100_000   # Gmail clips messages over ~102 KB


def safe_url(url: str | None) -> str:
    """Only absolute http(s) links reach the email; anything else (javascript:, data:) becomes '#'."""
    if not url:
        return "#"
    parts = urlsplit(url.strip())
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return "#"


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(enabled_extensions=("html.j2",),
                                                  disabled_extensions=("txt.j2",),
                                                  default_for_string=True, default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["safe_url"] = safe_url
    env.filters["market"] = market_label
    return env


def render_html(brief: Brief) -> str:
    """The HTML brief with inline styles; items are dropped from the longest sections until it
    fits under Gmail's clipping limit."""
    import css_inline

    env = _env()
    max_items = max((len(s.stories) for s in brief.sections), default=0)
    while True:
        html = env.get_template("brief.html.j2").render(brief=brief, max_items=max_items)
        html = css_inline.inline(html)
        if len(html.encode("utf-8")) <= MAX_HTML_BYTES or max_items <= 1:
            return html
        max_items -= 1


def render_text(brief: Brief) -> str:
    return _env().get_template("brief.txt.j2").render(brief=brief)
