"""Sources that read their list fine but found nothing, run after run: a layout or platform change.

A quiet day gives a source zero new posts, never zero items: the list still shows yesterday's.
Zero items on `EMPTY_RUNS_ALERT` runs in a row means the selector or JSON path no longer matches
(the site was redesigned, moved platform or started rendering in the browser). Used by
`crackdown sources --check` and `crackdown doctor`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from crackdown.archive import empty_runs
from crackdown.config import Config

EMPTY_RUNS_ALERT = 3

_HOW_TO_FIX = {
    "html": "open the URL in a browser, compare its links with item_selector/link_selector and "
            "update them (a page that needs JavaScript needs another type)",
    "json": "look at the API's answer and update [sources.fields] items (and the field paths), or "
            "[sources.request] if the API now wants other parameters",
    "khoros": "read the forum's new list pages as type = \"html\" with selectors for its "
              "topic links (or set url to a board feed if it still has one)",
    "discourse": "check that the URL still serves Discourse's /latest.json",
}


@dataclass
class EmptySource:
    source_id: str
    runs: int
    since: str
    reason: str
    advice: str

    def explain(self, with_id: bool = True) -> str:
        prefix = f"{self.source_id}: " if with_id else ""
        return (f"{prefix}probable layout or platform change: zero items in {self.runs} runs in a "
                f"row since {self.since}; {self.reason}. Fix: {self.advice}")


def empty_sources(db: Database, config: Config, min_runs: int = EMPTY_RUNS_ALERT) -> list[EmptySource]:
    """Enabled, configured sources on a zero-items streak of at least `min_runs` runs."""
    enabled = {s.id: s for s in config.sources if s.enabled}
    found = []
    for row in empty_runs.empty_streaks(db, min_runs):
        src = enabled.get(row["id"])
        if src is None:
            continue
        advice = _HOW_TO_FIX.get(src.type, "check that the URL still serves the same format")
        found.append(EmptySource(src.id, row["empty_runs"], (row["empty_since"] or "?")[:10],
                                 row["empty_reason"] or "the list had no items", advice))
    return found
