"""DingTalk custom robots: POST {"msgtype": "markdown", "markdown": {title, text}, "at": {...}}
to https://oapi.dingtalk.com/robot/send?access_token=... With "加签" (signing) on, the URL also
takes &timestamp= (milliseconds) and &sign= url-encoded base64(HMAC-SHA256(key = secret,
message = f"{timestamp}\\n{secret}")). The reply is JSON with errcode 0 on success (310000:
signature, keyword or IP check failed; 130101: sending too fast). A robot may send 20 messages a
minute; beyond that it is throttled for 10 minutes.

The markdown text gets zero-width spaces before markdown characters, `@` is broken (DingTalk
notifies "@mobile" when the number is also in atMobiles; we send none and isAtAll false).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from crackdown.config_notify import NotifyConfig
from reports.notify.base import (
    DeliveryError,
    Message,
    fit,
    inert_markdown,
    json_bytes,
    plain,
    post,
    safe_link,
)

MAX_BYTES = 4000   # of markdown text: DingTalk states no figure we could confirm; as WeCom
TOO_FAST, SECURITY_CHECK = 130101, 310000


def sign(secret: str, timestamp_ms: int) -> str:
    """The `sign` query value (already url-encoded)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def markdown(message: Message) -> str:
    out = [f"### {inert_markdown(plain(message.title, 200))}", ""]
    out += [inert_markdown(plain(line, 500)) + "\n" for line in message.lines]
    for st in message.stories:
        title, link = inert_markdown(plain(st.title)), safe_link(st.url)
        item = f"[{title}]({link})" if link else title
        out.append(f"- {item} — {inert_markdown(plain(st.source, 80))}")
    if message.footer:
        out += ["", inert_markdown(plain(message.footer, 500))]
    return "\n".join(out)


def payload(message: Message) -> dict:
    return {"msgtype": "markdown",
            "markdown": {"title": plain(message.title, 60), "text": markdown(message)},
            "at": {"isAtAll": False, "atMobiles": [], "atUserIds": []}}


def send(channel: NotifyConfig, message: Message) -> None:
    body = fit(payload, lambda p: len(p["markdown"]["text"].encode("utf-8")), MAX_BYTES, message)
    url = channel.endpoint()
    secret = channel.env_value(channel.secret_env)
    if secret:
        now = int(time.time() * 1000)
        url += ("&" if "?" in url else "?") + f"timestamp={now}&sign={sign(secret, now)}"
    reply = post(url, json_bytes(body), channel.timeout)
    answer = reply.json()
    code = answer.get("errcode")
    if reply.status == 200 and code == 0:
        return
    detail = plain(str(answer.get("errmsg") or reply.text(80)), 120)
    if code == TOO_FAST:
        raise DeliveryError(f"DingTalk throttled the robot ({code}: {detail})", retry_after=600)
    hint = ("; check the signing secret, the robot's keywords and IP allow-list"
            if code == SECURITY_CHECK else "")
    raise DeliveryError(f"DingTalk refused the message ({reply.status}, errcode {code}: "
                        f"{detail}){hint}", permanent=code is not None)
