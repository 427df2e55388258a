"""Dates as sources write them → aware datetimes: RFC 822, ISO 8601, '2020/1/10 14:33:00', and the
relative forms forum pages use ('3 hours ago', '2天前', '昨天 14:20', 'just now').

A date without a zone is read in the source's timezone (Chinese forums print Beijing time with no
offset); relative dates are measured back from the moment the page was fetched.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta, tzinfo
from datetime import timezone as dt_timezone

from dateutil import parser as date_parser

_UNIT_SECONDS = {
    "second": 1, "sec": 1, "s": 1, "秒": 1,
    "minute": 60, "min": 60, "m": 60, "分钟": 60, "分": 60,
    "hour": 3600, "hr": 3600, "h": 3600, "小时": 3600, "个小时": 3600, "時": 3600,
    "day": 86400, "d": 86400, "天": 86400, "日": 86400,
    "week": 604800, "w": 604800, "周": 604800, "星期": 604800, "个星期": 604800,
    "month": 2592000, "个月": 2592000, "月": 2592000,
    "year": 31536000, "年": 31536000,
}
_RELATIVE_EN = re.compile(
    r"^(?:about\s+|over\s+|almost\s+)?(\d+|an?|one)\s*(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?"
    r"|weeks?|months?|years?|[smhdw])\s+ago$", re.I)
_RELATIVE_ZH = re.compile(r"^(\d+)\s*(秒|分钟|分|个小时|小时|天|日|个星期|星期|周|个月|月|年)\s*[以之]?前$")
_DAY_WORDS = {"today": 0, "yesterday": 1, "今天": 0, "今日": 0, "昨天": 1, "昨日": 1,
              "前天": 2}
_DAY_WORD = re.compile(r"^(today|yesterday|今天|今日|昨天|昨日|前天)\s*(\d{1,2}:\d{2}(?::\d{2})?)?$", re.I)
_JUST_NOW = {"just now", "now", "刚刚", "刚才"}
# "2020/1/10", "2020-01-10 14:33", "2020.1.10": dateutil would read some of these month-first.
_YEAR_FIRST = re.compile(r"^(\d{4})[/.\-年](\d{1,2})[/.\-月](\d{1,2})日?"
                         r"(?:\s*T?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
# "11-05 09:30" or "11月5日": this year's date, no year printed.
_MONTH_DAY = re.compile(r"^(\d{1,2})[\-/月](\d{1,2})日?(?:\s+(\d{1,2}):(\d{2}))?$")


def parse_date(text: str, tz: tzinfo = dt_timezone.utc, now: datetime | None = None) -> datetime | None:
    """An aware datetime for `text`, or None when it is not a date we can read.

    1. relative phrases ('3 hours ago', '2天前', '刚刚')
    2. day words with an optional time ('昨天 14:20', 'yesterday')
    3. year-first numeric dates ('2020/1/10 14:33:00', '2021年5月3日')
    4. month-day without a year ('11-05 09:30'), assumed within the last year
    5. everything else through dateutil (RFC 822, ISO 8601, 'May 3, 2021')
    Naive results are placed in `tz`.
    """
    text = re.sub(r"\s+", " ", (text or "").strip())
    if not text:
        return None
    now = (now or datetime.now(dt_timezone.utc)).astimezone(tz)
    lowered = text.lower()
    # 1.
    if lowered in _JUST_NOW:
        return now
    match = _RELATIVE_EN.match(lowered) or _RELATIVE_ZH.match(text)
    if match:
        count = 1 if match.group(1) in ("a", "an", "one") else int(match.group(1))
        unit = match.group(2).lower()
        seconds = _UNIT_SECONDS.get(unit) or _UNIT_SECONDS.get(unit.rstrip("s"))
        return now - timedelta(seconds=count * seconds) if seconds else None
    # 2.
    match = _DAY_WORD.match(text)
    if match:
        day = (now - timedelta(days=_DAY_WORDS[match.group(1).lower()])).date()
        hh, mm, ss = ([int(p) for p in match.group(2).split(":")] + [0])[:3] if match.group(2) else (0, 0, 0)
        return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=tz)
    # 3.
    match = _YEAR_FIRST.match(text)
    if match:
        y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in match.groups())
        try:
            return datetime(y, mo, d, hh, mm, ss, tzinfo=tz)
        except ValueError:
            return None
    # 4.
    match = _MONTH_DAY.match(text)
    if match:
        mo, d, hh, mm = (int(g) if g else 0 for g in match.groups())
        try:
            candidate = datetime(now.year, mo, d, hh, mm, tzinfo=tz)
        except ValueError:
            return None
        return candidate if candidate <= now + timedelta(days=1) else candidate.replace(year=now.year - 1)
    # 5.
    return _free_form(text, tz, now)


# Zones RFC 822 names besides UT/GMT/Z (which dateutil knows): US feeds still print them.
_RFC822_ZONES = {name: hours * 3600 for name, hours in (
    ("EST", -5), ("EDT", -4), ("CST", -6), ("CDT", -5), ("MST", -7), ("MDT", -6), ("PST", -8), ("PDT", -7))}
# dateutil fills what the text lacks from a default; parsing under two defaults that differ in
# every field shows which fields the text gave (2000 and 2004 are both leap years: 'Feb 29').
_DEFAULT_A = datetime(2000, 1, 1, 0, 0, 0)
_DEFAULT_B = datetime(2004, 2, 2, 1, 1, 1)


def _dateutil(text: str) -> tuple[datetime, datetime, bool] | None:
    """The text under both defaults, and whether it named a zone (known or not); None if unreadable."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", date_parser.UnknownTimezoneWarning)
        try:
            a = date_parser.parse(text, default=_DEFAULT_A, tzinfos=_RFC822_ZONES)
            b = date_parser.parse(text, default=_DEFAULT_B, tzinfos=_RFC822_ZONES)
        except (ValueError, OverflowError):
            return None
    unknown_zone = any(issubclass(w.category, date_parser.UnknownTimezoneWarning) for w in caught)
    return a, b, a.tzinfo is not None or unknown_zone


