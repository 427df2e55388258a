"""A generic JSON webhook, for a receiver of your own.

POST body (UTF-8 JSON): {"event": "wave_start" | "brief" | "test", "language", "title",
"lines": [...], "stories": [{"title", "url", "source"}], "footer", "link", "data": {facts}}.
Headers: X-Crackdown-Event, X-Crackdown-Timestamp (Unix seconds) and, when secret_env is set,
X-Crackdown-Signature: "sha256=" + hex HMAC-SHA256(key = secret, message = f"{timestamp}." +
body bytes). A receiver recomputes it over the raw body, compares in constant time and rejects
old timestamps (replays). Any 2xx is success; 429/5xx are retried.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from crackdown.config_notify import NotifyConfig
from reports.notify.base import DeliveryError, Message, fit, json_bytes, plain, post, safe_link

MAX_BYTES = 256_000


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def payload(message: Message) -> dict:
    return {"event": message.kind, "language": message.language,
            "title": plain(message.title, 300), "lines": [plain(x, 500) for x in message.lines],
            "stories": [{"title": plain(s.title), "url": safe_link(s.url),
                         "source": plain(s.source, 80)} for s in message.stories],
            "footer": plain(message.footer, 500), "link": safe_link(message.link),
            "data": {k: v for k, v in message.data.items() if k != "stories"}}


def send(channel: NotifyConfig, message: Message) -> None:
    body = json_bytes(fit(payload, lambda p: len(json_bytes(p)), MAX_BYTES, message))
    now = int(time.time())
    headers = {"X-Crackdown-Event": message.kind, "X-Crackdown-Timestamp": str(now)}
    secret = channel.env_value(channel.secret_env)
    if secret:
        headers["X-Crackdown-Signature"] = signature(secret, now, body)
    reply = post(channel.endpoint(), body, channel.timeout, headers=headers)
    if 200 <= reply.status < 300:
        return
    raise DeliveryError(f"the webhook answered {reply.status}: {reply.text(80)}",
                        permanent=400 <= reply.status < 500)
