"""Stand-ins for the chat services on 127.0.0.1, written from each service's documentation: they
check what the real service checks (payload shape, signature, size limit, token) and answer as
it does (success bodies, error codes, 429 with Retry-After).

One `FakeServices` server hosts all of them under a path prefix per service:
  /slack/services/...            Slack incoming webhook
  /teams/webhook/...             Teams incoming webhook / workflow
  /feishu/open-apis/bot/v2/hook/ID   Feishu custom bot (signature when a secret is set)
  /dingtalk/robot/send?access_token=T   DingTalk custom robot (signature when a secret is set)
  /wecom/cgi-bin/webhook/send?key=K     WeCom group robot
  /telegram/bot<TOKEN>/sendMessage       Telegram Bot API
  /webhook/...                    a generic receiver verifying X-Crackdown-Signature
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SECRETS = {
    "feishu": "feishu-signing-Secret-7Hq2",
    "dingtalk": "SECdingtalk0signing0secret0a1b2c3",
    "webhook": "webhook-hmac-key-Zr8w",
    "telegram_token": "123456789:AAFakeTelegramBotTokenXyz987",
    "wecom_key": "693a91f6-7000-4bc4-97a0-0ec2fakekey",
    "dingtalk_token": "dd0accesstoken0fake0123456789abcdef",
    "slack_path": "T0000FAKE/B0000FAKE/SlackHookSecretPart42",
    "teams_path": "tenant-fake/IncomingWebhook/teams0secret0part/owner",
    "feishu_hook": "5e3d587e-fake-4a07-bd07-feishuhook99",
}


class _TelegramHTML(HTMLParser):
    """Telegram's HTML mode: only these tags, properly nested; anything else is a 400."""
    ALLOWED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
               "tg-spoiler", "span", "blockquote", "tg-emoji"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error = ""
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.ALLOWED:
            self.error = f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.error = f"Unmatched end tag \"{tag}\""

    def handle_data(self, data):
        self.text.append(data)


