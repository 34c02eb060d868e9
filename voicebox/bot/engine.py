"""The conversation engine: one inbound message in, replies and changes out."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

from voicebox.bot import replies
from voicebox.bot.codes import JOIN_CODE, candidate_codes
from voicebox.bot.machines import FlowMachine
from voicebox.bot.matching import DIGIT_WORDS, choice_index, match_choice
from voicebox.bot.messages import (
    ChoiceOption,
    InboundMessage,
    OutboundMessage,
    button_payload,
    read_payload,
)
from voicebox.bot.ports import ConversationStore, TurnContext
from voicebox.bot.results import Question, TurnResult
from voicebox.bot.safeguarding import PhraseList, default_phrase_list
from voicebox.bot.state import (
    Answer,
    ConsultationRef,
    ConversationState,
    Flag,
    Outcome,
    answer_slot,
)
from voicebox.bot.words import command_word, is_stop_phrase, is_yes, said_back
from voicebox.flows import Choice, Flow, Step

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 2000  # longer answers are cut here, and the person is told
MAX_REASKS = 2  # unmatched input re-asks this many times, then offers SKIP as well
MAX_HISTORY = 60  # how many questions BACK can return through
MAX_GIVEN = 200  # earlier answers remembered for BACK (questions x topics; a bound)
MAX_TOPIC_CHARS = 100  # a typed topic, as kept in the export
# A question names its topic; when there is none, or the typed one is too long, it names
# this. A typed topic goes into questions when it is no longer than this stand-in, so the
# stand-in's length is the one `flows check` tries on every question with {topic}.
TYPED_TOPIC = "this part of your life"
MAX_ABOUT_CHARS, MAX_ABOUT_WORDS = len(TYPED_TOPIC), 6
EARLIER_CHARS = 60  # an earlier answer is shown up to this long
_CARD_SPLIT = re.compile(r"(?:[\s,;.&+/]|\band\b)+")
_MAX_ASKED = 4096  # questions remembered per flow (steps x topics; a bound, not a target)


class UnknownFlow(LookupError):
    """A consultation names a flow this process does not have."""


class _CompiledFlow:
    """A flow with its machine and choice indexes, built once per process."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.machine = FlowMachine(flow)
        self.indexes = {step.id: choice_index(step) for step in flow.steps.values()}
        # A question's message and Question depend only on the step and the topic's words,
        # and both are immutable: each is made once, not on every message.
        self._asked: dict[tuple[str, str | None, bool], tuple[OutboundMessage, Question]] = {}

    def question(
        self, step: Step, about: str | None, buttons: bool = False
    ) -> tuple[OutboundMessage, Question]:
        """A question step as the message that asks it and as the open Question."""
        found = self._asked.get((step.id, about, buttons))
        if found is None:
            message = question_message(step, about, buttons)
            kind = "consent" if step.type == "consent" else (message.expects or "text")
            hint = "" if buttons or not step.hint else render_text(step.hint, about)
            question = Question(step.id, kind, render_text(step.text, about), message.choices, hint)
            found = (message, question)
            if len(self._asked) < _MAX_ASKED:
                self._asked[(step.id, about, buttons)] = found
        return found


