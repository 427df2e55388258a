"""Dates as sources write them → aware datetimes, in the languages sources use (en, de, fr, es, it,
pt, ja, zh): RFC 822 and ISO 8601, '2020/1/10 14:33:00', '2021年5月13日 09:30', '5月13日',
'13. Mai 2021', '24 de setembro de 2018', 'Seg, 24 Set 2018 19:42:40 -0300', and the relative
forms forum pages use ('3 hours ago', 'vor 2 Stunden', 'hace 3 días', '3小时前', '昨天 14:20',
'星期四', 'just now').

A date without a zone is read in the source's timezone (Chinese forums print Beijing time with no
offset); relative dates are measured back from the moment the page was fetched. The month and
weekday words live in crawlers/date_words.py. Every source type reads its dates here (through
`parse_date`, or `crawlers.normalize.to_utc_iso`, which also rejects implausible years).
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta, tzinfo
from datetime import timezone as dt_timezone

from crawlers import date_words as words

_SPACES = re.compile(r"\s+")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$",
                  re.I)
_DAY_WORD = re.compile(r"^(.+?)(?:[,\s]+(?:at|um|à|a las|alle|às|as|a)?\s*"
                       r"(\d{1,2})[:h](\d{2})(?::(\d{2}))?\s*(?:uhr|h|([ap])\.?\s?m\.?)?)?$")
# "2020/1/10", "2020-01-10 14:33", "2020.1.10", "2021年5月13日(木) 09:30": dateutil would read some
# of these month-first.
_YEAR_FIRST = re.compile(r"^(\d{4})\s*[/.\-年]\s*(\d{1,2})\s*[/.\-月]\s*(\d{1,2})\s*日?"
                         r"(?:\s*T?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
# "11-05 09:30" or "11月5日": this year's date, no year printed.
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[\-/月]\s*(\d{1,2})\s*日?(?:\s+(\d{1,2}):(\d{2}))?$")
# Weekdays printed beside a full date say nothing more: '(木)', '星期四', '周四'.
_CJK_WEEKDAY_NOISE = re.compile(r"[（(][月火水木金土日一二三四五六天][)）]"
                                r"|(?:星期|周|週|礼拜|禮拜)[一二三四五六日天]|[月火水木金土日]曜日")
# "13.05.2021", "13/05/2021 09:30", "05/13/2021": day-first unless the source writes English.
_NUMERIC_DMY = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})\.?$")
_TIME = re.compile(r"(?<![\d.])(\d{1,2})(?::|h(?=\d))(\d{2})(?::(\d{2}))?(?:[.,]\d+)?"
                   r"(?:\s*([ap])\.?\s?m\.?(?![a-z]))?", re.I)
_BARE_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
# '+0800' after a space or a time (not the '-2021' of '13-05-2021'), 'GMT+8', or a bare 'GMT'
_OFFSET = re.compile(r"(?:(?<=\s)|(?<=:\d\d))([+-])(\d{2}):?(\d{2})$"
                     r"|(?:gmt|utc|ut)\s*([+-])(\d{1,2})(?::?(\d{2}))?$|\b(gmt|utc|ut|z)$")
_TOKEN = re.compile(r"[^\s,]+")
# Zones RFC 822 names besides UT/GMT/Z: US feeds still print them.
_RFC822_ZONES = {name: hours * 3600 for name, hours in (
    ("EST", -5), ("EDT", -4), ("CST", -6), ("CDT", -5), ("MST", -7), ("MDT", -6), ("PST", -8), ("PDT", -7))}
_NAMED_ZONES = {k.lower(): v for k, v in _RFC822_ZONES.items()}


def parse_date(text: str, tz: tzinfo = dt_timezone.utc, now: datetime | None = None,
               *, lang: str = "") -> datetime | None:
    """An aware datetime for `text`, or None when it is not a date we can read.

    1. ISO 8601 ('2021-05-13T08:00:00Z') straight through datetime.fromisoformat
    2. relative phrases ('3 hours ago', 'vor 2 Stunden', '2天前', '刚刚')
    3. day and weekday words with an optional time ('昨天 14:20', 'gestern um 9:30', '星期四')
    4. year-first numeric dates ('2020/1/10 14:33:00', '2021年5月3日') and month-day ('5月13日')
    5. named months in any of the table's languages ('Seg, 24 Set 2018 19:42:40 -0300'), numeric
       day-first dates ('13.05.2021'), a bare time (today)
    6. everything else through dateutil (rare layouts; unknown zone abbreviations)
    Naive results are placed in `tz`. `lang` only decides '05/06/2021': month-first for 'en'.
    """
    return _parse(text, tz, now, lang)[0]


def names_zone(text: str) -> bool:
    """Whether a date string carries its own zone ('+0800', 'Z', 'GMT', 'EDT', even an unknown
    abbreviation); False for naive or unreadable text."""
    return _parse(text, dt_timezone.utc, None, "")[1]


def zone(name: str) -> tzinfo:
    """The tzinfo for an IANA name ('' = UTC); config validation has already checked it exists."""
    if not name or name.upper() == "UTC":
        return dt_timezone.utc
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _parse(text: str, tz: tzinfo, now: datetime | None, lang: str) -> tuple[datetime | None, bool]:
    """(datetime or None, whether the text named its zone)."""
    text = _SPACES.sub(" ", (text or "").strip())
    if not text or len(text) > 80:
        return None, False
    # 1.
    if _ISO.match(text):
        try:
            parsed = datetime.fromisoformat(text.replace(" Z", "Z"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)), parsed.tzinfo is not None
    now = (now or datetime.now(dt_timezone.utc)).astimezone(tz)
    lowered = text.lower()
    # 2.
    if lowered in words.JUST_NOW:
        return now, False
    relative = _relative(lowered, now)
    if relative is not None:
        return relative, False
    # 3.
    day = _day_word(lowered, now, tz)
    if day is not None:
        return day, False
    # 4.
    numeric = _CJK_WEEKDAY_NOISE.sub(" ", text).strip() if not text.isascii() else text
    numeric = _SPACES.sub(" ", numeric)
    match = _YEAR_FIRST.match(numeric)
    if match:
        y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in match.groups())
        return _make(y, mo, d, hh, mm, ss, tz), False
    match = _MONTH_DAY.match(numeric)
    if match:
        mo, d, hh, mm = (int(g) if g else 0 for g in match.groups())
        return _this_year(mo, d, hh, mm, 0, tz, now), False
    # 5.
    named = _named_month(lowered, tz, now, lang)
    if named is not None:
        return named
    # 6.
    return _free_form(text, tz, now)


def _make(y: int, mo: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0,
          tz: tzinfo = dt_timezone.utc) -> datetime | None:
    try:
        return datetime(y, mo, d, hh, mm, ss, tzinfo=tz)
    except ValueError:   # 31 June, 25:00, Feb 29 of a common year
        return None


def _this_year(mo: int, d: int, hh: int, mm: int, ss: int, tz: tzinfo, now: datetime) -> datetime | None:
    """A date printed without its year: this year's, or last year's when that would be the future
    ('Dec 30' read in January)."""
    candidate = _make(now.year, mo, d, hh, mm, ss, tz)
    if candidate is None:
        return _make(now.year - 1, mo, d, hh, mm, ss, tz)   # Feb 29 seen in a common year
    if candidate > now + timedelta(days=1):
        return _make(now.year - 1, mo, d, hh, mm, ss, tz)
    return candidate


def _relative(lowered: str, now: datetime) -> datetime | None:
    match = words.RELATIVE.match(lowered)
    if not match or not (match.group(1) or match.group(4)):
        return None
    count = 1 if match.group(2) in words.ONE_WORDS else int(match.group(2))
    return now - timedelta(seconds=count * words.UNIT_SECONDS[match.group(3)])


def _day_word(lowered: str, now: datetime, tz: tzinfo) -> datetime | None:
    """'yesterday', 'gestern um 14:20', 'hier à 9h30', 'Donnerstag', '星期四 14:20' → that day."""
    match = _DAY_WORD.match(lowered)
    if not match:
        return None
    word = match.group(1).strip(" ,")
    if word in words.DAY_WORDS:
        back = words.DAY_WORDS[word]
    elif word in words.FULL_WEEKDAYS:
        back = (now.weekday() - words.FULL_WEEKDAYS[word]) % 7
    else:
        cjk = words.CJK_WEEKDAY.match(word)
        if not cjk:
            return None
        back = (now.weekday() - words.cjk_weekday(cjk)) % 7
    when = (now - timedelta(days=back)).date()
    hh, mm, ss = (int(g) if g else 0 for g in match.group(2, 3, 4))
    if match.group(5):
        hh = hh % 12 + (12 if match.group(5) == "p" else 0)
    return _make(when.year, when.month, when.day, hh, mm, ss, tz)


def _named_month(lowered: str, tz: tzinfo, now: datetime, lang: str) -> tuple[datetime | None, bool] | None:
    """Day, month name and optional year, time and zone in any order the languages use; numeric
    day-first dates; a bare time. None when the text is not shaped like that (dateutil tries)."""
    rest = lowered
    # the zone goes first: '+0800' or 'GMT' at the end (RFC 822's own names too)
    offset: tzinfo | None = None
    match = _OFFSET.search(rest)
    if match:
        if match.group(7):
            offset = dt_timezone.utc
        else:
            sign, hours, mins = match.group(1, 2, 3) if match.group(1) else match.group(4, 5, 6)
            minutes = int(hours) * 60 + int(mins or 0)
            if minutes > 18 * 60:
                return None
            offset = dt_timezone(timedelta(minutes=minutes if sign == "+" else -minutes))
        rest = rest[:match.start()]
    else:
        last = rest.rsplit(" ", 1)[-1]
        if last in _NAMED_ZONES:
            offset, rest = dt_timezone(timedelta(seconds=_NAMED_ZONES[last])), rest[:-len(last)]
    hh = mm = ss = 0
    match = _TIME.search(rest)
    if match:
        hh, mm, ss = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        if match.group(4):
            if hh > 12:
                return None
            hh = hh % 12 + (12 if match.group(4).lower() == "p" else 0)
        rest = rest[:match.start()] + " " + rest[match.end():]
    tokens = [t.rstrip(".") for t in _TOKEN.findall(rest)]
    tokens = [t for t in tokens if t and t not in words.FILLERS]
    zoned = offset is not None
    place = offset or tz
    if not tokens:
        if match and not zoned and _BARE_TIME.match(lowered):
            return _make(now.year, now.month, now.day, hh, mm, ss, tz), False
        return None
    # weekdays before the date ('Thu,', 'Seg,', 'Donnerstag, den')
    while len(tokens) > 1 and tokens[0] in words.WEEKDAYS and (
            tokens[0] not in words.MONTHS or any(t in words.MONTHS for t in tokens[1:])):
        tokens.pop(0)
    numeric = _NUMERIC_DMY.match(tokens[0]) if len(tokens) == 1 else None
    if numeric:
        a, b, year = int(numeric.group(1)), int(numeric.group(3)), int(numeric.group(4))
        year += 2000 if year < 100 else 0
        day_first = a > 12 or (b <= 12 and (numeric.group(2) == "." or (lang and lang != "en")))
        if not day_first and lang == "" and b <= 12 and a <= 12:
            return None   # '05/06/2021' with no language: let dateutil decide as it always has
        d, mo = (a, b) if day_first else (b, a)
        return _make(year, mo, d, hh, mm, ss, place), zoned
    day = month = year = None
    for token in tokens:
        if token in words.MONTHS and month is None:
            month = words.MONTHS[token]
            continue
        number = token.removesuffix("er").removesuffix("º").removesuffix("°")
        for suffix in ("st", "nd", "rd", "th"):
            number = number.removesuffix(suffix)
        if not number.isdigit():
            return None   # a word we do not know: not a date we can vouch for
        value = int(number)
        if len(number) == 4 and year is None:
            year = value
        elif len(number) <= 2 and day is None:
            day = value
        else:
            return None
    if month is None or day is None:
        return None
    if year is None:
        # dates without a year are recent ones: this year, or last year's if that is the future
        return _this_year(month, day, hh, mm, ss, place, now.astimezone(place)), zoned
    return _make(year, month, day, hh, mm, ss, place), zoned


# dateutil fills what the text lacks from a default; parsing under two defaults that differ in
# every field shows which fields the text gave (2000 and 2004 are both leap years: 'Feb 29').
_DEFAULT_A = datetime(2000, 1, 1, 0, 0, 0)
_DEFAULT_B = datetime(2004, 2, 2, 1, 1, 1)


def _dateutil(text: str) -> tuple[datetime, datetime, bool] | None:
    """The text under both defaults, and whether it named a zone (known or not); None if unreadable."""
    from dateutil import parser as date_parser

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", date_parser.UnknownTimezoneWarning)
        try:
            a = date_parser.parse(text, default=_DEFAULT_A, tzinfos=_RFC822_ZONES)
            b = date_parser.parse(text, default=_DEFAULT_B, tzinfos=_RFC822_ZONES)
        except (ValueError, OverflowError):
            return None
    unknown_zone = any(issubclass(w.category, date_parser.UnknownTimezoneWarning) for w in caught)
    return a, b, a.tzinfo is not None or unknown_zone


def _free_form(text: str, tz: tzinfo, now: datetime) -> tuple[datetime | None, bool]:
    """Whatever the fast paths did not recognise, through dateutil.

    A month and a day are required (or a time alone): '-1', '12', '2021' or 'May 2021' are page
    furniture or counters, and dateutil would quietly complete them from today's date.
    """
    both = _dateutil(text)
    if both is None:
        return None, False
    a, b, zoned = both
    given = {f for f in ("year", "month", "day", "hour") if getattr(a, f) == getattr(b, f)}
    if {"month", "day"} <= given:
        year = a.year if "year" in given else now.year
        try:
            parsed = a.replace(year=year)
        except ValueError:  # Feb 29 of a year that has none
            return None, zoned
        if "year" not in given and parsed.replace(tzinfo=parsed.tzinfo or tz) > now + timedelta(days=1):
            parsed = parsed.replace(year=year - 1)  # 'Dec 30' read in January is last year's
    elif given == {"hour"}:
        parsed = a.replace(year=now.year, month=now.month, day=now.day)
    else:
        return None, zoned
    return (parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)), zoned
