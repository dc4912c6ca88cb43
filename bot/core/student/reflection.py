"""The weekly reflection: open a week's conversation, take each reply, store it as it arrives.

Every reply is stored once, keyed by (chat, message, version), before the bot answers; the dialogue state is
saved in the same transaction, so a crash or restart resumes at the right step and a re-delivered update is
recognised rather than stored twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.core import actions
from bot.core.actions import Action
from bot.core.context import Env, Person
from bot.core.privacy.at_rest import unseal
from bot.core.replies import Button, CallbackOutcome, Reply
from bot.core.scheduling import progress
from bot.core.scheduling.schedule import describe_local, next_due, spec_of
from bot.core.student import dialogue
from bot.core.student.dialogue import DialogueState, Route, Step, Turn
from bot.core.student.plan import render_prompt
from bot.core.templates import render
from storage import repo
from storage.models import (
    Cohort,
    Enrolment,
    ReflectionEntry,
    ReflectionSession,
    SessionStatus,
    User,
)
from storage.queries import close_open_sessions


def _state(rs: ReflectionSession) -> DialogueState:
    return DialogueState(step=Step(rs.step), path=Route(rs.path), nudged=rs.nudged, skipped=tuple(rs.skipped))


def state_of(rs: ReflectionSession) -> DialogueState:
    """The dialogue state of a week's conversation (where it was)."""
    return _state(rs)


def _save_state(session: Session, env: Env, rs: ReflectionSession, state: DialogueState, *,
                answered: bool = False) -> None:
    """Save the dialogue state in one UPDATE (``answered``: the week's prompt was just marked answered too)."""
    now = env.clock.now()
    fields: dict[str, object] = {"step": state.step.value, "path": state.path.value, "nudged": state.nudged,
                                 "skipped": list(state.skipped), "updated_at": now}
    if answered:
        fields["answered"] = True
    if state.step is Step.CLOSED:
        fields.update(status=SessionStatus.CLOSED, closed_at=now)
    repo.set_session_fields(session=session, rs=rs, **fields)


def open_week(session: Session, env: Env, enrolment: Enrolment, week: int) -> ReflectionSession:
    """Open (or return) the conversation of a week; an older open week expires."""
    assert enrolment.id is not None
    existing = repo.get_reflection_session(session=session, enrolment_id=enrolment.id, week=week)
    if existing is not None:
        return existing
    now = env.clock.now()
    close_open_sessions(session=session, enrolment_id=enrolment.id, status=SessionStatus.EXPIRED, at=now)
    rs = ReflectionSession(enrolment_id=enrolment.id, user_id=enrolment.user_id, cohort_id=enrolment.cohort_id,
                           week=week, step=Step.ENCOUNTER.value, started_at=now, updated_at=now)
    session.add(rs)
    session.flush()
    return rs


def prompt_replies(*, first_name: str, cohort: Cohort, week: int, rs: ReflectionSession) -> list[Reply]:
    """The week's prompt as the student sees it: the framing, then the first question with its button."""
    assert rs.id is not None
    intro = render_prompt(week=week, weeks=cohort.weeks, first_name=first_name or "there",
                          cohort_name=cohort.name, override=cohort.plan)
    opening = dialogue.opening()
    text = f"{intro}\n\n{opening.say[0]}"
    button = Button(dialogue.default_text().no_encounter_button, actions.encode(Action.NO_ENCOUNTER, rs.id))
    return [Reply(text, buttons=((button,),))]


def _turn_replies(session: Session, env: Env, first_name: str, rs: ReflectionSession, turn: Turn,
                  cohort: Cohort) -> list[Reply]:
    if turn.closed:
        return [Reply(_close_text(session, env, first_name, rs, cohort, early=turn.early))]
    return [Reply(t) for t in turn.say]


def next_prompt_for(session: Session, env: Env, enrolment_id: int, cohort: Cohort) -> tuple[int, datetime] | None:
    """Return this student's next prompt (week, moment): after the weeks due and the weeks they were sent."""
    sent = progress.sent_weeks(session, cohort_id=cohort.id or 0, enrolment_id=enrolment_id)
    return progress.next_prompt(spec_of(cohort), env.clock.now(), sent)


def _close_text(session: Session, env: Env, first_name: str, rs: ReflectionSession, cohort: Cohort, *,
                early: bool) -> str:
    upcoming = next_prompt_for(session, env, rs.enrolment_id, cohort)
    when = describe_local(upcoming[1], cohort.timezone) if upcoming else None
    wrote = session.exec(select(ReflectionEntry.id).where(ReflectionEntry.session_id == rs.id).limit(1)).first()
    return render("close.html.j2", first_name=first_name or "there", path=rs.path, early=early, next_prompt=when,
                  wrote=wrote is not None)


