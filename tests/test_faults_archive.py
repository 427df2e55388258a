"""The archive's disk read-only or full, and the model files missing: real runs against a real
SQLite file. Each run says what failed, exits 3, leaves the archive whole, and the next healthy
run completes the work without duplicates."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat

import pytest

from tests.conftest import FixtureServer, run_cli
from tests.ops_support import (
    FEED_DAY,
    SHARED_MODEL_DIR,
    drop_root_file_override,
    enforcement_items,
    limit_file_size,
    ops_config,
    rss,
    rss_item,
    run_measured,
)

DAY = FEED_DAY.isoformat()


@pytest.fixture(scope="module")
def server():
    srv = FixtureServer()
    srv.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    srv.add("/feed", rss(enforcement_items(srv.base, "base", 5)))
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, server):
    """A healthy archive after one good run: the starting point each fault copies."""
    tmp = tmp_path_factory.mktemp("prepared")
    config = ops_config(tmp, [{"id": "news", "name": "News", "type": "feed",
                               "url": server.base + "/feed"}])
    result = run_cli("--config", str(config), "run", "--date", DAY, "--no-send")
    assert result.returncode == 0, result.stderr
    return tmp


def copy_of(prepared, tmp_path):
    """The prepared folder copied, with its config pointing at the copy."""
    target = tmp_path / "site"
    shutil.copytree(prepared, target)
    config = target / "config.toml"
    config.write_text(config.read_text().replace(str(prepared), str(target)))
    return target, config


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_only_archive_folder_exits_3_and_changes_nothing(prepared, tmp_path):
    site, config = copy_of(prepared, tmp_path)
    before = digest(site / "archive.db")
    for path in site.glob("archive.db*"):
        path.chmod(0o444)
    site.chmod(0o555)
    try:
        result, _ = run_measured("--config", str(config), "run", "--date", DAY, "--no-send",
                                 preexec_fn=drop_root_file_override)
    finally:
        site.chmod(0o755)
    assert result.returncode == 3, result.stderr
    assert "writable" in result.stderr and "Traceback" not in result.stderr
    assert digest(site / "archive.db") == before


def test_read_only_archive_file_exits_3_with_what_to_fix(prepared, tmp_path):
    site, config = copy_of(prepared, tmp_path)
    before = digest(site / "archive.db")
    for path in site.glob("archive.db*"):
        if not path.name.endswith(".lock"):
            path.chmod(0o444)
    result, _ = run_measured("--config", str(config), "run", "--date", DAY, "--no-send",
                             preexec_fn=drop_root_file_override)
    assert result.returncode == 3, result.stderr
    assert "archive" in result.stderr and "readonly" in result.stderr.replace("read-only", "readonly")
    assert "Traceback" not in result.stderr
    assert digest(site / "archive.db") == before


def test_full_disk_exits_3_and_the_next_run_completes_the_work(prepared, tmp_path, server):
    site, config = copy_of(prepared, tmp_path)
    many = [rss_item(server.base, f"big-{i}", f"Walmart seller news item {i} on payouts and holds",
                     f"Walmart item {i}. " + "Sellers report frozen disbursements and reserves. " * 60)
            for i in range(60)]
    server.add("/big", rss(many))
    config.write_text(config.read_text().replace(f'{server.base}/feed"', f'{server.base}/big"'))
    # the shared model cache, linked: a limited process must never rewrite the shared files
    private_models = site / "models"
    private_models.mkdir()
    for entry in SHARED_MODEL_DIR.iterdir():
        if entry.name != "embedding_cache.npz":
            (private_models / entry.name).symlink_to(entry)
    config.write_text(config.read_text().replace(f'"{SHARED_MODEL_DIR}"', f'"{private_models}"'))
    # every file may grow by at most 64 KB: the posts (~200 KB with their index) cannot fit
    limit = max(p.stat().st_size for p in site.glob("archive.db*")) + 64 * 1024
    result, _ = run_measured("--config", str(config), "run", "--date", DAY, "--no-send",
                             preexec_fn=limit_file_size(limit))
    assert result.returncode == 3, result.stderr
    assert "write failed" in result.stderr and "free space" in result.stderr
    assert "Traceback" not in result.stderr
    db = sqlite3.connect(site / "archive.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    partial = db.execute("SELECT COUNT(*) FROM posts WHERE url LIKE '%/big-%'").fetchone()[0]
    db.close()
    assert partial < 60

    healthy = run_cli("--config", str(config), "run", "--date", DAY, "--no-send")
    assert healthy.returncode == 0, healthy.stderr
    db = sqlite3.connect(site / "archive.db")
    urls = [r[0] for r in db.execute("SELECT url FROM posts WHERE url LIKE '%/big-%'")]
    statuses = [r[0] for r in db.execute("SELECT status FROM runs ORDER BY id")]
    db.close()
    assert len(urls) == len(set(urls)) == 60
    assert statuses[0] == "ok" and statuses[-1] == "ok" and statuses[1] in ("failed", "interrupted")


def test_missing_model_archives_the_crawl_builds_no_brief_and_exits_3(tmp_path, server):
    config = ops_config(tmp_path, [{"id": "news", "name": "News", "type": "feed",
                                    "url": server.base + "/feed"}],
                        classify={"model": str(tmp_path / "no-such-model")})
    result = run_cli("--config", str(config), "run", "--date", DAY, "--no-send")
    assert result.returncode == 3, result.stderr
    assert "model unavailable" in result.stderr and "[classify] model" in result.stderr
    db = sqlite3.connect(tmp_path / "archive.db")
    assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 5   # the crawl is kept
    assert db.execute("SELECT COUNT(*) FROM briefs").fetchone()[0] == 0    # no misleading brief
    status, error = db.execute("SELECT status, error FROM runs").fetchone()
    assert status == "failed" and "model unavailable" in error
    assert stat.S_IMODE(os.stat(tmp_path / "archive.db").st_mode) == 0o600
