"""Events at scale on the 1,000,000-post benchmark archive: the daily event update inside `run`
(target < 0.5 s a day), `crackdown backtest` over two years (< 60 s) and the brief with event
cards (< 2 s).

    .venv/bin/python benchmarks/bench_events.py [--path FILE] [--posts N] [--reuse]

The archive is bench_archive.py's (2 years, 50 sources, ~1,370 posts a day, topics and
marketplaces drawn uniformly: ~15 posts a day per topic × marketplace), generated into its own
file here (~4 minutes; --reuse keeps it). On top, eight waves of 3 → 40 → 3 posts a day over six
days are added (posts naming brands, from many sources), so the tracker has real events to follow
besides the ones chance makes. Tracking state is reset on every run, so the figures are fresh.
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_archive import DAYS, START, archive_arguments, generated_archive  # noqa: E402
from crackdown.archive import open_archive, posts, tags  # noqa: E402
from crackdown.config import ArchiveConfig, Config  # noqa: E402
from crackdown.config_events import EventsConfig  # noqa: E402
from reports.daily import load_cards, make_brief  # noqa: E402
from reports.event_tracking import backtest, update_events  # noqa: E402

WAVES = [("review_abuse", "amazon", 120), ("verification", "amazon", 200),
         ("store_closure", "walmart", 330), ("funds_hold", "ebay", 400),
         ("counterfeit_ip", "temu", 480), ("review_abuse", "amazon", 560),
         ("verification", "tiktok_shop", 640), ("store_closure", "amazon", 700)]
SHAPE = [3, 12, 40, 30, 12, 3]
BRANDS = ["Aukey", "Mpow", "RAVPower", "Vava", "TaoTronics", "Anker"]


def add_waves(db) -> int:
    """Insert the wave posts once (their URLs are fixed, so a rerun adds nothing)."""
    added = 0
    with db.atomic():
        for w, (topic, market, start) in enumerate(WAVES):
            for d, count in enumerate(SHAPE):
                day = START + timedelta(days=start + d)
                for k in range(count):
                    brand = BRANDS[(w + k) % len(BRANDS)]
                    title = f"{brand} hit as {market} {topic.replace('_', ' ')} wave spreads ({k})"
                    when = f"{day.isoformat()}T{(k % 24):02d}:{k % 60:02d}:00+00:00"
                    post_id, new = posts.save_post(db, {
                        "url": f"https://wave.example/{w}/{d}/{k}", "source_id": f"src{k % 45:02d}",
                        "title": title, "body": f"{title}. Sellers on {market} report more.",
                        "author": None, "published_at": when, "fetched_at": when, "lang": "en",
                        "content_hash": hashlib.blake2b(title.encode(), digest_size=16).hexdigest(),
                        "guid": None, "origin": None})
                    if new:
                        tags.save_classification(db, post_id, "bench", {topic: 0.9}, [topic], "bench")
                        posts.set_marketplaces(db, post_id, [market])
                        added += 1
    return added


def reset_tracking(db) -> None:
    with db.atomic():
        db.execute("DELETE FROM event_stories")
        db.execute("DELETE FROM events")
        db.execute("DELETE FROM event_days")


def main() -> None:
    args = archive_arguments(__doc__, Path("/tmp/crackdown-bench-events/archive.db"))
    path = generated_archive(args)
    config = Config(path=path.parent / "config.toml", archive=ArchiveConfig(path=path),
                    events=EventsConfig(known_names=("Aukey|傲基", "Mpow", "RAVPower", "FTC")))
    db = open_archive(path)
    print(f"wave posts added: {add_waves(db)}")
    total = db.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    print(f"archive: {total:,} posts")
    reset_tracking(db)

    # 1. the first update of an archive: it catches up FIRST_LOOKBACK_DAYS (60) days at once
    last_day = START + timedelta(days=DAYS - 1)
    first_run = last_day - timedelta(days=30)
    t = time.perf_counter()
    with db.atomic():
        update_events(db, config, first_run)
    print(f"\nfirst update (60 days caught up): {time.perf_counter() - t:.2f} s")

    # 2. one day at a time, as `run` does: update + the cards the brief reads
    times, card_times = [], []
    for n in range(1, 31):
        day = first_run + timedelta(days=n)
        t = time.perf_counter()
        with db.atomic():
            update_events(db, config, day)
        times.append(time.perf_counter() - t)
        t = time.perf_counter()
        load_cards(db, config, day)
        card_times.append(time.perf_counter() - t)
    print(f"daily update, 30 days: median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms (target < 500 ms); reading the cards: median "
          f"{statistics.median(card_times) * 1000:.0f} ms")
    open_now = db.execute("SELECT COUNT(*) FROM events WHERE end_day IS NULL").fetchone()[0]
    print(f"  events stored: {db.execute('SELECT COUNT(*) FROM events').fetchone()[0]}, open: {open_now}")

    # 3. the wave days themselves: an update while a 40-post day is being tracked
    reset_tracking(db)
    wave_start = START + timedelta(days=WAVES[-1][2])
    with db.atomic():
        update_events(db, config, wave_start - timedelta(days=1))
    wave_times = []
    for d in range(len(SHAPE) + 3):
        t = time.perf_counter()
        with db.atomic():
            update_events(db, config, wave_start + timedelta(days=d))
        wave_times.append(time.perf_counter() - t)
    print(f"daily update through a wave: median {statistics.median(wave_times) * 1000:.0f} ms, "
          f"max {max(wave_times) * 1000:.0f} ms")

    # 4. the brief with event cards, on the wave's peak day
    peak = wave_start + timedelta(days=2)
    db.close()
    t = time.perf_counter()
    rendered = make_brief(config, peak)
    took = time.perf_counter() - t
    t = time.perf_counter()
    make_brief(config, peak)
    again = time.perf_counter() - t
    print(f"\nbrief with event cards ({len(rendered.brief.events)} cards, "
          f"{len(rendered.html.encode()) / 1000:.0f} KB): {took:.2f} s; rebuilt: {again:.2f} s "
          "(target < 2 s)")

    # 5. backtest over the two years
    db = open_archive(path)
    t = time.perf_counter()
    result = backtest(db, config, START + timedelta(days=14), last_day)
    took = time.perf_counter() - t
    found = {(e.topic, e.marketplace, e.start_day) for e in result.events}
    hits = sum(1 for topic, market, start in WAVES
               if any(k[0] == topic and k[1] == market and
                      abs((date.fromisoformat(k[2]) - (START + timedelta(days=start))).days) <= 3
                      for k in found))
    print(f"backtest over {(last_day - START).days - 13} days: {took:.1f} s (target < 60 s); "
          f"{len(result.events)} events, {len(result.false_alarms)} false alarms; "
          f"{hits} of {len(WAVES)} injected waves found")
    db.close()


if __name__ == "__main__":
    main()
