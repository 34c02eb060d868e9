"""Telegram Update JSON exactly as Telegram sends it to a webhook or in getUpdates (no tests
here): https://core.telegram.org/bots/api#update. Each builder returns a dict ready for
json.dumps; update ids and message ids come from module counters unless given."""

from __future__ import annotations

import itertools
import time
from typing import Any

BOT_ID = 123456  # the number before the colon of the fake's token "123456:TEST-token"
BOT_USERNAME = "VoiceboxTestBot"
BOT_FIRST_NAME = "Voicebox"
GROUP_MEMBER_ID = 5550001  # the person writing in group chats, unless told otherwise

_update_ids = itertools.count(700_000_001)
_message_ids = itertools.count(1001)
_callback_ids = itertools.count(4_411_000_000_000_000_001)
_file_ids = itertools.count(1)


def next_update_id() -> int:
    """A fresh update_id, higher than every one before."""
    return next(_update_ids)


def next_message_id() -> int:
    """A fresh message_id."""
    return next(_message_ids)


def now() -> int:
    """Telegram's dates: whole seconds since the epoch."""
    return int(time.time())


def bot_user() -> dict[str, Any]:
    """The bot as a User in messages it sent."""
    return {"id": BOT_ID, "is_bot": True, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME}


def user(
    user_id: int, first_name: str = "Sam", username: str | None = None, language_code: str = "en"
) -> dict[str, Any]:
    """A person as a User."""
    found: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username is not None:
        found["username"] = username
    found["language_code"] = language_code
    return found


def private_chat(chat_id: int, first_name: str = "Sam", username: str | None = None) -> dict:
    """A private Chat: its id is the person's user id."""
    chat: dict[str, Any] = {"id": chat_id, "first_name": first_name}
    if username is not None:
        chat["username"] = username
    chat["type"] = "private"
    return chat


def group_chat(chat_id: int, title: str = "Youth group", type: str = "group") -> dict:
    """A group or supergroup Chat (negative id)."""
    if chat_id >= 0:
        raise ValueError("group chat ids are negative")
    return {"id": chat_id, "title": title, "type": type}


def _update(kind: str, body: dict[str, Any], update_id: int | None) -> dict[str, Any]:
    return {"update_id": update_id if update_id is not None else next_update_id(), kind: body}


def _message(
    sender: dict[str, Any] | None,
    chat: dict[str, Any],
    message_id: int | None,
    **content: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id if message_id is not None else next_message_id()
    }
    if sender is not None:
        message["from"] = sender
    message["chat"] = chat
    message["date"] = now()
    message.update({k: v for k, v in content.items() if v is not None})
    return message


def _command_entities(text: str) -> list[dict[str, Any]]:
    command = text.split(" ", 1)[0]
    if not command.startswith("/"):
        return []
    return [{"offset": 0, "length": utf16_length(command), "type": "bot_command"}]


def utf16_length(text: str) -> int:
    """Telegram's entity offsets and lengths count UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def private_text(
    chat_id: int,
    text: str,
    first_name: str = "Sam",
    username: str | None = None,
    *,
    update_id: int | None = None,
    message_id: int | None = None,
) -> dict[str, Any]:
    """A person's text message in their private chat with the bot."""
    message = _message(
        user(chat_id, first_name, username),
        private_chat(chat_id, first_name, username),
        message_id,
        text=text,
        entities=_command_entities(text) or None,
    )
    return _update("message", message, update_id)


def command(
    chat_id: int,
    name: str = "/start",
    arg: str | None = None,
    first_name: str = "Sam",
    username: str | None = None,
    *,
    update_id: int | None = None,
    message_id: int | None = None,
) -> dict[str, Any]:
    """A command in a private chat, e.g. "/start DEMO" from a deep link (a bot_command entity)."""
    if not name.startswith("/"):
        name = "/" + name
    text = name if arg is None else f"{name} {arg}"
    return private_text(
        chat_id, text, first_name, username, update_id=update_id, message_id=message_id
    )


