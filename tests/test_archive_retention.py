"""`crackdown export` and `crackdown prune`: an export taken before pruning holds exactly what
prune removes; prune takes derived rows with it, keeps briefs, and shrinks the file."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from crackdown.archive import runs, tags
from crackdown.archive.search import search
from crackdown.cli import cli
from crackdown.lock import RunLock, lock_path
from tests.archive_samples import build, save
from tests.conftest import REPO

CUT = "2021-05-11"
DERIVED = ("tags", "classifications", "embeddings", "marketplaces", "labels")


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "archive.db"
    db, ids = build(path)
    # bulk, so VACUUM has something to give back
    for n in range(300):
        ids[f"old{n}"] = save(db, f"old{n}", "forum", "2021-04-02", f"Old thread {n}",
                              "Seller chatter about fees and shipping. " * 40, ["policy_change"],
                              ["etsy"], "en")
    every = sorted(ids.values())
    tags.save_embeddings(db, every, np.ones((len(every), 384), np.float32) / np.sqrt(384), "enc")
    tags.add_label(db, ids["counterfeit"], ["counterfeit_ip"], ["counterfeit_ip", "listing_takedown"])
    tags.add_label(db, ids["frozen"], [], ["funds_hold"])
    runs.save_brief(db, "2021-04-01", "Brief 1 April", "<p>old</p>", "old")
    yield path, db, ids
    db.close()


def _cli(path, *args):
    return CliRunner().invoke(cli, ["--config", str(REPO / "config.toml"), "--db", str(path), *args])


def _export(path, *args):
    result = _cli(path, "export", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_export_splits_the_archive_at_a_date(archive):
    path, _, ids = archive
    everything = _export(path)
    before, after = _export(path, "--until", CUT), _export(path, "--since", CUT, "--format", "jsonl")
    assert len(everything) == len(ids)
    assert not {r["id"] for r in before} & {r["id"] for r in after}
    assert sorted(r["id"] for r in before + after) == [r["id"] for r in everything]   # id order
    assert all(r["dated_at"] < CUT for r in before) and all(r["dated_at"] >= CUT for r in after)
    counterfeit = next(r for r in before if r["id"] == ids["counterfeit"])
    assert counterfeit["topics"] == {"counterfeit_ip": 0.9} and counterfeit["marketplaces"] == ["amazon"]
    assert {(lab["topic"], lab["value"]) for lab in counterfeit["labels"]} == {
        ("counterfeit_ip", 1), ("listing_takedown", 0)}
    assert counterfeit["source_name"] == "Marketplace Pulse" and "Customs seized" in counterfeit["body"]


def test_export_to_file(archive, tmp_path):
    path, _, ids = archive
    result = _cli(path, "export", "--since", CUT, "--out", str(tmp_path / "x.jsonl"))
    lines = (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()
    assert result.exit_code == 0 and f"{len(lines)} posts written" in result.output
    assert "视频验证流程分享" in (tmp_path / "x.jsonl").read_text(encoding="utf-8")   # not \u-escaped


def test_prune_round_trip(archive):
    path, db, ids = archive
    everything = _export(path)
    before, after = _export(path, "--until", CUT), _export(path, "--since", CUT)
    gone = {r["id"] for r in before}
    size_before = path.stat().st_size
    result = _cli(path, "prune", "--before", CUT)
    assert result.exit_code == 0, result.output
    assert f"pruned {len(before)} posts" in result.output
    assert _export(path) == after                                # the rest is untouched
    assert len(everything) == len(before) + len(after)
    marks = ",".join("?" * len(gone))
    for table in DERIVED:
        assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE post_id IN ({marks})",
                          list(gone)).fetchone()[0] == 0, table
    assert db.execute("SELECT COUNT(*) FROM tags").fetchone()[0] > 0
    assert db.execute("SELECT subject FROM briefs").fetchall() == [("Brief 1 April",)]
    assert search(db, "counterfeit") == [] and search(db, "沃尔玛") == []  # both FTS indexes follow
    assert {r["id"] for r in search(db, "视频验证")} == {ids["zh_ban"], ids["zh_video"]}
    assert path.stat().st_size < size_before                    # VACUUM gave the space back


def test_prune_waits_for_no_run(archive):
    path, db, _ = archive
    with RunLock(lock_path(path)):
        result = _cli(path, "prune", "--before", CUT)
    assert result.exit_code == 75 and "holds" in result.output
    assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] > 300


def test_prune_needs_a_date(archive):
    path, _, _ = archive
    assert _cli(path, "prune").exit_code == 2
    result = _cli(path, "prune", "--before", "last year")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
