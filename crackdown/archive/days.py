"""How the archive dates a post, shared by every query that filters or groups by day."""

from __future__ import annotations

# A post is dated by its publication time, else by when it was first seen. The index
# idx_posts_day is on exactly this expression, so queries must use it verbatim.
DAY_EXPR = "COALESCE(p.published_at, p.fetched_at)"


def day_window(since: str | None, until: str | None) -> tuple[list[str], list[str]]:
    """WHERE clauses and parameters for posts dated in [since, until) (either bound optional)."""
    clauses, params = [], []
    if since:
        clauses.append(f"{DAY_EXPR} >= ?")
        params.append(since)
    if until:
        clauses.append(f"{DAY_EXPR} < ?")
        params.append(until)
    return clauses, params
