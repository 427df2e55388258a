"""Archive at scale: generate N posts (default 1,000,000: 2 years, 50 sources) and time search,
similar, timeline; print the file size per million posts.

    .venv/bin/python benchmarks/bench_archive.py [--posts N] [--path FILE] [--reuse]

Generation is a bulk load: the schema comes from the real migrations, the FTS triggers are
dropped while rows go in with executemany (posts in date order, so every index is appended
to), then restored and the two FTS indexes rebuilt in one pass each. Texts are word sequences
drawn Zipf-like from a 30,000-word vocabulary (function words at the head, seller vocabulary
spread over ranks ~60-3000), titles of
6-14 words and bodies of 40-220 words; 5% of posts are Chinese; embeddings are 384-d unit
vectors clustered by topic. Targets: FTS query median < 100 ms, similar < 500 ms,
timeline < 300 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crackdown.archive import open_archive, similar  # noqa: E402
from crackdown.archive.cross_language import posts_needing_ml_vectors  # noqa: E402
from crackdown.archive.search import CJK_GLOB, search  # noqa: E402
from crackdown.archive.timeline import topic_timeline  # noqa: E402

TOPICS = ["review_abuse", "verification", "store_closure", "funds_hold", "listing_takedown",
          "counterfeit_ip", "data_leak", "policy_change"]
MARKETS = ["amazon", "ebay", "walmart", "etsy", "shopify", "tiktok_shop", "temu"]
HEAD_WORDS = """the a to of and in for on is that my with it this
have be are was from you i not they we our at by your as or but has their been all can will
about after more new one
seller sellers amazon account listing listings store stores review reviews fake suspended suspension
verification video call identity address bank funds held payout payouts disbursement reserve
frozen days policy rule rules fee fees counterfeit brand registry ip complaint takedown removed
blocked asin products product buyers customers ebay walmart etsy shopify tiktok shop temu
appeal reinstated deactivated closure closed ban banned wave crackdown warning notice email
support case team documents invoice invoices supplier compliance safety category gated leak
leaked data breach database exposed inform act dsa kyc trader traceability marketplace sales
orders inventory warehouse fba shipping prime day ads price prices week month year today
yesterday again still now just what when how why who anyone else same here there""".split()
ZH_PHRASES = ["亚马逊", "卖家", "封号", "视频验证", "二审", "资金冻结", "账号", "店铺", "被封",
              "申诉", "品牌", "侵权", "下架", "新规", "合规", "平台", "通知", "审核", "邮件",
              "大规模", "这次", "很多", "已经", "还是", "怎么办", "有没有", "今天", "昨天",
              "收到", "需要", "提交", "资料", "营业执照", "身份证", "地址验证", "明信片"]
FUNCTION_WORDS = HEAD_WORDS.index("seller")
DOMAIN_SPACING = 15
START = date(2023, 1, 1)
DAYS = 730
SOURCES = 50
BATCH = 50_000


def vocabulary(size: int = 30_000, seed: int = 1) -> np.ndarray:
    """Function words at the head; the seller vocabulary spread over ranks ~60-3000, where
    domain terms sit in real text (a word at rank 1000 is in ~1% of posts, at rank 100 in ~13%)."""
    rng = np.random.default_rng(seed)
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["ing", "er", "tion", "ly"]
    function, domain = HEAD_WORDS[:FUNCTION_WORDS], HEAD_WORDS[FUNCTION_WORDS:]
    seen = set(HEAD_WORDS)
    filler: list[str] = []
    while len(filler) < size - len(HEAD_WORDS):
        word = "".join(rng.choice(syllables, rng.integers(2, 5)))
        if word not in seen:
            seen.add(word)
            filler.append(word)
    words = function + filler
    for i, word in enumerate(domain):
        words.insert(FUNCTION_WORDS + i * DOMAIN_SPACING, word)
    return np.array(words, dtype=object)


class TextMaker:
    """Zipf-like word sequences (rank^-1.07), drawn in bulk with numpy."""

    def __init__(self, rng: np.random.Generator):
        self.rng, self.vocab = rng, vocabulary()
        weights = 1.0 / np.arange(1, len(self.vocab) + 1) ** 1.07
        self.cdf = np.cumsum(weights / weights.sum())

    def texts(self, lengths: np.ndarray) -> list[str]:
        words = self.vocab[np.searchsorted(self.cdf, self.rng.random(int(lengths.sum())))]
        ends = np.cumsum(lengths)
        return [" ".join(words[e - n:e]) for e, n in zip(ends.tolist(), lengths.tolist())]

    def chinese(self, n: int) -> str:
        return "".join(self.rng.choice(ZH_PHRASES, n)) + "。"


def generate(path: Path, total: int, seed: int = 42) -> float:
    """Write the archive; return seconds taken."""
    started = time.perf_counter()
    open_archive(path).close()                     # the real schema, by the real migrations
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")        # a bulk load into a throwaway file
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    conn.executemany("INSERT INTO sources (id, name, type, url, tier, lang) VALUES (?, ?, ?, ?, ?, ?)",
                     [(f"src{i:02d}", f"Source {i}", "feed", f"https://s{i}.example/feed",
                       ("official", "media", "community")[i % 3], "zh" if i >= 45 else "en")
                      for i in range(SOURCES)])
    rng = np.random.default_rng(seed)
    maker = TextMaker(rng)
    centres = rng.standard_normal((len(TOPICS) + 1, 384)).astype(np.float32)
    # posts per day: a steady base with topic surges, spread over DAYS days in date order
    per_day = rng.poisson(total / DAYS, DAYS).astype(np.int64)
    per_day[-1] += total - per_day.sum()
    day_of = np.repeat(np.arange(DAYS), per_day)[:total]
    post_id = 0
    for start in range(0, total, BATCH):
        n = min(BATCH, total - start)
        days = day_of[start:start + n]
        seconds = rng.integers(0, 86400, n)
        src = rng.integers(0, SOURCES, n)
        zh = (src >= 45) & (rng.random(n) < 0.5)  # half the posts of 5 Chinese sources: ~5%
        titles = maker.texts(rng.integers(6, 15, n))
        bodies = maker.texts(rng.integers(40, 221, n))
        topic = np.where(rng.random(n) < 0.35, rng.integers(0, len(TOPICS), n), -1)
        second = np.where(rng.random(n) < 0.25, rng.integers(0, len(TOPICS), n), -1)
        market = rng.integers(0, len(MARKETS), n)
        posts, tags, markets, classified, ids = [], [], [], [], []
        for i in range(n):
            post_id += 1
            ids.append(post_id)
            when = (START + timedelta(days=int(days[i]))).isoformat() + \
                f"T{seconds[i] // 3600:02d}:{seconds[i] // 60 % 60:02d}:{seconds[i] % 60:02d}+00:00"
            title, body = titles[i], bodies[i]
            if zh[i]:
                title, body = maker.chinese(4), maker.chinese(int(rng.integers(15, 60)))
            posts.append((post_id, f"https://src{src[i]:02d}.example/p/{post_id}", f"src{src[i]:02d}",
                          title, body, when, when, "zh" if zh[i] else "en",
                          hashlib.blake2b(f"{title}{body}".encode(), digest_size=16).hexdigest()))
            labels = {TOPICS[t] for t in (topic[i], second[i]) if t >= 0}
            tags += [(post_id, t, 0.8, "model", "bench") for t in sorted(labels)]
            markets.append((post_id, MARKETS[market[i]]))
            classified.append((post_id, "bench", when, json.dumps(
                {t: round(0.8 if t in labels else 0.05, 4) for t in TOPICS})))
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO posts (id, url, source_id, title, body, published_at, fetched_at, "
                         "lang, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", posts)
        conn.executemany("INSERT INTO tags VALUES (?, ?, ?, ?, ?)", tags)
        conn.executemany("INSERT INTO marketplaces VALUES (?, ?)", markets)
        conn.executemany("INSERT INTO classifications VALUES (?, ?, ?, ?)", classified)
        english = ~zh
        vectors = centres[np.where(topic >= 0, topic, len(TOPICS))[english]] + \
            rng.standard_normal((int(english.sum()), 384), dtype=np.float32) * 0.08
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        en_ids = np.array(ids)[english].tolist()
        conn.executemany("INSERT INTO embeddings VALUES (?, 'bench', 384, ?)",
                         zip(en_ids, (v.tobytes() for v in vectors)))
        conn.execute("COMMIT")
        print(f"  {start + n:>9,} posts  {time.perf_counter() - started:6.1f} s", flush=True)
    t = time.perf_counter()
    conn.execute("INSERT INTO posts_fts (posts_fts) VALUES ('rebuild')")
    conn.execute("INSERT INTO posts_trigram (rowid, title, body) SELECT id, title, body FROM posts "
                 f"WHERE (title || ' ' || body) GLOB '{CJK_GLOB}'")
    print(f"  FTS indexes rebuilt in {time.perf_counter() - t:.1f} s", flush=True)
    for _, sql in triggers:
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return time.perf_counter() - started


def timed(fn, repeat: int = 5) -> float:
    """Median wall time in ms."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def archive_arguments(doc: str, default_path: Path) -> argparse.Namespace:
    """--posts, --path and --reuse, shared by the benchmarks that run on this archive."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--path", type=Path, default=default_path)
    parser.add_argument("--reuse", action="store_true", help="Keep an existing generated file.")
    return parser.parse_args()


def generated_archive(args: argparse.Namespace) -> Path:
    """The archive at --path, generated anew unless --reuse finds one."""
    path: Path = args.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if not (args.reuse and path.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        print(f"generating {args.posts:,} posts into {path}")
        print(f"generated in {generate(path, args.posts):.0f} s")
    return path


def main() -> None:
    args = archive_arguments(__doc__, Path("/tmp/crackdown-bench/archive.db"))
    path = generated_archive(args)
    db = open_archive(path)
    posts = db.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    size = path.stat().st_size
    print(f"\narchive: {posts:,} posts, {size / 1e9:.2f} GB, "
          f"{size / 1e9 / posts * 1e6:.2f} GB per million posts")
    try:
        for name, pages in db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name "
                                      "ORDER BY 2 DESC LIMIT 8"):
            print(f"  {name:<28} {pages / 1e6:8.0f} MB")
    except sqlite3.OperationalError:
        pass   # dbstat not compiled in

    queries = [("verification video", {}), ('"funds held"', {}), ("counterfeit OR knockoff*", {}),
               ("suspend* NOT appeal", {}), ("reinstated", {"topics": ["store_closure"]}),
               ("verification", {"marketplaces": ["amazon"], "since": "2024-06-01"}),
               ("leaked database", {"sort": "date"}), ("视频验证", {}), ("封号", {})]
    print("\nsearch (limit 20), median of 5 runs:")
    medians = []
    for q, kw in queries:
        ms = timed(lambda q=q, kw=kw: search(db, q, limit=20, **kw))
        medians.append(ms)
        hits = len(search(db, q, limit=20, **kw))
        print(f"  {q!r:<28} {json.dumps(kw):<62} {ms:7.1f} ms  ({hits} shown)")
    print(f"  FTS query median over these queries: {statistics.median(medians):.1f} ms (target < 100)")

    t = time.perf_counter()
    added = similar.refresh_index(db)
    print(f"\nsimilar: index built for {added:,} embeddings in {time.perf_counter() - t:.1f} s (once; "
          "later runs append only new posts)")
    rng = np.random.default_rng(0)
    targets = [int(x) for x in rng.choice(db.execute("SELECT MAX(post_id) FROM embeddings").fetchone()[0],
                                          7)]
    sims = []
    for post_id in targets:
        if db.execute("SELECT 1 FROM embeddings WHERE post_id = ?", [post_id]).fetchone() is None:
            continue
        def run(post_id=post_id):
            similar.refresh_index(db)
            return similar.describe(db, similar.nearest(db, similar.post_vector(db, post_id),
                                                       limit=10, exclude=post_id))
        sims.append(timed(run, 3))
    print(f"  similar POST_ID (refresh + load index + rank + rerank, limit 10): median "
          f"{statistics.median(sims):.0f} ms over {len(sims)} posts (target < 500)")

    print("\ntimeline (2 years of days), median of 5 runs:")
    for topic, kw in [("verification", {}), ("store_closure", {"marketplace": "amazon"}),
                      ("funds_hold", {"since": date(2024, 7, 1)})]:
        ms = timed(lambda topic=topic, kw=kw: topic_timeline(db, topic, **kw))
        print(f"  {topic:<16} {str(kw):<40} {ms:7.1f} ms (target < 300)")

    # The classify stage asks which tagged posts a Chinese post on their topic can reach (they
    # need a multilingual vector); the generated archive stores none, so most tagged English
    # posts near a Chinese one are listed.
    last = db.execute("SELECT MAX(id) FROM posts").fetchone()[0]
    day = list(range(max(1, last - posts // DAYS + 1), last + 1))
    ms = timed(lambda: posts_needing_ml_vectors(db, day), 3)
    print(f"\ncross-language reach for the classify stage: a day's {len(day):,} new posts "
          f"{ms:.0f} ms (median of 3; {len(posts_needing_ml_vectors(db, day)):,} to read)")
    t = time.perf_counter()
    listed = posts_needing_ml_vectors(db, range(1, last + 1))
    print(f"  every post at once: {time.perf_counter() - t:.1f} s ({len(listed):,} to read; the "
          f"stage asks per batch of 256)")
    db.close()


if __name__ == "__main__":
    main()
