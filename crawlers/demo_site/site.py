"""The bundled demo site: the May 2021 corpus rendered as the payloads real sources serve.

`corpus/*.jsonl` holds the posts (written for this project); `sources.toml` says how each
source publishes them. `build_site()` renders every payload into a {path: (content type, bytes)}
map, and `DemoServer` serves it on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
import tomllib
from datetime import datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
Payloads = dict[str, tuple[str, bytes]]


def load_demo_sources() -> list[dict]:
    return tomllib.loads((HERE / "sources.toml").read_text(encoding="utf-8"))["sources"]


def load_posts(source_id: str) -> list[dict]:
    path = CORPUS / f"{source_id}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _when(post: dict) -> datetime:
    return datetime.fromisoformat(post["published"].replace("Z", "+00:00"))


def _slug(post: dict) -> str:
    words = "".join(c if c.isascii() and c.isalnum() else "-" for c in post["title"].lower())
    words = "-".join(w for w in words.split("-") if w)[:60].strip("-")
    number = post["id"].rsplit("-", 1)[-1]
    return f"{words}-{number}" if words else f"post-{number}"


def _paragraphs_html(body: str) -> str:
    return "\n".join(f"<p>{escape(p)}</p>" for p in body.split("\n\n") if p.strip())


# --- payload renderers, one per way of publishing ----------------------------------------------

def _rss(src: dict, posts: list[dict], base: str, link_for, full_content: bool,
         encoding: str = "utf-8") -> bytes:
    items = []
    for p in reversed(posts):  # feeds list newest first
        content = (f"<content:encoded><![CDATA[{_paragraphs_html(p['body'])}]]></content:encoded>"
                   if full_content else "")
        category = f"<category>{escape(p['category'])}</category>" if p.get("category") else ""
        items.append(f"""  <item>
    <title>{escape(p['title'])}</title>
    <link>{base}{link_for(p)}</link>
    <guid isPermaLink="false">{escape(p['id'])}</guid>
    <pubDate>{format_datetime(_when(p))}</pubDate>
    <dc:creator>{escape(p['author'])}</dc:creator>{category}
    <description><![CDATA[{escape(p['summary'])}]]></description>
    {content}
  </item>""")
    xml = f"""<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>{escape(src['name'])}</title>
  <link>{base}/{src['id']}/</link>
  <description>{escape(src.get('description', src['name']))}</description>
  <generator>{escape(src.get('generator', 'https://wordpress.org/?v=5.7.1'))}</generator>
{chr(10).join(items)}
</channel>
</rss>
"""
    return xml.encode(encoding, errors="xmlcharrefreplace")


def _atom(src: dict, posts: list[dict], base: str, link_for, full_content: bool) -> bytes:
    entries = []
    for p in reversed(posts):
        body = _paragraphs_html(p["body"]) if full_content else escape(p["summary"])
        kind = "html" if full_content else "text"
        entries.append(f"""  <entry>
    <title>{escape(p['title'])}</title>
    <link rel="alternate" href="{base}{link_for(p)}"/>
    <id>tag:{src['id']}.demo,2021:{escape(p['id'])}</id>
    <published>{_when(p).isoformat()}</published>
    <updated>{_when(p).isoformat()}</updated>
    <author><name>{escape(p['author'])}</name></author>
    <{'content' if full_content else 'summary'} type="{kind}">{escape(body) if full_content else body}</{'content' if full_content else 'summary'}>
  </entry>""")
    updated = _when(posts[-1]).isoformat() if posts else "2021-05-01T00:00:00+00:00"
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{escape(src['name'])}</title>
  <id>tag:{src['id']}.demo,2021:feed</id>
  <updated>{updated}</updated>
  <link rel="self" href="{base}{src['path']}"/>
{chr(10).join(entries)}
</feed>
""".encode()