class FakeServices:
    def __init__(self):
        self.received: dict[str, list[dict]] = {k: [] for k in
                                                ("slack", "teams", "feishu", "dingtalk", "wecom",
                                                 "telegram", "webhook")}
        self.down: set[str] = set()          # services answering 503
        self.rate_limit: dict[str, tuple[int, int]] = {}   # service → (times, retry-after s)
        self.requests: list[tuple[str, str]] = []          # (service, raw path)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                service = self.path.split("/")[1]
                server.requests.append((service, self.path))
                status, headers, body = server.handle(service, self.path, dict(self.headers), raw)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def reset(self) -> None:
        for kind in self.received:
            self.received[kind] = []
        self.down.clear()
        self.rate_limit.clear()
        self.requests.clear()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- the URLs a config points at (what each service hands its user) ---------------------
    def urls(self) -> dict[str, str]:
        return {
            "slack": f"{self.base}/slack/services/{SECRETS['slack_path']}",
            "teams": f"{self.base}/teams/webhook/{SECRETS['teams_path']}",
            "feishu": f"{self.base}/feishu/open-apis/bot/v2/hook/{SECRETS['feishu_hook']}",
            "dingtalk": f"{self.base}/dingtalk/robot/send?access_token={SECRETS['dingtalk_token']}",
            "wecom": f"{self.base}/wecom/cgi-bin/webhook/send?key={SECRETS['wecom_key']}",
            "telegram": f"{self.base}/telegram",
            "webhook": f"{self.base}/webhook/crackdown",
        }

    # --- dispatch ---------------------------------------------------------------------------
    def handle(self, service: str, path: str, headers: dict, raw: bytes):
        if service in self.down:
            return 503, {"Content-Type": "text/plain"}, b"service unavailable"
        times, wait = self.rate_limit.get(service, (0, 0))
        if times:
            self.rate_limit[service] = (times - 1, wait)
            if service == "telegram":
                return 429, {"Content-Type": "application/json", "Retry-After": str(wait)}, _j(
                    {"ok": False, "error_code": 429,
                     "description": f"Too Many Requests: retry after {wait}",
                     "parameters": {"retry_after": wait}})
            return 429, {"Content-Type": "text/plain", "Retry-After": str(wait)}, b"rate_limited"
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            payload = None
        handler = getattr(self, f"_{service}")
        status, ctype, body = handler(path, headers, raw, payload)
        return status, {"Content-Type": ctype}, body

    def _record(self, service: str, payload: dict, **extra) -> None:
        self.received[service].append({"payload": payload, **extra})

    # Slack: https://api.slack.com/messaging/webhooks — "ok", or an error word with a 4xx.
    def _slack(self, path, headers, raw, p):
        if not path.endswith(SECRETS["slack_path"]):
            return 404, "text/plain", b"no_service"
        if not isinstance(p, dict):
            return 400, "text/plain", b"invalid_payload"
        if not p.get("text") and not p.get("blocks"):
            return 400, "text/plain", b"no_text"
        for block in p.get("blocks", []):
            kind, text = block.get("type"), block.get("text") or {}
            if kind not in ("header", "section", "context", "divider", "actions"):
                return 400, "text/plain", b"invalid_blocks"
            if kind == "header" and (text.get("type") != "plain_text" or len(text["text"]) > 150):
                return 400, "text/plain", b"invalid_blocks"
            if kind == "section" and (text.get("type") not in ("mrkdwn", "plain_text")
                                      or not 0 < len(text.get("text", "")) <= 3000):
                return 400, "text/plain", b"invalid_blocks"
        self._record("slack", p)
        return 200, "text/plain", b"ok"

    # Teams: Adaptive Card in an attachment; 28 KB limit (413); the connector answers "1".
    def _teams(self, path, headers, raw, p):
        if len(raw) > 28 * 1024:
            return 413, "text/plain", b"Request Entity too large"
        try:
            att = p["attachments"][0]
            ok = (p["type"] == "message" and att["contentType"] ==
                  "application/vnd.microsoft.card.adaptive" and att["content"]["type"] == "AdaptiveCard"
                  and all(b["type"] == "TextBlock" and isinstance(b["text"], str)
                          for b in att["content"]["body"]))
        except (KeyError, IndexError, TypeError):
            ok = False
        if not ok:
            return 400, "text/plain", b"Bad payload: expected an Adaptive Card attachment"
        self._record("teams", p)
        return 200, "text/plain", b"1"

    # Feishu: {"code": 0} on success; 19021 bad signature; 20 KB body limit.
    def _feishu(self, path, headers, raw, p):
        if not path.endswith(SECRETS["feishu_hook"]):
            return _code(404, code=19001, msg="param invalid: incoming webhook access token invalid")
        if len(raw) > 20 * 1024:
            return 400, "application/json", _j({"code": 9499, "msg": "request body too large"})
        if not isinstance(p, dict) or "msg_type" not in p:
            return 400, "application/json", _j({"code": 9499, "msg": "Bad Request"})
        ts, sign = p.get("timestamp"), p.get("sign")
        key = f"{ts}\n{SECRETS['feishu']}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        if not ts or abs(time.time() - int(ts)) > 3600 or sign != expected:
            return _code(200, code=19021, msg="sign match fail or timestamp is not within one hour "
                                              "from current time")
        if p["msg_type"] == "post":
            post = p["content"]["post"]
            for body in post.values():
                for row in body["content"]:
                    for el in row:
                        if el.get("tag") not in ("text", "a", "at", "img"):
                            return 200, "application/json", _j({"code": 9499, "msg": "invalid tag"})
        self._record("feishu", p)
        return 200, "application/json", _j({"code": 0, "msg": "success", "data": {}})

    # DingTalk: errcode 0; 310000 when the signature (timestamp + "\n" + secret) does not match.
    def _dingtalk(self, path, headers, raw, p):
        query = parse_qs(urlsplit(path).query)
        if query.get("access_token") != [SECRETS["dingtalk_token"]]:
            return 200, "application/json", _j({"errcode": 300001, "errmsg": "token is not exist"})
        ts, sign = (query.get("timestamp") or [""])[0], (query.get("sign") or [""])[0]
        digest = hmac.new(SECRETS["dingtalk"].encode(), f"{ts}\n{SECRETS['dingtalk']}".encode(),
                          hashlib.sha256).digest()
        if not ts or abs(time.time() * 1000 - int(ts)) > 3600_000 or \
                sign != base64.b64encode(digest).decode():
            return 200, "application/json", _j({"errcode": 310000, "errmsg": "sign not match"})
        if not isinstance(p, dict) or p.get("msgtype") != "markdown" or \
                not p.get("markdown", {}).get("title") or not p["markdown"].get("text"):
            return 200, "application/json", _j({"errcode": 40035, "errmsg": "缺少参数 json"})
        self._record("dingtalk", p)
        return 200, "application/json", _j({"errcode": 0, "errmsg": "ok"})

    # WeCom: errcode 0; 93000 bad key; markdown content at most 4096 bytes.
    def _wecom(self, path, headers, raw, p):
        if parse_qs(urlsplit(path).query).get("key") != [SECRETS["wecom_key"]]:
            return 200, "application/json", _j({"errcode": 93000, "errmsg": "invalid webhook url"})
        content = (p or {}).get("markdown", {}).get("content", "") if isinstance(p, dict) else ""
        if not content or len(content.encode("utf-8")) > 4096:
            return _code(200, errcode=40058, errmsg="markdown.content exceed max length 4096")
        self._record("wecom", p)
        return 200, "application/json", _j({"errcode": 0, "errmsg": "ok"})

    # Telegram: {"ok": true, "result": {...}}; 401 bad token; 400 too long / bad HTML.
    def _telegram(self, path, headers, raw, p):
        if path != f"/telegram/bot{SECRETS['telegram_token']}/sendMessage":
            return _tg(401, "Unauthorized")
        if not isinstance(p, dict) or not p.get("chat_id"):
            return _tg(400, "Bad Request: chat not found")
        text = p.get("text", "")
        if p.get("parse_mode") == "HTML":
            parser = _TelegramHTML()
            parser.feed(text)
            parser.close()
            if parser.error or parser.stack:
                return _tg(400, "Bad Request: can't parse entities: " + (parser.error or "unclosed tag"))
            shown = "".join(parser.text)
        else:
            shown = text
        if not shown.strip():
            return _tg(400, "Bad Request: message text is empty")
        if len(shown.encode("utf-16-le")) // 2 > 4096:
            return _tg(400, "Bad Request: message is too long")
        self._record("telegram", p, shown=shown)
        result = {"message_id": len(self.received["telegram"]), "chat": {"id": p["chat_id"]},
                  "text": shown}
        return 200, "application/json", _j({"ok": True, "result": result})

    # A generic receiver: verifies the signature over timestamp + "." + raw body.
    def _webhook(self, path, headers, raw, p):
        ts = headers.get("X-Crackdown-Timestamp", "")
        mac = hmac.new(SECRETS["webhook"].encode(), f"{ts}.".encode() + raw, hashlib.sha256)
        if not hmac.compare_digest(headers.get("X-Crackdown-Signature", ""), "sha256=" + mac.hexdigest()) \
                or not ts or abs(time.time() - int(ts)) > 300:
            return 401, "text/plain", b"bad signature"
        self._record("webhook", p, event=headers.get("X-Crackdown-Event"))
        return 204, "text/plain", b""


