"""Sending the brief: one multipart/alternative message (text + HTML) over SMTP."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from crackdown.config import EmailConfig

log = logging.getLogger(__name__)


class MailError(Exception):
    """Sending failed; the brief stays stored and unsent, so the next run retries it."""


def build_message(cfg: EmailConfig, subject: str, html: str, text: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = cfg.from_addr
    msg["To"] = ", ".join(cfg.to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=cfg.from_addr.rsplit("@", 1)[-1] or "crackdown")
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def send_message(cfg: EmailConfig, msg: EmailMessage, ssl_context: ssl.SSLContext | None = None) -> None:
    """Deliver `msg`. The password is read from the environment here and never logged."""
    context = ssl_context or ssl.create_default_context()
    try:
        if cfg.security == "ssl":
            smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        with smtp:
            smtp.ehlo()
            if cfg.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if cfg.username:
                password = cfg.password()
                if not password:
                    raise MailError(f"SMTP login needs a password: set the environment variable "
                                    f"{cfg.password_env}")
                smtp.login(cfg.username, password)
            smtp.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"SMTP login to {cfg.host}:{cfg.port} as {cfg.username!r} was refused "
                        f"({exc.smtp_code}); check [email] username and ${cfg.password_env}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"could not send via {cfg.host}:{cfg.port} ({cfg.security}): "
                        f"{type(exc).__name__}: {exc}") from None
    log.info("brief sent to %d recipient(s)", len(cfg.to))
