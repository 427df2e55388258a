"""The `json` source's parsing and the old-item filter on big lists: items per second for a
response of N items (AMZ123's row_map shape), and split_old over the resulting list.

    .venv/bin/python benchmarks/bench_json_source.py [--items N]

A daily AMZ123 answer holds a few dozen items, so anything above ~10,000 items/s is noise next to
one HTTP request; the figures show the per-page cap (1,000 items) costs milliseconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crackdown.config_json import JsonFields  # noqa: E402
from crawlers.list_age import split_old  # noqa: E402
from crawlers.spiders import json_api  # noqa: E402


def response(n: int, now: float) -> bytes:
    days = {}
    for i in range(n):
        day = f"2026-12-{1 + i % 28:02d}"
        days.setdefault(day, [{"kx_content": []}])[0]["kx_content"].append({
            "id": 100000 + i, "title": f"亚马逊卖家快讯 {i}：账号审核与资金冻结",
            "description": "多名卖家反映账号被封，资金冻结。" * 4,
            "published_at": int(now - i * 600)})
    return json.dumps({"status": 0, "info": "ok", "data": {"row_map": days}},
                      ensure_ascii=False).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    args = parser.parse_args()
    fields = JsonFields(items="data.row_map.*.kx_content", id="id", title="title",
                        link_template="https://www.amz123.com/kx/{id}", date="published_at",
                        date_unit="s", text="description")
    now = time.time()
    body = response(args.items, now)
    json_api.MAX_ITEMS_PER_PAGE = args.items
    started = time.perf_counter()
    items = json_api.items_from_json(json.loads(body), fields, "bench", "https://api.test/")
    parsed = time.perf_counter() - started
    started = time.perf_counter()
    keep, old = split_old(items, 14, 0, "Asia/Shanghai")
    filtered = time.perf_counter() - started
    print(f"response: {len(body) / 1e6:.2f} MB, {len(items)} items")
    print(f"parse + map: {parsed * 1000:.1f} ms ({len(items) / parsed:,.0f} items/s)")
    print(f"split_old: {filtered * 1000:.1f} ms ({len(items) / filtered:,.0f} items/s), "
          f"{len(old)} older than 14 days")


if __name__ == "__main__":
    main()
