"""Brief for one day over a generated archive of 1,000,000 posts (target: under 2 s).

    .venv/bin/python benchmarks/bench_brief.py [--posts N] [--db PATH] [--fresh]

The archive is generated once (about a minute: the FTS5 triggers index every post) and reused
from --db on later runs. It spans three years, ~900 posts a day from 40 sources (5% Chinese),
a third of them tagged, each naming one or two marketplaces; embeddings (384-d) are stored for
the English posts of the three days around the brief day only — a million of them would be 1.5 GB
and the brief reads them by primary key, so the table's size does not change the lookup.
Prints the time of each step of `make_brief` and the query plans of the day-range queries.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crackdown.archive import open_archive, queries  # noqa: E402
from crackdown.config import ArchiveConfig, BriefConfig, Config, SourceConfig  # noqa: E402
from reports.brief import build_brief  # noqa: E402
from reports.daily import load_inputs, make_brief  # noqa: E402
from reports.render import render_html, render_text  # noqa: E402

FIRST_DAY = date(2023, 1, 1)
DAYS = 1096
TOPICS = ["review_abuse", "verification", "store_closure", "funds_hold", "listing_takedown",
          "counterfeit_ip", "data_leak", "policy_change"]
MARKETS = ["amazon", "ebay", "walmart", "etsy", "shopify", "tiktok_shop", "temu"]
WORDS = ("seller account suspended review verification funds hold listing removed counterfeit brand "
         "policy fee payout reserve appeal reinstated warehouse shipment leak database video call "
         "postcard address inventory wave ban marketplace store closure rules compliance tax "
         "notice deadline fake reviews broker lawsuit seizure takedown gated category").split()
WORDS += [f"brand{i}" for i in range(3000)]
ZH = "亚马逊卖家账号被封资金冻结审核视频验证地址明信片评论政策侵权下架仓库物流"
SOURCES = [SourceConfig(f"src{i:02d}", f"Source {i}", "feed", f"https://example.com/{i}",
                        tier=("official", "media", "community")[i % 3],
                        lang="zh" if i % 20 == 0 else "en") for i in range(40)]


def generate(path: Path, n_posts: int, brief_day: date, seed: int = 7) -> None:
    rng = random.Random(seed)
    vec_rng = np.random.default_rng(seed)
    db = open_archive(path)
    db.execute("INSERT INTO sources (id, name, type, url, tier, lang) VALUES " + ",".join(
        f"('{s.id}', '{s.name}', 'feed', '{s.url}', '{s.tier}', '{s.lang}')" for s in SOURCES))
    db.conn.commit()
    db.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    per_day = n_posts / DAYS
    near = {(brief_day - FIRST_DAY).days + k for k in (-1, 0, 1)}
    batch_posts, batch_tags, batch_markets, batch_vec = [], [], [], []

    def flush():
        conn.executemany("INSERT INTO posts (id, url, source_id, title, body, published_at, "
                         "fetched_at, lang, content_hash) VALUES (?,?,?,?,?,?,?,?,?)", batch_posts)
        conn.executemany("INSERT INTO tags (post_id, topic, score, method, model_version) "
                         "VALUES (?,?,?,'bench','bench')", batch_tags)
        conn.executemany("INSERT INTO marketplaces (post_id, marketplace) VALUES (?,?)", batch_markets)
        conn.executemany("INSERT INTO embeddings (post_id, encoder, dim, vector) VALUES (?,'bench',384,?)",
                         batch_vec)
        conn.commit()
        for b in (batch_posts, batch_tags, batch_markets, batch_vec):
            b.clear()

    for pid in range(1, n_posts + 1):
        day = int((pid - 1) / per_day)
        when = datetime(FIRST_DAY.year, 1, 1, tzinfo=timezone.utc) + timedelta(
            days=day, seconds=rng.randrange(86400))
        src = SOURCES[rng.randrange(len(SOURCES))]
        if src.lang == "zh":
            title = "".join(rng.choice(ZH) for _ in range(14))
            body = "".join(rng.choice(ZH) for _ in range(80)) + "。"
        else:
            title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
            body = " ".join(rng.choice(WORDS) for _ in range(40)) + "."
        iso = when.isoformat()
        batch_posts.append((pid, f"https://example.com/p/{pid}", src.id, title, body, iso, iso,
                            src.lang, f"{pid:x}"))
        if rng.random() < 0.33:
            for topic in rng.sample(TOPICS, rng.choice((1, 1, 2))):
                batch_tags.append((pid, topic, round(rng.uniform(0.5, 1.0), 3)))
        for m in rng.sample(MARKETS, rng.choice((1, 1, 2))):
            batch_markets.append((pid, m))
        if day in near and src.lang == "en":
            v = vec_rng.normal(size=384).astype(np.float32)
            batch_vec.append((pid, (v / np.linalg.norm(v)).tobytes()))
        if len(batch_posts) >= 20000:
            flush()
    flush()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--db", default="/tmp/crackdown-bench-brief.db")
    parser.add_argument("--fresh", action="store_true", help="regenerate the archive")
    args = parser.parse_args()
    path = Path(args.db)
    brief_day = FIRST_DAY + timedelta(days=DAYS - 30)
    marker = path.with_suffix(f".{args.posts}.ok")
    if args.fresh or not marker.exists():
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), marker):
            p.unlink(missing_ok=True)
        t = time.perf_counter()
        generate(path, args.posts, brief_day)
        marker.touch()
        print(f"generated {args.posts:,} posts in {time.perf_counter() - t:.1f} s -> {path}")

    config = Config(path=path.parent / "bench.toml", archive=ArchiveConfig(path),
                    sources=tuple(SOURCES), brief=BriefConfig())
    db = open_archive(path)
    total = db.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    for label, sql in (("posts_between", "SELECT p.id FROM posts p WHERE COALESCE(p.published_at, "
                        "p.fetched_at) >= '2025-01-01' AND COALESCE(p.published_at, p.fetched_at) "
                        "< '2025-01-02'"),
                       ("source_activity", "SELECT MAX(COALESCE(published_at, fetched_at)) FROM posts p "
                        "WHERE p.source_id = 'src01' AND COALESCE(p.published_at, p.fetched_at) < "
                        "'2025-01-02'")):
        plan = " | ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql))
        print(f"plan {label}: {plan}")

    timings = []
    for _ in range(3):   # first run reads from disk; the cron job runs once a day, so report both
        t0 = time.perf_counter()
        inputs = load_inputs(db, config, brief_day)
        t1 = time.perf_counter()
        brief = build_brief(inputs, list(config.topics), config.brief)
        t2 = time.perf_counter()
        html = render_html(brief)
        render_text(brief)
        t3 = time.perf_counter()
        timings.append((t1 - t0, t2 - t1, t3 - t2))
    db.close()
    t = time.perf_counter()
    rendered = make_brief(config, brief_day)
    whole = time.perf_counter() - t

    print(f"archive: {total:,} posts; brief day {brief_day}: {len(inputs.posts)} posts "
          f"(+{len(inputs.earlier_posts)} the day before), {len(inputs.history):,} tag rows in "
          f"the {config.brief.baseline_days}-day baseline, {len(inputs.vectors)} embeddings")
    for n, (load, build, render) in enumerate(timings, 1):
        print(f"run {n}: read {load * 1000:.0f} ms, build {build * 1000:.0f} ms, "
              f"render {render * 1000:.0f} ms, total {(load + build + render) * 1000:.0f} ms")
    print(f"make_brief (read, build, render, store stories + brief): {whole * 1000:.0f} ms "
          f"-> {'OK' if whole < 2 else 'OVER'} (target < 2000 ms); html {len(html.encode()):,} bytes, "
          f"{len(brief.stories)} stories, {len(brief.surges)} surges; subject: {rendered.subject}")
    one_day = _time(lambda: queries.posts_between(open_archive(path), "2025-06-01", "2025-06-02"))
    print(f"queries.posts_between for another day alone: {one_day:.0f} ms")


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


if __name__ == "__main__":
    main()
