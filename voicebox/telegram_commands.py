"""`voicebox telegram poll` and `voicebox telegram set-webhook`: the Telegram channel run
by long polling on a computer with no public address, and its webhook registered."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Mapping
from types import FrameType

from telegram.error import InvalidToken, TelegramError

from voicebox.app import build_senders
from voicebox.channels.base import Channel
from voicebox.channels.telegram import TelegramChannel
from voicebox.channels.telegram.bot_api import BotApi
from voicebox.channels.telegram.polling import ALLOWED_UPDATES, PollingRefused, poll
from voicebox.serving import STOP_SIGNALS, start_up
from voicebox.settings import Settings, SettingsError
from voicebox.storage.dispatcher import Dispatchers

WEBHOOK_PATH = "/telegram/webhook"
NO_TOKEN = (
    "VOICEBOX_TELEGRAM_TOKEN is not set. Make a bot with @BotFather in Telegram, "
    "then set it to the token BotFather gives you."
)
TOKEN_REFUSED = "Telegram refused the bot's token. Check VOICEBOX_TELEGRAM_TOKEN."


def telegram_channel(channels: Mapping[str, Channel]) -> TelegramChannel:
    """The Telegram channel, when its token is set (else one line saying what to set)."""
    found = channels.get("telegram")
    if not isinstance(found, TelegramChannel) or not found.enabled():
        raise SettingsError(NO_TOKEN)
    return found


def run_polling(
    settings: Settings,
    channels: Mapping[str, Channel],
    drop_webhook: bool,
    say: Callable[[str], None],
) -> int:
    """Poll until Ctrl+C or SIGTERM, sending replies from the outbox; return updates handled."""
    channel = telegram_channel(channels)
    api = channel.api()
    try:
        reached = ready_to_poll(api, drop_webhook, say)
        name = api.username() if reached else None
        services = start_up(settings, channels, demo=True)
    except BaseException:
        api.close()
        raise
    stop = threading.Event()

    def stopping(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, stopping) for sig in STOP_SIGNALS}
    outbox = Dispatchers(services.database, build_senders(services, channels), services.bell)
    say("Voicebox is polling Telegram.")
    if name:
        say(f"To try it, open https://t.me/{name}?start=DEMO on your phone and tap Start.")
    else:
        say("To try it, send /start DEMO to your bot.")
    say("Press Ctrl+C to stop.")
    try:
        handled = poll(api, channel.handler(services), stop, said=say)
    finally:
        outbox.stop(timeout=5)
        api.close()
        services.database.dispose()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    say(f"Stopped. {handled} update(s) handled.")
    return handled


def ready_to_poll(api: BotApi, drop_webhook: bool, say: Callable[[str], None]) -> bool:
    """Before anything starts: a refused token or a webhook in the way is one line (the
    poller finds out too, but only after starting up); Telegram out of reach (False) is
    for the poller to wait out."""
    try:
        if drop_webhook:
            api.call(lambda: api.bot.delete_webhook())
            say("The webhook is removed: Telegram now keeps updates for polling.")
        info = api.call(lambda: api.bot.get_webhook_info())
    except InvalidToken:
        raise PollingRefused(TOKEN_REFUSED) from None
    except (TelegramError, TimeoutError):
        return False
    if info.url:
        raise PollingRefused(
            f"This bot has a webhook ({info.url}), so Telegram will not let it poll. "
            "Run `voicebox telegram poll --drop-webhook` to remove the webhook and poll."
        )
    return True


def set_webhook(settings: Settings, channels: Mapping[str, Channel]) -> str:
    """Register VOICEBOX_PUBLIC_URL + /telegram/webhook with the secret; what Telegram said."""
    channel = telegram_channel(channels)
    if not channel.settings.secret:
        raise SettingsError(
            "VOICEBOX_TELEGRAM_SECRET is not set. Set it to a long random text "
            "(letters, digits, _ and -); Telegram sends it with every update."
        )
    if not settings.public_url:
        raise SettingsError(
            "VOICEBOX_PUBLIC_URL is not set. Set it to the https address people reach "
            "this server at."
        )
    url = settings.public_url.rstrip("/") + WEBHOOK_PATH
    api = channel.api()
    secret = channel.settings.secret
    try:
        api.call(
            lambda: api.bot.set_webhook(
                url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES)
            )
        )
        info = api.call(lambda: api.bot.get_webhook_info())
    except TelegramError as exc:
        raise SettingsError(f"Telegram did not set the webhook: {_said(exc)}") from None
    finally:
        api.close()
    return f"Telegram says the webhook is set to {info.url}"


def _said(exc: TelegramError) -> str:
    """Telegram's own words, without the token (which an error about it can hold)."""
    return str(exc.message).split("`")[0].strip() or type(exc).__name__
