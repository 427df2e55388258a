"""`crackdown watch` on an hour with nothing new, and with a few new posts: wall time and peak
RSS (targets: nothing new < 3 s; peak RSS < 1 GB).

    .venv/bin/python benchmarks/bench_watch.py

Serves a 30-item feed and seven chat-service stand-ins on 127.0.0.1. A first `watch` fetches
and classifies the feed (and trains the classifier heads into the test model cache if they are
not there yet, which takes minutes once); the measured runs then find nothing new: the crawl's
conditional GETs, no model load (nothing unclassified), the surge test and the delivery check.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import FixtureServer  # noqa: E402
from tests.notify_services import FakeServices, notify_env, notify_toml  # noqa: E402
from tests.ops_support import enforcement_items, ops_config, rss, run_measured  # noqa: E402


def main() -> None:
    feed, chat = FixtureServer(), FakeServices()
    feed.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    feed.add("/feed.xml", rss(enforcement_items(feed.base, "bench", 30)))
    with tempfile.TemporaryDirectory() as tmp:
        config = ops_config(Path(tmp), [{"id": "news", "name": "News", "type": "feed",
                                         "url": feed.base + "/feed.xml"}],
                            extra='[brief]\ntimezone = "UTC"\n\n' + notify_toml(chat))
        env = notify_env(chat)
        started = time.monotonic()
        first, rss_first = run_measured("--config", str(config), "watch", env=env, timeout=1800)
        print(f"first watch (30 new posts, model load): exit {first.returncode}, "
              f"{time.monotonic() - started:.1f} s, peak RSS {rss_first} MB")
        for n in range(3):
            started = time.monotonic()
            result, rss_mb = run_measured("--config", str(config), "watch", env=env)
            print(f"watch with nothing new #{n + 1}: exit {result.returncode}, "
                  f"{time.monotonic() - started:.2f} s wall, peak RSS {rss_mb} MB")
        feed.add("/feed.xml", rss(enforcement_items(feed.base, "bench", 30)
                                  + enforcement_items(feed.base, "fresh", 5)))
        started = time.monotonic()
        result, rss_mb = run_measured("--config", str(config), "watch", env=env)
        print(f"watch with 5 new posts (model loaded, heads cached): exit {result.returncode}, "
              f"{time.monotonic() - started:.2f} s wall, peak RSS {rss_mb} MB")
        print(f"chat messages received: { {k: len(v) for k, v in chat.received.items()} }")
    feed.close()
    chat.close()


if __name__ == "__main__":
    main()
