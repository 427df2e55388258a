"""The date reader, one table per language, with strings the way feeds and forum list pages print
them. 'now' (the fetch time) is Thursday 2021-05-13 12:00 UTC; each row names the source's zone."""

from __future__ import annotations

from datetime import datetime

import pytest

from crawlers.dates import names_zone, parse_date, zone
from crawlers.normalize import to_utc_iso

NOW = datetime.fromisoformat("2021-05-13T12:00:00+00:00")

TABLES: dict[str, list[tuple[str, str, str | None]]] = {
    "en": [
        ("Thu, 13 May 2021 08:00:00 GMT", "UTC", "2021-05-13T08:00:00+00:00"),
        ("Thu, 13 May 2021 08:00:00 GMT+8", "UTC", "2021-05-13T00:00:00+00:00"),
        ("May 13, 2021 at 9:15 pm", "America/New_York", "2021-05-14T01:15:00+00:00"),
        ("13th May 2021", "UTC", "2021-05-13T00:00:00+00:00"),
        ("Yesterday at 9:15 AM", "America/New_York", "2021-05-12T13:15:00+00:00"),
        ("yesterday", "UTC", "2021-05-12T00:00:00+00:00"),
        ("Tuesday 14:00", "UTC", "2021-05-11T14:00:00+00:00"),
        ("about 2 hours ago", "UTC", "2021-05-13T10:00:00+00:00"),
        ("05/12/2021", "UTC", "2021-05-12T00:00:00+00:00"),
    ],
    "de": [
        ("Donnerstag, 13. Mai 2021, 09:30 Uhr", "Europe/Berlin", "2021-05-13T07:30:00+00:00"),
        ("Do, 11 Mär 2021 10:00:00 +0100", "UTC", "2021-03-11T09:00:00+00:00"),
        ("12. März 2021", "Europe/Berlin", "2021-03-11T23:00:00+00:00"),
        ("13.05.2021 09:30", "Europe/Berlin", "2021-05-13T07:30:00+00:00"),
        ("vor 2 Stunden", "Europe/Berlin", "2021-05-13T10:00:00+00:00"),
        ("vor einer Stunde", "Europe/Berlin", "2021-05-13T11:00:00+00:00"),
        ("vor 3 Tagen", "Europe/Berlin", "2021-05-10T12:00:00+00:00"),
        ("gestern um 14:20", "Europe/Berlin", "2021-05-12T12:20:00+00:00"),
        ("Montag", "Europe/Berlin", "2021-05-09T22:00:00+00:00"),
    ],
    "fr": [
        ("jeudi 13 mai 2021 à 09h30", "Europe/Paris", "2021-05-13T07:30:00+00:00"),
        ("1er mars 2021", "Europe/Paris", "2021-02-28T23:00:00+00:00"),
        ("13 févr. 2021", "Europe/Paris", "2021-02-12T23:00:00+00:00"),
        ("mer., 12 mai 2021 18:05:00 +0200", "UTC", "2021-05-12T16:05:00+00:00"),
        ("il y a 3 jours", "Europe/Paris", "2021-05-10T12:00:00+00:00"),
        ("il y a une heure", "Europe/Paris", "2021-05-13T11:00:00+00:00"),
        ("hier à 14h20", "Europe/Paris", "2021-05-12T12:20:00+00:00"),
        ("13/05/2021", "Europe/Paris", "2021-05-12T22:00:00+00:00"),
    ],
    "es": [
        ("jueves, 13 de mayo de 2021 9:30", "Europe/Madrid", "2021-05-13T07:30:00+00:00"),
        ("13 may. 2021", "Europe/Madrid", "2021-05-12T22:00:00+00:00"),
        ("Mié, 12 May 2021 18:05:00 -0500", "UTC", "2021-05-12T23:05:00+00:00"),
        ("hace 3 días", "Europe/Madrid", "2021-05-10T12:00:00+00:00"),
        ("hace una hora", "Europe/Madrid", "2021-05-13T11:00:00+00:00"),
        ("ayer a las 14:20", "Europe/Madrid", "2021-05-12T12:20:00+00:00"),
        ("1 de diciembre de 2020", "America/Mexico_City", "2020-12-01T06:00:00+00:00"),
    ],
    "it": [
        ("giovedì 13 maggio 2021 alle 09:30", "Europe/Rome", "2021-05-13T07:30:00+00:00"),
        ("13 mag 2021", "Europe/Rome", "2021-05-12T22:00:00+00:00"),
        ("2 giorni fa", "Europe/Rome", "2021-05-11T12:00:00+00:00"),
        ("un'ora fa".replace("un'", "un "), "Europe/Rome", "2021-05-13T11:00:00+00:00"),
        ("ieri alle 14:20", "Europe/Rome", "2021-05-12T12:20:00+00:00"),
        ("13/05/2021 09:30", "Europe/Rome", "2021-05-13T07:30:00+00:00"),
    ],
    "pt": [
        ("Seg, 24 Set 2018 19:42:40 -0300", "UTC", "2018-09-24T22:42:40+00:00"),
        ("24 de setembro de 2018 às 19:42", "America/Sao_Paulo", "2018-09-24T22:42:00+00:00"),
        ("Qui, 13 Mai 2021 09:00:00 -0300", "UTC", "2021-05-13T12:00:00+00:00"),
        ("há 2 horas", "America/Sao_Paulo", "2021-05-13T10:00:00+00:00"),
        ("2 dias atrás", "America/Sao_Paulo", "2021-05-11T12:00:00+00:00"),
        ("ontem às 14:20", "America/Sao_Paulo", "2021-05-12T17:20:00+00:00"),
        ("13/05/2021 09:30", "America/Sao_Paulo", "2021-05-13T12:30:00+00:00"),
    ],
    "ja": [
        ("2021年5月13日 09:30", "Asia/Tokyo", "2021-05-13T00:30:00+00:00"),
        ("2021年5月13日(木) 09:30", "Asia/Tokyo", "2021-05-13T00:30:00+00:00"),
        ("2021/05/13(木) 09:30", "Asia/Tokyo", "2021-05-13T00:30:00+00:00"),
        ("2時間前", "Asia/Tokyo", "2021-05-13T10:00:00+00:00"),
        ("3日前", "Asia/Tokyo", "2021-05-10T12:00:00+00:00"),
        ("昨日 14:20", "Asia/Tokyo", "2021-05-12T05:20:00+00:00"),
        ("木曜日", "Asia/Tokyo", "2021-05-12T15:00:00+00:00"),
    ],
    "zh": [
        ("2021年5月13日 09:30", "Asia/Shanghai", "2021-05-13T01:30:00+00:00"),
        ("2021年05月13日 星期四 09:30", "Asia/Shanghai", "2021-05-13T01:30:00+00:00"),
        ("5月13日", "Asia/Shanghai", "2021-05-12T16:00:00+00:00"),
        ("5月12日 14:30", "Asia/Shanghai", "2021-05-12T06:30:00+00:00"),
        ("12月30日", "Asia/Shanghai", "2020-12-29T16:00:00+00:00"),    # no year, in the future: last year's
        ("星期四", "Asia/Shanghai", "2021-05-12T16:00:00+00:00"),        # today is Thursday
        ("星期二 08:00", "Asia/Shanghai", "2021-05-11T00:00:00+00:00"),
        ("周一", "Asia/Shanghai", "2021-05-09T16:00:00+00:00"),
        ("3小时前", "Asia/Shanghai", "2021-05-13T09:00:00+00:00"),
        ("半年前", "Asia/Shanghai", None),
        ("昨天 14:20", "Asia/Shanghai", "2021-05-12T06:20:00+00:00"),
        ("14:20", "Asia/Shanghai", "2021-05-13T06:20:00+00:00"),
    ],
    # words that look like dates and are not: a weekday or month abbreviation alone is a word
    "not a date": [
        ("Do", "UTC", None), ("So", "UTC", None), ("mar", "UTC", None), ("Mai", "UTC", None),
        ("2 d", "UTC", None), ("31 juin 2021", "UTC", None),
        ("Seg, 24 Set 1818 19:42:40 -0300", "UTC", None),
        ("2099年1月1日", "UTC", None), ("vor 80 Jahren", "UTC", None),
        ("13 de mayo de 2021 pronto", "UTC", None),
    ],
}
CASES = [(lang, *row) for lang, rows in TABLES.items() for row in rows]


