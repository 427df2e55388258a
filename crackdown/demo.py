"""`crackdown demo`: the whole pipeline against the bundled May 2021 site, offline.

Serves the demo site on 127.0.0.1, writes a config pointing at it, and runs crawl → classify →
brief into the output folder. The brief date is the day the review-manipulation wave broke. The
folder also gets Datasette's metadata.json, so `datasette FOLDER/` opens the archive with its
titles and canned queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path

from crackdown.config import (
    DEFAULT_TOPICS,
    ArchiveConfig,
    BriefConfig,
    ClassifyConfig,
    Config,
    CrawlConfig,
    SourceConfig,
)
from crackdown.config_events import EventsConfig
from crackdown.run import RunResult, _run_stages

DEMO_DATE = Date(2021, 5, 13)
# The whole corpus, for the backtest the demo writes beside the brief.
DEMO_FIRST, DEMO_LAST = Date(2021, 5, 1), Date(2021, 5, 21)
DEMO_KNOWN_NAMES = ("Aukey|傲基", "Mpow", "RAVPower", "Patozon|帕拓逊", "FTC", "CMA")


def demo_config(out: Path, base_url: str, topics=DEFAULT_TOPICS) -> Config:
    """A config for the demo site: no politeness delay (it is our own server), no age limit."""
    from crawlers.demo_site.site import load_demo_sources

    sources = tuple(
        SourceConfig(id=s["id"], name=s["name"], type=s["type"], url=base_url + s["path"],
                     tier=s["tier"], lang=s["lang"], marketplaces=tuple(s["marketplaces"]),
                     fetch_articles=bool(s.get("articles")))
        for s in load_demo_sources())
    return Config(
        path=out / "demo-config.toml",
        archive=ArchiveConfig(path=out / "archive.db"),
        crawl=CrawlConfig(user_agent="crackdown-demo/0.1 (+mailto:demo@example.com)",
                          download_delay=0.0, max_age_days=0, autothrottle=False, retries=1),
        sources=sources,
        classify=ClassifyConfig(model_dir=out / "model"),
        topics=topics,
        brief=BriefConfig(timezone="UTC", baseline_days=12),
        events=EventsConfig(known_names=DEMO_KNOWN_NAMES),
    )


@dataclass(frozen=True)
class DemoFiles:
    archive: Path
    html: Path
    text: Path
    metadata: Path   # Datasette metadata beside the archive
    backtest: Path   # `crackdown backtest` over the corpus's three weeks
    html_zh: Path | None = None   # the same brief in Chinese


class DemoFolderInUse(Exception):
    """The output folder holds an archive that the demo did not make; the message says what to do."""


def clear_previous_demo(archive: Path) -> None:
    """A replay starts from an empty archive: the demo server's port changes between runs, so the
    same posts would come back under new URLs and every count would double. Only an archive whose
    runs were all demos is removed; any other is left alone and refused."""
    import sqlite3

    if not archive.exists():
        return
    try:
        with sqlite3.connect(f"file:{archive}?mode=ro", uri=True) as conn:
            commands = {c for (c,) in conn.execute("SELECT DISTINCT command FROM runs")}
    except sqlite3.Error as exc:
        raise DemoFolderInUse(f"{archive} is not a demo archive ({exc}); choose another --out") from exc
    if commands - {"demo"}:
        raise DemoFolderInUse(f"{archive} holds runs of {sorted(commands - {'demo'})}, not only "
                              "demos; choose another --out (the demo starts from an empty archive)")
    for suffix in ("", "-wal", "-shm"):
        archive.with_name(archive.name + suffix).unlink(missing_ok=True)


def run_demo(out: Path, topics=DEFAULT_TOPICS, log_level: str = "WARNING") -> tuple[RunResult, DemoFiles]:
    from crackdown.archive.datasette import write_metadata
    from crawlers.demo_site.site import DemoServer

    out.mkdir(parents=True, exist_ok=True)
    clear_previous_demo(out / "archive.db")
    with DemoServer() as server:
        config = demo_config(out, server.base, topics)
        result = _run_stages(config, DEMO_DATE, send=False, command="demo", log_level=log_level)
    from crackdown.archive import open_archive, runs

    db = open_archive(config.archive.path)
    brief = runs.get_brief(db, DEMO_DATE.isoformat())
    backtest_path = out / "backtest.txt"
    backtest_path.write_text(_backtest_text(db, config) + "\n", encoding="utf-8")
    db.close()
    html_path, text_path = out / "brief.html", out / "brief.txt"
    html_path.write_text(brief["html"], encoding="utf-8")
    text_path.write_text(brief["text"], encoding="utf-8")
    metadata_path = write_metadata(config.archive.path)
    from reports.daily import render_brief

    zh_path = out / "brief.zh.html"
    zh_path.write_text(render_brief(config, DEMO_DATE, "zh").html, encoding="utf-8")
    return result, DemoFiles(config.archive.path, html_path, text_path, metadata_path, backtest_path,
                             zh_path)


def _backtest_text(db, config: Config) -> str:
    from reports.event_tracking import backtest, format_backtest

    result = backtest(db, config, DEMO_FIRST, DEMO_LAST)
    return format_backtest(result, {t.id: t.name for t in config.topics}, config.events.min_posts)
