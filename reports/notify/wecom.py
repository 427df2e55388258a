"""WeCom (企业微信) group robots: POST {"msgtype": "markdown", "markdown": {"content"}} to
https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=... The key in the URL is the credential
(no signature). The reply is JSON with errcode 0 on success (45009: over the limit of 20
messages a minute; 93000: invalid webhook URL). Markdown content is at most 4,096 bytes of UTF-8.

WeCom markdown reads `<@userid>` as a mention and a few HTML-like tags (<font>); feed text gets
zero-width spaces before markdown characters and after `<`, and `@` is broken.
"""

from __future__ import annotations

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

MAX_BYTES = 4096
RATE_LIMITED, BAD_URL = 45009, 93000


def markdown(message: Message) -> str:
    out = [f"**{inert_markdown(plain(message.title, 200))}**"]
    out += [inert_markdown(plain(line, 500)) for line in message.lines]
    for st in message.stories:
        title, link = inert_markdown(plain(st.title)), safe_link(st.url)
        item = f"[{title}]({link})" if link else title
        out.append(f"> {item} — {inert_markdown(plain(st.source, 80))}")
    if message.footer:
        out.append(inert_markdown(plain(message.footer, 500)))
    return "\n".join(out)


def payload(message: Message) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": markdown(message)}}


def send(channel: NotifyConfig, message: Message) -> None:
    body = fit(payload, lambda p: len(p["markdown"]["content"].encode("utf-8")), MAX_BYTES,
               message)
    reply = post(channel.endpoint(), json_bytes(body), channel.timeout)
    answer = reply.json()
    code = answer.get("errcode")
    if reply.status == 200 and code == 0:
        return
    detail = plain(str(answer.get("errmsg") or reply.text(80)), 120)
    if code == RATE_LIMITED:
        raise DeliveryError(f"WeCom rate-limited the robot ({code}: {detail})", retry_after=60)
    raise DeliveryError(f"WeCom refused the message ({reply.status}, errcode {code}: {detail})",
                        permanent=code is not None)
