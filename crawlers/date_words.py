"""The words dates are written with, in the languages sources use: English, German, French,
Spanish, Italian, Portuguese, Japanese and Chinese.

Tables, not a library: every abbreviation below means the same month in every language that uses
it ('mar' is March in all six Latin ones, 'set' is September in es/it/pt), so one merged table
reads any of them without knowing the source's language, and nothing is guessed (see
benchmarks/bench_dates.py and the notes of issue 14 for the comparison with dateparser).
"""

from __future__ import annotations

import re

_MONTH_NAMES = {
    1: "january jan januar jänner janvier janv enero ene gennaio gen janeiro",
    2: "february feb februar février fevrier févr fevr fév fev febrero febbraio fevereiro",
    3: "march mar märz maerz mär mrz mars marzo março marco",
    4: "april apr avril avr abril abr aprile",
    5: "may mai mayo maggio mag maio",
    6: "june jun juni juin junio giugno giu junho",
    7: "july jul juli juillet juil julio luglio lug julho",
    8: "august aug août aout agosto ago",
    9: "september sep sept septembre septiembre setiembre set settembre setembro",
    10: "october oct oktober okt octobre octubre ottobre ott outubro out",
    11: "november nov novembre noviembre novembro",
    12: "december dec dezember dez décembre decembre déc diciembre dic dicembre dezembro",
}
MONTHS: dict[str, int] = {word: number for number, words in _MONTH_NAMES.items() for word in words.split()}

# Monday = 0, as datetime.weekday() counts.
_WEEKDAY_NAMES = {
    0: "monday mon montag mo lundi lun lunes lunedì lunedi segunda-feira segunda seg",
    1: "tuesday tue tues dienstag di mardi mar martes martedì martedi terça-feira terca-feira "
       "terça terca ter",
    2: "wednesday wed mittwoch mi mercredi mer miércoles miercoles mié mie mercoledì mercoledi "
       "quarta-feira quarta qua",
    3: "thursday thu thur thurs donnerstag do jeudi jeu jueves jue giovedì giovedi gio quinta-feira "
       "quinta qui",
    4: "friday fri freitag fr vendredi ven viernes vie venerdì venerdi sexta-feira sexta sex",
    5: "saturday sat samstag sonnabend sa samedi sam sábado sabado sáb sab",
    6: "sunday sun sonntag so dimanche dim domingo dom domenica",
}
WEEKDAYS: dict[str, int] = {w: n for n, words in _WEEKDAY_NAMES.items() for w in words.split()}
# Names long enough to stand alone as "that day this week" ('Donnerstag 14:20'); abbreviations
# such as 'do' or 'so' alone are words, not dates.
FULL_WEEKDAYS: dict[str, int] = {w: n for w, n in WEEKDAYS.items() if len(w) >= 5}
_CJK_WEEKDAY = "一二三四五六日天"   # 星期一 … 星期日/星期天; 月火水木金土日 for 曜日
_JA_WEEKDAY = "月火水木金土日"
CJK_WEEKDAY = re.compile(rf"^(?:星期|周|週|礼拜|禮拜)([{_CJK_WEEKDAY}])$|^([{_JA_WEEKDAY}])曜日?$")


def cjk_weekday(match: re.Match) -> int:
    if match.group(1):
        return min(_CJK_WEEKDAY.index(match.group(1)), 6)
    return _JA_WEEKDAY.index(match.group(2))


# Relative units → seconds. Plurals and inflections are listed: the alternation is exact.
_UNITS = {
    1: "second seconds sec secs s sekunde sekunden seconde secondes segundo segundos secondo secondi 秒",
    60: "minute minutes min mins m minuten minuto minutos minuti 分钟 分 分間",
    3600: "hour hours hr hrs h stunde stunden heure heures hora horas ora ore 小时 个小时 小時 個小時 時間",
    86400: "day days d tag tage tagen jour jours día días dia dias giorno giorni 天 日",
    604800: "week weeks w woche wochen semaine semaines semana semanas settimana settimane "
            "周 个星期 星期 週 週間",
    2592000: "month months monat monate monaten mois mes meses mês mese mesi 个月 月 か月 ヶ月 カ月",
    31536000: "year years jahr jahre jahren an ans année années año años anno anni ano anos 年",
}
UNIT_SECONDS: dict[str, int] = {w: s for s, words in _UNITS.items() for w in words.split()}
_ONE = "a an one ein eine einer einem einen un une una uno um uma"
ONE_WORDS = frozenset(_ONE.split())
_UNIT_ALT = "|".join(sorted(map(re.escape, UNIT_SECONDS), key=len, reverse=True))
_COUNT = rf"(\d+|{'|'.join(ONE_WORDS)})"
# 'vor 2 Stunden', 'il y a 3 jours', 'hace 3 días', 'há 2 horas' / '3 hours ago', '2 giorni fa',
# '2 dias atrás', '3小时前', '2時間前'. A phrase needs its lead or its tail: '3 d' alone is not a date.
RELATIVE = re.compile(
    r"^(?:(?:about|over|almost|circa|etwa|environ|unos|unas|cerca de)\s+)?"
    r"(?:(vor|il y a|hace|há|ha|faz)\s+)?"
    rf"{_COUNT}\s*({_UNIT_ALT})\.?(?:\s*(ago|fa|atrás|atras|[以之]?前))?$")

# Day words, each with how many days back it is.
DAY_WORDS = {
    "today": 0, "yesterday": 1, "heute": 0, "gestern": 1, "vorgestern": 2,
    "aujourd'hui": 0, "aujourd’hui": 0, "hier": 1, "avant-hier": 2, "hoy": 0, "ayer": 1,
    "anteayer": 2, "oggi": 0, "ieri": 1, "l'altro ieri": 2, "l’altro ieri": 2, "altroieri": 2,
    "hoje": 0, "ontem": 1, "anteontem": 2,
    "今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "一昨日": 2, "おととい": 2,
}
JUST_NOW = frozenset({"just now", "now", "gerade eben", "soeben", "jetzt", "à l'instant", "à l’instant",
                      "maintenant", "ahora", "ahora mismo", "adesso", "proprio ora", "agora",
                      "agora mesmo", "刚刚", "刚才", "剛剛", "たった今", "今"})
# Words between a day word and its time, or inside absolute dates: 'gestern um 14:20',
# 'ayer a las 9:30', '13 de mayo de 2021', '13 mai 2021 à 09h30', 'ieri alle 14:20'.
FILLERS = frozenset({"at", "on", "um", "am", "der", "den", "à", "a", "as", "às", "las", "la", "le",
                     "de", "del", "do", "da", "el", "alle", "ore", "h", "uhr", "о", "o", "of", "the",
                     "en", "em", "et", ","})
