"""The safeguarding phrase list: what must flag, what must not, and how it is read.

The cases are data (safeguarding_table.yaml beside this file); every row is its own test,
named by its message.
"""

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from voicebox.bot.safeguarding import (
    PHRASE_MAX,
    Match,
    PhraseList,
    collapse,
    default_phrase_list,
    fold,
    load_phrase_list,
)

TABLE = yaml.safe_load((Path(__file__).parent / "safeguarding_table.yaml").read_text("utf-8"))
PHRASES = default_phrase_list()  # read once here, so no test's time includes it


def _row(row):
    """A row as (text, why): a plain message or a mapping with text and why."""
    return (row, "") if isinstance(row, str) else (row["text"], row.get("why", ""))


MUST_FLAG = [
    (*_row(row), category) for category, rows in TABLE["must_flag"].items() for row in rows
]
MUST_NOT_FLAG = [_row(row) for row in TABLE["must_not_flag"]]
OVER_FLAGS = [(row["text"], row["why"], row["category"]) for row in TABLE["accepted_over_flags"]]


def _id(text):
    return text or "(empty)"


@pytest.mark.parametrize(
    ("text", "why", "category"), [pytest.param(*case, id=_id(case[0])) for case in MUST_FLAG]
)
def test_must_flag(text, why, category):
    """Calls for help are found, in the category that says what kind."""
    found = PHRASES.find(text)
    assert found is not None, f"{text!r} must flag as {category} ({why or 'see the table'})"
    assert found.category == category, f"{text!r} flagged {found} ({why or 'see the table'})"


@pytest.mark.parametrize(
    ("text", "why"), [pytest.param(*case, id=_id(case[0])) for case in MUST_NOT_FLAG]
)
def test_must_not_flag(text, why):
    """Everyday answers, and asking to stop, are not flagged."""
    found = PHRASES.find(text)
    assert found is None, f"{text!r} must not flag, but found {found} ({why or 'see the table'})"


@pytest.mark.parametrize(
    ("text", "why", "category"), [pytest.param(*case, id=_id(case[0])) for case in OVER_FLAGS]
)
def test_accepted_over_flags_still_flag(text, why, category):
    """Over-flags we chose to accept stay flagged until someone decides otherwise."""
    found = PHRASES.find(text)
    assert found is not None and found.category == category, f"{text!r}: {found} ({why})"


def test_the_phrase_file_read_afresh_reads_the_whole_table_the_same():
    """The file read inside a test (not once at import) flags exactly as the table says.

    The other tests share one list read at import; mutation testing only credits a test
    with the code it runs itself, so this one builds the list, and checks every row.
    """
    phrases = load_phrase_list()
    assert len(phrases) == len(PHRASES)
    wrong = []
    for text, _, category in MUST_FLAG + OVER_FLAGS:
        found = phrases.find(text)
        if found is None or found.category != category:
            wrong.append(f"{text!r} must flag as {category}, found {found}")
    wrong += [f"{text!r} must not flag" for text, _ in MUST_NOT_FLAG if phrases.find(text)]
    assert not wrong, "\n".join(wrong)


def test_table_is_big_enough():
    """At least 150 messages that must flag and 50 that must not, each written once."""
    texts = [case[0] for case in MUST_FLAG + MUST_NOT_FLAG + OVER_FLAGS]
    assert len(MUST_FLAG) >= 150 and len(MUST_NOT_FLAG) >= 50
    assert len(texts) == len(set(texts)), "a message is in the table twice"
    assert all(why for _, why, _ in OVER_FLAGS), "every accepted over-flag says why"


def test_every_phrase_finds_itself():
    """Each phrase, typed alone, flags as itself: no phrase is hidden by another."""
    phrases = PHRASES
    wrong = []
    for category, phrase in phrases.phrases():
        words = phrase.rstrip("*")
        found = phrases.find(words)
        if found is None or (found.category, found.phrase) != (category, words):
            wrong.append(f"{category}: {phrase} -> {found}")
    assert not wrong, "\n".join(wrong)


def test_no_phrase_is_listed_twice():
    """Two phrases that read the same are one too many (spaces and repeats do not count)."""
    phrases = PHRASES
    seen: dict[str, str] = {}
    twice = []
    for category, phrase in phrases.phrases():
        key = collapse(phrases.words(phrase.rstrip("*"))).replace(" ", "")
        key += "*" if phrase.endswith("*") else ""
        if key in seen:
            twice.append(f"{category}: {phrase!r} reads the same as {seen[key]!r}")
        seen.setdefault(key, phrase)
    assert not twice, "\n".join(twice)


