"""Slack incoming webhooks: POST {"text", "blocks"} to the webhook URL; the reply is the body
"ok" (200), or an error word such as invalid_payload / channel_not_found (4xx); 429 with
Retry-After when over about one message per second.

Slack's mrkdwn reads `&`, `<` and `>` as markup (`<!channel>` pings everyone, `<url|text>` makes
a link), so they become entities; `*_~` and backquotes get a zero-width space so feed text is
not formatted. A section's text holds at most 3,000 characters; a header's 150.
"""

from __future__ import annotations

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

SECTION_CHARS = 3000
HEADER_CHARS = 150


def escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "*_~`":
        text = text.replace(ch, ZWSP + ch)
    return text


def section_text(message: Message) -> str:
    lines = [escape(plain(line, 500)) for line in message.lines]
    for st in message.stories:
        link, title = safe_link(st.url), escape(plain(st.title))
        item = f"<{link}|{title}>" if link else title
        lines.append(f"• {item} — {escape(plain(st.source, 80))}")
    if message.footer:
        lines.append(escape(plain(message.footer, 500)))
    return "\n".join(lines)


def payload(message: Message) -> dict:
    title = plain(message.title, HEADER_CHARS)
    return {"text": title, "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "section", "text": {"type": "mrkdwn", "text": section_text(message)}},
    ]}


def send(channel: NotifyConfig, message: Message) -> None:
    body = fit(payload, lambda p: len(p["blocks"][1]["text"]["text"]), SECTION_CHARS, message)
    reply = post(channel.endpoint(), json_bytes(body), channel.timeout)
    if reply.status == 200 and reply.body.strip() == b"ok":
        return
    raise DeliveryError(f"Slack refused the message ({reply.status}: {reply.text(80)})",
                        permanent=reply.status in (400, 403, 404, 410))
