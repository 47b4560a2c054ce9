"""Email delivery over SMTP with STARTTLS or implicit TLS (SMTPS) and AUTH (stdlib
smtplib, in a worker thread).

The password is a SecretStr and is only unwrapped at login; smtplib errors carry the
server's reply, never the credentials, so they can be logged as they are.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from netagent.agent.notify import formats
from netagent.agent.notify.config import EmailConfig, Route
from netagent.agent.notify.event import AlertEvent
from netagent.agent.notify.target import DeliveryError


class EmailTarget:
    config_model = EmailConfig  # the settings it takes (netagent.agent.notify.registry)

    def __init__(self, config: EmailConfig) -> None:
        self.config = config
        self.route: Route = config
        self.name = config.name

    def message(self, event: AlertEvent) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = formats.subject(event)
        msg["From"] = self.config.from_addr
        msg["To"] = ", ".join(self.config.to)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(idstring=event.key, domain="netagent")
        msg["X-Netagent-Incident"] = str(event.incident)
        msg.set_content(formats.mail_text(event))
        return msg

    def _tls(self) -> ssl.SSLContext:
        c = self.config
        return ssl.create_default_context(cafile=str(c.ca_file) if c.ca_file else None)

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.implicit_tls:
            return smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout_s, context=self._tls())
        return smtplib.SMTP(c.host, c.port, timeout=c.timeout_s)

    def _send_blocking(self, msg: EmailMessage) -> None:
        c = self.config
        with self._connect() as smtp:
            smtp.ehlo()
            if c.starttls and not c.implicit_tls:
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, c.password.get_secret_value())
            smtp.send_message(msg)

    async def send(self, event: AlertEvent) -> None:
        try:
            await asyncio.to_thread(self._send_blocking, self.message(event))
        except smtplib.SMTPAuthenticationError as e:
            raise DeliveryError(
                f"SMTP AUTH refused for {self.config.username!r}: {e.smtp_code}", permanent=False
            ) from e
        except smtplib.SMTPResponseException as e:
            raise DeliveryError(
                f"SMTP {e.smtp_code}: {e.smtp_error!r}", permanent=500 <= e.smtp_code < 600
            ) from e
        except (smtplib.SMTPException, OSError, ssl.SSLError) as e:
            raise DeliveryError(
                f"SMTP {self.config.host}:{self.config.port}: {type(e).__name__}: {e}"
            ) from e