def test_names_fit_the_flags_table():
    """A category fits the flags table's 32 characters; a flag keeps at most 100 of a phrase."""
    phrases = PHRASES
    assert all(len(category) <= 32 for category, _ in phrases.phrases())
    found = phrases.find("abused" + "abcdefghij" * 20)
    assert found is not None and found.phrase.startswith("abusedabc")
    assert len(found.phrase) == PHRASE_MAX


def test_phrase_is_reported_as_written():
    """The flag keeps the phrase as the list writes it, and the ending typed after a *."""
    phrases = PHRASES
    assert phrases.find("Honestly my brother beats me up a lot").phrase == "beats me"
    assert phrases.find("i want to killllll myself").phrase == "kill myself"
    assert phrases.find("im being hurt").phrase == "being hurt"
    assert phrases.find("they keep BULLYYYING me").phrase == "bullying"


def test_most_serious_category_wins():
    """A message with two worries keeps the category listed first, wherever it is."""
    found = PHRASES.find("I get bullied at school and I want to kill myself")
    assert found is not None and (found.category, found.phrase) == ("suicide", "kill myself")


def test_star_matches_word_starts_only():
    """A phrase ending in * matches any word that starts with it, but not inside words."""
    phrases = PhraseList({"test": ["bull*"]})
    assert phrases.find("the bullies") is not None
    assert phrases.find("a pitbull") is None


def test_list_is_data(tmp_path):
    """A reviewed list can be loaded from any file, with its short forms and groups."""
    path = tmp_path / "phrases.yaml"
    path.write_text(
        "version: 2\n"
        "short_forms:\n  lonley: lonely\n"
        "groups:\n  when: [at night, at school]\n"
        "categories:\n  worry:\n    - lonely\n    - scared {when}\n",
        encoding="utf-8",
    )
    phrases = load_phrase_list(path)
    assert len(phrases) == 3
    found = phrases.find("I feel LONLEY")
    assert found is not None and (found.category, found.phrase) == ("worry", "lonely")
    assert phrases.find("im scared at night").phrase == "scared at night"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # YAML reads a bare no as false
        ("categories:\n  worry:\n    - no\n", "category worry: False is not text (quote it)"),
        (
            "short_forms:\n  2: to\ncategories:\n  worry:\n    - lonely\n",
            "short form 2: 'to' is not two texts (quote them)",
        ),
        (
            "categories:\n  worry:\n    - scared {when}\n",
            "safeguarding phrase 'scared {when}': no group called 'when'",
        ),
        ("categories:\n  worry: lonely\n", "category worry: expected a list of phrases"),
        (
            "groups:\n  when: [1]\ncategories:\n  worry:\n    - scared {when}\n",
            "group when: 1 is not text (quote it)",
        ),
    ],
)
def test_list_that_yaml_misreads_is_refused(tmp_path, body, message):
    """A phrase YAML would misread is refused, saying where; never turned into 'False'."""
    path = tmp_path / "phrases.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError) as refused:
        load_phrase_list(path)
    assert str(refused.value) == message


def test_folding():
    """Case, apostrophes, look-alike digits, signs and spaced-out letters are read alike."""
    assert fold("I’M  Being\nHURT!!") == "im being hurt"
    assert fold("k i l l  my-self") == "kill my self"
    assert fold("su1c1de $elf h4rm 100% 2 b4") == "suicide self harm 100 2 ba"
    assert collapse("killl bullied") == "kil bulied"


def test_long_text_is_checked_to_the_end():
    """A 10,000-character message is checked to its last words."""
    text = "school is fine " * 700 + "but they hit me"
    found = PHRASES.find(text)
    assert found is not None and found.category == "being_hit"


FILLER = st.lists(
    st.sampled_from(["school", "today", "and", "then", "the", "lunch", "really", "ok", "so"]),
    max_size=6,
).map(" ".join)


@given(before=FILLER, after=FILLER, case=st.sampled_from(MUST_FLAG))
def test_must_flag_inside_other_words_still_flags(before, after, case):
    """A call for help among ordinary words flags the same."""
    text, _, category = case
    found = PHRASES.find(f"{before} {text}. {after}")
    assert found is not None and found.category == category


@given(case=st.sampled_from(MUST_FLAG), data=st.data())
def test_must_flag_in_capitals_or_stretched_still_flags(case, data):
    """Capitals, curly apostrophes and letters typed many times do not hide a call for help."""
    text, _, category = case
    text = text.replace("'", "\u2019")
    words = text.split(" ")
    index = data.draw(st.integers(0, len(words) - 1))
    word = words[index]
    letters = [at for at, char in enumerate(word) if char.isalpha()]
    if len(word) > 1 and letters:  # one-letter words may be spelled out: "k m s"
        at = data.draw(st.sampled_from(letters))
        words[index] = word[:at] + word[at] * 5 + word[at + 1 :]
    text = " ".join(words)
    if data.draw(st.booleans()):
        text = text.upper()
    found = PHRASES.find(text)
    assert found is not None and found.category == category, text


