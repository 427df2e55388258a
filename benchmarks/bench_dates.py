"""Date strings per second: Crackdown's table-driven reader against dateparser, on the same mix of
strings in en, de, fr, es, it, pt, ja and zh (RFC 822 and ISO feeds, list-page dates, relative
phrases). dateparser is measured only when it is installed (it is not a dependency):

    .venv/bin/pip install dateparser   # optional, for the comparison
    .venv/bin/python benchmarks/bench_dates.py [--seconds 2]

dateparser runs the way the issue asked for: restricted to the source's language and timezone
(one parser per language, settings for the zone, the fetch time as RELATIVE_BASE), so that it is
as fast and as careful as it gets. Agreement is counted against our reader's answers.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawlers.dates import parse_date, zone  # noqa: E402

NOW = datetime.fromisoformat("2021-05-13T12:00:00+00:00")
# (language, source zone, text): the shapes feeds and list pages print, in the proportions a
# crawl sees them (feeds dominate: RFC 822 and ISO 8601 first).
MIX = [
    ("en", "UTC", "Thu, 13 May 2021 08:00:00 GMT"), ("en", "UTC", "Wed, 12 May 2021 22:15:09 +0000"),
    ("en", "UTC", "2021-05-13T08:00:00Z"), ("en", "UTC", "2021-05-12T18:30:00-04:00"),
    ("en", "America/New_York", "May 13, 2021 at 9:15 pm"), ("en", "UTC", "3 hours ago"),
    ("en", "UTC", "yesterday"),
    ("de", "Europe/Berlin", "Donnerstag, 13. Mai 2021, 09:30 Uhr"), ("de", "Europe/Berlin", "vor 2 Stunden"),
    ("de", "Europe/Berlin", "13.05.2021 09:30"), ("de", "Europe/Berlin", "gestern um 14:20"),
    ("fr", "Europe/Paris", "jeudi 13 mai 2021 à 09h30"), ("fr", "Europe/Paris", "il y a 3 jours"),
    ("fr", "Europe/Paris", "hier à 14h20"),
    ("es", "Europe/Madrid", "jueves, 13 de mayo de 2021 9:30"), ("es", "Europe/Madrid", "hace 3 días"),
    ("es", "Europe/Madrid", "ayer a las 14:20"),
    ("it", "Europe/Rome", "giovedì 13 maggio 2021 alle 09:30"), ("it", "Europe/Rome", "2 giorni fa"),
    ("pt", "UTC", "Seg, 24 Set 2018 19:42:40 -0300"), ("pt", "America/Sao_Paulo", "há 2 horas"),
    ("pt", "America/Sao_Paulo", "24 de setembro de 2018 às 19:42"),
    ("ja", "Asia/Tokyo", "2021年5月13日 09:30"), ("ja", "Asia/Tokyo", "2時間前"),
    ("ja", "Asia/Tokyo", "昨日 14:20"),
    ("zh", "Asia/Shanghai", "2021年5月13日 09:30"), ("zh", "Asia/Shanghai", "5月13日"),
    ("zh", "Asia/Shanghai", "星期四"), ("zh", "Asia/Shanghai", "3小时前"),
    ("zh", "Asia/Shanghai", "昨天 14:20"),
    ("zh", "Asia/Shanghai", "2020/1/10 14:33:00"),
]


def rate(fn, seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for lang, tz, text in MIX:
            fn(lang, tz, text)
        done += len(MIX)
    return done / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()
    zones = {tz: zone(tz) for _, tz, _ in MIX}
    ours = {text: parse_date(text, zones[tz], NOW, lang=lang) for lang, tz, text in MIX}
    unread = [t for t, v in ours.items() if v is None]
    print(f"strings in the mix: {len(MIX)}; read by crackdown: {len(MIX) - len(unread)} (not: {unread})")
    r = rate(lambda lang, tz, text: parse_date(text, zones[tz], NOW, lang=lang), args.seconds)
    print(f"crackdown (tables): {r:,.0f} strings/s (target >= 20,000)")
    try:
        from dateparser import DateDataParser
    except ImportError:
        print("dateparser: not installed; `pip install dateparser` to compare")
        return
    parsers = {}

    def with_dateparser(lang: str, tz: str, text: str):
        key = (lang, tz)
        if key not in parsers:
            parsers[key] = DateDataParser(languages=[lang], settings={
                "TIMEZONE": tz, "RETURN_AS_TIMEZONE_AWARE": True, "PREFER_DATES_FROM": "past",
                "RELATIVE_BASE": NOW.astimezone(zones[tz]).replace(tzinfo=None)})
        return parsers[key].get_date_data(text).date_obj

    theirs = {text: with_dateparser(lang, tz, text) for lang, tz, text in MIX}
    agree = sum(1 for t in ours if ours[t] is not None and theirs[t] is not None
                and abs((ours[t] - theirs[t]).total_seconds()) < 60)
    missed = [t for t in ours if theirs[t] is None]
    differ = [t for t in ours if theirs[t] is not None and ours[t] is not None
              and abs((ours[t] - theirs[t]).total_seconds()) >= 60]
    print(f"dateparser: read {len(MIX) - len(missed)}/{len(MIX)}, agrees with crackdown on {agree}")
    print(f"  not read by dateparser: {missed}")
    print(f"  read differently: {[(t, str(ours[t]), str(theirs[t])) for t in differ]}")
    r = rate(with_dateparser, args.seconds)
    print(f"dateparser (one language + zone per parser, cached): {r:,.0f} strings/s")


if __name__ == "__main__":
    main()
