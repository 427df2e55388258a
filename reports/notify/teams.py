"""Microsoft Teams: an incoming webhook (or a Workflows "post to a channel when a webhook request
is received" URL) takes {"type": "message", "attachments": [Adaptive Card]}. The classic
connector answers 200 with "1", a workflow 202; 413 when the message exceeds about 28 KB, 429
when more than ~4 requests a second arrive.

Cards render a markdown subset in TextBlocks and ignore HTML; feed text gets zero-width spaces
before markdown characters so it shows as written. Mentions need explicit `msteams.entities`,
which we never send, so `<at>` text cannot notify anyone.
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

MAX_BYTES = 27_000   # under the documented 28 KB, leaving room for the HTTP envelope


def _block(text: str, **style) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def payload(message: Message) -> dict:
    body = [_block(inert_markdown(plain(message.title, 300)), weight="Bolder", size="Medium")]
    body += [_block(inert_markdown(plain(line, 500))) for line in message.lines]
    for st in message.stories:
        title, link = inert_markdown(plain(st.title)), safe_link(st.url)
        item = f"[{title}]({link})" if link else title
        body.append(_block(f"{item} — {inert_markdown(plain(st.source, 80))}", spacing="Small"))
    if message.footer:
        body.append(_block(inert_markdown(plain(message.footer, 500)), isSubtle=True))
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard", "version": "1.4", "body": body}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
         "content": card}]}


def send(channel: NotifyConfig, message: Message) -> None:
    body = fit(payload, lambda p: len(json_bytes(p)), MAX_BYTES, message)
    reply = post(channel.endpoint(), json_bytes(body), channel.timeout)
    if reply.status in (200, 202):
        return
    raise DeliveryError(f"Teams refused the message ({reply.status}: {reply.text(80)})",
                        permanent=reply.status in (400, 401, 403, 404, 413))