@given(st.text())
def test_any_text_folds_and_is_checked(text):
    """Any text at all is folded to single-spaced words and checked without an error."""
    phrases = PHRASES
    plain = phrases.words(text)
    assert plain == plain.strip() and "  " not in plain
    phrases.find(text)


def test_phrases_are_listed_as_written():
    """phrases() gives each phrase with its category, a * kept only where it was written."""
    phrases = PhraseList(
        {"bullying": ["bully*", "picked on"], "harm": ["hurt {who}"]},
        groups={"who": ["me", "myself"]},
    )
    assert phrases.phrases() == [
        ("bullying", "bully*"),
        ("bullying", "picked on"),
        ("harm", "hurt me"),
        ("harm", "hurt myself"),
    ]
    # A phrase with * keeps the ending typed; the others keep their words.
    assert phrases.find("they keep bullying me") == Match("bullying", "bullying")
    assert phrases.find("BULLY") == Match("bullying", "bully")
    assert phrases.find("i got picked on") == Match("bullying", "picked on")


def test_a_short_form_needs_a_meaning_and_the_first_one_wins():
    """A short form with no meaning is left out; one written twice keeps its first meaning."""
    phrases = PhraseList(
        {"harm": ["hate school", "hurt me"]},
        short_forms={"xx": "", "hm": "hurt me", "h m": "hate me"},
    )
    assert phrases.find("i hate xx school") is None  # "xx" is not taken away
    found = phrases.find("they hm")  # "h m" is "hm" again: the first meaning stands
    assert found is not None and found.phrase == "hurt me"
    assert phrases.find("they h m") is None  # the second one is not read at all


def test_digits_in_a_phrase_are_read_exactly():
    """Letters may be typed many times ("killl"); digits may not: 9999 is not 999."""
    phrases = PhraseList({"emergency": ["call 999"]})
    assert phrases.find("I had to call 999") == Match("emergency", "call 999")
    assert phrases.find("calll 999") == Match("emergency", "call 999")
    assert phrases.find("call 9999") is None
    assert phrases.find("call 99") is None


def test_an_empty_list_finds_nothing():
    """A list with no phrases (or only empty ones) flags nothing, and never fails."""
    for phrases in (PhraseList({}), PhraseList({"worry": ["", "  "]})):
        assert phrases.find("I want to die") is None
        assert len(phrases) == 0
    # A group word that folds to nothing ("!!") is left out; the words after it are kept.
    after_an_empty_one = PhraseList({"worry": ["{w}"]}, groups={"w": ["!!", "lonely"]})
    assert len(after_an_empty_one) == 1
    assert after_an_empty_one.find("so lonely") == Match("worry", "lonely")


def test_words_run_together_match_the_phrase_written_that_way():
    """ "burnt themselves" and "burn themselves" run together read the same; typed apart,
    each is its own phrase, so the one typed is the one flagged."""
    phrases = PhraseList({"harm": ["burn themselves"], "worry": ["burnt themselves"]})
    assert phrases.find("they burnt themselves") == Match("worry", "burnt themselves")
    assert phrases.find("they burn themselves") == Match("harm", "burn themselves")


def test_the_longest_starred_phrase_wins():
    """ "self harm*" is chosen over "self*" for "selfharming", whichever is listed first."""
    phrases = PhraseList({"worry": ["self*"], "harm": ["self harm*"]})
    assert phrases.find("selfharming") == Match("harm", "self harming")


def test_the_most_serious_category_wins_wherever_it_comes_in_the_message():
    """Categories are listed most serious first; a message naming a less serious one first
    is still flagged under the most serious it holds."""
    phrases = PhraseList({"first": ["want to die"], "second": ["feel sad"], "third": ["bored"]})
    found = [
        phrases.find(text)
        for text in ("i feel sad and i want to die", "bored, i feel sad, bored", "bored bored")
    ]
    assert [f.category if f else None for f in found] == ["first", "second", "third"]


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("i`m sad", "im sad"),  # a backtick typed as an apostrophe
        ("I\u2033m sad", "im sad"),  # a double prime: NFKC makes two primes, both dropped
        ("kill\U0001f600myself", "kill myself"),  # an emoji between words is a space
        ("i want to die\U0001f622", "i want to die"),
    ],
)
def test_signs_inside_words_are_read_as_people_mean_them(typed, read):
    """Apostrophe look-alikes join a word; emoji and other signs part words."""
    assert fold(typed) == read
