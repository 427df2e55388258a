"""`crackdown timeline`: a topic's daily counts (zeros included) with the brief's surge test."""

import csv
import io
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from crackdown.archive.timeline import topic_timeline
from crackdown.cli import cli
from tests.archive_samples import build, save
from tests.conftest import REPO

START = date(2021, 4, 1)
QUIET_DAYS, SPIKE_DAY, GAP_DAY = 20, date(2021, 4, 21), date(2021, 4, 11)
SPIKE_POSTS = 9


def _plan():
    """(day, marketplace) for every generated verification post: one a day on Amazon (none on
    the gap day), a spike of SPIKE_POSTS on SPIKE_DAY, and one eBay post every other day."""
    plan = []
    for n in range(QUIET_DAYS):
        day = START + timedelta(days=n)
        if day != GAP_DAY:
            plan.append((day, "amazon"))
        if n % 2 == 0:
            plan.append((day, "ebay"))
    plan += [(SPIKE_DAY, "amazon")] * SPIKE_POSTS
    return plan


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("timeline") / "archive.db"
    db, _ = build(path)
    for n, (day, market) in enumerate(_plan()):
        save(db, f"gen{n}", ["pulse", "forum"][n % 2], day.isoformat(), f"Verification post {n}", "",
             ["verification"], [market], "en", hour=n % 24)
    yield path, db
    db.close()


def test_counts_per_day_with_zero_days(archive):
    _, db = archive
    days = topic_timeline(db, "verification", since=START, until=SPIKE_DAY + timedelta(days=1))
    assert [d.day for d in days] == [(START + timedelta(days=n)).isoformat()
                                     for n in range(QUIET_DAYS + 1)]
    expected = {}
    for day, _ in _plan():
        expected[day.isoformat()] = expected.get(day.isoformat(), 0) + 1
    assert {d.day: d.posts for d in days} == {d.day: expected.get(d.day, 0) for d in days}
    gap = next(d for d in days if d.day == GAP_DAY.isoformat())
    assert gap.posts == expected[GAP_DAY.isoformat()] == 1   # only the eBay post that day


def test_surge_is_marked_on_the_spike_only(archive):
    _, db = archive
    days = topic_timeline(db, "verification", since=START + timedelta(days=14),
                          until=SPIKE_DAY + timedelta(days=1))
    assert [d.day for d in days if d.surge] == [SPIKE_DAY.isoformat()]
    spike = days[-1]
    assert spike.day == SPIKE_DAY.isoformat() and spike.p_value < 0.01 and spike.ratio > 3
    assert spike.baseline_mean > 1   # the baseline came from the 14 days before `since`'s window


def test_marketplace_filter(archive):
    _, db = archive
    ebay = topic_timeline(db, "verification", marketplace="ebay", until=date(2021, 5, 1))
    assert sum(d.posts for d in ebay) == sum(1 for _, m in _plan() if m == "ebay")
    assert not any(d.surge for d in ebay)
    assert topic_timeline(db, "verification", marketplace="temu") == []


def test_cli_table_and_csv(archive):
    path, _ = archive
    args = ["--config", str(REPO / "config.toml"), "--db", str(path), "timeline", "verification",
            "--marketplace", "amazon", "--since", "2021-04-15", "--until", "2021-04-22"]
    table = CliRunner().invoke(cli, args)
    assert table.exit_code == 0
    spike_line = next(line for line in table.output.splitlines() if line.startswith("2021-04-21"))
    assert "SURGE" in spike_line and f"{SPIKE_POSTS:>5}" in spike_line
    assert sum("SURGE" in line for line in table.output.splitlines()) == 1
    out = CliRunner().invoke(cli, [*args, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert rows[0]["day"] == "2021-04-15" and rows[-1]["day"] == "2021-04-21"
    assert [r["day"] for r in rows if r["surge"] == "1"] == ["2021-04-21"]
    assert int(rows[-1]["posts"]) == SPIKE_POSTS


def test_unknown_topic_is_a_usage_error(archive):
    path, _ = archive
    result = CliRunner().invoke(cli, ["--config", str(REPO / "config.toml"), "--db", str(path),
                                      "timeline", "nonsense"])
    assert result.exit_code == 2 and "verification" in result.output