def _free_form(text: str, tz: tzinfo, now: datetime) -> datetime | None:
    """RFC 822, ISO 8601, 'May 3, 2021', 'May 3', a bare '14:20' (today) through dateutil.

    A month and a day are required (or a time alone): '-1', '12', '2021' or 'May 2021' are page
    furniture or counters, and dateutil would quietly complete them from today's date.
    """
    both = _dateutil(text)
    if both is None:
        return None
    a, b, _ = both
    given = {f for f in ("year", "month", "day", "hour") if getattr(a, f) == getattr(b, f)}
    if {"month", "day"} <= given:
        year = a.year if "year" in given else now.year
        try:
            parsed = a.replace(year=year)
        except ValueError:  # Feb 29 of a year that has none
            return None
        if "year" not in given and parsed.replace(tzinfo=parsed.tzinfo or tz) > now + timedelta(days=1):
            parsed = parsed.replace(year=year - 1)  # 'Dec 30' read in January is last year's
    elif given == {"hour"}:
        parsed = a.replace(year=now.year, month=now.month, day=now.day)
    else:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


def names_zone(text: str) -> bool:
    """Whether a date string carries its own zone ('+0800', 'Z', 'GMT', 'EDT', even an unknown
    abbreviation); False for naive or unreadable text."""
    both = _dateutil(re.sub(r"\s+", " ", (text or "").strip())) if text and text.strip() else None
    return bool(both and both[2])


def zone(name: str) -> tzinfo:
    """The tzinfo for an IANA name ('' = UTC); config validation has already checked it exists."""
    if not name or name.upper() == "UTC":
        return dt_timezone.utc
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
