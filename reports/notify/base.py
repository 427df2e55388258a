"""What every chat channel shares: the message model, making feed text inert, cutting a message
to a service's size limit, and one JSON POST with retries that honour 429/5xx Retry-After.

A channel module (slack.py, dingtalk.py, ...) turns a `Message` into its service's payload and
checks its service's reply; nothing here knows a service. Secrets (webhook URLs with their token,
signing keys, bot tokens) never appear in an error message or a log line: errors name the
channel id and the host only.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from reports.i18n import tr

log = logging.getLogger(__name__)

TITLE_CHARS = 200          # one feed title in a chat message
MAX_IN_RUN_WAIT = 5.0      # longer Retry-After: give up for this run, the next run retries
ATTEMPTS = 3
USER_AGENT = "crackdown-notify/0.1"
pause = time.sleep         # between attempts (tests replace it to run without waiting)


@dataclass
class Story:
    title: str      # feed text: hostile until made inert by the channel
    url: str        # absolute http(s) or ""
    source: str     # feed-supplied name: hostile too


@dataclass
class Message:
    """A channel-neutral message, already in the channel's language."""
    kind: str                  # "wave_start" | "brief" | "test"
    title: str                 # our text (may contain topic names from the config)
    lines: list[str]           # our sentences
    stories: list[Story] = field(default_factory=list)
    footer: str = ""           # "Full brief: <url>" or how to get it
    link: str = ""             # the full brief's URL, when [brief] link is set
    data: dict = field(default_factory=dict)   # the facts, for the generic webhook
    language: str = "en"


class DeliveryError(Exception):
    """A send failed. `retry_after` (seconds) when the service asked us to slow down."""

    def __init__(self, message: str, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after, self.permanent = retry_after, permanent


# C0/C1 controls, zero-width and bidi controls: feed text must not hide or reorder what is shown.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_MENTION = re.compile(r"@(?=\w)")
ZWSP, WORD_JOINER = "\u200b", "\u2060"


def plain(text: str | None, limit: int = TITLE_CHARS) -> str:
    """Feed text as one harmless line: invisible characters removed, whitespace (newlines
    included, so a title cannot forge extra lines) collapsed, cut to `limit`, and every
    `@name` broken with a word joiner so that no service reads it as a mention (@all, @here,
    @13800000000)."""
    text = _INVISIBLE.sub("", text or "")
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return _MENTION.sub("@" + WORD_JOINER, text)


_MARKDOWN = re.compile(r"([\\`*_~#\[\]()<>!|{}+=-])")


def inert_markdown(text: str) -> str:
    """`plain` text that a markdown renderer shows as written: a zero-width space before each
    character markdown (or a service's <@user>/<at> extensions) could read as syntax. Backslash
    escapes are not honoured by every service's dialect; a zero-width space is."""
    return _MARKDOWN.sub(ZWSP + r"\1", text)


def safe_link(url: str | None) -> str:
    """Only absolute http(s) URLs without spaces, quotes or brackets become links."""
    url = (url or "").strip()
    if not url or re.search(r"[\s\"'<>\\|\x00-\x1f\x7f]", url):
        return ""
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.hostname else ""


def fit(build: Callable[[Message], object], measure: Callable[[object], int], limit: int,
        message: Message) -> object:
    """The largest form of `message` whose payload measures ≤ `limit`: stories are dropped from
    the end, then lines, with a note saying how much was left out (the footer keeps the link
    to the full brief)."""
    payload = build(message)
    if measure(payload) <= limit:
        return payload

    def shortened(stories: int, lines: int) -> object:
        dropped = len(message.stories) - stories + len(message.lines) - lines
        note = tr(message.language, "(shortened: %(num)d more lines in the full brief)",
                  num=dropped)
        return build(replace(message, lines=message.lines[:lines] + [note],
                             stories=message.stories[:stories]))

    # the most stories that fit with every line (binary search: payloads are re-measured whole)
    low, high, best = 0, len(message.stories) - 1, None
    while low <= high:
        mid = (low + high) // 2
        candidate = shortened(mid, len(message.lines))
        if measure(candidate) <= limit:
            low, best = mid + 1, candidate
        else:
            high = mid - 1
    if best is not None:
        return best
    for lines in range(len(message.lines) - 1, 0, -1):
        candidate = shortened(0, lines)
        if measure(candidate) <= limit:
            return candidate
    raise DeliveryError(f"the message does not fit the service's limit of {limit} even when "
                        "shortened", permanent=True)


def json_bytes(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def host_of(url: str) -> str:
    """Scheme and host only: the path or query of a webhook URL holds its token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}"


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> dict:
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def text(self, limit: int = 200) -> str:
        return plain(self.body.decode("utf-8", "replace"), limit)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def post(url: str, body: bytes, timeout: float, headers: dict[str, str] | None = None,
         retry_after: Callable[[Reply, dict], float | None] | None = None) -> Reply:
    """POST `body` (JSON) to `url`. 429 and 5xx are retried (ATTEMPTS in all) after the
    service's Retry-After (or a short backoff); a wait longer than MAX_IN_RUN_WAIT ends this
    attempt with a DeliveryError carrying it, so the next run retries. Other replies are
    returned for the channel to judge."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # never echo the URL: it carries the channel's token
        raise DeliveryError("the webhook URL is not an http(s) URL; check the variable named in "
                            "url_env", permanent=True)
    where = host_of(url)
    wait = 1.0
    for attempt in range(1, ATTEMPTS + 1):
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
            **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Reply(response.status, response.read(1_000_000))
        except urllib.error.HTTPError as exc:
            reply = Reply(exc.code, exc.read(1_000_000) if exc.fp else b"")
            if exc.code != 429 and exc.code < 500:
                return reply
            asked = (retry_after(reply, dict(exc.headers)) if retry_after else None)
            if asked is None:
                asked = retry_after_seconds(exc.headers.get("Retry-After"))
            problem = (f"{where} answered {exc.code}"
                       + (" (rate limited)" if exc.code == 429 else "") + f": {reply.text(120)}")
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            asked, problem = None, f"cannot reach {where}: {type(reason).__name__}: {reason}"
            if isinstance(reason, str):
                problem = f"cannot reach {where}: {reason}"
        if attempt == ATTEMPTS:
            raise DeliveryError(problem, retry_after=asked)
        delay = asked if asked is not None else wait
        if delay > MAX_IN_RUN_WAIT:
            raise DeliveryError(f"{problem}; asked to wait {delay:.0f} s, left to the next run",
                                retry_after=delay)
        log.info("%s did not take the message; retrying in %.1f s (attempt %d of %d)", where, delay,
                 attempt + 1, ATTEMPTS)
        pause(delay)
        wait *= 2
    raise AssertionError("unreachable")
