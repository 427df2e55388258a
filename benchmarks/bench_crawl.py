"""Crawl throughput and the cost of an incremental re-crawl, on a generated local corpus.

50 sources (40 RSS feeds that follow article links, 10 HTML list pages) x 40 posts = 2,000 posts,
each with an article page, served from 127.0.0.1 with ETag/Last-Modified. Politeness delays are
zero. The same crawl then runs again: every feed and list page should be answered 304 and no
article page requested. Prints pages/s and peak RSS of the first crawl, requests and wall time
of the repeat.

    .venv/bin/python benchmarks/bench_crawl.py [--sources 50] [--posts 40]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORDS = ("seller account suspended review policy marketplace verification funds reserve listing "
         "removed counterfeit brand appeal plan action notice platform store closed payout hold "
         "customers orders shipping fees inventory warehouse compliance identity documents").split()
LAST_MODIFIED = "Thu, 13 May 2021 12:00:00 GMT"


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 22))]
    return " ".join(words).capitalize() + "."


class Corpus:
    """Feeds, list pages and article pages, generated once and served from memory."""

    def __init__(self, n_sources: int, posts_per_source: int, seed: int = 7):
        rng = random.Random(seed)
        robots = ("text/plain", b"User-agent: *\nAllow: /\n")
        self.pages: dict[str, tuple[str, bytes]] = {"/robots.txt": robots}
        self.sources: list[dict] = []
        n_html = n_sources // 5
        for s in range(n_sources):
            kind = "html" if s < n_html else "feed"
            posts = []
            for p in range(posts_per_source):
                path = f"/s{s}/post/{p}"
                title = f"Source {s} story {p}: " + " ".join(rng.choice(WORDS) for _ in range(6))
                paragraphs = "".join(f"<p>{' '.join(_sentence(rng) for _ in range(4))}</p>" for _ in range(6))
                self.pages[path] = ("text/html; charset=utf-8", (
                    f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
                    f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{paragraphs}</article>"
                    f"<footer>Contact us</footer></body></html>").encode())
                posts.append((path, title, f"2021-05-{1 + p % 13:02d}T{p % 24:02d}:00:00+00:00"))
            if kind == "feed":
                items = "".join(f"<item><title>{t}</title><link>{{base}}{u}</link><description>{t}."
                                f"</description><pubDate>{d}</pubDate></item>" for u, t, d in posts)
                body = (f"<?xml version='1.0'?><rss version='2.0'><channel><title>S{s}</title>{items}"
                        "</channel></rss>")
                self.pages[f"/s{s}/feed"] = ("application/rss+xml", body.encode())
                self.sources.append({"id": f"s{s}", "type": "feed", "path": f"/s{s}/feed"})
            else:
                rows = "".join(f"<li class='story'><a href='{u}'>{t}</a><time datetime='{d}'>{d}</time></li>"
                               for u, t, d in posts)
                self.pages[f"/s{s}/list"] = ("text/html; charset=utf-8",
                                             f"<html><body><ul>{rows}</ul></body></html>".encode())
                self.sources.append({"id": f"s{s}", "type": "html", "path": f"/s{s}/list"})


class _Backlogged(ThreadingHTTPServer):
    # 50 crawlers open hundreds of connections at once; the default listen backlog of 5 would
    # leave some hanging until the client's timeout and measure that instead of the crawler.
    request_queue_size = 1024
    daemon_threads = True


class Server:
    def __init__(self, corpus: Corpus):
        self.log: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                content_type, body = corpus.pages.get(self.path, ("text/plain", b""))
                body = body.replace(b"{base}", server.base.encode())
                etag = f'"{hash(body) & 0xffffffff:x}"'
                status = 404 if not body else 200
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    status = 304
                with server.lock:
                    server.log.append((self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", LAST_MODIFIED)
                payload = body if status == 200 else b""
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = _Backlogged(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def take_log(self) -> list[tuple[str, int]]:
        with self.lock:
            log, self.log = self.log, []
        return log


def write_config(folder: Path, corpus: Corpus, base: str) -> Path:
    lines = ["[archive]", f'path = "{folder / "archive.db"}"', "", "[crawl]",
             'user_agent = "crackdown-bench/0.1 (+mailto:bench@example.com)"', "download_delay = 0.0",
             "max_age_days = 0", "retries = 0", "autothrottle = false", ""]
    for src in corpus.sources:
        lines += ["[[sources]]", f'id = "{src["id"]}"', f'name = "Bench {src["id"]}"',
                  f'type = "{src["type"]}"', f'url = "{base}{src["path"]}"']
        if src["type"] == "feed":
            lines.append("fetch_articles = true")
        else:
            lines += ['item_selector = "li.story"', 'link_selector = "a"', 'date_selector = "time"']
        lines.append("")
    path = folder / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def crawl(config: Path) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "crackdown.cli", "-q", "--config", str(config), "crawl"],
                            cwd=REPO, capture_output=True, text=True)
    return time.perf_counter() - started, result


def summarise(log: list[tuple[str, int]]) -> dict[str, Counter]:
    kinds: dict[str, Counter] = {"article": Counter(), "feed/list": Counter(), "robots": Counter()}
    for path, status in log:
        kind = "robots" if path == "/robots.txt" else ("article" if "/post/" in path else "feed/list")
        kinds[kind][status] += 1
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--posts", type=int, default=40, help="posts per source")
    args = parser.parse_args()

    corpus = Corpus(args.sources, args.posts)
    server = Server(corpus)
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), corpus, server.base)
        import sqlite3

        first_s, first = crawl(config)
        first_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        first_log = summarise(server.take_log())
        posts = sqlite3.connect(Path(tmp) / "archive.db").execute("SELECT COUNT(*) FROM posts").fetchone()[0]
        pages = sum(sum(c.values()) for c in first_log.values())

        second_s, second = crawl(config)
        second_log = summarise(server.take_log())

    print(f"corpus: {args.sources} sources, {args.sources * args.posts} posts with article pages, 127.0.0.1")
    print(f"first crawl:  exit {first.returncode}, {posts} posts stored, {pages} requests "
          f"({dict(first_log['feed/list'])} feeds/lists, {dict(first_log['article'])} articles), "
          f"{first_s:.1f} s wall -> {pages / first_s:.0f} pages/s, peak RSS {first_rss_mb:.0f} MB")
    repeat_requests = sum(sum(c.values()) for c in second_log.values())
    print(f"repeat crawl: exit {second.returncode}, {repeat_requests} requests "
          f"(feeds/lists {dict(second_log['feed/list'])}, articles {sum(second_log['article'].values())}, "
          f"robots {sum(second_log['robots'].values())}), {second_s:.1f} s wall = "
          f"{100 * second_s / first_s:.1f}% of the first")
    target_ok = sum(second_log["article"].values()) == 0 and second_s < 0.10 * first_s
    print(f"target (no article requests, < 10% of first crawl's time): {'met' if target_ok else 'NOT met'}")
    for result in (first, second):
        if result.returncode:
            print(result.stderr[-2000:], file=sys.stderr)


if __name__ == "__main__":
    main()