def callback(
    chat_id: int,
    data: str,
    message_id: int,
    message_text: str,
    reply_markup: dict[str, Any] | None = None,
    first_name: str = "Sam",
    username: str | None = None,
    *,
    update_id: int | None = None,
) -> dict[str, Any]:
    """A person pressed an inline button: `message_id` is the bot's message it was on."""
    message = _message(
        bot_user(),
        private_chat(chat_id, first_name, username),
        message_id,
        text=message_text,
        reply_markup=reply_markup,
    )
    query = {
        "id": str(next(_callback_ids)),
        "from": user(chat_id, first_name, username),
        "message": message,
        "chat_instance": str(-8_000_000_000_000_000_000 + chat_id),
        "data": data,
    }
    return _update("callback_query", query, update_id)


def group_text(
    chat_id: int,
    text: str,
    type: str = "group",
    user_id: int = GROUP_MEMBER_ID,
    first_name: str = "Sam",
    title: str = "Youth group",
    *,
    update_id: int | None = None,
) -> dict[str, Any]:
    """A person's text message in a group or supergroup the bot is in."""
    message = _message(
        user(user_id, first_name),
        group_chat(chat_id, title, type),
        None,
        text=text,
        entities=_command_entities(text) or None,
    )
    return _update("message", message, update_id)


def group_command(
    chat_id: int,
    name: str = "/start",
    arg: str | None = None,
    type: str = "group",
    mention: bool = True,
    user_id: int = GROUP_MEMBER_ID,
    *,
    update_id: int | None = None,
) -> dict[str, Any]:
    """A command in a group, as "/start@VoiceboxTestBot" (mention=True) or bare."""
    if not name.startswith("/"):
        name = "/" + name
    if mention:
        name = f"{name}@{BOT_USERNAME}"
    text = name if arg is None else f"{name} {arg}"
    return group_text(chat_id, text, type, user_id, update_id=update_id)


def channel_post(
    chat_id: int, text: str, title: str = "Youth news", *, update_id: int | None = None
) -> dict[str, Any]:
    """A post in a channel the bot is an admin of (no `from`: the channel is the sender)."""
    channel = {"id": chat_id, "title": title, "type": "channel"}
    message = _message(None, channel, None, sender_chat=channel, text=text)
    return _update("channel_post", message, update_id)


def edited_message(
    chat_id: int,
    text: str,
    message_id: int | None = None,
    first_name: str = "Sam",
    *,
    update_id: int | None = None,
) -> dict[str, Any]:
    """A person edited one of their earlier messages in a private chat."""
    message = _message(
        user(chat_id, first_name), private_chat(chat_id, first_name), message_id, text=text
    )
    message["date"] -= 60
    message["edit_date"] = now()
    return _update("edited_message", message, update_id)


def _file(kind: str) -> tuple[str, str]:
    number = next(_file_ids)
    return f"{kind}-file-{number:08d}-AgACAgQAAxkBAAI", f"AQAD{kind}{number:06d}"


def sticker(
    chat_id: int, emoji: str = "👍", first_name: str = "Sam", *, update_id: int | None = None
) -> dict[str, Any]:
    """A person sent a sticker."""
    file_id, unique_id = _file("sticker")
    thumb_id, thumb_unique = _file("thumb")
    body = {
        "width": 512,
        "height": 512,
        "emoji": emoji,
        "set_name": "HotCherry",
        "is_animated": False,
        "is_video": False,
        "type": "regular",
        "thumbnail": {
            "file_id": thumb_id,
            "file_unique_id": thumb_unique,
            "file_size": 5416,
            "width": 128,
            "height": 128,
        },
        "file_id": file_id,
        "file_unique_id": unique_id,
        "file_size": 21542,
    }
    message = _message(
        user(chat_id, first_name), private_chat(chat_id, first_name), None, sticker=body
    )
    return _update("message", message, update_id)


