"""Twilio's webhooks: a signed incoming message in, TwiML out; signed delivery reports.

Wire formats are pure functions tested by tables: `parse_inbound` and `parse_status` read
Twilio's form fields, `render_twiml` writes the answer. The routes are thin glue."""

from __future__ import annotations

import hmac
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from voicebox.bot.messages import InboundMessage, OutboundMessage
from voicebox.bot.results import TurnResult
from voicebox.channels.sms.packing import render_segments
from voicebox.channels.sms.sender import CHANNEL, OPTED_OUT_CODE
from voicebox.channels.sms.settings import SmsSettings
from voicebox.channels.text import clean_text
from voicebox.storage.outbox import DeliveryReport, record_delivery
from voicebox.storage.services import Services

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
# Twilio adds this header when a webhook is signed with a shared key instead of the auth
# token. Voicebox checks signatures with the auth token only (CONTRACT.md).
SHARED_KEY_HEADER = "X-Twilio-Webhooks-Signature-Settings"

blueprint = Blueprint(CHANNEL, __name__, url_prefix="/sms")


def render_twiml(segments: Sequence[str]) -> str:
    """A TwiML <Response> with one <Message> per segment (none for no reply)."""
    response = MessagingResponse()
    for segment in segments:
        response.message(segment)
    return response.to_xml()


# The engine says the same few hundred things over and over, so each answer is written once.
@lru_cache(maxsize=1024)
def _twiml(messages: tuple[OutboundMessage, ...]) -> str:
    return render_twiml(render_segments(messages))


def replies_to_send(inbound: InboundMessage, result: TurnResult) -> tuple[OutboundMessage, ...]:
    """The engine's replies minus what Twilio's Advanced Opt-Out has already said.

    A repeated delivery (Twilio tries again when our answer was lost) gets the replies the
    first delivery got, kept for a day: the person hears the lost answer, and nothing new
    is done or stored."""
    replies = result.earlier_replies if result.duplicate else result.replies
    if not inbound.opt_out:
        return replies
    # When a Messaging Service with Advanced Opt-Out matched STOP, START or HELP, Twilio has
    # already answered with the confirmation configured there, and the OptOutType field tells
    # us so. Sending our own confirmation too would give the person two messages saying the
    # same thing (and cost twice), so we leave ours out. Anything else the engine says stays:
    # after START that is the question they were on, so they can carry on where they were.
    # After STOP the engine says nothing else, and Twilio would block a reply anyway.
    return tuple(m for m in replies if m.purpose != inbound.opt_out)


# -- inbound: reading Twilio's form fields ----------------------------------------------


class InvalidRequest(ValueError):
    """A signed request that is not a message we can read."""


_TOKEN = re.compile(r"^[\x21-\x7e]{1,64}$")  # printable ASCII, no spaces
_OPT_OUT_TYPES = {"STOP": "stop", "START": "start", "HELP": "help"}


def _media_count(value: str | None) -> int:
    value = (value or "").strip()
    return int(value) if value.isdecimal() and len(value) < 4 else 0


def parse_inbound(form: Mapping[str, str]) -> InboundMessage:
    """An InboundMessage from the fields of Twilio's incoming message webhook."""
    sender = (form.get("From") or "").strip()
    if not sender or not _TOKEN.match(sender):
        raise InvalidRequest("no usable From")
    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid") or "").strip()
    if not _TOKEN.match(sid):
        raise InvalidRequest("no usable MessageSid")
    opt_out = _OPT_OUT_TYPES.get((form.get("OptOutType") or "").strip().upper())
    return InboundMessage(
        channel=CHANNEL,
        address=f"{CHANNEL}:{sender}",
        text=clean_text(form.get("Body") or ""),
        message_id=sid,
        has_media=_media_count(form.get("NumMedia")) > 0,
        opt_out=opt_out,
    )


# -- delivery status callbacks -----------------------------------------------------------

# Twilio's statuses as the outbox keeps them (storage.outbox.DELIVERY_RANK); others are
# not tracked. A status only ever moves forward there.
_STATUSES = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "canceled",
}


def parse_status(form: Mapping[str, str]) -> DeliveryReport | None:
    """A DeliveryReport from a status callback's fields; None for statuses we do not track."""
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    if not _TOKEN.match(sid):
        raise InvalidRequest("no usable MessageSid")
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if status not in _STATUSES:
        return None
    code = (form.get("ErrorCode") or "").strip()
    error = code[:16] if code.isdigit() else None
    return DeliveryReport(
        provider_id=sid,
        status=_STATUSES[status],
        error=error,
        opted_out=error == str(OPTED_OUT_CODE),
    )


