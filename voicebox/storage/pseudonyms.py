"""Pseudonyms: a keyed hash of channel and address, shown as a friendly name."""

from __future__ import annotations

import hashlib
import hmac

ANIMALS = (
    "Otter",
    "Badger",
    "Fox",
    "Hare",
    "Heron",
    "Robin",
    "Wren",
    "Owl",
    "Falcon",
    "Kestrel",
    "Swift",
    "Puffin",
    "Seal",
    "Dolphin",
    "Whale",
    "Orca",
    "Panda",
    "Koala",
    "Lynx",
    "Bison",
    "Moose",
    "Elk",
    "Yak",
    "Llama",
    "Gecko",
    "Newt",
    "Frog",
    "Toad",
    "Turtle",
    "Tortoise",
    "Beaver",
    "Mole",
    "Hedgehog",
    "Squirrel",
    "Stoat",
    "Weasel",
    "Marten",
    "Vole",
    "Shrew",
    "Lark",
    "Finch",
    "Thrush",
    "Starling",
    "Magpie",
    "Jay",
    "Raven",
    "Crane",
    "Stork",
    "Pelican",
    "Gannet",
    "Tern",
    "Gull",
    "Swan",
    "Goose",
    "Duck",
    "Kingfisher",
    "Lemur",
    "Meerkat",
    "Zebra",
    "Giraffe",
    "Tiger",
    "Lion",
    "Cheetah",
    "Leopard",
)


def address_key(secret: bytes, channel: str, address: str) -> str:
    """The keyed hash that stands for a person on a channel (hex, 64 characters)."""
    return hmac.new(secret, f"{channel}\x00{address}".encode(), hashlib.sha256).hexdigest()


def pseudonym_for(key_hash: str, attempt: int = 0) -> str:
    """A friendly, stable name like Otter-4821; `attempt` gives the next one after a clash."""
    digest = hashlib.sha256(f"{key_hash}:{attempt}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    animal = ANIMALS[number % len(ANIMALS)]
    return f"{animal}-{1000 + (number // len(ANIMALS)) % 9000}"