def photo(
    chat_id: int,
    caption: str | None = None,
    first_name: str = "Sam",
    *,
    update_id: int | None = None,
) -> dict[str, Any]:
    """A person sent a photo (Telegram sends several sizes), with or without a caption."""
    sizes = []
    for width, height, size in ((90, 67, 1208), (320, 240, 15734), (800, 600, 63221)):
        file_id, unique_id = _file("photo")
        sizes.append(
            {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "file_size": size,
                "width": width,
                "height": height,
            }
        )
    message = _message(
        user(chat_id, first_name),
        private_chat(chat_id, first_name),
        None,
        photo=sizes,
        caption=caption,
    )
    return _update("message", message, update_id)


def voice(
    chat_id: int, duration: int = 3, first_name: str = "Sam", *, update_id: int | None = None
) -> dict[str, Any]:
    """A person sent a voice note."""
    file_id, unique_id = _file("voice")
    body = {
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_id": file_id,
        "file_unique_id": unique_id,
        "file_size": 4000 * duration,
    }
    message = _message(
        user(chat_id, first_name), private_chat(chat_id, first_name), None, voice=body
    )
    return _update("message", message, update_id)


def new_chat_members(
    chat_id: int,
    members: list[dict[str, Any]] | None = None,
    type: str = "group",
    by_user_id: int = GROUP_MEMBER_ID,
    *,
    update_id: int | None = None,
) -> dict[str, Any]:
    """People (by default the bot) added to a group; Telegram still sends the old singular
    fields `new_chat_participant` and `new_chat_member` beside `new_chat_members`."""
    members = members if members is not None else [bot_user()]
    message = _message(
        user(by_user_id),
        group_chat(chat_id, type=type),
        None,
        new_chat_participant=members[0],
        new_chat_member=members[0],
        new_chat_members=members,
    )
    return _update("message", message, update_id)


def chat_member(user_object: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember of a simple status: "member", "left" or "kicked"."""
    if status == "member":
        return {"user": user_object, "status": "member"}
    if status == "left":
        return {"user": user_object, "status": "left"}
    if status == "kicked":
        return {"user": user_object, "status": "kicked", "until_date": 0}
    raise ValueError(f"no builder for chat member status {status!r}")


def my_chat_member(
    chat_id: int,
    old: str = "member",
    new: str = "kicked",
    first_name: str = "Sam",
    by_user_id: int | None = None,
    *,
    update_id: int | None = None,
) -> dict[str, Any]:
    """The bot's own membership changed: in a private chat old="member", new="kicked" means
    the person blocked the bot (new="member" after "kicked": unblocked)."""
    if chat_id > 0:
        chat = private_chat(chat_id, first_name)
        by = user(chat_id, first_name)
    else:
        chat = group_chat(chat_id)
        by = user(by_user_id or GROUP_MEMBER_ID, first_name)
    body = {
        "chat": chat,
        "from": by,
        "date": now(),
        "old_chat_member": chat_member(bot_user(), old),
        "new_chat_member": chat_member(bot_user(), new),
    }
    return _update("my_chat_member", body, update_id)


def blocked(chat_id: int, *, update_id: int | None = None) -> dict[str, Any]:
    """The person in a private chat blocked the bot."""
    return my_chat_member(chat_id, "member", "kicked", update_id=update_id)


def inline_query(
    user_id: int,
    query: str = "",
    first_name: str = "Sam",
    *,
    update_id: int | None = None,
) -> dict[str, Any]:
    """Someone typed "@VoiceboxTestBot ..." in a chat (the bot has inline mode off)."""
    body = {
        "id": str(next(_callback_ids)),
        "from": user(user_id, first_name),
        "chat_type": "sender",
        "query": query,
        "offset": "",
    }
    return _update("inline_query", body, update_id)


BUILDERS = (
    private_text,
    command,
    callback,
    group_text,
    group_command,
    channel_post,
    edited_message,
    sticker,
    photo,
    voice,
    new_chat_members,
    my_chat_member,
    blocked,
    inline_query,
)