def _tg(status: int, description: str):
    return status, "application/json", _j({"ok": False, "error_code": status,
                                           "description": description})


def _code(status: int, **fields):
    return status, "application/json", _j(fields)


def _j(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def notify_toml(services: FakeServices, env_prefix: str = "CDTEST", events: str = '"wave_start", "brief"',
                language: dict | None = None) -> str:
    """[[notify]] entries for every service type, secrets in env vars named CDTEST_*."""
    language = language or {}
    entries = []
    for kind in ("slack", "teams", "feishu", "dingtalk", "wecom", "telegram", "webhook"):
        lines = ["[[notify]]", f'id = "{kind}-team"', f'type = "{kind}"', f"events = [{events}]"]
        if kind == "telegram":
            lines += [f'token_env = "{env_prefix}_TELEGRAM_TOKEN"', 'chat_id = "-1001234567890"',
                      f'api_url = "{services.urls()["telegram"]}"']
        else:
            lines.append(f'url_env = "{env_prefix}_{kind.upper()}_URL"')
        if kind in ("feishu", "dingtalk", "webhook"):
            lines.append(f'secret_env = "{env_prefix}_{kind.upper()}_SECRET"')
        if kind in language:
            lines.append(f'language = "{language[kind]}"')
        entries.append("\n".join(lines))
    return "\n\n".join(entries) + "\n"


def notify_env(services: FakeServices, env_prefix: str = "CDTEST") -> dict[str, str]:
    urls = services.urls()
    env = {f"{env_prefix}_{k.upper()}_URL": v for k, v in urls.items() if k != "telegram"}
    env[f"{env_prefix}_TELEGRAM_TOKEN"] = SECRETS["telegram_token"]
    env[f"{env_prefix}_FEISHU_SECRET"] = SECRETS["feishu"]
    env[f"{env_prefix}_DINGTALK_SECRET"] = SECRETS["dingtalk"]
    env[f"{env_prefix}_WEBHOOK_SECRET"] = SECRETS["webhook"]
    return env


def secret_values(services: FakeServices) -> list[str]:
    """Every secret a config here uses: none may appear in output, logs or the archive."""
    return list(SECRETS.values())
