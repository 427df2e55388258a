"""Source health for the brief: sources that fail, and sources that went silent, with since when."""

from __future__ import annotations

from datetime import datetime, timedelta

SILENT_MIN_DAYS = 3      # a quiet weekend is not silence
SILENT_GAP_FACTOR = 4    # silent when the gap is this many times the source's usual gap


def _parse(iso: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def health_problems(health: list[dict], activity: dict[str, dict], day_end: str,
                    baseline_days: int) -> list[dict]:
    """One entry per troubled source: {"name", "source_id", "status", "since", "detail"}.

    `health` rows come from the sources table; `activity` maps a source id to
    {"last_post": iso or None, "recent": posts in the baseline window} as of the brief's day.
    """
    end = _parse(day_end)
    problems = []
    for h in health:
        failures = h.get("consecutive_failures") or 0
        if failures:
            since = (h.get("last_ok_at") or "")[:10]
            problems.append({
                "name": h["name"], "source_id": h["id"], "status": "failing",
                "since": since or "never succeeded",
                "failures": failures, "last_ok": since, "error": (h.get("last_error") or "")[:160],
                "detail": f"failing {failures} run{'s' if failures != 1 else ''}"
                          + (f", last good crawl {since}" if since else ", never succeeded")
                          + (f": {(h.get('last_error') or '')[:160]}" if h.get("last_error") else ""),
            })
            continue
        act = activity.get(h["id"]) or {}
        last = _parse(act.get("last_post"))
        if last is None or end is None:
            continue
        recent = act.get("recent") or 0
        usual_gap = baseline_days / recent if recent else float(baseline_days)
        quiet_days = (end - last) / timedelta(days=1)
        if quiet_days > max(SILENT_MIN_DAYS, SILENT_GAP_FACTOR * usual_gap):
            problems.append({
                "name": h["name"], "source_id": h["id"], "status": "silent",
                "since": last.date().isoformat(), "quiet_days": int(quiet_days),
                "per_day": recent / baseline_days, "recent": recent, "days": baseline_days,
                "detail": f"no new posts since {last.date().isoformat()} "
                          f"({int(quiet_days)} days; usually {_rate(recent, baseline_days)})",
            })
    return problems


def _rate(recent: int, days: int) -> str:
    if not recent:
        return f"none in the previous {days} days"
    per_day = recent / days
    return f"{per_day:.1f} a day" if per_day >= 1 else f"one every {days / recent:.0f} days"
