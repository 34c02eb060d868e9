"""A fake Telegram Bot API for tests (no tests here): a real HTTP server on 127.0.0.1 that
speaks Telegram's wire format (https://core.telegram.org/bots/api) at
`{url}/bot{token}/{method}`, records every call, keeps each chat as a person would see it,
queues updates for getUpdates, and answers with planned faults (429, 403, 5xx, slow)."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.channels.telegram_updates import BOT_FIRST_NAME, BOT_USERNAME
from tests.fake_http import QuietServer, send_json

DEFAULT_TOKEN = "123456:TEST-token"
LONG_POLL_CAP = 30.0  # seconds a getUpdates may wait, whatever timeout it asks for

# Python-telegram-bot sends form fields, each non-string value JSON-encoded (chat_id "123",
# reply_markup '{"inline_keyboard": ...}', show_alert "true"): these fields are decoded back.
# Every other field (text, callback_query_id, url, secret_token, ...) stays the string sent.
INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "max_connections",
        "reply_to_message_id",
        "message_thread_id",
        "from_chat_id",
        "user_id",
    }
)
BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "allow_sending_without_reply",
    }
)
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "scope",
    }
)

METHODS = (
    "getMe",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "sendChatAction",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
)
CANONICAL = {name.lower(): name for name in METHODS}
TO_A_CHAT = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "deleteMessage", "sendChatAction"}
)
MAKES = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup", "deleteMessage"})

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ApiError(Exception):
    """An error answer: `{"ok": false, "error_code": status, "description": ...}`."""

    def __init__(
        self, status: int, description: str | None = None, parameters: dict | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description or DESCRIPTIONS.get(status, f"Error {status}")
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram answers with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class BotApiCall:
    """One request the fake received: method (canonical case), params (decoded), raw fields
    (as sent), arrival time (monotonic), and the status answered (None while answering)."""

    method: str
    params: dict[str, Any]
    raw: dict[str, Any]
    at: float
    encoding: str  # "json", "form", "multipart", "query" or "none"
    files: dict[str, bytes] = field(default_factory=dict)
    status: int | None = None


@dataclass
class Fault:
    """A planned answer for one call of a method."""

    method: str
    status: int | None = None  # None: answer as usual (after `delay`), unless made=False
    retry_after: int | None = None
    delay: float = 0.0
    made: bool | None = None  # None: made only when the answer succeeds
    description: str | None = None

    def error(self) -> ApiError | None:
        """The error to answer with, if any (made=False with no status: a 502, as when a
        proxy gave up before Telegram had the request)."""
        if self.status is None and self.made is False:
            return ApiError(502)
        if self.status is None or self.status < 300:
            return None
        if self.status == 429:
            retry = self.retry_after if self.retry_after is not None else 1
            description = self.description or f"Too Many Requests: retry after {retry}"
            return ApiError(429, description, {"retry_after": retry})
        return ApiError(self.status, self.description)


@dataclass
class Described:
    """A result Telegram answers with a description beside it (setWebhook, deleteWebhook)."""

    result: Any
    description: str


@dataclass
class ShownMessage:
    """A bot message as the person sees it now (edits applied)."""

    message_id: int
    text: str
    reply_markup: dict[str, Any] | None
    edited: bool = False


def decode_params(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields as sent (form strings or JSON values) to plain values: known fields decoded."""
    params: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, str):
            if name in INT_FIELDS and re.fullmatch(r"-?\d+", value):
                value = int(value)
            elif name in BOOL_FIELDS and value in ("true", "false", "True", "False"):
                value = value.lower() == "true"
            elif name in JSON_FIELDS:
                with suppress(ValueError):
                    value = json.loads(value)
        params[name] = value
    return params


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """multipart/form-data: the text fields and the files' bytes."""
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            files[name] = data
        else:
            fields[name] = data.decode("utf-8")
    return fields, files


