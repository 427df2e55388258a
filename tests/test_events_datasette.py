"""The Datasette canned query for events, run by Datasette itself on a tracked archive."""

import asyncio
from datetime import timedelta

from datasette.app import Datasette

from crackdown.archive.datasette import metadata
from reports.event_tracking import update_events
from tests.event_samples import D0, build, config, day


def test_events_query_lists_waves_with_first_posts(tmp_path):
    path = tmp_path / "archive.db"
    db = build(path)
    update_events(db, config(path), D0 + timedelta(days=25))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    ds = Datasette([str(path)], metadata=metadata("archive"))

    def get(url):
        response = asyncio.run(ds.client.get(url))
        assert response.status_code == 200, response.text[:300]
        return response.json()

    rows = get("/archive/events.json?topic=&since=&_shape=array")
    assert [(r["topic"], r["flagged"]) for r in rows] == [
        ("review_abuse", day(18)), ("store_closure", day(18)), ("counterfeit_ip", day(10))]
    review = rows[0]
    assert review["first_post_source"] == "Seller Forum"
    assert review["first_official_source"] == "Platform Notices"
    assert get("/archive/events.json?topic=store_closure&since=&_shape=array")[0]["marketplace"] == "walmart"
    assert [r["topic"] for r in get(f"/archive/events.json?topic=&since={day(20)}&_shape=array")] == [
        "review_abuse", "store_closure"]
    tables = {t["name"]: t for t in get("/archive.json")["tables"]}
    assert not tables["events"]["hidden"] and tables["event_days"]["hidden"]
