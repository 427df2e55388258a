"""Telegram bots: POST {"chat_id", "text", "parse_mode": "HTML"} to
{api_url}/bot{token}/sendMessage. The reply is {"ok": true, "result": ...}, or {"ok": false,
"error_code", "description"} (400 "message is too long", 401, 403); over the flood limits (about
one message a second per chat, 20 a minute per group) it is 429 with parameters.retry_after.
Text is at most 4,096 characters after entity parsing.

In HTML mode only `<`, `>` and `&` are special: feed text is escaped, links are <a href>. Bots
cannot notify a whole group; `@name` is broken anyway.
"""

from __future__ import annotations

import html

from crackdown.config_notify import NotifyConfig
from reports.notify.base import DeliveryError, Message, Reply, fit, json_bytes, plain, post, safe_link

MAX_CHARS = 4096


def text(message: Message) -> str:
    out = [f"<b>{html.escape(plain(message.title, 200), quote=False)}</b>"]
    out += [html.escape(plain(line, 500), quote=False) for line in message.lines]
    for st in message.stories:
        title, link = html.escape(plain(st.title), quote=False), safe_link(st.url)
        item = f'<a href="{html.escape(link)}">{title}</a>' if link else title
        out.append(f"• {item} — {html.escape(plain(st.source, 80), quote=False)}")
    if message.footer:
        out.append(html.escape(plain(message.footer, 500), quote=False))
    return "\n".join(out)


def _utf16_len(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


def _retry_after(reply: Reply, _headers: dict) -> float | None:
    value = (reply.json().get("parameters") or {}).get("retry_after")
    return float(value) if isinstance(value, (int, float)) else None


def send(channel: NotifyConfig, message: Message) -> None:
    token = channel.env_value(channel.token_env)
    if not token:
        raise DeliveryError(f"no bot token: set the environment variable {channel.token_env}",
                            permanent=True)

    def build(m: Message) -> dict:
        return {"chat_id": channel.chat_id, "text": text(m), "parse_mode": "HTML",
                "link_preview_options": {"is_disabled": True}}

    body = fit(build, lambda p: _utf16_len(p["text"]), MAX_CHARS, message)
    url = f"{channel.api_url.rstrip('/')}/bot{token}/sendMessage"
    reply = post(url, json_bytes(body), channel.timeout, retry_after=_retry_after)
    answer = reply.json()
    if reply.status == 200 and answer.get("ok") is True:
        return
    detail = plain(str(answer.get("description") or reply.text(80)), 160)
    raise DeliveryError(f"Telegram refused the message ({reply.status}: {detail})",
                        permanent=reply.status in (400, 401, 403, 404))