def _mark_answered(session: Session, env: Env, rs: ReflectionSession) -> bool:
    """Mark the week's sent prompt answered; say whether it was marked just now (for ``_save_state``)."""
    if rs.answered:  # the delivery was marked already: skip the UPDATE on every later reply
        return False
    # only once a sent delivery was really marked (a /reflect may come before the prompt)
    return repo.mark_delivery_answered(session=session, enrolment_id=rs.enrolment_id, week=rs.week,
                                       at=env.clock.now())


def store_entry(session: Session, env: Env, rs: ReflectionSession, step: str, text: str, *, chat_id: int,
                message_id: int, version: int = 1) -> None:
    """Store one reply (encrypted at rest when a key is configured)."""
    assert rs.id is not None
    stored, encrypted = env.cipher.encrypt(text)
    repo.add_entry(session=session, session_id=rs.id, user_id=rs.user_id, cohort_id=rs.cohort_id, week=rs.week,
                   step=step, text=stored, encrypted=encrypted, version=version, chat_id=chat_id,
                   message_id=message_id, created_at=env.clock.now())


def answer(session: Session, env: Env, person: Person, user: User, enrolment: Enrolment, rs: ReflectionSession,
           text: str, *, chat_id: int, message_id: int, stored_already: bool | None = None) -> list[Reply]:
    """Take a text reply inside an open conversation (``stored_already``: the caller checked for a re-delivery)."""
    state = _state(rs)
    if stored_already is None:
        stored_already = repo.entry_exists(session=session, chat_id=chat_id, message_id=message_id)
    if stored_already:
        return [Reply(dialogue.question_for(state))] if state.step is not Step.CLOSED else []
    turn = dialogue.answer(state, text)
    answered = False
    note = None
    if turn.store_as is not None:
        store_entry(session, env, rs, turn.store_as.value, text, chat_id=chat_id, message_id=message_id)
        answered = _mark_answered(session, env, rs)
        from bot.core.privacy import name_nudge  # the redactor and Jinja2: only once a student writes

        note = name_nudge.nudge(session, env, person, rs, text)
    elif state.step is Step.ENCOUNTER and turn.state.path is Route.SHORT:
        # "nothing this week" is an answer too: keep it, so the week shows as answered
        store_entry(session, env, rs, Step.ENCOUNTER.value, text, chat_id=chat_id, message_id=message_id)
        answered = _mark_answered(session, env, rs)
    _save_state(session, env, rs, turn.state, answered=answered)
    noted = [Reply(note)] if note else []
    if turn.closed:
        cohort = repo.get_cohort(session=session, cohort_id=rs.cohort_id)
        assert cohort is not None
        return noted + _turn_replies(session, env, person.first_name, rs, turn, cohort)
    return noted + [Reply(t) for t in turn.say]


def edit(session: Session, env: Env, person: Person, text: str, *, chat_id: int, message_id: int) -> list[Reply]:
    """Store an edited reply as a new version; the original stays."""
    latest = repo.latest_entry_version(session=session, chat_id=chat_id, message_id=message_id)
    if latest is None:
        return [Reply("I noticed you edited a message. Only replies inside a reflection are kept, "
                      "so there was nothing to update.")]
    rs = session.get(ReflectionSession, latest.session_id)
    assert rs is not None
    taking_part = session.get(Enrolment, rs.enrolment_id)
    if taking_part is None or taking_part.withdrawn_at is not None or not taking_part.participate:
        # consent refused or withdrawn: the bot promised to keep nothing more, edits included
        return [Reply("You're not taking part at the moment, so I haven't kept that edit. "
                      "/consent lets you change your choice.")]
    store_entry(session, env, rs, latest.step, text, chat_id=chat_id, message_id=message_id,
                version=latest.version + 1)
    return [Reply("Got it — I've kept your edited version alongside the original.")]


def _own_session(session: Session, person: Person, rs_id: int) -> ReflectionSession | None:
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    rs = session.get(ReflectionSession, rs_id)
    if user is None or rs is None or rs.user_id != user.id:
        return None
    return rs


def no_encounter(session: Session, env: Env, person: Person, rs_id: int) -> CallbackOutcome:
    """The "no encounter this week" button."""
    rs = _own_session(session, person, rs_id)
    if rs is None or rs.status != SessionStatus.OPEN:
        return CallbackOutcome(toast="This week's reflection is no longer open.")
    if rs.step != Step.ENCOUNTER:
        return CallbackOutcome(toast="We've moved past that question.", keep_buttons=False)
    turn = dialogue.no_encounter(_state(rs))
    _save_state(session, env, rs, turn.state, answered=_mark_answered(session, env, rs))
    return CallbackOutcome(toast="That's fine", replies=[Reply(t) for t in turn.say], keep_buttons=True)