@pytest.mark.parametrize("lang,text,tz,expected", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_date_table(lang, text, tz, expected):
    assert to_utc_iso(text, zone(tz), now=NOW) == expected


@pytest.mark.parametrize("text,lang,expected", [
    ("05/04/2021", "en", "2021-05-04T00:00:00+00:00"),   # US sources write month first
    ("05/04/2021", "fr", "2021-04-05T00:00:00+00:00"),
    ("05/04/2021", "de", "2021-04-05T00:00:00+00:00"),
    ("25/04/2021", "en", "2021-04-25T00:00:00+00:00"),   # no 25th month: day first whatever the language
])
def test_the_source_language_decides_ambiguous_numeric_dates(text, lang, expected):
    assert to_utc_iso(text, zone("UTC"), now=NOW, lang=lang) == expected


@pytest.mark.parametrize("text,zoned", [
    ("Seg, 24 Set 2018 19:42:40 -0300", True), ("Thu, 13 May 2021 08:00:00 CEST", True),
    ("2021-05-13T08:00:00Z", True), ("13. Mai 2021 09:30", False), ("vor 2 Stunden", False),
    ("not a date", False),
])
def test_names_zone(text, zoned):
    assert names_zone(text) is zoned


def test_parse_date_keeps_its_positional_signature():
    # issue 15's json source calls parse_date(text, tz, now) positionally
    parsed = parse_date("vor 2 Stunden", zone("Europe/Berlin"), NOW)
    assert parsed is not None and parsed.astimezone(zone("UTC")).hour == 10


@pytest.mark.parametrize("pub_date,expected", [
    ("Seg, 24 Set 2018 19:42:40 -0300", "2018-09-24T22:42:40+00:00"),   # the Portuguese feed of issue 14
    ("Do, 13 Mai 2021 09:00:00 +0200", "2021-05-13T07:00:00+00:00"),
    ("jeu., 13 mai 2021 09:00:00 +0200", "2021-05-13T07:00:00+00:00"),
    ("Thu, 13 May 2021 09:00:00 +0200", "2021-05-13T07:00:00+00:00"),
])
def test_feeds_with_foreign_day_and_month_names_are_dated(pub_date, expected):
    from crawlers.spiders.feed import entry_to_item, parse_feed_bytes
    from tests.fixtures.crawl.site import rss

    parsed = parse_feed_bytes(rss([{"title": "t", "link": "https://x.example/1", "date": pub_date}]),
                              {}, "https://x.example/feed")
    assert to_utc_iso(entry_to_item(parsed.entries[0], "src").published, now=NOW) == expected