class FakeBotApi:
    """A fake Telegram Bot API on 127.0.0.1 (a free port). Use `with FakeBotApi() as fake:`
    or start()/stop(); point python-telegram-bot at it with `base_url=f"{fake.url}/bot"`."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        username: str = BOT_USERNAME,
        first_name: str = BOT_FIRST_NAME,
    ) -> None:
        self.token = token
        self.url = ""
        self.latency = 0.0  # seconds added to every answer
        self.bot: dict[str, Any] = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.webhook: dict[str, Any] = {}  # url, secret_token, allowed_updates, ...
        self.commands: list[dict[str, Any]] = []
        self.allowed_updates: list[str] | None = None  # the last getUpdates asked for
        self._lock = threading.Lock()
        self._updates_waiting = threading.Condition(self._lock)
        self._calls: list[BotApiCall] = []
        self._plans: list[Fault] = []
        self._blocked: set[int] = set()
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._next_message_id: dict[int, int] = {}
        self._sent: list[tuple[int, str]] = []
        self._stopping = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- running ------------------------------------------------------------------------------

    def start(self) -> FakeBotApi:
        """Serve on 127.0.0.1 at a free port, in a daemon thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if len(body) < length:  # the client gave up while sending: no call was made
                    self.close_connection = True
                    return
                self._reply(*fake.handle(self.path, self.headers.get("Content-Type", ""), body))

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self._reply(*fake.handle(self.path, "", b""))

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                send_json(self, status, body)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-bot-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake any long poll and stop serving."""
        with self._updates_waiting:
            self._stopping = True
            self._updates_waiting.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests arrange -------------------------------------------------------------------

    def plan(
        self,
        method: str,
        status: int | None = None,
        *,
        retry_after: int | None = None,
        delay: float = 0.0,
        made: bool | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with `status` (after `delay` seconds).
        made=True: the call takes effect although the answer is an error; made=False with no
        status: nothing happens and the late answer is a 502. A slow success takes effect."""
        name = CANONICAL[method.lower()]
        with self._lock:
            for _ in range(times):
                self._plans.append(Fault(name, status, retry_after, delay, made, description))

    def plans_left(self) -> list[Fault]:
        """Planned faults not yet used."""
        with self._lock:
            return list(self._plans)

    def block(self, chat_id: int) -> None:
        """The person blocked the bot: sends and edits to the chat answer 403."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """The person unblocked the bot."""
        with self._lock:
            self._blocked.discard(chat_id)

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an Update for getUpdates (an update_id is given when it has none)."""
        update = dict(update)
        with self._updates_waiting:
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
            self._learn_chat(update)
            self._updates.append(update)
            self._updates_waiting.notify_all()
        return update

    def remember_chat(self, chat: dict[str, Any]) -> None:
        """Use this Chat object in the messages the bot sends to it."""
        with self._lock:
            self._chats[chat["id"]] = dict(chat)

    def clear(self) -> None:
        """Forget recorded calls, plans, blocks, queued updates and chats."""
        with self._lock:
            self._calls.clear()
            self._plans.clear()
            self._blocked.clear()
            self._updates.clear()
            self._messages.clear()
            self._next_message_id.clear()
            self._sent.clear()

    # -- what tests read ----------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[BotApiCall]:
        """Recorded calls, oldest first (only those of `method` when given)."""
        name = CANONICAL.get(method.lower(), method) if method else None
        with self._lock:
            return [c for c in self._calls if name is None or c.method == name]

    def sent_texts(self, chat_id: int) -> list[str]:
        """The text of every message the bot made in a chat, as first sent, oldest first."""
        with self._lock:
            return [text for chat, text in self._sent if chat == chat_id]

    def chat(self, chat_id: int) -> list[ShownMessage]:
        """The bot's messages in a chat as the person sees them now (edits applied)."""
        with self._lock:
            kept = self._messages.get(chat_id, {})
            return [
                ShownMessage(m["message_id"], m["text"], m.get("reply_markup"), "edit_date" in m)
                for _, m in sorted(kept.items())
            ]

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        with self._lock:
            return list(self._updates)

    def wait_for(
        self,
        what: str | Callable[[], object],
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[BotApiCall]:
        """Wait until `count` calls of a method arrived (or a predicate is true); return the
        calls of that method (or all). Fails with what was recorded."""
        deadline = time.monotonic() + timeout
        while True:
            if isinstance(what, str):
                found = self.calls(what)
                if len(found) >= count:
                    return found
            elif what():
                return self.calls()
            if time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        wanted = f"{count} x {what}" if isinstance(what, str) else "the condition"
        seen = [f"{c.method} {c.status} {c.params}" for c in self.calls()]
        raise AssertionError(f"waited {timeout} s for {wanted}; recorded: {seen}")

    # -- answering ----------------------------------------------------------------------------

    def handle(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """Answer one HTTP request: the status and the JSON body."""
        arrived = time.monotonic()
        parts = urlsplit(path)
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", parts.path)
        if match is None:
            return 404, ApiError(404).body()
        if match.group(1) != self.token:
            return 401, ApiError(401).body()
        name = CANONICAL.get(match.group(2).lower())
        try:
            raw, files, encoding = self._fields(parts.query, content_type, body)
        except ValueError:
            return 400, ApiError(400, "Bad Request: can't parse request").body()
        call = BotApiCall(name or match.group(2), decode_params(raw), raw, arrived, encoding, files)
        with self._lock:
            self._calls.append(call)
            fault = next((f for f in self._plans if f.method == call.method), None)
            if fault is not None:
                self._plans.remove(fault)
        status, answer = self._answer(call, fault)
        call.status = status
        pause = self.latency + (fault.delay if fault else 0.0)
        if pause:
            time.sleep(pause)
        return status, answer

    def _answer(self, call: BotApiCall, fault: Fault | None) -> tuple[int, dict[str, Any]]:
        if call.method not in CANONICAL.values():
            return 404, ApiError(404).body()
        error = fault.error() if fault else None
        made = fault.made if fault and fault.made is not None else error is None
        try:
            if call.method in TO_A_CHAT and call.params.get("chat_id") in self._blocked_now():
                raise ApiError(403, DESCRIPTIONS[403])
            if error is not None and not made:
                raise error
            result = getattr(self, f"_{call.method}")(call.params)
            if error is not None:
                raise error
        except ApiError as refused:
            return refused.status, refused.body()
        if isinstance(result, Described):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    def _blocked_now(self) -> set[int]:
        with self._lock:
            return set(self._blocked)

    @staticmethod
    def _fields(
        query: str, content_type: str, body: bytes
    ) -> tuple[dict[str, Any], dict[str, bytes], str]:
        fields: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        kind = content_type.split(";")[0].strip().lower()
        if kind == "application/json":
            data = json.loads(body or b"{}")
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return {**fields, **data}, {}, "json"
        if kind == "application/x-www-form-urlencoded":
            form = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            return {**fields, **dict(form)}, {}, "form"
        if kind == "multipart/form-data":
            form_fields, files = parse_multipart(content_type, body)
            return {**fields, **form_fields}, files, "multipart"
        return fields, {}, "query" if fields else "none"

    # -- the methods --------------------------------------------------------------------------

    def _getMe(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Telegram's name
        return dict(self.bot)

    def _chat_object(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self._chats:
            return dict(self._chats[chat_id])
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Sam"}
        kind = "supergroup" if chat_id < -1_000_000_000_000 else "group"
        return {"id": chat_id, "type": kind, "title": "Test group"}

    def _learn_chat(self, update: dict[str, Any]) -> None:
        for key in ("message", "edited_message", "channel_post", "my_chat_member"):
            chat = update.get(key, {}).get("chat")
            if chat:
                self._chats[chat["id"]] = dict(chat)
        message = update.get("callback_query", {}).get("message")
        if message:
            self._chats[message["chat"]["id"]] = dict(message["chat"])

    @staticmethod
    def _chat_id(params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int) or chat_id == 0:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    @staticmethod
    def _inline_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return None  # reply keyboards are shown below, not kept on the message
        for row in rows:
            for button in row:
                data = button.get("callback_data")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    @staticmethod
    def _text(params: dict[str, Any]) -> str:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    def _sendMessage(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Telegram's name
        chat_id = self._chat_id(params)
        text = self._text(params)
        markup = self._inline_markup(params)
        with self._lock:
            message_id = self._next_message_id.get(chat_id, 1)
            self._next_message_id[chat_id] = message_id + 1
            message: dict[str, Any] = {
                "message_id": message_id,
                "from": self._bot_user(),
                "chat": self._chat_object(chat_id),
                "date": int(time.time()),
                "text": text,
            }
            if markup is not None:
                message["reply_markup"] = markup
            self._messages.setdefault(chat_id, {})[message_id] = message
            self._sent.append((chat_id, text))
            return dict(message)

    def _bot_user(self) -> dict[str, Any]:
        return {k: self.bot[k] for k in ("id", "is_bot", "first_name", "username")}

    def _kept(self, params: dict[str, Any], missing: str) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        message = self._messages.get(chat_id, {}).get(params.get("message_id", 0))
        if message is None:
            raise ApiError(400, f"Bad Request: message to {missing} not found")
        return message

    def _edit(self, params: dict[str, Any], text: str | None) -> Any:
        markup = self._inline_markup(params)
        with self._lock:
            message = self._kept(params, "edit")
            new_text = message["text"] if text is None else text
            if new_text == message["text"] and markup == message.get("reply_markup"):
                raise ApiError(400, NOT_MODIFIED)
            message["text"] = new_text
            message.pop("reply_markup", None)
            if markup is not None:
                message["reply_markup"] = markup
            message["edit_date"] = int(time.time())
            return dict(message)

    def _editMessageText(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Telegram's name
        return self._edit(params, self._text(params))

    def _editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:  # noqa: N802
        return self._edit(params, None)

    def _deleteMessage(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Telegram's name
        with self._lock:
            message = self._kept(params, "delete")
            del self._messages[message["chat"]["id"]][message["message_id"]]
        return True

    def _answerCallbackQuery(self, params: dict[str, Any]) -> Any:  # noqa: N802
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: QUERY_ID_INVALID")
        if len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _sendChatAction(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Telegram's name
        self._chat_id(params)
        if not params.get("action"):
            raise ApiError(400, "Bad Request: action is empty")
        return True

    def _getUpdates(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Telegram's name
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        wait = min(max(float(params.get("timeout") or 0), 0.0), LONG_POLL_CAP)
        deadline = time.monotonic() + wait
        with self._updates_waiting:
            if self.webhook.get("url"):
                raise ApiError(409, CONFLICT_WEBHOOK)
            if params.get("allowed_updates") is not None:
                self.allowed_updates = list(params["allowed_updates"])
            if isinstance(offset, int) and offset < 0:
                self._updates = self._updates[offset:]
            elif isinstance(offset, int):
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._stopping:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._updates_waiting.wait(left)
            return [dict(u) for u in self._updates[:limit]]

    def _setWebhook(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Telegram's name
        url = params.get("url", "")
        if url and not str(url).startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.fullmatch(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        with self._lock:
            if not url:
                was = bool(self.webhook)
                self.webhook = {}
                return Described(
                    True, "Webhook was deleted" if was else "Webhook is already deleted"
                )
            same = self.webhook.get("url") == url
            self.webhook = {
                "url": url,
                "secret_token": secret,
                "allowed_updates": params.get("allowed_updates"),
                "max_connections": params.get("max_connections", 40),
            }
            if params.get("drop_pending_updates"):
                self._updates.clear()
            return Described(True, "Webhook is already set" if same else "Webhook was set")

    def _deleteWebhook(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Telegram's name
        with self._lock:
            was = bool(self.webhook)
            self.webhook = {}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return Described(True, "Webhook was deleted" if was else "Webhook is already deleted")

    def _getWebhookInfo(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Telegram's name
        with self._lock:
            info: dict[str, Any] = {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self.webhook:
                info["max_connections"] = self.webhook["max_connections"]
                if self.webhook["allowed_updates"] is not None:
                    info["allowed_updates"] = self.webhook["allowed_updates"]
            return info

    def _setMyCommands(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Telegram's name
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        with self._lock:
            self.commands = commands
        return True

    def _getMyCommands(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Telegram's name
        with self._lock:
            return list(self.commands)

    def _deleteMyCommands(self, params: dict[str, Any]) -> Any:  # noqa: N802
        with self._lock:
            self.commands = []
        return True
