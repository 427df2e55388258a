"""A 20-page browser source against the `html` source on the same pages: one list page linking 20
thread pages, served from 127.0.0.1 with no politeness delay. Each source runs alone in its own
`crackdown crawl` (fresh archive); the browser source renders the list and every thread page in
Chromium (fetch_articles = true), the html source fetches the same 21 pages over plain HTTP.

Prints wall time, pages/s (start-up included) and the peak memory of the crawl's whole process
tree, sampled every 50 ms: RSS summed (over-counts pages Chromium's processes share) and PSS
(each shared page split between its users; what `[crawl] browser_memory_mb` caps).

    .venv/bin/python benchmarks/bench_browser.py [--pages 20]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawlers.browser_support import descendants, find_chromium  # noqa: E402
from tests.conftest import FixtureServer, write_config  # noqa: E402

PARAGRAPH = ("Our store was deactivated this morning. The notice says we violated the review policy, "
             "and our funds are on hold for ninety days while we prepare a plan of action. ")


def _kb(pid: int, file: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_memory_mb(root: int) -> tuple[float, float]:
    pids = [root, *descendants(root)]
    return (sum(_kb(p, "status", "VmRSS:") for p in pids) / 1024,
            sum(_kb(p, "smaps_rollup", "Pss:") for p in pids) / 1024)


def serve(pages: int) -> FixtureServer:
    server = FixtureServer()
    server.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    links = "".join(f'<li class="thread"><a class="title" href="/t/{n}">Account deactivated, funds on hold '
                    f'#{n}</a> <span class="when">2021-05-12 09:{n:02d}</span></li>' for n in range(pages))
    server.add("/list", f"<html><body><ul>{links}</ul></body></html>", "text/html; charset=utf-8")
    for n in range(pages):
        text = f"<p>{PARAGRAPH * 3}</p>" * 4
        body = f"<html><body><article><h1>Thread {n}</h1>{text}</article></body></html>"
        server.add(f"/t/{n}", body, "text/html; charset=utf-8")
    return server


def measure(server: FixtureServer, source_type: str, pages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = {"id": source_type, "name": source_type, "type": source_type, "url": f"{server.base}/list",
                  "item_selector": "li.thread", "link_selector": "a.title", "date_selector": ".when",
                  "fetch_articles": True}
        config = write_config(Path(tmp), [source])
        peak = [0.0, 0.0]
        start = time.perf_counter()
        crawl = subprocess.Popen([sys.executable, "-m", "crackdown.cli", "--config", str(config), "crawl"],
                                 cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def sample() -> None:
            while crawl.poll() is None:
                rss, pss = tree_memory_mb(crawl.pid)
                peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        out, err = crawl.communicate()
        sampler.join()
        wall = time.perf_counter() - start
        if crawl.returncode != 0:
            print(f"{source_type}: crawl failed ({crawl.returncode}): {err[-500:]}")
            return
        fetched = pages + 1
        print(f"{source_type:8} {out.strip():40} {wall:5.1f} s  {fetched / wall:5.2f} pages/s  "
              f"peak RSS {peak[0]:6.0f} MB  peak PSS {peak[1]:6.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=20)
    args = ap.parse_args()
    server = serve(args.pages)
    try:
        measure(server, "html", args.pages)
        if find_chromium() is None:
            print("browser: no chromium (apt-get install chromium); not measured")
        else:
            measure(server, "browser", args.pages)
    finally:
        server.close()


if __name__ == "__main__":
    main()
