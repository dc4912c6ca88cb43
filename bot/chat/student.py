"""The student's side of the bot as a few entry points the chat and the sandbox both call.

Each takes a database session, the environment and the person, and returns what to say. No Telegram here.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.core.context import Env, Person
from bot.core.facilitator import facilitator, facilitator_dialogue
from bot.core.privacy import data_rights
from bot.core.privacy.at_rest import seal
from bot.core.replies import CallbackOutcome, Reply
from bot.core.safety import safeguarding
from bot.core.safety import safeguarding_checkin as checkin
from bot.core.safety.safeguarding_rules import Verdict
from bot.core.student import consent, enrolment, reflection, status
from bot.core.templates import escape
from storage import repo
from storage.models import Enrolment, ReflectionSession


def start(session: Session, env: Env, person: Person, payload: str | None) -> list[Reply]:
    """/start, with or without an invite code (``f-CODE``: a facilitator link)."""
    if payload and payload.lower().startswith(enrolment.RESEARCHER_PREFIX):
        from bot.research.access import join as join_as_researcher  # late import: research builds on core

        return join_as_researcher(session, env, person, payload)
    if payload and payload.lower().startswith(enrolment.FACILITATOR_PREFIX):
        return facilitator.accept_link(session, env, person, payload[len(enrolment.FACILITATOR_PREFIX):])
    if payload:
        return enrolment.join(session, env, person, payload)
    user = repo.upsert_user(session=session, telegram_id=person.telegram_id, first_name=person.first_name,
                            username=person.username, at=env.clock.now())
    current = repo.active_enrolment(session=session, user_id=user.id) if user.id else None
    if current is None:  # a researcher's or facilitator's greeting: bot.chat.welcome
        return enrolment.not_joined()
    if current.participate is None:
        return consent.ask_participate(session, env, person, current)
    return status.status(session, env, person)


def text(session: Session, env: Env, person: Person, body: str, *, chat_id: int, message_id: int,
         verdict: Verdict | None = None) -> list[Reply]:
    """A text message that isn't a command (``verdict``: the caller screened it already, without the database)."""
    ctx = repo.student_context(session=session, telegram_id=person.telegram_id, first_name=person.first_name,
                               username=person.username, at=env.clock.now(), chat_id=chat_id,
                               message_id=message_id)
    if ctx.has_draft:  # a facilitator mid-dialogue
        drafted = facilitator_dialogue.draft_text(session, env, person, body)
        if drafted is not None:
            return drafted
    safety = safeguarding.screen(session, env, person, body, verdict=verdict)
    rest = _text(session, env, person, body, ctx, chat_id=chat_id, message_id=message_id)
    if any(checkin.is_question(r) for r in safety):
        # the message is kept as usual; inside a reflection the next question waits for the answer
        # ("I'm safe" asks it again), so the check-in isn't buried under it
        return safety if ctx.open_session is not None else rest + safety
    return safety + rest


def _text(session: Session, env: Env, person: Person, body: str, ctx: repo.StudentContext, *, chat_id: int,
          message_id: int) -> list[Reply]:
    user, current, rs = ctx.user, ctx.enrolment, ctx.open_session
    assert user.id is not None
    if current is None:
        if enrolment.looks_like_code(body):
            return enrolment.join(session, env, person, body)
        return enrolment.not_joined()
    if current.participate is None:
        return [Reply("Before we start, please make the first choice:"),
                *consent.ask_participate(session, env, person, current)]
    if not current.participate:
        return [Reply("You're not taking part at the moment, so I haven't kept that message. "
                      "/consent lets you change your choice.")]
    assert current.id is not None
    if rs is None:
        current.pending_text = seal(env.cipher, body)  # reflection text: encrypted at rest like the rest
        session.add(current)
        return reflection.offer_pending(current)
    return reflection.answer(session, env, person, user, current, rs, body, chat_id=chat_id,
                             message_id=message_id, stored_already=ctx.stored_already)


def edited(session: Session, env: Env, person: Person, body: str, *, chat_id: int, message_id: int,
           verdict: Verdict | None = None) -> list[Reply]:
    """An edited message."""
    safety = safeguarding.screen(session, env, person, body, verdict=verdict)
    return safety + reflection.edit(session, env, person, body, chat_id=chat_id, message_id=message_id)


def _open(session: Session, person: Person) -> tuple[Enrolment, ReflectionSession | None] | None:
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    if user is None or user.id is None:
        return None
    current = repo.active_enrolment(session=session, user_id=user.id)
    if current is None or current.id is None:
        return None
    return current, repo.open_session(session=session, enrolment_id=current.id)


def is_student(session: Session, person: Person) -> bool:
    """Say whether this person is in a cohort as a student now."""
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    return bool(user and user.id and repo.active_enrolment(session=session, user_id=user.id))


def command(session: Session, env: Env, person: Person, name: str, args: str = "") -> list[Reply]:
    """A student command (without the slash)."""
    if name == "status":
        return status.status(session, env, person)
    if name == "consent":
        return consent.show(session, env, person)
    if name == "withdraw":
        return consent.ask_withdraw(session, env, person)
    if name in ("pause", "resume"):
        if facilitator.wants_cohort_pause(session, env, person, args):  # names a cohort, or a facilitator's
            return facilitator.set_paused(session, env, person, args, name == "pause")
        return status.set_paused(session, env, person, name == "pause")
    if name == "mydata":
        return data_rights.my_data(session, env, person)
    if name == "delete":
        return data_rights.ask_delete(session, env, person)
    found = _open(session, person)
    if found is None:
        return [Reply("You're not in a cohort yet. Open your invite link or type your code to join.")]
    current, rs = found
    if name == "reflect":
        if not current.participate:
            return [Reply("You're not taking part at the moment. /consent changes that.")]
        return reflection.start_now(session, env, person, current)
    if rs is None:
        return [Reply("There's no reflection open right now. /reflect starts this week's.")]
    if name == "skip":
        return reflection.skip(session, env, person, rs)
    if name == "done":
        return reflection.done(session, env, person, rs)
    return unknown_command(name)


def unknown_command(name: str) -> list[Reply]:
    """Any command we don't know."""
    return [Reply(f"I don't know the command /{escape(name[:32])}. /help lists what I can do.")]


def callback(session: Session, env: Env, person: Person, data: str | None) -> CallbackOutcome:
    """A button press (routed by ``bot.chat.buttons``)."""
    from bot.chat.buttons import press

    return press(session, env, person, data)


NON_TEXT_REPLY = (
    "I can only keep typed text — voice notes, pictures, stickers and files aren't stored, partly because "
    "they can identify people. Could you type what you wanted to say instead?"
)
GROUP_REPLY = "I only work in a private chat, to keep reflections private. Please message me directly."
