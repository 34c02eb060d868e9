"""The engine's own words, in plain English (Easy Read: short sentences, one idea each)."""

STOPPED = "You have stopped. We will not send you any more messages. Send START to come back."
WELCOME_BACK = "Welcome back. Here is where you were."
WELCOME_BACK_NOTHING = "Welcome back. To start a check-in, send the code from your group."
HELP = (
    "Voicebox asks what is good and not good for you. "
    "Send SKIP to skip a question, or STOP to stop. "
    "To talk to a person, ask a grown-up who helps your group."
)
JOIN_HINT = "Hi, this is Voicebox. To start, send the code your group gave you."
CLOSED = "Sorry, this check-in has closed. Thank you for wanting to take part."
FINISHED = "Your check-in is finished. Thank you! To start again, send {code}."
REASK_CHOICE = "Sorry, I did not get that. Please send a number from 1 to {count}."
REASK_TEXT = "Sorry, I can only read words. Please type your answer, or send SKIP."
OFFER_SKIP = "That is OK. Send SKIP to go to the next question, or a number from 1 to {count}."
CONSENT_FIRST = "Please choose yes or no first. You can send STOP to stop."
NOTHING_TO_GO_BACK_TO = "There is nothing to go back to."
GOING_BACK = "OK, let us go back. You can change your answer."
OLD_BUTTON = "That button was for an earlier question. Here is the question now."
MEDIA_ONLY = "Thank you. I can only read words, not pictures or sounds."
LONG_ANSWER = "Thank you. Your message was long, so I kept the first {limit} letters."
SAFEGUARDING = (
    "Thank you for telling me. I cannot keep this secret, so a grown-up will read it. "
    "You can call Childline free on 0800 1111, or 999 in an emergency."
)
