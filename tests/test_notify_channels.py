"""Each chat channel against a local stand-in of its service (tests/notify_services.py): the
payload is accepted, signatures verify, hostile feed text arrives inert, long messages are cut
to the service's limit, 429/5xx are retried or left to the next run."""

from __future__ import annotations

import json
import time

import pytest

from crackdown.config import parse_config
from reports.notify import base, sender
from reports.notify.base import DeliveryError, Message, Story
from reports.notify.messages import trial_message, wave_message
from tests.notify_services import SECRETS, FakeServices, notify_env

KINDS = ("slack", "teams", "feishu", "dingtalk", "wecom", "telegram", "webhook")
HOSTILE = ('@all <!channel> <!here> <@U024BE7LH> <at user_id="all">所有人</at> **bold** '
           '<b>html</b> [click](javascript:alert(1)) # heading \x1b[31mred\x1b[0m \u202eevil'
           '\nforged line @13800001111')


@pytest.fixture(scope="module")
def shared_services():
    fake = FakeServices()
    yield fake
    fake.close()


@pytest.fixture
def services(shared_services):
    shared_services.reset()
    return shared_services


@pytest.fixture
def config(services, monkeypatch, tmp_path):
    for k, v in notify_env(services).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(base, "pause", lambda s: None)
    return parse_config({"archive": {"path": str(tmp_path / "a.db")}, "notify": channels(services)})


def channels(services: FakeServices) -> list[dict]:
    out = []
    for kind in KINDS:
        entry = {"id": f"{kind}-team", "type": kind}
        if kind == "telegram":
            entry.update(token_env="CDTEST_TELEGRAM_TOKEN", chat_id="-1001234567890",
                         api_url=services.urls()["telegram"])
        else:
            entry["url_env"] = f"CDTEST_{kind.upper()}_URL"
        if kind in ("feishu", "dingtalk", "webhook"):
            entry["secret_env"] = f"CDTEST_{kind.upper()}_SECRET"
        out.append(entry)
    return out


def wave_facts(stories: list[dict], topic_name: str = "Store closures & suspensions") -> dict:
    return {"date": "2026-11-20", "topic": "store_closure", "topic_name": topic_name,
            "markets": ["amazon"], "count": 7, "expected": 0.4, "ratio": 17.5, "p_value": 1e-6,
            "sources": 3, "tiers": ["media"], "as_of": "09:05", "tz": "UTC", "link": "",
            "stories": stories}


def channel(config, kind):
    return next(c for c in config.notify if c.type == kind)


def everything_sent(services: FakeServices, kind: str) -> str:
    return json.dumps([r["payload"] for r in services.received[kind]], ensure_ascii=False)


@pytest.mark.parametrize("kind", KINDS)
def test_each_service_accepts_the_wave_alert(services, config, kind):
    stories = [{"title": f"Amazon suspends sellers, report {i}", "url": f"https://news.example/{i}",
                "source": "Seller News"} for i in range(3)]
    sender(kind)(channel(config, kind), wave_message(wave_facts(stories), "en", list(config.topics)))
    assert len(services.received[kind]) == 1
    sent = everything_sent(services, kind)
    assert "Wave starting" in sent.replace("\u200b", "")
    assert "https://news.example/2" in sent


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_titles_arrive_inert(services, config, kind):
    stories = [{"title": HOSTILE, "url": "javascript:alert(1)", "source": "<!everyone> @here"}]
    sender(kind)(channel(config, kind), wave_message(wave_facts(stories), "en", list(config.topics)))
    sent = everything_sent(services, kind)
    # all: no mention survives, no control character, no forged line
    for live in ("@all", "@here", "@13800001111", "\x1b", "\u202e", "\nforged"):
        assert live not in sent, (kind, live)
    if kind == "webhook":   # plain JSON strings for the receiver to escape where it shows them
        return
    for live in ("@all", "@here", "@13800001111", "<!channel>", "<!here>", "<!everyone>",
                 "<@U024BE7LH>", '<at user_id="all">', "<b>html</b>", "\x1b", "\u202e",
                 "\nforged", "<javascript", 'href="javascript', '"href": "javascript'):
        assert live not in sent, (kind, live)
    if kind in ("slack", "teams", "dingtalk", "wecom"):   # dialects that read markdown here
        assert "**bold**" not in sent
    if kind in ("teams", "dingtalk", "wecom"):            # ... with [text](url) links
        assert "[click](" not in sent and "](javascript" not in sent
    if kind == "dingtalk":
        assert services.received[kind][0]["payload"]["at"]["isAtAll"] is False
    if kind == "telegram":   # the service parsed our HTML: the feed's tags are shown as text
        assert "<b>html</b>" in services.received[kind][0]["shown"]
    if kind == "slack":
        assert "&lt;!channel&gt;" in sent


