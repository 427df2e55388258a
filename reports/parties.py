"""Named parties: the brands, sellers, platforms and agencies an event's posts name. Pure; no I/O.

Three signals, because no one of them is enough:
1. known names from config (`[events] known_names`, "Aukey|傲基"): matched as whole words
   (Latin, case-insensitive) or as substrings (Chinese), so a Chinese-only post counts too;
2. capitalised Latin words that the event's texts never write in lower case (a name stays
   "Mpow" while "Sellers" is also "sellers"), minus marketplaces, places and seller jargon;
3. a Chinese name written right before its Latin form ("傲基Aukey…") makes the two one party.
A party is ranked by how many distinct sources name it; an unknown word needs two sources.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

BODY_CHARS = 400   # names sit in the title and the lead; deeper text adds noise, not parties

_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]+")
_SENTENCE_START = re.compile(r"(^|[.!?:]\s+|\n)\W*$")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
# a 2-4 character Chinese run standing alone, directly followed by a Latin word: "傲基Aukey"
_CJK_THEN_LATIN = re.compile(rf"(?<![{_CJK}])([{_CJK}]{{2,4}})\s?([A-Za-z][A-Za-z0-9]+)")
_HAS_CJK = re.compile(rf"[{_CJK}]")

# Always capitalised yet not parties: marketplaces, places and nationalities, calendar words,
# and the acronyms of sellers' trade. Lower case; compared with each word lower-cased.
STOPWORDS = frozenset("""
amazon ebay walmart etsy shopify tiktok temu aliexpress shein shopee alibaba
us usa uk eu un china chinese american british european english uk's us's shenzhen guangzhou
hong kong asia europe america japan germany india canada australia
monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december q1 q2 q3 q4
i i'm im ok psa faq tl dr tldr update edit megathread op
asin asins fba fbm poa sku skus ipi acos cpc cpm vat kyc api dtc d2c b2b b2c seo ppc roi
ceo cfo cto llc ltd inc co com www http https pdf
""".split())
# Chinese runs that sit before a Latin word without being its name (marketplace, "seller", ...)
CJK_STOP = frozenset("亚马逊 沃尔玛 速卖通 卖家 大卖 店铺 品牌 旗下 公司 平台 账号 链接 关于 听说 求助"
                     .split())


@dataclass(frozen=True)
class Party:
    name: str                   # display form, e.g. "Aukey"
    aliases: tuple[str, ...]    # other forms seen or configured, e.g. ("傲基",)
    sources: int                # distinct sources naming it
    first_day: str              # the day it was first named (YYYY-MM-DD)

    @property
    def label(self) -> str:
        cjk = [a for a in self.aliases if _HAS_CJK.search(a)]
        return f"{self.name} ({cjk[0]})" if cjk else self.name

    def as_dict(self) -> dict:
        return {"name": self.name, "aliases": list(self.aliases), "sources": self.sources,
                "first_day": self.first_day}


def parse_known(entries: tuple[str, ...] | list[str]) -> list[tuple[str, ...]]:
    """Config entries ("Aukey|傲基") → tuples of forms, the display form first."""
    return [tuple(f.strip() for f in e.split("|") if f.strip()) for e in entries if e.strip()]


def _text(post: dict) -> str:
    return f"{post.get('title') or ''}\n{(post.get('body') or '')[:BODY_CHARS]}"


def _mentions(form: str, text: str, lowered: str) -> bool:
    if _HAS_CJK.search(form):
        return form in text
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(form.lower())}(?![A-Za-z0-9])", lowered) is not None


def extract_parties(posts: list[dict], known: tuple[str, ...] | list[str] = (),
                    limit: int = 10) -> list[Party]:
    """The parties named by `posts` (dicts with `title`, optional `body`, `source_id`,
    `dated_at`), most sources first (then first named, then name)."""
    texts = [(_text(p), p) for p in posts]
    groups = parse_known(known)
    lower_seen: set[str] = set()
    for text, _ in texts:
        lower_seen.update(w.lower() for w in _LATIN_WORD.findall(text) if w[0].islower())
    # 2. unknown names come from titles only (bodies add every capitalised product and place),
    # and need one capitalised use that does not open a sentence ("Several sellers...")
    capital_forms: dict[str, Counter] = defaultdict(Counter)
    inside: set[str] = set()
    for _, post in texts:
        for m in _LATIN_WORD.finditer(post.get("title") or ""):
            word = m.group(0)
            if word[0].isupper():
                capital_forms[word.lower()][word] += 1
                if not _SENTENCE_START.search((post.get("title") or "")[:m.start()]):
                    inside.add(word.lower())
    # 3. Chinese names written before their Latin form join that form's party
    cjk_alias: dict[str, set[str]] = defaultdict(set)
    for text, _ in texts:
        for cjk, latin in _CJK_THEN_LATIN.findall(text):
            if cjk not in CJK_STOP and latin.lower() not in STOPWORDS:
                cjk_alias[latin.lower()].add(cjk)
    known_keys = {f.lower() for g in groups for f in g if not _HAS_CJK.search(f)}
    # party key → forms to look for
    parties: dict[str, tuple[str, list[str]]] = {}
    for g in groups:
        parties[g[0].lower()] = (g[0], list(g))
    for key, forms in capital_forms.items():
        if (key in known_keys or key in lower_seen or key in STOPWORDS or len(key) < 3
                or key not in inside):
            continue
        parties[key] = (_display(forms), [key])
    for key, aliases in cjk_alias.items():
        target = next((k for k, (_, forms) in parties.items()
                       if key in (f.lower() for f in forms)), None)
        if target is not None:
            name, forms = parties[target]
            parties[target] = (name, forms + sorted(aliases - set(forms)))

    sources: dict[str, set[str]] = defaultdict(set)
    first: dict[str, str] = {}
    seen_aliases: dict[str, set[str]] = defaultdict(set)
    for text, post in texts:
        lowered = text.lower()
        for key, (_, forms) in parties.items():
            hits = [f for f in forms if _mentions(f, text, lowered)]
            if hits:
                sources[key].add(post.get("source_id") or "")
                day = (post.get("dated_at") or "")[:10]
                first[key] = min(first.get(key, day), day)
                seen_aliases[key].update(hits)
    known_set = {g[0].lower() for g in groups}
    out = []
    for key, (name, forms) in parties.items():
        n = len(sources.get(key, ()))
        if n >= (1 if key in known_set else 2):
            aliases = tuple(f for f in forms[1:] if f in seen_aliases[key] or _HAS_CJK.search(f))
            out.append(Party(name, aliases, n, first[key]))
    out.sort(key=lambda p: (-p.sources, p.first_day, p.name.lower()))
    return out[:limit]


def _display(forms: Counter) -> str:
    """The usual spelling: the commonest form not in capitals ("Aukey" over "AUKEY"), unless the
    word is only ever written in capitals (an acronym: "FTC")."""
    mixed = [(n, f) for f, n in forms.items() if not f.isupper()]
    pool = mixed or [(n, f) for f, n in forms.items()]
    return max(pool, key=lambda nf: (nf[0], nf[1]))[1]