def skip(session: Session, env: Env, person: Person, rs: ReflectionSession) -> list[Reply]:
    """/skip the current question."""
    cohort = repo.get_cohort(session=session, cohort_id=rs.cohort_id)
    assert cohort is not None
    turn = dialogue.skip(_state(rs))
    _save_state(session, env, rs, turn.state)
    return _turn_replies(session, env, person.first_name, rs, turn, cohort)


def done(session: Session, env: Env, person: Person, rs: ReflectionSession) -> list[Reply]:
    """/done: end this week's conversation early."""
    cohort = repo.get_cohort(session=session, cohort_id=rs.cohort_id)
    assert cohort is not None
    turn = dialogue.done(_state(rs))
    _save_state(session, env, rs, turn.state)
    return _turn_replies(session, env, person.first_name, rs, turn, cohort)


def start_now(session: Session, env: Env, person: Person, enrolment: Enrolment) -> list[Reply]:
    """/reflect: open this week's conversation on demand (or repeat where we are)."""
    assert enrolment.id is not None
    cohort = repo.get_cohort(session=session, cohort_id=enrolment.cohort_id)
    assert cohort is not None
    spec = spec_of(cohort)
    week = progress.week_now(spec, env.clock.now(),
                             progress.sent_weeks(session, cohort_id=cohort.id or 0, enrolment_id=enrolment.id))
    if week is None:
        first = next_due(spec, env.clock.now())
        when = describe_local(first[1], cohort.timezone) if first else "soon"
        return [Reply(f"The placement hasn't started yet. Your first prompt comes {when}.")]
    open_rs = repo.open_session(session=session, enrolment_id=enrolment.id)
    if open_rs is not None:
        return [Reply("We're in the middle of this week's reflection. " + dialogue.question_for(_state(open_rs)))]
    rs = repo.get_reflection_session(session=session, enrolment_id=enrolment.id, week=week)
    if rs is not None:
        upcoming = next_prompt_for(session, env, enrolment.id, cohort)
        later = f" Your next prompt comes {describe_local(upcoming[1], cohort.timezone)}." if upcoming else ""
        return [Reply(f"You've already reflected on week {week}.{later}")]
    rs = open_week(session, env, enrolment, week)
    return prompt_replies(first_name=person.first_name, cohort=cohort, week=week, rs=rs)


def offer_pending(enrolment: Enrolment) -> list[Reply]:
    """Text arrived with no conversation open: offer to start this week's with it, keeping it meanwhile."""
    assert enrolment.id is not None
    return [Reply(
        "There's no reflection open right now. Would you like to start this week's with what you just wrote?",
        buttons=((Button("Yes, start with this", actions.encode(Action.START_WITH_PENDING, enrolment.id, 1)),
                  Button("No thanks", actions.encode(Action.START_WITH_PENDING, enrolment.id, 0))),),
    )]


def start_with_pending(session: Session, env: Env, person: Person, enrolment_id: int, value: int) -> CallbackOutcome:
    """The answer to ``offer_pending``."""
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    enrolment = session.get(Enrolment, enrolment_id)
    if user is None or enrolment is None or enrolment.user_id != user.id or not enrolment.participate \
            or enrolment.withdrawn_at is not None:
        return CallbackOutcome(toast="This button has expired.")
    pending, enrolment.pending_text = unseal(env.cipher, enrolment.pending_text), None
    session.add(enrolment)
    if value != 1 or not pending:
        return CallbackOutcome(toast="OK", edit_text="OK — I haven't kept that message. /reflect starts a "
                                                      "reflection whenever you like.")
    replies = start_now(session, env, person, enrolment)
    assert enrolment.id is not None
    rs = repo.open_session(session=session, enrolment_id=enrolment.id)
    if rs is None or rs.step != Step.ENCOUNTER:
        return CallbackOutcome(toast="OK", replies=replies)
    cohort = repo.get_cohort(session=session, cohort_id=rs.cohort_id)
    assert cohort is not None
    # the kept text answers the first question; its message id is unknown here, so use a negative marker
    turn = dialogue.answer(_state(rs), pending)
    store_entry(session, env, rs, Step.ENCOUNTER.value, pending, chat_id=person.telegram_id,
                message_id=-(rs.id or 0))
    _save_state(session, env, rs, turn.state)
    intro = f"Week {rs.week}: I've kept what you wrote as the encounter."
    return CallbackOutcome(toast="Started", edit_text=intro,
                           replies=_turn_replies(session, env, person.first_name, rs, turn, cohort))


def own_count(session: Session, user_id: int) -> int:
    """Count a student's stored replies."""
    return repo.count_entries(session=session, user_id=user_id)

