"""The check-in tier: warning signs without explicit risk get a gentle, direct question, "are you safe right now?"

The message itself is handled as usual (a reflection reply is stored); inside a reflection the next question
waits until the student answers, so the check-in isn't buried under it. The three buttons:

* "I'm safe": recorded; the conversation goes on where it was (the current question is asked again);
* "I'm not sure" / "I'm not safe": the alert is raised exactly as for explicit risk (the support reply to
  the student, the facilitators told their name through the outbox);
* no answer: nothing happens; the student can simply carry on writing.

A student is not asked again within ``ASK_EVERY`` of the last check-in, nor while an alert about them is still
open (someone is already on it). A check-in asked while the database was away carries id 0; its answer is
recorded when it comes. An answer can be changed towards "not safe" (it then alerts), never undone.
"""

from __future__ import annotations

from datetime import timedelta

from markupsafe import Markup
from sqlmodel import Session, col, select

from bot.core import actions
from bot.core.actions import Action
from bot.core.context import Env, Person
from bot.core.replies import Button, CallbackOutcome, Reply
from bot.core.safety import safeguarding_alerting as alerting
from bot.core.safety.safeguarding_rules import Verdict
from bot.core.student import dialogue
from bot.core.student.reflection import state_of
from bot.core.templates import render
from storage import repo
from storage.models import ReflectionSession, SessionStatus, User
from storage.safety_models import CheckIn, CheckInAnswer, SafeguardingAlert

ASK_EVERY = timedelta(hours=1)
TEMPLATE = "safeguarding/check_in.html.j2"
ANSWERS = {1: CheckInAnswer.SAFE, 2: CheckInAnswer.UNSURE, 3: CheckInAnswer.NOT_SAFE}
LABELS = {CheckInAnswer.SAFE: "I'm safe", CheckInAnswer.UNSURE: "I'm not sure", CheckInAnswer.NOT_SAFE: "I'm not safe"}
RISK = {CheckInAnswer.SAFE: 0, CheckInAnswer.UNSURE: 1, CheckInAnswer.NOT_SAFE: 2}


def buttons(check_in_id: int) -> tuple[tuple[Button, ...], ...]:
    """The three answers, one per row (long enough labels to read at a glance on a phone)."""
    return tuple((Button(LABELS[a], actions.encode(Action.CHECK_IN, check_in_id, n)),) for n, a in ANSWERS.items())


def question(person: Person, *, check_in_id: int) -> Reply:
    """The check-in question with its buttons."""
    return Reply(render(TEMPLATE, part="question", first_name=person.first_name or "", answer="", question="",
                        listener=None), buttons=buttons(check_in_id))


def _recent(session: Session, env: Env, user_id: int) -> bool:
    since = env.clock.now() - ASK_EVERY
    asked = session.exec(select(CheckIn.id).where(CheckIn.user_id == user_id, col(CheckIn.asked_at) >= since)).first()
    if asked is not None:
        return True
    open_alert = session.exec(select(SafeguardingAlert.id).where(
        SafeguardingAlert.user_id == user_id, col(SafeguardingAlert.acknowledged_at).is_(None))).first()
    return open_alert is not None


def ask(session: Session, env: Env, person: Person, user: User, verdict: Verdict) -> list[Reply]:
    """Ask whether the student is safe (recorded), unless asked lately or an alert about them is open."""
    assert user.id is not None
    if _recent(session, env, user.id):
        return []
    enrolment = repo.active_enrolment(session=session, user_id=user.id)
    row = CheckIn(user_id=user.id, cohort_id=enrolment.cohort_id if enrolment else None,
                  rule=verdict.rule or "warning_sign", asked_at=env.clock.now())
    session.add(row)
    session.flush()
    assert row.id is not None
    repo.audit(session=session, actor="safeguarding", action="safeguarding.check_in", at=env.clock.now(),
               cohort_id=row.cohort_id, check_in_id=row.id, rule=row.rule)
    return [question(person, check_in_id=row.id)]


def is_question(reply: Reply) -> bool:
    """Say whether a reply is a check-in question (its first button is a check-in answer)."""
    return bool(reply.buttons) and reply.buttons[0][0].data.startswith(f"{Action.CHECK_IN.value}:")


def _current_question(session: Session, user: User) -> str:
    assert user.id is not None
    rs = session.exec(select(ReflectionSession).where(
        ReflectionSession.user_id == user.id, ReflectionSession.status == SessionStatus.OPEN)
        .order_by(col(ReflectionSession.id).desc())).first()
    if rs is None:
        return ""
    return Markup(dialogue.question_for(state_of(rs)))  # noqa: S704  the dialogue's own Telegram HTML, not user text


def answer(session: Session, env: Env, person: Person, check_in_id: int, value: int) -> CallbackOutcome:
    """A check-in button: record the answer; "not sure" and "not safe" raise the alert."""
    choice = ANSWERS.get(value)
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    if choice is None or user is None or user.id is None:
        return CallbackOutcome(toast="This button has expired.")
    now = env.clock.now()
    if check_in_id == 0:  # asked while the database was away: the row stored late, or a new one now
        row = session.exec(select(CheckIn).where(
            CheckIn.user_id == user.id, col(CheckIn.answer).is_(None), col(CheckIn.asked_at) >= now - ASK_EVERY)
            .order_by(col(CheckIn.id).desc())).first() or CheckIn(user_id=user.id, rule="warning_sign", asked_at=now)
    else:
        found = session.get(CheckIn, check_in_id)
        if found is None or found.user_id != user.id:
            return CallbackOutcome(toast="This button has expired.")
        row = found
        if row.answer is not None and RISK[CheckInAnswer(row.answer)] >= RISK[choice]:
            return CallbackOutcome(toast="Thank you, I have your answer.",
                                   edit_text=render(TEMPLATE, part="answered", first_name="", question="",
                                                    answer=LABELS[CheckInAnswer(row.answer)], listener=None))
    row.answer, row.answered_at = choice.value, now
    session.add(row)
    session.flush()
    repo.audit(session=session, actor="safeguarding", action=f"safeguarding.check_in.{choice.value}", at=now,
               cohort_id=row.cohort_id, check_in_id=row.id)
    edited = render(TEMPLATE, part="answered", first_name="", question="", answer=LABELS[choice], listener=None)
    if choice is CheckInAnswer.SAFE:
        contacts = alerting.resources(env.safeguarding_institution)
        listener = next((r for r in contacts if r.kind == "support"), None)
        text = render(TEMPLATE, part="safe", first_name=person.first_name or "", answer="",
                      question=_current_question(session, user), listener=listener)
        return CallbackOutcome(toast="Thank you", edit_text=edited, replies=[Reply(text)])
    alert, _new = alerting.raise_alert(session, env, user, category="warning_sign",
                                           rule=f"check_in.{choice.value}", subject="student", at=now)
    row.alert_id = alert.id
    session.add(row)
    support = alerting.support_for(env, person, "warning_sign")
    return CallbackOutcome(toast="Thank you for telling me", edit_text=edited, replies=[support])
