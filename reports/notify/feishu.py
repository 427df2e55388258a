"""Feishu / Lark custom bots: POST {"msg_type": "post", "content": {"post": {lang: {title,
content}}}} to the hook URL. With signature verification on, the body also carries
"timestamp" (seconds) and "sign" = base64(HMAC-SHA256(key = f"{timestamp}\\n{secret}", message =
empty)). The reply is JSON with code 0 on success (19021: bad signature or a timestamp more than
an hour off; 11232: rate limited); bodies over 20 KB are refused; 100 requests a minute and 5 a
second per bot.

A "post" message is rich text built from tags: "text" elements are shown literally and links
are "a" elements, so feed text cannot become markup; `<at` is broken anyway, should a client
ever read it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from crackdown.config_notify import NotifyConfig
from reports.notify.base import (
    ZWSP,
    DeliveryError,
    Message,
    fit,
    json_bytes,
    plain,
    post,
    safe_link,
)

MAX_BYTES = 20_000
RATE_LIMITED, BAD_SIGNATURE = 11232, 19021


def sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def _text(value: str, limit: int = 500) -> dict:
    return {"tag": "text", "text": plain(value, limit).replace("<", "<" + ZWSP)}


def payload(message: Message) -> dict:
    rows = [[_text(line)] for line in message.lines]
    for st in message.stories:
        link = safe_link(st.url)
        title = _text(st.title, 200)
        first = {"tag": "a", "text": title["text"], "href": link} if link else title
        rows.append([first, _text(" — " + st.source, 80)])
    if message.footer:
        rows.append([_text(message.footer)])
    lang = "zh_cn" if message.language == "zh" else "en_us"
    return {"msg_type": "post", "content": {"post": {lang: {
        "title": plain(message.title, 200), "content": rows}}}}


def send(channel: NotifyConfig, message: Message) -> None:
    body = fit(payload, lambda p: len(json_bytes(p)) + 80, MAX_BYTES, message)  # + the signature
    secret = channel.env_value(channel.secret_env)
    if secret:
        now = int(time.time())
        body = {"timestamp": str(now), "sign": sign(secret, now), **body}
    reply = post(channel.endpoint(), json_bytes(body), channel.timeout)
    answer = reply.json()
    code = answer.get("code", answer.get("StatusCode"))
    if reply.status == 200 and code == 0:
        return
    detail = plain(str(answer.get("msg") or answer.get("StatusMessage") or reply.text(80)), 120)
    if code == RATE_LIMITED:
        raise DeliveryError(f"Feishu rate-limited the bot ({code}: {detail})", retry_after=60)
    hint = "; check the signing secret and the clock" if code == BAD_SIGNATURE else ""
    raise DeliveryError(f"Feishu refused the message ({reply.status}, code {code}: {detail}){hint}",
                        permanent=code is not None)
