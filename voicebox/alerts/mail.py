"""Sending a safeguarding alert by email, through the deployer's mail server (SMTP)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from voicebox.alerts.settings import AlertSettings
from voicebox.bot.messages import OutboundMessage
from voicebox.storage.alerts import SUBJECT
from voicebox.storage.dispatcher import SendFailed

TIMEOUT = 20.0  # seconds for the mail server to answer


class EmailSender:
    """Sends one alert as a plain-text email; a failure the server may get over is retried."""

    def __init__(self, settings: AlertSettings) -> None:
        if settings.smtp_host is None:
            raise ValueError("email alerts need VOICEBOX_SMTP_HOST")
        self.settings = settings
        self.host = settings.smtp_host

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        context = ssl.create_default_context()
        server: smtplib.SMTP
        if settings.smtp_security == "tls":
            server = smtplib.SMTP_SSL(
                self.host, settings.smtp_port, timeout=TIMEOUT, context=context
            )
        else:
            server = smtplib.SMTP(self.host, settings.smtp_port, timeout=TIMEOUT)
            if settings.smtp_security == "starttls":
                server.starttls(context=context)
        if settings.smtp_username:
            server.login(settings.smtp_username, settings.smtp_password or "")
        return server

    def send(self, address: str, message: OutboundMessage) -> str | None:
        """Email the alert to one address; return the message's id."""
        email = EmailMessage()
        email["Subject"] = SUBJECT
        email["From"] = self.settings.smtp_from or f"voicebox@{self.host}"
        email["To"] = address
        email["Message-ID"] = make_msgid(domain="voicebox.invalid")
        email.set_content(message.text)
        try:
            with self._connect() as server:
                server.send_message(email)
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _text in refused.recipients.values()]
            raise SendFailed(
                f"the mail server refused the address ({codes[0] if codes else '?'})",
                retry=all(400 <= code < 500 for code in codes),
            ) from None
        except smtplib.SMTPAuthenticationError as failed:
            raise SendFailed(f"the mail server refused the sign-in ({failed.smtp_code})") from None
        except smtplib.SMTPResponseException as failed:
            raise SendFailed(
                f"the mail server said {failed.smtp_code}", retry=failed.smtp_code < 500
            ) from None
        except (smtplib.SMTPException, OSError) as failed:
            raise SendFailed(
                f"could not reach the mail server ({failed.__class__.__name__})"
            ) from None
        return str(email["Message-ID"])
