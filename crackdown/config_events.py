"""The `[events]` section: how enforcement waves are followed across days.

Kept apart from config.py (which parses it with its generic section reader and raises the
problems `check_events` returns), so the events feature adds a few lines there, not a section.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_KNOWN_NAMES = 500


@dataclass(frozen=True)
class EventsConfig:
    # An event ends after this many consecutive quiet days (posts back at the usual level).
    quiet_days: int = 3
    # A flag counts as a real event when it lasted >= 2 days or gathered this many posts;
    # anything smaller is reported by `crackdown backtest` as a false alarm.
    min_posts: int = 5
    # Parties always worth naming: "Aukey" or, with other spellings, "Aukey|傲基|AUKEY".
    known_names: tuple[str, ...] = ()


def check_events(cfg: EventsConfig) -> list[tuple[str, str]]:
    """(key, problem) for each invalid value; empty when the section is fine."""
    problems = []
    if not 1 <= cfg.quiet_days <= 60:
        problems.append(("events.quiet_days", f"must be between 1 and 60 days, not {cfg.quiet_days}"))
    if cfg.min_posts < 1:
        problems.append(("events.min_posts", f"must be >= 1, not {cfg.min_posts}"))
    if len(cfg.known_names) > MAX_KNOWN_NAMES:
        problems.append(("events.known_names", f"at most {MAX_KNOWN_NAMES} entries"))
    for entry in cfg.known_names:
        forms = entry.split("|")
        if any(not f.strip() for f in forms):
            problems.append(("events.known_names",
                             f"{entry!r} has an empty name; write \"Name\" or \"Name|别名|ALIAS\""))
            break
    return problems
