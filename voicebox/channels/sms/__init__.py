"""The SMS channel through Twilio, in the shape of courier's handlers/<provider>/:
GSM-7 (gsm7.py), packing replies into texts (packing.py), the webhook (webhook.py) and
the outbox sender (sender.py), with its own settings (settings.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask import Blueprint, Flask

from voicebox.bot.messages import OutboundMessage
from voicebox.bot.report_back import SentText
from voicebox.channels.base import Fit
from voicebox.channels.sms import webhook
from voicebox.channels.sms.gsm7 import SEGMENT_LENGTH, gsm7_length, lost_in_gsm7, non_gsm7
from voicebox.channels.sms.packing import render_segments
from voicebox.channels.sms.sender import CHANNEL, TwilioSender, build_sender, outbound_body
from voicebox.channels.sms.settings import SmsSettings
from voicebox.storage.services import Services


@dataclass
class SmsChannel:
    """Text messages: on when a Twilio auth token is set (never open without one)."""

    settings: SmsSettings = field(default_factory=SmsSettings)
    name: str = CHANNEL
    replies_later: bool = False  # replies are the TwiML answer to Twilio's request
    redelivers: bool = True  # Twilio tries again when our answer was lost
    joined_length: int | None = None  # each reply is its own message
    reached_later: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmsChannel:
        """The channel with its VOICEBOX_TWILIO_* settings."""
        return cls(SmsSettings.from_env(env))

    def enabled(self) -> bool:
        """True when the webhook can check Twilio's signatures."""
        return bool(self.settings.auth_token)

    def blueprint(self, app: Flask, services: Services) -> Blueprint:
        """The webhook routes under /sms."""
        webhook.set_up(app, services, self.settings)
        return webhook.blueprint

    def sender(self, services: Services) -> TwilioSender | None:
        """Twilio's Messages API, when account, token and sending number are all set."""
        return build_sender(self.settings, services.public_url)

    def fit(self, message: OutboundMessage) -> Fit:
        """One text holds a step: GSM-7 characters only, and the packer needs one text."""
        text = message.as_text()
        return Fit(
            label="SMS text",
            charset="GSM-7",
            bad_characters=non_gsm7(text),
            length=gsm7_length(text),
            limit=SEGMENT_LENGTH,
            over=len(render_segments([message])) > 1,  # the very packer the webhook uses
        )

    def preview(self, messages: Sequence[OutboundMessage]) -> list[SentText]:
        """Each message as the one text it is sent as: GSM-7, and 160 characters at most."""
        shown = []
        for message in messages:
            text = message.as_text()
            body = outbound_body(message)
            problem = ""
            if bad := lost_in_gsm7(text):  # curly quotes and the like go as ' and "
                problem = f"A text cannot carry these characters: {bad}"
            elif gsm7_length(body) > SEGMENT_LENGTH:
                problem = (
                    f"This text has {gsm7_length(body)} characters. "
                    f"A text holds {SEGMENT_LENGTH}: make it shorter."
                )
            shown.append(SentText(body, problem))
        return shown

    def invitation(self, code: str) -> str | None:
        """ "Text CODE to +44...", when texts come in and the sending number is a number."""
        sender = self.settings.sender or ""
        if not self.enabled() or not sender.startswith("+"):
            return None
        return f"Text {code} to {sender}"