class Engine:
    """Runs check-ins. It never sends: it returns what to say."""

    def __init__(
        self,
        flows: Iterable[Flow],
        store: ConversationStore | None = None,
        phrases: PhraseList | None = None,
    ) -> None:
        self._flows: dict[str, _CompiledFlow] = {}
        for flow in flows:
            known = self._flows.get(flow.id)
            if known is None or known.flow.version < flow.version:
                self._flows[flow.id] = _CompiledFlow(flow)
        self._by_id = MappingProxyType({fid: c.flow for fid, c in self._flows.items()})
        self.store = store
        self.phrases = phrases if phrases is not None else default_phrase_list()

    @property
    def flows(self) -> Mapping[str, Flow]:
        """Every flow this engine runs (the newest version of each), by id."""
        return self._by_id

    def has_flow(self, flow_id: str) -> bool:
        """True when this engine can run the flow."""
        return flow_id in self._flows

    def _compiled(self, flow_id: str) -> _CompiledFlow:
        try:
            return self._flows[flow_id]
        except KeyError:
            raise UnknownFlow(flow_id) from None

    def handle(self, inbound: InboundMessage) -> TurnResult:
        """Handle one message in one store transaction; say what happened and what to say."""
        if self.store is None:
            raise RuntimeError("this engine has no store; use resume()")
        with self.store.begin(inbound) as turn:
            context = turn.context
            if context.duplicate:  # handled the first time it came: change nothing
                found = self._describe(
                    context.conversation, context.participant.opted_out, True, inbound.buttons
                )
                return replace(found, earlier_replies=context.earlier_replies)
            if inbound.consultation and not (context.named and context.named.open):
                return self._refuse(context.named)
            outcome = self.resume(context, inbound)
            turn.save(outcome)
        return self.result(context, outcome, inbound.buttons)

    def describe(
        self, state: ConversationState | None, opted_out: bool, buttons: bool = False
    ) -> TurnResult:
        """Where a person is, with nothing new to say: for pages that show a check-in."""
        return self._describe(state, opted_out, False, buttons)

    def opening(self, ref: ConsultationRef, buttons: bool = False) -> TurnResult:
        """What starting this check-in says and asks, worked out without storing anything:
        for a page that shows it before the person's first answer."""
        outcome = Outcome()
        self._begin(ref, buttons, outcome)
        state = outcome.conversation
        return TurnResult(
            replies=tuple(outcome.replies),
            question=self._open_question(state, False, buttons),
            consultation=ref,
            consent=state.consent if state is not None else None,
            ended=state.ended if state is not None else False,
            started=outcome.started,
        )

    def result(self, context: TurnContext, outcome: Outcome, buttons: bool = False) -> TurnResult:
        """The result of a worked-out outcome, for the channel to render."""
        state = outcome.conversation or context.conversation
        opted_out = context.participant.opted_out
        if outcome.opted_out is not None:
            opted_out = outcome.opted_out
        return TurnResult(
            replies=tuple(outcome.replies),
            question=self._open_question(state, opted_out, buttons),
            consultation=state.consultation if state is not None else context.named,
            consent=state.consent if state is not None else None,
            ended=state.ended if state is not None else False,
            opted_out=opted_out,
            started=outcome.started,
            chosen=outcome.chosen,
            chosen_cards=outcome.chosen_cards,
        )

    def _describe(
        self, state: ConversationState | None, opted_out: bool, duplicate: bool, buttons: bool
    ) -> TurnResult:
        return TurnResult(
            question=self._open_question(state, opted_out, buttons),
            consultation=state.consultation if state is not None else None,
            consent=state.consent if state is not None else None,
            ended=state.ended if state is not None else False,
            opted_out=opted_out,
            duplicate=duplicate,
        )

    def _refuse(self, named: ConsultationRef | None) -> TurnResult:
        """The channel named a check-in that is unknown or closed: nothing is kept."""
        text = replies.CLOSED if named is not None else replies.JOIN_HINT
        return TurnResult(replies=(OutboundMessage(text, purpose="notice"),), consultation=named)

    def _open_question(
        self, state: ConversationState | None, opted_out: bool, buttons: bool
    ) -> Question | None:
        """The question waiting for this person's answer, with any earlier answer to it."""
        if state is None or state.ended or opted_out:
            return None
        compiled = self._flows.get(state.consultation.flow_id)
        if compiled is None:
            return None
        step = compiled.flow.steps.get(state.step)
        if step is None or not step.is_question:
            return None
        question = compiled.question(step, state.about, buttons)[1]
        given = state.given.get(answer_slot(step.id, state.topic))
        if given is None:
            return question
        keys = tuple(str(key) for key in given.get("keys", ()))
        return replace(question, earlier=keys, earlier_text=str(given.get("text", "")))

    # -- the pure part -------------------------------------------------------------

    def resume(self, context: TurnContext, inbound: InboundMessage) -> Outcome:
        """Work out the outcome of one message, given what the store read."""
        outcome = Outcome()
        text = inbound.text or ""
        command = command_word(text)
        if inbound.opt_out in ("stop", "start", "help"):
            command = inbound.opt_out
        state = context.conversation
        opening = self._shown_opening(context, inbound)
        if opening is not None:  # the page showed the opening: this answers its question
            state = opening
        # Every message is checked, stop words and messages after STOP included.
        self._check_safeguarding(text, state, outcome)
        if context.participant.opted_out:
            if command == "start" or is_yes(text):
                outcome.opted_out = False
                self._care(outcome)
                if self._live(state) or not inbound.consultation:
                    self._welcome_back(state, inbound.buttons, outcome)
                else:  # START on a check-in's own page: begin it again
                    self._join(context, inbound, text, command, outcome)
            return outcome  # after STOP, nothing at all is said until START
        self._care(outcome)
        if command == "stop" or (not outcome.flags and is_stop_phrase(text)):
            outcome.opted_out = True
            text = replies.on_channel(replies.STOPPED, inbound.buttons)
            outcome.replies.append(OutboundMessage(text, purpose="stop"))
            return outcome
        if state is None or state.ended or self._switching(state, inbound):
            self._join(context, inbound, text, command, outcome)
            return outcome
        if opening is not None:
            outcome.started = True
        self._converse(context, state, inbound, text, command, outcome)
        return outcome

    def _shown_opening(
        self, context: TurnContext, inbound: InboundMessage
    ) -> ConversationState | None:
        """A new check-in at its first question, when the channel showed its opening to a
        person with no conversation in it: their message is the answer to that question."""
        ref = context.named
        if not inbound.opening_shown or context.conversation is not None:
            return None
        if ref is None or not ref.open or not self.has_flow(ref.flow_id):
            return None
        if context.participant.opted_out:  # after STOP only START counts, as anywhere
            return None
        said = Outcome()  # the opening was said already: it is not said again
        self._begin(ref, inbound.buttons, said)
        state = said.conversation
        if state is None or state.ended:
            return None
        return state

    def _live(self, state: ConversationState | None) -> bool:
        """True when the person is part-way through a check-in this engine can run."""
        return state is not None and not state.ended and self.has_flow(state.consultation.flow_id)

    def _switching(self, state: ConversationState, inbound: InboundMessage) -> bool:
        code = inbound.consultation
        return code is not None and code.upper() != state.consultation.code.upper()

    def _check_safeguarding(
        self, text: str, state: ConversationState | None, outcome: Outcome
    ) -> None:
        found = self.phrases.find(text) if text else None
        if found is None:
            return
        step_id = state.step if state is not None and not state.ended else None
        outcome.flags.append(Flag(category=found.category, phrase=found.phrase, step_id=step_id))

    def _care(self, outcome: Outcome) -> None:
        """The caring reply to a flagged message, first of everything said."""
        if outcome.flags:
            outcome.replies.append(OutboundMessage(replies.SAFEGUARDING, purpose="safeguarding"))

    def _welcome_back(
        self, state: ConversationState | None, buttons: bool, outcome: Outcome
    ) -> None:
        if state is None or not self._live(state):
            outcome.replies.append(OutboundMessage(replies.WELCOME_BACK_NOTHING, purpose="start"))
            return
        self._tell_and_ask(state, replies.WELCOME_BACK, buttons, outcome, "start")

    def _join(
        self,
        context: TurnContext,
        inbound: InboundMessage,
        text: str,
        command: str | None,
        outcome: Outcome,
    ) -> None:
        ref = None
        if inbound.consultation:
            ref = context.named
        elif command is None:
            for code in candidate_codes(text):
                ref = context.find_consultation(code)
                if ref is not None:
                    break
        state = context.conversation
        if ref is None:
            if command == "help":
                words = replies.help_words(None, inbound.buttons)
                outcome.replies.append(OutboundMessage(words, purpose="help"))
            elif state is not None and state.ended and context.heard_back:
                if not outcome.flags:  # the caring words already say a person will read it
                    reply = OutboundMessage(replies.REPLY_TO_REPORT, purpose="notice")
                    outcome.replies.append(reply)
            elif state is not None and state.ended:
                message = replies.FINISHED.format(code=state.consultation.code)
                outcome.replies.append(OutboundMessage(message, purpose="notice"))
            elif not outcome.flags:
                outcome.replies.append(OutboundMessage(replies.JOIN_HINT, purpose="notice"))
            return
        self._begin(ref, inbound.buttons, outcome)

    def _begin(self, ref: ConsultationRef, buttons: bool, outcome: Outcome) -> None:
        """Start the check-in from its first step (or say it is closed)."""
        if not ref.open or not self.has_flow(ref.flow_id):
            if not self.has_flow(ref.flow_id):
                log.error("consultation %s names unknown flow %s", ref.code, ref.flow_id)
            words = replies.NOT_YET.format(day=ref.opens_on) if ref.opens_on else replies.CLOSED
            outcome.replies.append(OutboundMessage(words, purpose="notice"))
            return
        compiled = self._compiled(ref.flow_id)
        new_state = ConversationState(consultation=ref, step=compiled.flow.start)
        outcome.started = True
        outcome.conversation = new_state
        if ref.intro:  # the group's own words; on SMS they give way if the texts are full
            outcome.replies.append(OutboundMessage(ref.intro, purpose="flow"))
        self._advance(compiled, new_state, compiled.flow.start, buttons, outcome)

    def _other_checkin(
        self, context: TurnContext, state: ConversationState, step: Step, text: str
    ) -> ConsultationRef | None:
        """The open check-in a mid-check-in message moves to, by the rule in docs/conversation.md.

        "join CODE" always moves. A message that is exactly an open check-in's code moves,
        unless it also answers this choice question and is not written in capitals.
        """
        words = text.split()
        joining = len(words) == 2 and words[0].casefold() == "join"
        if not (joining or len(words) == 1):
            return None
        code = words[-1]
        if not JOIN_CODE.match(code.upper()):
            return None
        if not joining and step.has_options and not code.isupper():
            compiled = self._compiled(state.consultation.flow_id)
            if match_choice(step, code, compiled.indexes[step.id]) is not None:
                return None
        found = context.find_consultation(code)
        if found is None or not found.open:
            return None
        return found

    def _converse(
        self,
        context: TurnContext,
        state: ConversationState,
        inbound: InboundMessage,
        text: str,
        command: str | None,
        outcome: Outcome,
    ) -> None:
        buttons = inbound.buttons
        if not state.consultation.open or not self.has_flow(state.consultation.flow_id):
            outcome.replies.append(OutboundMessage(replies.CLOSED, purpose="notice"))
            state.ended = True
            outcome.conversation = state
            return
        compiled = self._compiled(state.consultation.flow_id)
        flow = compiled.flow
        step = flow.steps.get(state.step)
        if step is None:  # the flow changed under a live conversation: start it again
            log.warning("step %s is not in flow %s; starting again", state.step, flow.id)
            state.step = flow.start
            outcome.conversation = state
            self._advance(compiled, state, flow.start, buttons, outcome)
            return
        outcome.conversation = state
        if not step.is_question:  # saved on a say step (the flow changed): carry on from it
            self._advance(compiled, state, step.id, buttons, outcome)
            return
        outcome.in_reply_to = step.id
        if command == "start" and command_word(text) == "start":  # not stopped: where they are
            self._ask(state, buttons, outcome)
            return
        if command == "help":
            words = replies.help_words(flow.help, buttons)
            self._tell_and_ask(state, words, buttons, outcome, "help")
            return
        if inbound.pressed_on and context.button_passed:  # Help and Stop work on any message
            self._tell_and_ask(state, replies.OLD_BUTTON, buttons, outcome, "reask")
            return
        if command == "back":
            self._go_back(state, buttons, outcome)
            return
        if command == "skip":
            self._skip(compiled, state, step, buttons, outcome)
            return
        if command is None and not inbound.payload:
            other = self._other_checkin(context, state, step, text.strip())
            if other is not None:
                if other.code == state.consultation.code:
                    self._tell_and_ask(state, replies.ALREADY_HERE, buttons, outcome, "notice")
                    return
                outcome.in_reply_to = None
                outcome.conversation = None
                moved = replies.MOVED.format(code=other.code)
                outcome.replies.append(OutboundMessage(moved, purpose="notice"))
                self._begin(other, buttons, outcome)
                return
        if step.is_cards:
            self._answer_cards(compiled, state, step, inbound, text, outcome)
        elif step.has_choices:
            self._answer_choice(compiled, state, step, inbound, text, outcome)
        else:
            self._answer_text(compiled, state, step, inbound, text, outcome)

    def _skip(
        self,
        compiled: _CompiledFlow,
        state: ConversationState,
        step: Step,
        buttons: bool,
        outcome: Outcome,
    ) -> None:
        """SKIP leaves a question unanswered; an earlier answer is kept and leads on as before."""
        if step.type == "consent":
            self._tell_and_ask(state, replies.CONSENT_FIRST, buttons, outcome, "reask")
            return
        earlier = state.given.get(answer_slot(step.id, state.topic))
        self._remember(state, step)
        if earlier is None:
            target = compiled.machine.fire(step.id, "skip")
        elif step.has_choices:
            key = earlier["keys"][0] if earlier["keys"] else ""
            choice = next((c for c in step.choices if c.key == key), None)
            if choice is not None:
                _take_topic(state, choice)
            target = compiled.machine.fire(step.id, "answer", key=key)
            if target == step.id:  # the earlier answer no longer leads anywhere
                target = compiled.machine.fire(step.id, "skip")
        else:
            if step.sets_topic:
                self._set_topic(state, str(earlier.get("text", "")))
            target = compiled.machine.fire(step.id, "answer", text="kept", keys=("kept",))
        self._advance(compiled, state, target, buttons, outcome)

    def _answer_choice(
        self,
        compiled: _CompiledFlow,
        state: ConversationState,
        step: Step,
        inbound: InboundMessage,
        text: str,
        outcome: Outcome,
    ) -> None:
        choice: Choice | None = None
        if inbound.payload:
            step_id, _, key = inbound.payload.partition(":")
            if step_id != step.id:
                self._tell_and_ask(state, replies.OLD_BUTTON, inbound.buttons, outcome, "reask")
                return
            choice = next((c for c in step.choices if c.key == key), None)
        else:
            choice = match_choice(step, text, compiled.indexes[step.id])
        if choice is None:
            self._reask(state, step, inbound, text, outcome)
            return
        outcome.chosen = choice_option(step, choice)
        question = self._render(step.text, state)
        slot = answer_slot(step.id, state.topic)
        if step.type != "consent":  # BACK never returns to consent: it is not a question
            self._remember(state, step)
        if step.type == "consent":
            state.consent = "given" if choice.key == "yes" else "declined"
            outcome.forget = choice.key == "no"
        elif step.records == "report_back":
            outcome.report_back = choice.key == "yes"
        _take_topic(state, choice)
        rows = [(choice.words, choice.key)] if step.keeps_answer else []
        self._keep(state, step, slot, question, rows, [choice.key], "", outcome)
        target = compiled.machine.fire(step.id, "answer", key=choice.key)
        self._advance(compiled, state, target, inbound.buttons, outcome)

    def _answer_cards(
        self,
        compiled: _CompiledFlow,
        state: ConversationState,
        step: Step,
        inbound: InboundMessage,
        text: str,
        outcome: Outcome,
    ) -> None:
        words = text.strip()
        if inbound.payload is not None:
            step_id, keys = read_payload(inbound.payload)
            by_key = {choice.key: choice for choice in step.choices}
            if step_id != step.id or any(key not in by_key for key in keys):
                self._tell_and_ask(state, replies.OLD_BUTTON, inbound.buttons, outcome, "reask")
                return
            cards = [by_key[key] for key in keys]
        else:
            picked = pick_cards(step, words, compiled.indexes[step.id])
            if picked is None:
                self._reask(state, step, inbound, text, outcome)
                return
            cards = picked
            if cards:
                words = ""  # the message was the numbers or a card's own words
        if not cards and not words:
            self._reask(state, step, inbound, text, outcome)
            return
        words = self._cut(words, outcome)
        outcome.chosen_cards = tuple(choice_option(step, card) for card in cards)
        slot = answer_slot(step.id, state.topic)
        self._remember(state, step)
        rows = [(card.words, card.key) for card in cards]
        if words:
            rows.append((words, ""))
        question = self._render(step.text, state)
        keys = [card.key for card in cards]
        self._keep(state, step, slot, question, rows, keys, words, outcome)
        target = compiled.machine.fire(step.id, "answer", keys=tuple(keys), text=words)
        self._advance(compiled, state, target, inbound.buttons, outcome)

    def _answer_text(
        self,
        compiled: _CompiledFlow,
        state: ConversationState,
        step: Step,
        inbound: InboundMessage,
        text: str,
        outcome: Outcome,
    ) -> None:
        answer = text.strip()
        if not answer:
            self._reask(state, step, inbound, text, outcome)
            return
        answer = self._cut(answer, outcome)
        question = self._render(step.text, state)
        slot = answer_slot(step.id, state.topic)
        self._remember(state, step)
        if step.sets_topic:
            self._set_topic(state, answer)
        rows = [(answer, "")] if step.keeps_answer else []
        self._keep(state, step, slot, question, rows, [], answer, outcome)
        target = compiled.machine.fire(step.id, "answer", text=answer)
        self._advance(compiled, state, target, inbound.buttons, outcome)

    def _cut(self, answer: str, outcome: Outcome) -> str:
        """An answer no longer than the engine keeps; the person is told when it is cut."""
        if len(answer) <= MAX_ANSWER_CHARS:
            return answer
        message = replies.LONG_ANSWER.format(limit=f"{MAX_ANSWER_CHARS:,}")
        outcome.replies.append(OutboundMessage(message, purpose="notice"))
        return answer[:MAX_ANSWER_CHARS]

    def _set_topic(self, state: ConversationState, typed: str) -> None:
        """The words a person typed for "something else" become the topic."""
        typed = " ".join(typed.split())
        if not typed:
            return
        state.topic = typed[:MAX_TOPIC_CHARS]
        about = said_back(typed)
        short = len(about) <= MAX_ABOUT_CHARS and len(about.split()) <= MAX_ABOUT_WORDS
        state.about = about if short else TYPED_TOPIC

    def _keep(
        self,
        state: ConversationState,
        step: Step,
        slot: str,
        question: str,
        rows: list[tuple[str, str]],
        keys: list[str],
        words: str,
        outcome: Outcome,
    ) -> None:
        """Keep a question's new answer in place of its earlier one, as export rows and state."""
        earlier = state.given.pop(slot, None)
        if earlier is not None:
            outcome.retracted.extend(int(seq) for seq in earlier.get("seqs", ()))
        seqs: list[int] = []
        topic = step.topic or state.topic or ""
        for answer, key in rows:
            outcome.answers.append(
                Answer(
                    seq=state.seq,
                    question_id=step.id,
                    question=question,
                    answer=answer,
                    answer_key=key,
                    kind=step.kind or "choice",
                    topic=topic,
                )
            )
            seqs.append(state.seq)
            state.seq += 1
        state.given[slot] = {"seqs": seqs, "keys": keys, "text": words[:MAX_ANSWER_CHARS]}
        while len(state.given) > MAX_GIVEN:  # oldest first; its rows stay in the export
            del state.given[next(iter(state.given))]

    def _remember(self, state: ConversationState, step: Step) -> None:
        """Note a question left behind (answered or skipped), so BACK can return to it."""
        state.history.append([step.id, state.topic, state.about])
        del state.history[:-MAX_HISTORY]

    def _reask(
        self,
        state: ConversationState,
        step: Step,
        inbound: InboundMessage,
        text: str,
        outcome: Outcome,
    ) -> None:
        """Say kindly that the message did not answer, then always ask the question again."""
        state.retries += 1
        buttons = inbound.buttons
        if outcome.flags and text.strip():
            # They told us something worrying; the caring reply is already there.
            self._ask(state, buttons, outcome)
            return
        if step.type == "consent":
            hint = replies.CONSENT_FIRST if state.retries > MAX_REASKS else replies.REASK_CHOICE
        elif state.retries > MAX_REASKS:
            hint = replies.OFFER_SKIP
        elif inbound.has_media and not text.strip():
            hint = replies.MEDIA_ONLY
        elif step.is_cards:
            hint = replies.REASK_CARDS
        elif step.has_choices:
            hint = replies.REASK_CHOICE
        else:
            hint = replies.REASK_TEXT
        words = replies.on_channel(hint, buttons).format(count=len(step.choices))
        outcome.replies.append(OutboundMessage(words, purpose="reask"))
        self._ask(state, buttons, outcome)

    def _go_back(self, state: ConversationState, buttons: bool, outcome: Outcome) -> None:
        """BACK returns to the question before, showing the answer given; nothing is lost."""
        if not state.history:
            self._tell_and_ask(state, replies.NOTHING_TO_GO_BACK_TO, buttons, outcome, "reask")
            return
        step_id, topic, about = state.history.pop()
        state.step, state.topic, state.about, state.retries = step_id, topic, about, 0
        self._tell_and_ask(state, replies.GOING_BACK, buttons, outcome, "reask")

    def _advance(
        self,
        compiled: _CompiledFlow,
        state: ConversationState,
        step_id: str,
        buttons: bool,
        outcome: Outcome,
    ) -> None:
        """Enter a step: say what it says, pass through say steps, stop at a question or end."""
        flow = compiled.flow
        state.retries = 0
        for _ in range(len(flow.steps) + 1):  # a say-loop cannot spin forever
            state.step = step_id
            step = flow.step(step_id)
            if step.type == "say":
                words = step.text if buttons else step.full_text
                message = OutboundMessage(self._render(words, state), step_id=step.id)
                outcome.replies.append(message)
                step_id = compiled.machine.fire(step.id, "proceed")
                continue
            if step.is_end:
                state.ended = True
                message = OutboundMessage(
                    self._render(step.text, state), step_id=step.id, purpose="end"
                )
                outcome.replies.append(message)
                return
            self._ask(state, buttons, outcome)
            return
        raise RuntimeError(f"flow {flow.id} loops through say steps without a question")

    def _tell_and_ask(
        self, state: ConversationState, text: str, buttons: bool, outcome: Outcome, purpose: str
    ) -> None:
        """Say something short, then ask the current question again."""
        words = replies.on_channel(text, buttons)
        outcome.replies.append(OutboundMessage(words, purpose=purpose))
        self._ask(state, buttons, outcome)

    def _ask(self, state: ConversationState, buttons: bool, outcome: Outcome) -> None:
        """Ask the current question; when it was answered before, first say that answer."""
        compiled = self._compiled(state.consultation.flow_id)
        step = compiled.flow.step(state.step)
        earlier = self._earlier(step, state)
        if earlier:
            words = replies.on_channel(replies.EARLIER, buttons).format(answer=earlier)
            outcome.replies.append(OutboundMessage(words, purpose="earlier"))
        outcome.replies.append(compiled.question(step, state.about, buttons)[0])

    def _earlier(self, step: Step, state: ConversationState) -> str:
        """The answer given to this question before, in short words; empty when none."""
        given = state.given.get(answer_slot(step.id, state.topic))
        if given is None:
            return ""
        by_key = {choice.key: choice.words for choice in step.choices}
        parts = [by_key[key] for key in given.get("keys", ()) if key in by_key]
        text = " ".join(str(given.get("text", "")).split())
        if text and not step.has_choices:
            parts.append(text)
        shown = ", ".join(parts)
        return shown if len(shown) <= EARLIER_CHARS else shown[: EARLIER_CHARS - 3] + "..."

    def _render(self, text: str, state: ConversationState) -> str:
        return render_text(text, state.about)


