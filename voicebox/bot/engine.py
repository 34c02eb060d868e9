"""The conversation engine: one inbound message in, replies and changes out."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from voicebox.bot import replies
from voicebox.bot.codes import candidate_codes
from voicebox.bot.machines import FlowMachine
from voicebox.bot.matching import choice_index, match_choice
from voicebox.bot.messages import ChoiceOption, InboundMessage, OutboundMessage
from voicebox.bot.ports import ConversationStore, TurnContext
from voicebox.bot.results import Question, TurnResult
from voicebox.bot.safeguarding import PhraseList, default_phrase_list
from voicebox.bot.state import Answer, ConsultationRef, ConversationState, Flag, Outcome
from voicebox.bot.words import command_word, is_yes
from voicebox.flows import Choice, Flow, Step

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 2000  # longer answers are cut here, and the person is told
MAX_REASKS = 2  # unmatched input re-asks this many times, then offers SKIP
MAX_HISTORY = 30  # how many questions BACK can return through
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
        self._asked: dict[tuple[str, str | None], tuple[OutboundMessage, Question]] = {}

    def question(self, step: Step, about: str | None) -> tuple[OutboundMessage, Question]:
        """A question step as the message that asks it and as the open Question."""
        found = self._asked.get((step.id, about))
        if found is None:
            message = question_message(step, about)
            kind = "consent" if step.type == "consent" else (message.expects or "text")
            found = (message, Question(step.id, kind, message.text, message.choices))
            if len(self._asked) < _MAX_ASKED:
                self._asked[(step.id, about)] = found
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
                return self._describe(context.conversation, context.participant.opted_out, True)
            if inbound.consultation and not (context.named and context.named.open):
                return self._refuse(context.named)
            outcome = self.resume(context, inbound)
            turn.save(outcome)
        return self.result(context, outcome)

    def describe(self, state: ConversationState | None, opted_out: bool) -> TurnResult:
        """Where a person is, with nothing new to say: for pages that show a check-in."""
        return self._describe(state, opted_out, False)

    def result(self, context: TurnContext, outcome: Outcome) -> TurnResult:
        """The result of a worked-out outcome, for the channel to render."""
        state = outcome.conversation or context.conversation
        opted_out = context.participant.opted_out
        if outcome.opted_out is not None:
            opted_out = outcome.opted_out
        return TurnResult(
            replies=tuple(outcome.replies),
            question=self._open_question(state, opted_out),
            consultation=state.consultation if state is not None else context.named,
            consent=state.consent if state is not None else None,
            ended=state.ended if state is not None else False,
            opted_out=opted_out,
            started=outcome.started,
            chosen=outcome.chosen,
        )

    def _describe(
        self, state: ConversationState | None, opted_out: bool, duplicate: bool
    ) -> TurnResult:
        return TurnResult(
            question=self._open_question(state, opted_out),
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

    def _open_question(self, state: ConversationState | None, opted_out: bool) -> Question | None:
        """The question waiting for this person's answer, if any."""
        if state is None or state.ended or opted_out:
            return None
        compiled = self._flows.get(state.consultation.flow_id)
        if compiled is None:
            return None
        step = compiled.flow.steps.get(state.step)
        if step is None or not step.is_question:
            return None
        return compiled.question(step, state.about)[1]

    # -- the pure part -------------------------------------------------------------

    def resume(self, context: TurnContext, inbound: InboundMessage) -> Outcome:
        """Work out the outcome of one message, given what the store read."""
        outcome = Outcome()
        text = inbound.text or ""
        command = command_word(text)
        if inbound.opt_out in ("stop", "start", "help"):
            command = inbound.opt_out
        state = context.conversation
        if context.participant.opted_out:
            if command == "start" or is_yes(text):
                outcome.opted_out = False
                if self._live(state) or not inbound.consultation:
                    self._welcome_back(state, outcome)
                else:  # START on a check-in's own page: begin it again
                    self._join(context, inbound, text, command, outcome)
            return outcome  # after STOP, nothing at all until START
        if command == "stop":
            outcome.opted_out = True
            outcome.replies.append(OutboundMessage(replies.STOPPED, purpose="stop"))
            return outcome
        if command is None and text:
            self._check_safeguarding(text, state, outcome)
        if state is None or state.ended or self._switching(state, inbound):
            self._join(context, inbound, text, command, outcome)
            return outcome
        self._converse(state, inbound, text, command, outcome)
        return outcome

    def _live(self, state: ConversationState | None) -> bool:
        """True when the person is part-way through a check-in this engine can run."""
        return (
            state is not None and not state.ended and self.has_flow(state.consultation.flow_id)
        )

    def _switching(self, state: ConversationState, inbound: InboundMessage) -> bool:
        code = inbound.consultation
        return code is not None and code.upper() != state.consultation.code.upper()

    def _check_safeguarding(
        self, text: str, state: ConversationState | None, outcome: Outcome
    ) -> None:
        found = self.phrases.find(text)
        if found is None:
            return
        outcome.flags.append(
            Flag(
                category=found.category, phrase=found.phrase, step_id=state.step if state else None
            )
        )
        outcome.replies.append(OutboundMessage(replies.SAFEGUARDING, purpose="safeguarding"))

    def _welcome_back(self, state: ConversationState | None, outcome: Outcome) -> None:
        if state is None or not self._live(state):
            outcome.replies.append(OutboundMessage(replies.WELCOME_BACK_NOTHING, purpose="start"))
            return
        self._tell_and_ask(state, replies.WELCOME_BACK, outcome, "start")

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
                outcome.replies.append(OutboundMessage(replies.HELP, purpose="help"))
            elif state is not None and state.ended:
                message = replies.FINISHED.format(code=state.consultation.code)
                outcome.replies.append(OutboundMessage(message, purpose="notice"))
            elif not outcome.flags:
                outcome.replies.append(OutboundMessage(replies.JOIN_HINT, purpose="notice"))
            return
        if not ref.open or not self.has_flow(ref.flow_id):
            if not self.has_flow(ref.flow_id):
                log.error("consultation %s names unknown flow %s", ref.code, ref.flow_id)
            outcome.replies.append(OutboundMessage(replies.CLOSED, purpose="notice"))
            return
        compiled = self._compiled(ref.flow_id)
        new_state = ConversationState(consultation=ref, step=compiled.flow.start)
        outcome.started = True
        outcome.conversation = new_state
        self._advance(compiled, new_state, compiled.flow.start, outcome)

    def _converse(
        self,
        state: ConversationState,
        inbound: InboundMessage,
        text: str,
        command: str | None,
        outcome: Outcome,
    ) -> None:
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
            self._advance(compiled, state, flow.start, outcome)
            return
        outcome.conversation = state
        if not step.is_question:  # saved on a say step (the flow changed): carry on from it
            self._advance(compiled, state, step.id, outcome)
            return
        outcome.in_reply_to = step.id
        if command == "start" and command_word(text) == "start":  # not stopped: where they are
            outcome.replies.append(self._question(state))
            return
        if command == "help":
            self._tell_and_ask(state, replies.HELP, outcome, "help")
            return
        if command == "back":
            self._go_back(state, outcome)
            return
        if command == "skip":
            if step.type == "consent":
                self._tell_and_ask(state, replies.CONSENT_FIRST, outcome, "reask")
                return
            target = compiled.machine.fire(step.id, "skip")
            self._remember(state, step, None)
            self._advance(compiled, state, target, outcome)
            return
        if step.has_choices:
            self._answer_choice(compiled, state, step, inbound, text, outcome)
        else:
            self._answer_text(compiled, state, step, inbound, text, outcome)

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
                self._tell_and_ask(state, replies.OLD_BUTTON, outcome, "reask")
                return
            choice = next((c for c in step.choices if c.key == key), None)
        else:
            choice = match_choice(step, text, compiled.indexes[step.id])
        if choice is None:
            self._reask(state, step, inbound, text, outcome)
            return
        outcome.chosen = _option(step, choice)
        question = self._render(step.text, state)
        if step.type == "consent":
            state.consent = "given" if choice.key == "yes" else "declined"
        elif step.records == "report_back":
            outcome.report_back = choice.key == "yes"
        if choice.topic:
            state.topic, state.about = choice.key, choice.topic
        if step.keeps_answer:
            self._record(state, step, question, choice.words, choice.key, outcome)
        target = compiled.machine.fire(step.id, "answer", key=choice.key)
        self._advance(compiled, state, target, outcome)

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
        if len(answer) > MAX_ANSWER_CHARS:
            answer = answer[:MAX_ANSWER_CHARS]
            message = replies.LONG_ANSWER.format(limit=f"{MAX_ANSWER_CHARS:,}")
            outcome.replies.append(OutboundMessage(message, purpose="notice"))
        self._record(state, step, self._render(step.text, state), answer, "", outcome)
        target = compiled.machine.fire(step.id, "answer", text=answer)
        self._advance(compiled, state, target, outcome)

    def _record(
        self,
        state: ConversationState,
        step: Step,
        question: str,
        answer: str,
        key: str,
        outcome: Outcome,
    ) -> None:
        self._remember(state, step, state.seq)
        topic = step.topic or state.topic or ""
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
        state.seq += 1

    def _remember(self, state: ConversationState, step: Step, seq: int | None) -> None:
        """Note a question left behind (answered or skipped), so BACK can return to it."""
        state.history.append([step.id, seq, state.topic, state.about])
        del state.history[:-MAX_HISTORY]

    def _reask(
        self,
        state: ConversationState,
        step: Step,
        inbound: InboundMessage,
        text: str,
        outcome: Outcome,
    ) -> None:
        state.retries += 1
        if outcome.flags and text.strip():
            # They told us something worrying; the caring reply is already there.
            outcome.replies.append(self._question(state))
            return
        count = len(step.choices)
        if state.retries > MAX_REASKS and step.type != "consent":
            hint = replies.OFFER_SKIP.format(count=count) if count else replies.REASK_TEXT
            outcome.replies.append(OutboundMessage(hint, purpose="reask"))
            return
        if step.type == "consent" and state.retries > MAX_REASKS:
            self._tell_and_ask(state, replies.CONSENT_FIRST, outcome, "reask")
            return
        if inbound.has_media and not text.strip():
            hint = replies.MEDIA_ONLY
        elif count:
            hint = replies.REASK_CHOICE.format(count=count)
        else:
            hint = replies.REASK_TEXT
        self._tell_and_ask(state, hint, outcome, "reask")

    def _go_back(self, state: ConversationState, outcome: Outcome) -> None:
        if not state.history:
            self._tell_and_ask(state, replies.NOTHING_TO_GO_BACK_TO, outcome, "reask")
            return
        step_id, seq, topic, about = state.history.pop()
        if seq is not None:
            outcome.retracted.append(int(seq))
        state.step, state.topic, state.about, state.retries = step_id, topic, about, 0
        self._tell_and_ask(state, replies.GOING_BACK, outcome, "reask")

    def _advance(
        self, compiled: _CompiledFlow, state: ConversationState, step_id: str, outcome: Outcome
    ) -> None:
        """Enter a step: say what it says, pass through say steps, stop at a question or end."""
        flow = compiled.flow
        state.retries = 0
        for _ in range(len(flow.steps) + 1):  # a say-loop cannot spin forever
            state.step = step_id
            step = flow.step(step_id)
            if step.type == "say":
                message = OutboundMessage(self._render(step.text, state), step_id=step.id)
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
            outcome.replies.append(self._question(state))
            return
        raise RuntimeError(f"flow {flow.id} loops through say steps without a question")

    def _tell_and_ask(
        self, state: ConversationState, text: str, outcome: Outcome, purpose: str
    ) -> None:
        """Say something short, then ask the current question again."""
        outcome.replies.append(OutboundMessage(text, purpose=purpose))
        outcome.replies.append(self._question(state))

    def _question(self, state: ConversationState) -> OutboundMessage:
        """The current step as a message, with its choices."""
        compiled = self._compiled(state.consultation.flow_id)
        return compiled.question(compiled.flow.step(state.step), state.about)[0]

    def _render(self, text: str, state: ConversationState) -> str:
        return render_text(text, state.about)


def render_text(text: str, about: str | None) -> str:
    """Put the topic's words into a step's text."""
    if "{topic}" not in text:
        return text
    return text.replace("{topic}", about or "this part of your life")


def _option(step: Step, choice: Choice) -> ChoiceOption:
    """A choice of a step as a person sees it: number, key, words and symbol."""
    return ChoiceOption(
        number=step.choices.index(choice) + 1,
        key=choice.key,
        words=choice.words,
        emoji=choice.symbol.emoji if choice.symbol else "",
        picture=choice.symbol.picture if choice.symbol else "",
        payload=f"{step.id}:{choice.key}",
    )


def question_message(step: Step, about: str | None) -> OutboundMessage:
    """A step as the message a person sees: its words and numbered choices."""
    options = tuple(_option(step, choice) for choice in step.choices)
    expects = "choice" if step.has_choices else ("text" if step.type == "text" else None)
    return OutboundMessage(render_text(step.full_text, about), options, step.id, expects)
