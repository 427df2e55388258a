"""Chat notifications: one module per service, a shared base, the messages, and delivery."""

from __future__ import annotations

import importlib
from collections.abc import Callable

SENDERS = ("slack", "teams", "feishu", "dingtalk", "wecom", "telegram", "webhook")


def sender(channel_type: str) -> Callable:
    """The `send(channel, message)` of a channel type (imported on first use)."""
    if channel_type not in SENDERS:
        raise KeyError(channel_type)
    return importlib.import_module(f"reports.notify.{channel_type}").send