# -- the routes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Webhook:
    """What the routes need, built once per app."""

    services: Services
    validator: RequestValidator
    public_url: str | None


_EXTENSION = "voicebox.sms"
_warned_shared_key = threading.Event()


def set_up(app: Flask, services: Services, settings: SmsSettings) -> None:
    """Build the webhook's validator once, for the app the blueprint is registered on."""
    validator = RequestValidator(settings.auth_token or "")
    app.extensions[_EXTENSION] = _Webhook(services, validator, services.public_url)


def signed_url(public_url: str | None, url: str, path: str, query: bytes) -> str:
    """The URL Twilio signed: the public URL + path + raw query when set, else the request's."""
    if not public_url:
        return url
    raw_query = query.decode("utf-8", "replace")
    return f"{public_url.rstrip('/')}{path}" + (f"?{raw_query}" if raw_query else "")


class _Fields:
    """Form fields as RequestValidator reads them: every value of a repeated field."""

    def __init__(self, form: Any) -> None:
        self._form = form

    def __iter__(self) -> Any:
        return iter(self._form)

    def getall(self, name: str) -> list[str]:
        """Every value of a field, as received."""
        return self._form.getlist(name)


def signature_ok(validator: RequestValidator, url: str, form: Any, signature: str) -> bool:
    """True when X-Twilio-Signature is Twilio's signature of this URL and these fields."""
    fields = _Fields(form)
    expected = validator.compute_signature(url, fields)
    if hmac.compare_digest(expected.encode(), signature.encode()):
        return True
    # Twilio may have signed the URL with or without its port: the validator tries both.
    return validator.validate(url, fields, signature)


def _signed_form(webhook: _Webhook) -> Mapping[str, str] | None:
    """The request's form fields when its Twilio signature is right, else None."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return None
    own_url = "" if webhook.public_url else request.url  # only worked out when needed
    url = signed_url(webhook.public_url, own_url, request.path, request.query_string)
    form = request.form  # every field exactly as received, repeated ones included
    if signature_ok(webhook.validator, url, form, signature):
        return form
    if request.headers.get(SHARED_KEY_HEADER) and not _warned_shared_key.is_set():
        _warned_shared_key.set()
        log.warning(
            "an SMS webhook was signed with a shared key; Voicebox checks signatures with "
            "VOICEBOX_TWILIO_AUTH_TOKEN, so turn shared-key signing off for this webhook"
        )
    return None


def _signed_request() -> tuple[_Webhook, Mapping[str, str] | None]:
    """This app's webhook set-up, and the request's form when Twilio signed it."""
    webhook: _Webhook = current_app.extensions[_EXTENSION]
    return webhook, _signed_form(webhook)


def _forbidden() -> Response:
    return Response("Forbidden\n", status=403, content_type="text/plain; charset=utf-8")


def _xml(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type="text/xml; charset=utf-8")


_EMPTY = render_twiml([])


@blueprint.post("/twilio")
def inbound() -> Response:
    """Twilio's incoming message webhook: check the signature, run the engine, answer TwiML."""
    webhook, form = _signed_request()
    if form is None:
        return _forbidden()
    try:
        message = parse_inbound(form)
    except InvalidRequest:
        return _xml(_EMPTY, 400)
    try:
        result = webhook.services.engine.handle(message)
    except Exception as exc:  # never a traceback or a phone number in the log
        log.error("SMS message %s could not be handled: %s", message.message_id, type(exc).__name__)
        return _xml(_EMPTY, 503)
    return _xml(_twiml(replies_to_send(message, result)))


@blueprint.post("/twilio/status")
def status() -> Response:
    """Twilio's status callback for messages we sent: keep the delivery status."""
    webhook, form = _signed_request()
    if form is None:
        return _forbidden()
    try:
        report = parse_status(form)
    except InvalidRequest:
        return Response(status=400)
    if report is not None:
        try:
            record_delivery(webhook.services.database, CHANNEL, report)
        except Exception as exc:
            log.error("status of SMS %s not kept: %s", report.provider_id, type(exc).__name__)
            return Response(status=503)
    return Response(status=204)
