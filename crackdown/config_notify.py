"""`[[notify]]` chat channels and the brief's language: dataclasses and validation.

Wired into crackdown/config.py with a few lines. Secrets (webhook URLs carrying a token, signing
secrets, bot tokens) are never in the file: the config names the environment variables that hold
them (as `[email] password_env` does), and they are read at the moment of sending.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

CHANNEL_TYPES = ("slack", "teams", "feishu", "dingtalk", "wecom", "telegram", "webhook")
EVENTS = ("wave_start", "brief")
LANGUAGES = ("en", "zh")
# Services whose webhook URL is itself the credential (the token is in the path or query).
SECRET_URL_TYPES = ("slack", "teams", "feishu", "dingtalk", "wecom")
# Services that sign requests with a separate secret, when one is configured.
SIGNING_TYPES = ("feishu", "dingtalk", "webhook")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ID_RE = re.compile(r"^[a-z0-9_-]+$")


@dataclass(frozen=True)
class NotifyConfig:
    id: str
    type: str
    events: tuple[str, ...] = EVENTS
    url: str = ""                 # only for `webhook`, whose URL need not be secret
    url_env: str = ""             # the variable holding the webhook URL (it carries the token)
    secret_env: str = ""          # feishu/dingtalk signing secret, webhook HMAC key
    token_env: str = ""           # telegram bot token
    chat_id: str = ""             # telegram chat (a number, or @channelname)
    api_url: str = "https://api.telegram.org"   # telegram Bot API server
    topics: tuple[str, ...] = ()        # only these topics (empty = all)
    marketplaces: tuple[str, ...] = ()  # only waves naming these marketplaces (empty = all)
    language: str = ""            # "" = [brief] language
    enabled: bool = True
    timeout: float = 10.0

    def env_value(self, name: str) -> str:
        """The secret in environment variable `name` ("" when unset), read when needed."""
        return os.environ.get(name, "") if name else ""

    def endpoint(self) -> str:
        """Where to POST (for telegram, the API server; the token is added by the channel)."""
        if self.type == "telegram":
            return self.api_url
        return self.env_value(self.url_env) if self.url_env else self.url

    def missing_secrets(self) -> list[str]:
        """Environment variables this channel needs that are unset or empty."""
        needed = [self.url_env] if self.url_env else []
        if self.type == "telegram":
            needed.append(self.token_env)
        if self.secret_env:
            needed.append(self.secret_env)
        return [n for n in needed if not os.environ.get(n)]


def parse_notify(path: Path, raw: Any, topic_ids: list[str], marketplaces: tuple[str, ...],
                 error: type[Exception]) -> tuple[NotifyConfig, ...]:
    """Validate the `[[notify]]` array; `error(path, key, problem)` is ConfigError."""
    def require(key: str, ok: bool, problem: str) -> None:
        if not ok:
            raise error(path, key, problem)

    if raw is None:
        return ()
    require("notify", isinstance(raw, list) and all(isinstance(t, dict) for t in raw),
            "must be an array of tables ([[notify]])")
    channels, seen = [], set()
    allowed = {f.name for f in fields(NotifyConfig)}
    template = NotifyConfig(id="", type="slack")
    for i, table in enumerate(raw):
        label = f"notify[{i}]" + (f" ({table['id']})" if isinstance(table.get("id"), str) else "")
        for key in table:
            require(f"{label}.{key}", key in allowed,
                    f"unknown key; allowed here: {', '.join(sorted(allowed))}")
        for key in ("id", "type"):
            require(f"{label}.{key}", key in table, "is required")
        values = {k: _coerce(path, f"{label}.{k}", v, getattr(template, k), error)
                  for k, v in table.items()}
        ch = NotifyConfig(**values)
        require(f"{label}.id", bool(_ID_RE.match(ch.id)), f"{ch.id!r} must match [a-z0-9_-]+")
        require(f"{label}.id", ch.id not in seen, f"duplicate channel id {ch.id!r}")
        seen.add(ch.id)
        require(f"{label}.type", ch.type in CHANNEL_TYPES,
                f"{ch.type!r} is not a channel type; choose from {', '.join(CHANNEL_TYPES)}")
        for e in ch.events:
            require(f"{label}.events", e in EVENTS,
                    f"unknown event {e!r}; choose from {', '.join(EVENTS)}")
        require(f"{label}.events", bool(ch.events), "needs at least one event")
        for t in ch.topics:
            require(f"{label}.topics", t in topic_ids,
                    f"unknown topic {t!r}; known: {', '.join(topic_ids)}")
        for m in ch.marketplaces:
            require(f"{label}.marketplaces", m in marketplaces,
                    f"unknown marketplace {m!r}; choose from {', '.join(marketplaces)}")
        require(f"{label}.language", ch.language in ("", *LANGUAGES),
                f"must be one of {', '.join(LANGUAGES)}, not {ch.language!r}")
        require(f"{label}.timeout", 0 < ch.timeout <= 120, "must be between 0 and 120 seconds")
        for key in ("url_env", "secret_env", "token_env"):
            name = getattr(ch, key)
            require(f"{label}.{key}", not name or bool(_ENV_RE.match(name)),
                    f"{name!r} is not an environment variable name (e.g. \"CRACKDOWN_SLACK_URL\"): "
                    "put the secret in that variable, never in this file")
        _check_channel(ch, label, require)
        channels.append(ch)
    return tuple(channels)


def _check_channel(ch: NotifyConfig, label: str, require) -> None:
    if ch.type in SECRET_URL_TYPES:
        require(f"{label}.url", not ch.url,
                f"a {ch.type} webhook URL carries its token: put it in an environment variable "
                "and name that variable in url_env")
        require(f"{label}.url_env", bool(ch.url_env),
                f"is required for type = \"{ch.type}\" (the variable holding the webhook URL)")
    if ch.type == "webhook":
        require(f"{label}.url", bool(ch.url) != bool(ch.url_env),
                "give either url or url_env (the variable holding the URL)")
        if ch.url:
            require(f"{label}.url", ch.url.startswith(("http://", "https://")),
                    f"{ch.url!r} must be an http(s) URL")
    if ch.type == "telegram":
        require(f"{label}.token_env", bool(ch.token_env),
                "is required for type = \"telegram\" (the variable holding the bot token)")
        require(f"{label}.chat_id", bool(ch.chat_id.strip()),
                "is required for type = \"telegram\" (a chat id such as -1001234567890 or @channel)")
        require(f"{label}.api_url", ch.api_url.startswith(("http://", "https://")),
                f"{ch.api_url!r} must be an http(s) URL")
        require(f"{label}.url_env", not ch.url_env and not ch.url,
                "telegram takes token_env and chat_id, not a URL")
    else:
        for key in ("token_env", "chat_id"):
            require(f"{label}.{key}", not getattr(ch, key), "only for type = \"telegram\"")
    if ch.secret_env:
        require(f"{label}.secret_env", ch.type in SIGNING_TYPES,
                f"type = \"{ch.type}\" does not sign messages; only {', '.join(SIGNING_TYPES)} do")


def _coerce(path: Path, key: str, value: Any, default: Any, error: type[Exception]) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise error(path, key, f"must be true or false, not {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise error(path, key, f"must be a number, not {value!r}")
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise error(path, key, f"must be a list of strings, not {value!r}")
        return tuple(value)
    if isinstance(value, int) and not isinstance(value, bool) and key.endswith("chat_id"):
        return str(value)   # a numeric chat id written without quotes
    if not isinstance(value, str):
        raise error(path, key, f"must be a string, not {value!r}")
    return value