def pick_cards(
    step: Step, text: str, index: dict[str, Choice] | None = None
) -> list[Choice] | None:
    """The cards a text message picks: numbers ("1 3", "1, 3 and 5") or one card's words.

    An empty list means the message is words to keep; None means numbers that do not fit.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()  # "¹" and "①" are 1, as for choices
    tokens = [token for token in _CARD_SPLIT.split(folded) if token]
    if tokens and all(token.isdecimal() or token in DIGIT_WORDS for token in tokens):
        # A long run of digits is no card: int() of over 4,300 digits raises.
        numbers = [
            (int(t) if len(t) <= 3 else 0) if t.isdecimal() else DIGIT_WORDS[t] for t in tokens
        ]
        if all(1 <= number <= len(step.choices) for number in numbers):
            return [step.choices[number - 1] for number in dict.fromkeys(numbers)]
        return None
    found = match_choice(step, text, index)
    return [found] if found is not None else []


def _take_topic(state: ConversationState, choice: Choice) -> None:
    """A choice that names a part of life makes it the topic of the questions after it."""
    if choice.topic:
        state.topic, state.about = choice.key, choice.topic


def render_text(text: str, about: str | None) -> str:
    """Put the topic's words into a step's text."""
    if "{topic}" not in text:
        return text
    return text.replace("{topic}", about or TYPED_TOPIC)


def choice_option(step: Step, choice: Choice) -> ChoiceOption:
    """A choice of a step as a person sees it: number, key, words and symbol."""
    return ChoiceOption(
        number=step.choices.index(choice) + 1,
        key=choice.key,
        words=choice.words,
        emoji=choice.symbol.emoji if choice.symbol else "",
        picture=choice.symbol.picture if choice.symbol else "",
        payload=button_payload(step.id, [choice.key]),
    )


def question_message(step: Step, about: str | None, buttons: bool = False) -> OutboundMessage:
    """A step as the message a person sees: its words (and hint) and numbered choices."""
    options = tuple(choice_option(step, choice) for choice in step.choices)
    expects = {"cards": "cards", "text": "text"}.get(step.type)
    if step.has_choices:
        expects = "choice"
    words = step.text if buttons else step.full_text
    return OutboundMessage(render_text(words, about), options, step.id, expects)