def _reddit_json(src: dict, posts: list[dict]) -> bytes:
    sub = src["subreddit"]
    children = []
    for p in reversed(posts):
        post_id = p["id"].rsplit("-", 1)[-1]
        html_body = _paragraphs_html(p["body"])
        children.append({"kind": "t3", "data": {
            "subreddit": sub, "title": p["title"], "author": p["author"],
            "selftext": p["body"], "is_self": True, "name": f"t3_demo{post_id}",
            "selftext_html": escape(f'<div class="md">{html_body}</div>'),
            "created_utc": _when(p).timestamp(), "score": p.get("score", 1),
            "num_comments": p.get("num_comments", 0),
            "permalink": f"/r/{sub}/comments/demo{post_id}/{_slug(p)}/",
            "url": f"/r/{sub}/comments/demo{post_id}/{_slug(p)}/",
        }})
    listing = {"kind": "Listing", "data": {"after": None, "dist": len(children), "children": children}}
    return json.dumps(listing, ensure_ascii=False).encode("utf-8")


def _reddit_atom(src: dict, posts: list[dict], base: str) -> bytes:
    sub = src["subreddit"]
    entries = []
    for p in reversed(posts):
        post_id = p["id"].rsplit("-", 1)[-1]
        link = f"{base}/r/{sub}/comments/demo{post_id}/{_slug(p)}/"
        content = escape(f"<!-- SC_OFF --><div class=\"md\">{_paragraphs_html(p['body'])}</div>"
                         f"<!-- SC_ON --> &#32; submitted by &#32; <a href=\"{base}/user/{p['author']}\">"
                         f"/u/{p['author']}</a>")
        entries.append(f"""<entry><author><name>/u/{escape(p['author'])}</name></author>
<category term="{sub}" label="r/{sub}"/><content type="html">{content}</content>
<id>t3_demo{post_id}</id><link href="{link}"/><updated>{_when(p).isoformat()}</updated>
<published>{_when(p).isoformat()}</published><title>{escape(p['title'])}</title></entry>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><category term="{sub}" label="r/{sub}"/><updated>{_when(posts[-1]).isoformat()}</updated><id>/r/{sub}/new/.rss</id><link rel="self" href="{base}/r/{sub}/new/.rss" type="application/atom+xml" /><title>newest submissions : {sub}</title>
{chr(10).join(entries)}</feed>""".encode()


def _discourse(src: dict, posts: list[dict], base: str, payloads: Payloads) -> None:
    prefix = src["path"].rsplit("/", 1)[0]
    topics = []
    for p in reversed(posts):
        topic_id = 1000 + int(p["id"].rsplit("-", 1)[-1])
        slug = _slug(p).rsplit("-", 1)[0] or "topic"
        created = _when(p).isoformat().replace("+00:00", ".000Z")
        topics.append({"id": topic_id, "title": p["title"], "fancy_title": escape(p["title"]),
                       "slug": slug, "posts_count": 1 + p.get("num_comments", 2),
                       "created_at": created, "last_posted_at": created, "bumped": True,
                       "category_id": 1, "excerpt": p["summary"], "pinned": False,
                       "visible": True, "closed": False, "archived": False})
        topic = {"id": topic_id, "title": p["title"], "slug": slug, "created_at": created,
                 "post_stream": {"posts": [{
                     "id": 50000 + topic_id, "post_number": 1, "username": p["author"],
                     "created_at": created, "cooked": _paragraphs_html(p["body"]),
                     "topic_id": topic_id}], "stream": [50000 + topic_id]},
                 "details": {"created_by": {"username": p["author"]}}}
        payloads[f"{prefix}/t/{slug}/{topic_id}.json"] = (
            "application/json; charset=utf-8", json.dumps(topic, ensure_ascii=False).encode("utf-8"))
    latest = {"users": [], "topic_list": {"can_create_topic": False, "per_page": 30, "topics": topics}}
    payloads[src["path"]] = ("application/json; charset=utf-8",
                             json.dumps(latest, ensure_ascii=False).encode("utf-8"))


_ARTICLE_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title} | {site}</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}">
<script>window.dataLayer = window.dataLayer || []; function track(){{}}</script>
</head><body>
<div class="cookie-banner">We use cookies to improve your experience. <a href="/privacy">Privacy</a> <button>Accept</button></div>
<header class="site-header"><a class="logo" href="/">{site}</a>
<nav><ul><li><a href="/news">News</a></li><li><a href="/amazon">Amazon</a></li><li><a href="/ebay">eBay</a></li>
<li><a href="/events">Events</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav></header>
<main><article class="post">
<h1 class="entry-title">{title}</h1>
<div class="byline">By <span class="author">{author}</span> · <time datetime="{published}">{published_human}</time></div>
<div class="entry-content">
{body}
</div>
<div class="share">Share: <a href="/share/twitter">Twitter</a> <a href="/share/linkedin">LinkedIn</a></div>
</article>
<section class="comments"><h3>Comments</h3><div class="comment"><b>guest</b>: Thanks for covering this.</div></section>
</main>
<aside class="sidebar"><h3>{trending}</h3><ul>
<li><a href="/news/1">Ten ways to cut your storage fees before Q4</a></li>
<li><a href="/news/2">Webinar: mastering sponsored brand video</a></li>
<li><a href="/news/3">Sponsored: the repricer that never sleeps</a></li></ul>
<div class="newsletter">Get our daily newsletter. <input placeholder="you@example.com"><button>Sign up</button></div></aside>
<footer class="site-footer">© 2021 {site}. All rights reserved. <a href="/about">About</a> · <a href="/advertise">Advertise</a> · <a href="/contact">Contact</a></footer>
</body></html>
"""


def _article(src: dict, p: dict) -> bytes:
    zh = src.get("lang") == "zh"
    return _ARTICLE_PAGE.format(
        lang=src.get("lang", "en"), title=escape(p["title"]), site=escape(src["name"]),
        author=escape(p["author"]), published=_when(p).isoformat(),
        published_human=_when(p).strftime("%Y-%m-%d %H:%M"), body=_paragraphs_html(p["body"]),
        trending="热门文章" if zh else "Trending",
    ).encode("utf-8")


def build_site(base: str) -> Payloads:
    """Every payload of the demo site, for a server reachable at `base` (no trailing slash)."""
    payloads: Payloads = {"/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n")}
    for src in load_demo_sources():
        posts = sorted(load_posts(src["id"]), key=_when)
        kind = src["format"]

        def article_path(p: dict, src=src) -> str:
            return f"/{src['id']}/articles/{_slug(p)}.html"

        if src.get("articles"):
            for p in posts:
                payloads[article_path(p)] = ("text/html; charset=utf-8", _article(src, p))
        if kind == "wordpress_rss":
            payloads[src["path"]] = ("application/rss+xml; charset=utf-8",
                                     _rss(src, posts, base, article_path, not src.get("articles")))
        elif kind == "rss_gb2312":
            payloads[src["path"]] = ("text/xml", _rss(src, posts, base, article_path, True, "gb2312"))
        elif kind == "atom":
            payloads[src["path"]] = ("application/atom+xml; charset=utf-8",
                                     _atom(src, posts, base, article_path, not src.get("articles")))
        elif kind == "reddit_json":
            payloads[src["path"]] = ("application/json; charset=UTF-8", _reddit_json(src, posts))
        elif kind == "reddit_atom":
            payloads[src["path"]] = ("application/atom+xml; charset=UTF-8",
                                     _reddit_atom(src, posts, base))
        elif kind == "discourse":
            _discourse(src, posts, base, payloads)
        else:
            raise ValueError(f"demo source {src['id']}: unknown format {kind!r}")
    return payloads


class _Handler(BaseHTTPRequestHandler):
    payloads: Payloads = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0]
        found = self.payloads.get(path)
        if found is None:
            self.send_error(404)
            return
        content_type, body = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # keep the demo's output to the brief path
        pass


class DemoServer:
    """Serves the demo site on 127.0.0.1 (never on another interface) in a background thread."""

    def __init__(self, port: int = 0):
        handler = type("DemoHandler", (_Handler,), {})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        handler.payloads = build_site(self.base)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="demo-site", daemon=True)

    def __enter__(self) -> DemoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
