"""One transitions Machine per flow version, built once; state restored per message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from transitions import Event, EventData, Machine

from voicebox.flows import Flow


class Position:
    """The smallest model transitions needs: just a state."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def _chose(key: str) -> Callable[[EventData], bool]:
    return lambda event: event.kwargs.get("key") == key


def _has_text(event: EventData) -> bool:
    return bool(event.kwargs.get("text") or event.kwargs.get("keys"))


class FlowMachine:
    """A flow's steps as states: `answer`, `skip` and `proceed` are its events."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        states: list[dict[str, Any]] = [
            {"name": step.id, "final": step.is_end} for step in flow.steps.values()
        ]
        transitions: list[dict[str, Any]] = []
        for step in flow.steps.values():
            if step.is_end:
                continue
            if step.type == "say":
                transitions.append({"trigger": "proceed", "source": step.id, "dest": step.next})
                continue
            if step.has_choices:
                for choice in step.choices:
                    transitions.append(
                        {
                            "trigger": "answer",
                            "source": step.id,
                            "dest": step.target_for(choice),
                            "conditions": [_chose(choice.key)],
                        }
                    )
            else:
                transitions.append(
                    {
                        "trigger": "answer",
                        "source": step.id,
                        "dest": step.next,
                        "conditions": [_has_text],
                    }
                )
            # Unmatched input stays put, so the question is asked again.
            transitions.append({"trigger": "answer", "source": step.id, "dest": step.id})
            skip_to = step.skip_target()
            if skip_to and step.type != "consent":
                transitions.append({"trigger": "skip", "source": step.id, "dest": skip_to})
        self.machine = Machine(
            model=None,
            states=states,
            transitions=transitions,
            initial=flow.start,
            auto_transitions=False,
            send_event=True,
        )
        self._events: dict[str, Event] = {
            name: self.machine.events[name]
            for name in ("answer", "skip", "proceed")
            if name in self.machine.events
        }

    def fire(self, state: str, event: str, **kwargs: Any) -> str:
        """Restore `state`, fire the event and return the state it leads to."""
        position = Position(state)
        trigger = self._events.get(event)
        if trigger is not None:
            trigger.trigger(position, **kwargs)
        return position.state
