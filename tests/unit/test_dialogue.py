"""Every path through the Balint conversation, as a pure state machine."""

from __future__ import annotations

from bot.core.student import dialogue
from bot.core.student.dialogue import DialogueState, Route, Step

LONG = "I sat with a woman on the ward who had not slept for days and was frightened of everyone."
WORDS = dialogue.default_text()


def walk(*replies: str) -> list[dialogue.Turn]:
    state = DialogueState()
    turns = []
    for r in replies:
        turn = dialogue.answer(state, r)
        turns.append(turn)
        state = turn.state
    return turns


def test_opening_asks_about_the_encounter_with_the_no_encounter_button() -> None:
    turn = dialogue.opening()
    assert turn.say == [WORDS.questions["encounter"]]
    assert turn.offer_no_encounter


def test_full_path_asks_the_five_balint_questions_in_order_then_closes() -> None:
    turns = walk(
        LONG,
        "Scared, then protective of her.",
        "She must have felt hunted and alone.",
        "She tested whether I would stay; I did.",
        "Stay a little longer than feels comfortable.",
    )
    assert [t.store_as for t in turns] == [Step.ENCOUNTER, Step.FELT, Step.PATIENT, Step.BETWEEN, Step.TAKEAWAY]
    assert WORDS.questions["felt"] in turns[0].say[0]
    assert WORDS.questions["patient"] in turns[1].say[0]
    assert WORDS.questions["between"] in turns[2].say[0]
    assert WORDS.questions["takeaway"] in turns[3].say[0]
    assert turns[-1].closed and turns[-1].state.step is Step.CLOSED and not turns[-1].early


def test_a_strong_feeling_is_acknowledged_warmly() -> None:
    turns = walk(LONG, "Honestly I felt helpless and a bit ashamed.")
    assert turns[1].say[0].startswith(WORDS.feeling_ack)


def test_a_very_short_reply_is_kept_and_gets_one_gentle_nudge() -> None:
    turns = walk(LONG, "sad")
    assert turns[1].store_as is Step.FELT
    assert turns[1].state.step is Step.FELT and turns[1].state.nudged
    assert turns[1].say == [WORDS.nudge]
    again = dialogue.answer(turns[1].state, "ok")  # second short reply: no second nudge, we move on
    assert again.store_as is Step.FELT and again.state.step is Step.PATIENT


def test_no_encounter_takes_the_short_path() -> None:
    for text in ("none", "No.", "nothing this week", "didn't see any patients"):
        turn = dialogue.answer(DialogueState(), text)
        assert turn.state.path is Route.SHORT and turn.state.step is Step.MOMENT, text
        assert turn.say == [WORDS.questions["moment"]]
    state = dialogue.answer(DialogueState(), "none").state
    turn = dialogue.answer(state, "A ward round where the consultant was kind to a scared patient.")
    assert turn.store_as is Step.MOMENT and turn.state.step is Step.TAKEAWAY
    last = dialogue.answer(turn.state, "Kindness takes seconds.")
    assert last.closed and last.state.path is Route.SHORT


def test_the_no_encounter_button_only_works_at_the_first_question() -> None:
    felt = DialogueState(step=Step.FELT)
    turn = dialogue.no_encounter(felt)
    assert turn.state == felt and turn.say == [WORDS.questions["felt"]]


def test_skip_moves_on_and_records_the_skipped_step() -> None:
    state = walk(LONG)[-1].state
    turn = dialogue.skip(state)
    assert turn.store_as is None
    assert turn.state.step is Step.PATIENT and turn.state.skipped == ("felt",)
    assert turn.say[0].startswith(WORDS.skipped_ack)


def test_skipping_the_last_question_closes() -> None:
    turn = dialogue.skip(DialogueState(step=Step.TAKEAWAY))
    assert turn.closed


def test_done_closes_early_at_any_step() -> None:
    for step in (Step.ENCOUNTER, Step.FELT, Step.BETWEEN):
        turn = dialogue.done(DialogueState(step=step))
        assert turn.closed and turn.early and turn.state.step is Step.CLOSED


def test_a_closed_conversation_takes_nothing() -> None:
    closed = DialogueState(step=Step.CLOSED)
    assert dialogue.answer(closed, LONG).store_as is None
    assert dialogue.skip(closed).say == []


def test_question_for_repeats_the_current_question() -> None:
    assert dialogue.question_for(DialogueState(step=Step.BETWEEN)) == WORDS.questions["between"]
