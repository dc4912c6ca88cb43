"""Two separate, explicit consents, recorded with the version of the text the student read.

(1) taking part in the weekly reflections; (2) research use of de-identified reflections. Nothing is prompted
or stored as a reflection until (1) is yes. Withdrawal stops everything and takes the student's reflections
out of the research queue and every later export.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.core import actions
from bot.core.actions import Action
from bot.core.context import Env, Person
from bot.core.replies import Button, CallbackOutcome, Reply
from bot.core.templates import escape, latest_participant_information, render
from storage import repo
from storage.models import Cohort, DeliveryState, Enrolment, SessionStatus
from storage.queries import close_open_sessions, expire_pending_deliveries

YES, NO = 1, 0


def _name(person: Person) -> str:
    return person.first_name or "there"


def introduce(session: Session, env: Env, person: Person, enrolment: Enrolment, cohort: Cohort) -> list[Reply]:
    """Show the participant information, then choice 1."""
    version, template = latest_participant_information()
    info = render(template, version=version, first_name=_name(person), cohort_name=cohort.name,
                  weeks=cohort.weeks)
    return [Reply(info), *ask_participate(session, env, person, enrolment)]


def ask_participate(session: Session, env: Env, person: Person, enrolment: Enrolment) -> list[Reply]:
    """Ask choice 1: take part."""
    assert enrolment.id is not None
    return [Reply(render("consent_participate.html.j2"), buttons=((
        Button("Yes, I'll take part", actions.encode(Action.CONSENT_PARTICIPATE, enrolment.id, YES)),
        Button("No, not now", actions.encode(Action.CONSENT_PARTICIPATE, enrolment.id, NO)),
    ),))]


def ask_research(enrolment: Enrolment) -> Reply:
    """Ask choice 2: research use."""
    assert enrolment.id is not None
    return Reply(render("consent_research.html.j2"), buttons=(
        (Button("Yes, you may use them", actions.encode(Action.CONSENT_RESEARCH, enrolment.id, YES)),),
        (Button("No, keep them out of research", actions.encode(Action.CONSENT_RESEARCH, enrolment.id, NO)),),
    ))


def _own_enrolment(session: Session, person: Person, enrolment_id: int) -> Enrolment | None:
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    enrolment = session.get(Enrolment, enrolment_id)
    if user is None or enrolment is None or enrolment.user_id != user.id or enrolment.withdrawn_at is not None:
        return None
    return enrolment


STALE = CallbackOutcome(toast="This button has expired. /consent shows your current choices.")
ALREADY = "That's already your choice"


def _unchanged(enrolment: Enrolment, kind: str, value: bool) -> bool:
    """Say whether this choice is already recorded, for the text now in force (a double tap, a second press)."""
    version, _ = latest_participant_information()
    current = enrolment.participate if kind == "participate" else enrolment.research
    return current is value and enrolment.consent_version == version


def record(session: Session, env: Env, person: Person, enrolment: Enrolment, kind: str, value: bool) -> None:
    """Set one consent and append it to the history."""
    version, _ = latest_participant_information()
    if kind == "participate":
        enrolment.participate = value
    else:
        enrolment.research = value
    enrolment.consent_version = version
    session.add(enrolment)
    repo.add_consent_record(session=session, enrolment=enrolment, kind=kind, value=value, version=version,
                            at=env.clock.now())
    repo.audit(session=session, actor=person.actor, action=f"consent.{kind}", cohort_id=enrolment.cohort_id,
               at=env.clock.now(), value=value, version=version)
    if kind == "research":
        if env.research is None:
            raise RuntimeError("Env.research is not set, so this consent change could not reach the research queue "
                               "(bot.runtime.make_env sets it)")
        session.flush()
        env.research.on_consent_changed(session, env, enrolment.user_id, actor=person.actor)


def choose_participate(session: Session, env: Env, person: Person, enrolment_id: int, value: int) -> CallbackOutcome:
    """Take choice 1 from its button."""
    enrolment = _own_enrolment(session, person, enrolment_id)
    if enrolment is None:
        return STALE
    yes = value == YES
    chosen = "✓ You chose to take part." if yes else "✓ You chose not to take part for now."
    if _unchanged(enrolment, "participate", yes):
        return CallbackOutcome(toast=ALREADY, edit_text=chosen)
    first_time = enrolment.participate is None
    record(session, env, person, enrolment, "participate", yes)
    if yes:
        if first_time or enrolment.research is None:
            return CallbackOutcome(toast="Thank you", edit_text=chosen, replies=[ask_research(enrolment)])
        return CallbackOutcome(toast="Thank you", edit_text=chosen, replies=[Reply(
            "You're taking part again. Your weekly prompts will resume. /status shows what comes next.")])
    close_open_sessions(session=session, enrolment_id=enrolment.id or 0, status=SessionStatus.EXPIRED,
                        at=env.clock.now())
    expire_pending_deliveries(session=session, enrolment_id=enrolment.id or 0, state=DeliveryState.EXPIRED)
    return CallbackOutcome(toast="Noted", edit_text=chosen, replies=[Reply(
        "That's completely fine. I won't send you prompts or keep anything you write as a reflection. "
        "If you change your mind, send /consent."
    )])


def choose_research(session: Session, env: Env, person: Person, enrolment_id: int, value: int) -> CallbackOutcome:
    """Take choice 2 from its button."""
    from bot.core.student.status import next_steps  # late import: status reads consent's state

    enrolment = _own_enrolment(session, person, enrolment_id)
    if enrolment is None:
        return STALE
    yes = value == YES
    chosen = ("✓ You allowed research use of your de-identified reflections." if yes
              else "✓ You chose to keep your reflections out of research.")
    if _unchanged(enrolment, "research", yes):
        return CallbackOutcome(toast=ALREADY, edit_text=chosen)
    record(session, env, person, enrolment, "research", yes)
    replies = []
    if enrolment.participate:
        replies = [Reply("Thank you — you're all set.\n\n" + next_steps(session, env, enrolment))]
    return CallbackOutcome(toast="Thank you", edit_text=chosen, replies=replies)


def show(session: Session, env: Env, person: Person) -> list[Reply]:
    """/consent: the current choices, with buttons to change each."""
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    enrolment = repo.active_enrolment(session=session, user_id=user.id) if user and user.id else None
    if enrolment is None or enrolment.id is None:
        return [Reply("You haven't joined a cohort, so there are no choices to show. "
                      "Open your invite link or type your code to join.")]
    if enrolment.participate is None:
        return ask_participate(session, env, person, enrolment)

    def word(v: bool | None) -> str:
        return {True: "yes", False: "no", None: "not answered yet"}[v]

    text = (f"<b>Your choices</b> (participant information {escape(enrolment.consent_version or '')})\n"
            f"1. Take part in the weekly reflections: <b>{word(enrolment.participate)}</b>\n"
            f"2. Research use of de-identified reflections: <b>{word(enrolment.research)}</b>\n\n"
            "Tap to change either. /withdraw leaves the cohort altogether.")
    eid = enrolment.id
    p_button = (Button("Stop taking part", actions.encode(Action.CONSENT_PARTICIPATE, eid, NO))
                if enrolment.participate else
                Button("Take part", actions.encode(Action.CONSENT_PARTICIPATE, eid, YES)))
    r_button = (Button("Keep my reflections out of research", actions.encode(Action.CONSENT_RESEARCH, eid, NO))
                if enrolment.research else
                Button("Allow research use", actions.encode(Action.CONSENT_RESEARCH, eid, YES)))
    return [Reply(text, buttons=((p_button,), (r_button,)))]


def ask_withdraw(session: Session, env: Env, person: Person) -> list[Reply]:
    """/withdraw: say plainly what happens, then ask to confirm."""
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    enrolment = repo.active_enrolment(session=session, user_id=user.id) if user and user.id else None
    if enrolment is None or enrolment.id is None:
        return [Reply("You're not in a cohort, so there is nothing to withdraw from.")]
    cohort = repo.get_cohort(session=session, cohort_id=enrolment.cohort_id)
    name = escape(cohort.name) if cohort else "your cohort"
    return [Reply(
        f"<b>Withdraw from {name}?</b>\n\n"
        "• No more prompts or reminders.\n"
        "• Your reflections are taken out of the research queue and out of every export made from now on.\n"
        "• Exports already made before today can't be recalled; they hold no names, and it is recorded which "
        "ones held your reflections.\n"
        "• What you wrote stays stored until the study's retention period ends — or send /delete to erase "
        "everything now.\n\n"
        "You can rejoin later with your invite link.",
        buttons=((Button("Yes, withdraw", actions.encode(Action.WITHDRAW, enrolment.id, YES)),
                  Button("Cancel", actions.encode(Action.WITHDRAW, enrolment.id, NO))),),
    )]


def confirm_withdraw(session: Session, env: Env, person: Person, enrolment_id: int, value: int) -> CallbackOutcome:
    """Withdraw after the student confirmed."""
    enrolment = _own_enrolment(session, person, enrolment_id)
    if enrolment is None:
        return CallbackOutcome(toast="This button has expired.")
    if value != YES:
        return CallbackOutcome(toast="Cancelled", edit_text="You're still in. Nothing has changed.")
    withdraw(session, env, person, enrolment)
    return CallbackOutcome(toast="Withdrawn", edit_text=(
        "You've withdrawn. No more prompts will come, and your reflections are out of the research queue and "
        "every future export. Thank you for the part you took. /delete erases what you wrote; your invite link "
        "brings you back any time."
    ))


def withdraw(session: Session, env: Env, person: Person, enrolment: Enrolment) -> None:
    """Stop everything for this enrolment."""
    now = env.clock.now()
    for kind in ("participate", "research"):
        record(session, env, person, enrolment, kind, False)
    version, _ = latest_participant_information()
    repo.add_consent_record(session=session, enrolment=enrolment, kind="withdraw", value=True, version=version,
                            at=now)
    enrolment.withdrawn_at = now
    session.add(enrolment)
    assert enrolment.id is not None
    close_open_sessions(session=session, enrolment_id=enrolment.id, status=SessionStatus.EXPIRED, at=now)
    expire_pending_deliveries(session=session, enrolment_id=enrolment.id, state=DeliveryState.EXPIRED)
    repo.audit(session=session, actor=person.actor, action="student.withdraw", cohort_id=enrolment.cohort_id,
               at=now)
