"""Datasette opens the archive with full-text search working, and with the metadata that
`crackdown datasette-metadata` writes (titles, descriptions, canned queries). In-process."""

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from crackdown.archive import runs
from crackdown.cli import cli
from tests.archive_samples import build
from tests.conftest import REPO


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("datasette")
    db, ids = build(folder / "archive.db")
    runs.save_brief(db, "2021-05-12", "Brief 12 May", "<p>12</p>", "twelve")
    runs.save_brief(db, "2021-05-13", "Brief 13 May", "<p>13</p>", "thirteen")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    yield folder, ids
    db.close()


def _get(ds: Datasette, url: str):
    async def fetch():
        return await ds.client.get(url)
    response = asyncio.run(fetch())
    assert response.status_code == 200, (url, response.text[:500])
    return response.json()


def test_plain_datasette_searches_posts(archive):
    folder, ids = archive
    ds = Datasette([str(folder / "archive.db")])
    rows = _get(ds, "/archive/posts.json?_search=frozen+funds&_shape=array")
    assert [r["id"] for r in rows] == [ids["frozen"]]
    rows = _get(ds, "/archive/posts.json?_search=verification&_shape=array")
    assert {r["id"] for r in rows} == {ids["verify_title"], ids["verify_body"], ids["frozen"]}
    tables = {t["name"]: t for t in _get(ds, "/archive.json")["tables"]}
    assert tables["posts"]["fts_table"] == "posts_fts"


def test_metadata_command_writes_what_datasette_reads(archive):
    folder, ids = archive
    result = CliRunner().invoke(cli, ["--config", str(REPO / "config.toml"), "--db",
                                      str(folder / "archive.db"), "datasette-metadata"])
    assert result.exit_code == 0, result.output
    written = Path(result.stdout.strip())
    assert written == folder / "metadata.json"
    # configuration-directory mode (`datasette FOLDER/`) picks metadata.json up by itself
    ds = Datasette([], config_dir=folder)
    meta = _get(ds, "/-/metadata.json")
    assert meta == json.loads(written.read_text(encoding="utf-8"))
    assert _get(ds, "/archive/posts.json?_search=incentiv*&_shape=array")[0]["id"] == ids["fake_reviews"]
    queries = {q["name"]: q for q in _get(ds, "/archive.json")["queries"]}
    assert {"latest_brief", "surges", "topic_history", "first_reports"} <= set(queries)
    assert queries["latest_brief"]["title"] == "Today's brief"


@pytest.fixture(scope="module")
def served(archive):
    folder, ids = archive
    from crackdown.archive.datasette import metadata
    return Datasette([str(folder / "archive.db")], metadata=metadata("archive")), ids


def test_canned_latest_brief(served):
    ds, _ = served
    assert [r["subject"] for r in _get(ds, "/archive/latest_brief.json?date=&_shape=array")] == [
        "Brief 13 May"]
    assert [r["text"] for r in _get(ds, "/archive/latest_brief.json?date=2021-05-12&_shape=array")] == [
        "twelve"]


def test_canned_topic_history_and_first_reports(served):
    ds, ids = served
    rows = _get(ds, "/archive/topic_history.json?topic=verification&_shape=array")
    assert [(r["day"], r["posts"]) for r in rows] == [
        ("2021-05-13", 1), ("2021-05-12", 1), ("2021-05-11", 1), ("2021-05-10", 1)]
    first = _get(ds, "/archive/first_reports.json?topic=verification&since=2021-05-11&_shape=array")
    assert first[0]["title"] == "视频验证流程分享" and first[0]["source"] == "卖家论坛"


def test_canned_surges(served):
    ds, _ = served
    # the sample archive is quiet: one post per topic per day, never a surge
    assert _get(ds, "/archive/surges.json?since=2021-05-01&_shape=array") == []


def test_canned_surges_finds_a_spike(tmp_path):
    from crackdown.archive.datasette import metadata
    from tests.archive_samples import save

    db, _ = build(tmp_path / "archive.db")
    for n in range(6):
        save(db, f"spike{n}", "forum", "2021-05-20", f"Funds held again {n}", "", ["funds_hold"],
             ["amazon"], "en")
    ds = Datasette([str(tmp_path / "archive.db")], metadata=metadata("archive"))
    rows = _get(ds, "/archive/surges.json?since=2021-05-01&_shape=array")
    assert [(r["day"], r["topic"], r["posts"]) for r in rows] == [("2021-05-20", "funds_hold", 6)]
    db.close()


def test_metadata_turns_on_fts5_operators_in_the_search_box(served):
    ds, ids = served
    rows = _get(ds, "/archive/posts.json?_search=counterfeit+OR+frozen&_shape=array")
    assert {r["id"] for r in rows} == {ids["counterfeit"], ids["frozen"]}
    rows = _get(ds, "/archive/posts.json?_search=suspend*&_shape=array")
    assert [r["id"] for r in rows] == [ids["fake_reviews"]]
