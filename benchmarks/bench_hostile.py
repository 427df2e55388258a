"""Cost of each hostile or faulty source: one real `crackdown run` per input, alone with a good
source, against a local server; prints wall time and the run's peak RSS next to a clean baseline.

    .venv/bin/python -m benchmarks.bench_hostile      (from the repository root)

Target: no input adds more than ~100 MB or ~10 s to a clean run (the gzip bomb inflates to
200 MB, a billion-laughs feed to gigabytes, if they are not stopped).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import FixtureServer  # noqa: E402
from tests.ops_support import FEED_DAY, enforcement_items, ops_config, rss, run_measured  # noqa: E402
from tests.test_hostile_feeds import (  # noqa: E402
    MAX_BODY,
    bad_dates,
    billion_laughs,
    duplicate_guids,
    gzip_bomb,
    invalid_utf8,
    long_line,
    markup_attacks,
    xxe,
)


def main() -> None:
    server = FixtureServer()
    base = server.base
    server.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    server.add("/good", rss(enforcement_items(base, "good", 3)), "application/rss+xml")
    inputs = {
        "(baseline: good source only)": None,
        "billion laughs": billion_laughs(base),
        "external entities (XXE)": xxe(base, "/etc/hostname"),
        "gzip bomb (200 MB inflated)": "BOMB",
        "script/onerror/javascript:/data:/CSS": markup_attacks(base),
        "invalid UTF-8": invalid_utf8(base),
        "10 MB single line": long_line(base),
        "absurd dates": bad_dates(base),
        "duplicate GUIDs": duplicate_guids(base),
    }
    print(f"{'input':<40} {'exit':>4} {'seconds':>8} {'peak RSS MB':>12}")
    for n, (name, body) in enumerate(inputs.items()):
        sources = [{"id": "good", "name": "Good", "type": "feed", "url": f"{base}/good"}]
        if body == "BOMB":
            server.add(f"/h{n}", gzip_bomb(), "application/rss+xml",
                       headers={"Content-Encoding": "gzip"})
        elif body is not None:
            server.add(f"/h{n}", body, "application/rss+xml")
        if body is not None:
            sources.append({"id": "hostile", "name": name, "type": "feed", "url": f"{base}/h{n}"})
        with tempfile.TemporaryDirectory() as tmp:
            config = ops_config(Path(tmp), sources, crawl={"max_body_bytes": MAX_BODY})
            started = time.monotonic()
            result, peak = run_measured("--config", str(config), "run", "--date",
                                        FEED_DAY.isoformat(), "--no-send")
            print(f"{name:<40} {result.returncode:>4} {time.monotonic() - started:>8.1f} {peak:>12}")
    server.close()


if __name__ == "__main__":
    main()
