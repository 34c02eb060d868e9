"""The engine's own words, in plain English (Easy Read: short sentences, one idea each).

Text channels (SMS, the terminal) are answered with words such as SKIP and STOP. Channels
with buttons (the web chat) never ask anyone to send a word: each reply that names one has
a *_BUTTONS twin, and `on_channel` picks the right one.
"""

STOPPED = "You have stopped. We will not send you any more messages. Send START to come back."
STOPPED_BUTTONS = "You have stopped. We will not send you any more messages."
WELCOME_BACK = "Welcome back. Here is where you were."
WELCOME_BACK_NOTHING = "Welcome back. To start a check-in, send the code from your group."
HELP_ABOUT = "Voicebox asks what is good and not good for you."  # a flow's `help:` replaces it
HELP_HOW = (
    "Send SKIP to skip a question, or STOP to stop. "
    "To talk to a person, ask someone who runs your group."
)
HELP_HOW_BUTTONS = (
    "Press Skip to skip a question, or Stop to stop. "
    "To talk to a person, ask someone who runs your group."
)
HELP = f"{HELP_ABOUT} {HELP_HOW}"
HELP_BUTTONS = f"{HELP_ABOUT} {HELP_HOW_BUTTONS}"
JOIN_HINT = "Hi, this is Voicebox. To start, send the code your group gave you."
CLOSED = "Sorry, this check-in has closed. Thank you for wanting to take part."
NOT_YET = "This check-in opens on {day}. Please come back then."
FINISHED = "Your check-in is finished. Thank you! To start again, send {code}."
REPLY_TO_REPORT = "Thank you for your reply. The people who run this group will read it."
REASK_CHOICE = "Sorry, I did not get that. Please send a number from 1 to {count}."
REASK_CHOICE_BUTTONS = "Sorry, I did not get that. Please press one of the buttons."
REASK_TEXT = "Sorry, I can only read words. Please type your answer, or send SKIP."
REASK_TEXT_BUTTONS = "Please type your answer, or press Skip."
REASK_CARDS = "Sorry, I did not get that. Send the numbers you choose, like 1 3. Or send SKIP."
REASK_CARDS_BUTTONS = "Please choose one or more pictures, then press Done. Or press Skip."
OFFER_SKIP = "Sorry, I still did not get that. You can send SKIP to go to the next question."
OFFER_SKIP_BUTTONS = "Sorry, I still did not get that. You can press Skip to go on."
CONSENT_FIRST = "Please choose yes or no first. You can send STOP to stop."
CONSENT_FIRST_BUTTONS = "Please choose yes or no first."
NOTHING_TO_GO_BACK_TO = "There is nothing to go back to."
GOING_BACK = "OK, let us go back."
EARLIER = "Your answer was: {answer}. Send a new answer, or send SKIP to keep it."
EARLIER_BUTTONS = "Your answer was: {answer}. Give a new answer, or press Skip to keep it."
OLD_BUTTON = "That button was for an earlier question. Here is the question now."
MEDIA_ONLY = "Thank you. I can only read words, not pictures or sounds."
LONG_ANSWER = "Thank you. Your message was long, so I kept the first {limit} letters."
MOVED = "OK. You have moved to the check-in with the code {code}. Your other answers are kept."
ALREADY_HERE = "You are already in this check-in. Here is where you were."
SAFEGUARDING = (
    "Thank you for telling me. I cannot keep this secret, so a person from your group "
    "will read it. You can call Childline free on 0800 1111, or 999 in an emergency."
)

ON_BUTTONS = {
    STOPPED: STOPPED_BUTTONS,
    HELP: HELP_BUTTONS,
    HELP_HOW: HELP_HOW_BUTTONS,
    REASK_CHOICE: REASK_CHOICE_BUTTONS,
    REASK_TEXT: REASK_TEXT_BUTTONS,
    REASK_CARDS: REASK_CARDS_BUTTONS,
    OFFER_SKIP: OFFER_SKIP_BUTTONS,
    CONSENT_FIRST: CONSENT_FIRST_BUTTONS,
    EARLIER: EARLIER_BUTTONS,
}


def on_channel(text: str, buttons: bool) -> str:
    """The words for a channel: the *_BUTTONS twin where the channel has buttons."""
    return ON_BUTTONS.get(text, text) if buttons else text


def help_words(about: str | None, buttons: bool) -> str:
    """HELP: what the check-in asks about (a flow's `help:`), then how to skip, stop and
    reach a person, in the channel's words."""
    return f"{about or HELP_ABOUT} {on_channel(HELP_HOW, buttons)}"