@pytest.mark.parametrize("kind", ["feishu", "dingtalk", "webhook"])
def test_a_wrong_signing_secret_is_refused_by_the_service(services, config, kind, monkeypatch):
    monkeypatch.setenv(f"CDTEST_{kind.upper()}_SECRET", "not-the-secret")
    with pytest.raises(DeliveryError) as err:
        sender(kind)(channel(config, kind), trial_message(channel(config, kind), "en"))
    assert services.received[kind] == []
    assert err.value.permanent
    if kind != "webhook":
        assert "signing secret" in str(err.value)


def test_signatures_follow_the_documented_recipes():
    # fixed inputs, digests computed independently of the modules' own helpers
    import base64
    import hashlib
    import hmac
    from urllib.parse import quote_plus

    from reports.notify import dingtalk, feishu, webhook

    ts = 1_700_000_000
    assert feishu.sign("s3", ts) == base64.b64encode(
        hmac.new(f"{ts}\ns3".encode(), b"", hashlib.sha256).digest()).decode()
    ms = ts * 1000
    assert dingtalk.sign("SECx", ms) == quote_plus(base64.b64encode(
        hmac.new(b"SECx", f"{ms}\nSECx".encode(), hashlib.sha256).digest()))
    assert "%2B" in dingtalk.sign("SECx", 1) or "+" not in dingtalk.sign("SECx", 1)
    body = b'{"a":1}'
    assert webhook.signature("k", ts, body) == "sha256=" + hmac.new(
        b"k", f"{ts}.".encode() + body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("kind", KINDS)
def test_a_huge_message_is_cut_to_the_service_limit(services, config, kind):
    stories = [{"title": ("很长的标题 Amazon seller suspension wave " * 10) + str(i),
                "url": f"https://news.example/very/long/path/{i}?" + "q=1&" * 30,
                "source": "Source " * 10} for i in range(400)]
    message = wave_message(wave_facts(stories), "zh", list(config.topics))
    sender(kind)(channel(config, kind), message)
    assert len(services.received[kind]) == 1
    sent = everything_sent(services, kind)
    if kind != "webhook":   # the generic webhook's limit (256 KB) holds all 400
        assert "已截短" in sent


def test_telegram_429_waits_retry_after_and_delivers(services, config, monkeypatch):
    monkeypatch.setattr(base, "pause", time.sleep)
    services.rate_limit["telegram"] = (1, 1)
    started = time.monotonic()
    sender("telegram")(channel(config, "telegram"), trial_message(channel(config, "telegram"), "en"))
    assert time.monotonic() - started >= 1.0
    assert len(services.received["telegram"]) == 1
    assert [s for s, _ in services.requests].count("telegram") == 2


def test_a_long_retry_after_is_left_to_the_next_run(services, config):
    services.rate_limit["slack"] = (1, 120)
    with pytest.raises(DeliveryError) as err:
        sender("slack")(channel(config, "slack"), trial_message(channel(config, "slack"), "en"))
    assert err.value.retry_after == 120 and "next run" in str(err.value)
    assert [s for s, _ in services.requests].count("slack") == 1


def test_5xx_is_retried_then_reported_without_the_secret_url(services, config):
    services.down.add("wecom")
    with pytest.raises(DeliveryError) as err:
        sender("wecom")(channel(config, "wecom"), trial_message(channel(config, "wecom"), "en"))
    assert [s for s, _ in services.requests].count("wecom") == base.ATTEMPTS
    assert "503" in str(err.value)
    for secret in SECRETS.values():
        assert secret not in str(err.value)


def test_an_unreachable_service_is_a_delivery_error(config, monkeypatch):
    monkeypatch.setenv("CDTEST_SLACK_URL", "http://127.0.0.1:9/slack/services/x")
    with pytest.raises(DeliveryError) as err:
        sender("slack")(channel(config, "slack"), Message("test", "t", ["x"], [Story("a", "", "b")]))
    assert "cannot reach http://127.0.0.1" in str(err.value) and "/slack/" not in str(err.value)


def test_a_malformed_url_is_refused_without_echoing_it(config, monkeypatch):
    monkeypatch.setenv("CDTEST_SLACK_URL", "hooks.slack.com/services/T1/B2/TopSecretPart")
    with pytest.raises(DeliveryError) as err:
        sender("slack")(channel(config, "slack"), Message("test", "t", ["x"]))
    assert "TopSecretPart" not in str(err.value) and "url_env" in str(err.value)
