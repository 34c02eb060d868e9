"""The safeguarding phrase list: what must flag, what must not, and how it is read."""

import pytest

from voicebox.bot.safeguarding import PhraseList, default_phrase_list, load_phrase_list

MUST_FLAG = [
    ("I want to kill myself", "suicide"),
    ("sometimes i think about SUICIDE", "suicide"),
    ("I wish I was dead", "suicide"),
    ("i dont want to live any more", "suicide"),
    ("I don't want to be alive", "suicide"),
    ("i want to unalive myself", "suicide"),
    ("kms", "suicide"),
    ("I self-harm when it gets bad", "self_harm"),
    ("I have been cutting myself", "self_harm"),
    ("my dad hits me", "being_hit"),
    ("Mum's boyfriend HITS ME when he is angry", "being_hit"),
    ("he punched me at the bus stop", "being_hit"),
    ("someone keeps touching me and I do not like it", "sexual_harm"),
    ("a man asked me for nudes", "sexual_harm"),
    ("I am not safe at home", "not_safe"),
    ("I don't feel safe", "not_safe"),
    ("I'm scared to go home", "not_safe"),
    ("they bully me every day", "bullying"),
    ("I get bullied on the bus", "bullying"),
    ("they call me names", "bullying"),
    ("I am going to run away", "running_away"),
    ("I got kicked out", "running_away"),
    ("I was abused", "abuse"),
    ("there is no food at home", "abuse"),
    ("they made me carry drugs", "exploitation"),
]

MUST_NOT_FLAG = [
    "School is good",
    "The bus is late",
    "I like my teacher",
    "skip",
    "STOP",
    "My safe space is the library",
    "Hitchhiking is not allowed",  # 'hit' inside another word
    "",
    "🙂",
]


@pytest.mark.parametrize(("text", "category"), MUST_FLAG)
def test_phrase_flags(text, category):
    """Worrying words are found in any case, with apostrophes and punctuation."""
    found = default_phrase_list().find(text)
    assert found is not None, text
    assert found.category == category


@pytest.mark.parametrize("text", MUST_NOT_FLAG)
def test_ordinary_words_do_not_flag(text):
    """Everyday answers are not flagged."""
    assert default_phrase_list().find(text) is None


def test_phrase_is_reported_as_found():
    """The flag keeps the words that matched, so a worker sees why."""
    found = default_phrase_list().find("Honestly my brother beats me up a lot")
    assert found is not None
    assert found.phrase == "beats me"


def test_star_matches_word_starts_only():
    """A phrase ending in * matches any word that starts with it, but not inside words."""
    phrases = PhraseList({"test": ["bull*"]})
    assert phrases.find("the bullies") is not None
    assert phrases.find("a pitbull") is None


def test_list_is_data(tmp_path):
    """A reviewed list can be loaded from any file."""
    path = tmp_path / "phrases.yaml"
    path.write_text("version: 1\ncategories:\n  worry:\n    - lonely\n", encoding="utf-8")
    phrases = load_phrase_list(path)
    assert len(phrases) == 1
    found = phrases.find("I feel LONELY")
    assert found is not None and found.category == "worry"


def test_long_text_is_fast_enough_to_check():
    """A 10,000-character message is checked without trouble."""
    text = "school is fine " * 700 + "but they hit me"
    found = default_phrase_list().find(text)
    assert found is not None and found.category == "being_hit"
