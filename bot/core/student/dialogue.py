"""The weekly Balint conversation as a pure state machine: state in, turn out, no I/O.

The state (step, path, whether we nudged, skipped steps) is persisted by ``bot.core.student.reflection`` after
every turn, so a restart resumes at the right step.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from bot.core.paths import PROMPTS


class Step(StrEnum):
    ENCOUNTER = "encounter"
    FELT = "felt"
    PATIENT = "patient"
    BETWEEN = "between"
    TAKEAWAY = "takeaway"
    MOMENT = "moment"  # the short path: another moment of the week
    CLOSED = "closed"


class Route(StrEnum):
    FULL = "full"
    SHORT = "short"


PATHS: dict[str, tuple[Step, ...]] = {
    Route.FULL: (Step.ENCOUNTER, Step.FELT, Step.PATIENT, Step.BETWEEN, Step.TAKEAWAY),
    Route.SHORT: (Step.ENCOUNTER, Step.MOMENT, Step.TAKEAWAY),
}


@dataclass(frozen=True)
class DialogueText:
    """The words of the conversation, loaded from ``prompts/dialogue.toml``."""

    questions: dict[str, str]
    no_encounter_button: str
    nudge: str
    min_words: int
    plain_acks: tuple[str, ...]
    feeling_ack: str
    skipped_ack: str
    feeling_words: frozenset[str]
    no_encounter_phrases: frozenset[str]

    @classmethod
    def load(cls, path: Path | None = None) -> DialogueText:
        """Read the dialogue words from TOML."""
        data = tomllib.loads((path or PROMPTS / "dialogue.toml").read_text(encoding="utf-8"))
        return cls(
            questions=dict(data["questions"]),
            no_encounter_button=data["buttons"]["no_encounter"],
            nudge=data["nudge"]["text"],
            min_words=int(data["nudge"]["min_words"]),
            plain_acks=tuple(data["acknowledgements"]["plain"]),
            feeling_ack=data["acknowledgements"]["feeling"],
            skipped_ack=data["acknowledgements"]["skipped"],
            feeling_words=frozenset(w.lower() for w in data["feeling_words"]["words"]),
            no_encounter_phrases=frozenset(p.lower() for p in data["no_encounter"]["phrases"]),
        )


@lru_cache(maxsize=1)
def default_text() -> DialogueText:
    """Return the default dialogue words (read once)."""
    return DialogueText.load()


@dataclass(frozen=True)
class DialogueState:
    step: Step = Step.ENCOUNTER
    path: Route = Route.FULL
    nudged: bool = False
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    """What one student move does: the new state, whether to store the text, what to say."""

    state: DialogueState
    store_as: Step | None  # the step the student's text answered, or None when nothing is stored
    say: list[str] = field(default_factory=list)
    offer_no_encounter: bool = False  # show the "no encounter this week" button with the question
    closed: bool = False
    early: bool = False


_WORD = re.compile(r"[\w']+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _normalise(text: str) -> str:
    return " ".join(_words(text))


def means_no_encounter(text: str, words: DialogueText) -> bool:
    """Say whether a reply at the encounter step means "nothing this week"."""
    raw = text.strip().lower().rstrip(".!")
    return raw in words.no_encounter_phrases or _normalise(text) in words.no_encounter_phrases


def _next_step(state: DialogueState) -> Step:
    order = PATHS[state.path]
    i = order.index(state.step)
    return order[i + 1] if i + 1 < len(order) else Step.CLOSED


def _ack(step: Step, text: str, words: DialogueText) -> str:
    if step is Step.FELT and words.feeling_words.intersection(_words(text)):
        return words.feeling_ack
    order = PATHS[Route.FULL]
    i = order.index(step) if step in order else 0
    return words.plain_acks[i % len(words.plain_acks)]


def opening(words: DialogueText | None = None) -> Turn:
    """Open the conversation: the first question, with the no-encounter button."""
    w = words or default_text()
    return Turn(DialogueState(), None, [w.questions[Step.ENCOUNTER]], offer_no_encounter=True)


def question_for(state: DialogueState, words: DialogueText | None = None) -> str:
    """Return the question of the current step (to repeat it after a pause or restart)."""
    w = words or default_text()
    return w.questions[state.step]


def _advance(state: DialogueState, prefix: str | None, words: DialogueText, *, store_as: Step | None) -> Turn:
    nxt = _next_step(state)
    new = replace(state, step=nxt, nudged=False)
    if nxt is Step.CLOSED:
        return Turn(new, store_as, [], closed=True)
    say = [f"{prefix}\n\n{words.questions[nxt]}" if prefix else words.questions[nxt]]
    return Turn(new, store_as, say)


def answer(state: DialogueState, text: str, words: DialogueText | None = None) -> Turn:
    """Take a text reply at the current step."""
    w = words or default_text()
    if state.step is Step.CLOSED:
        return Turn(state, None, [])
    if state.step is Step.ENCOUNTER and means_no_encounter(text, w):
        return no_encounter(state, w)
    short = len(_words(text)) < w.min_words
    if short and not state.nudged and state.step in (Step.FELT, Step.PATIENT, Step.BETWEEN, Step.ENCOUNTER):
        return Turn(replace(state, nudged=True), state.step, [w.nudge])
    return _advance(state, _ack(state.step, text, w), w, store_as=state.step)


def no_encounter(state: DialogueState, words: DialogueText | None = None) -> Turn:
    """Take the short path: no patient encounter this week."""
    w = words or default_text()
    if state.step is not Step.ENCOUNTER:
        return Turn(state, None, [w.questions[state.step]])
    new = DialogueState(step=Step.MOMENT, path=Route.SHORT, skipped=state.skipped)
    return Turn(new, None, [w.questions[Step.MOMENT]])


def skip(state: DialogueState, words: DialogueText | None = None) -> Turn:
    """Skip the current question."""
    w = words or default_text()
    if state.step is Step.CLOSED:
        return Turn(state, None, [])
    skipped = replace(state, skipped=(*state.skipped, state.step.value))
    return _advance(skipped, w.skipped_ack, w, store_as=None)


def done(state: DialogueState) -> Turn:
    """End the conversation early."""
    return Turn(replace(state, step=Step.CLOSED), None, [], closed=True, early=True)
