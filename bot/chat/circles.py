"""What the chat calls for circles: typed messages, ``/circle``, the circle's buttons. No Telegram here.

A typed message goes to the circle only when its author asked for that (✍️ Write to the circle, or the presenter
writing the case); every other message is the student's own, handled by ``bot.core.student`` as before, so a
private reflection is never shared by accident. Every circle post is screened like a reflection.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.chat import student
from bot.core.circles import moderation, setup, week
from bot.core.circles.buttons import Verb, parse
from bot.core.context import Env, Person
from bot.core.replies import CallbackOutcome, Reply
from bot.core.safety import safeguarding
from bot.core.safety.safeguarding_rules import Verdict
from bot.core.templates import escape
from storage import repo
from storage.circle_models import Circle, CircleMember, Phase

CIRCLE_HELP = ("/circle — where your circle is this week\n/circle <i>text</i> — post to the circle\n"
               "/circle leave — leave the circle\nLeaders also: /circle next (move to the next phase), "
               "/circle close (close the week), /circle remove as a reply to a post (take it out of the circle)")


def _membership(session: Session, person: Person) -> tuple[CircleMember, Circle] | None:
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    return setup.joined_member(session, user.id) if user and user.id else None


def text(session: Session, env: Env, person: Person, body: str, *, chat_id: int, message_id: int,
         verdict: Verdict | None = None, reply_to: int | None = None) -> list[Reply]:
    """A typed message: the circle's if its author is writing to the circle, else the student's as before."""
    found = _membership(session, person)
    if found is None or found[0].composing is None:
        return student.text(session, env, person, body, chat_id=chat_id, message_id=message_id, verdict=verdict)
    member, circle = found
    safety = safeguarding.screen(session, env, person, body, verdict=verdict)
    if member.composing == "case":
        return safety + week.case_draft(session, env, member, circle, body)
    return safety + week.post(session, env, member, circle, body, chat_id=chat_id, message_id=message_id,
                              reply_to=reply_to)


def command(session: Session, env: Env, person: Person, args: str, *, chat_id: int, message_id: int,
            verdict: Verdict | None = None, reply_to: int | None = None) -> list[Reply]:
    """/circle, /circle TEXT, /circle leave|next|close|remove|help (``reply_to``: the message it replies to)."""
    found = _membership(session, person)
    if found is None:
        return [Reply("You're not in a Balint circle. Your facilitator sets circles up; when you're invited, "
                      "I'll send you the invitation here.")]
    member, circle = found
    word = args.strip().lower()
    if word in ("", "status"):
        if member.composing == "post":  # "Send /circle to cancel"
            member.composing = None
            session.add(member)
            return [Reply("Cancelled: your next message stays here, between you and me."),
                    *status(session, env, member, circle)]
        return status(session, env, member, circle)
    if word == "help":
        return [Reply(CIRCLE_HELP)]
    if word == "leave":
        return setup.leave(session, env, person)
    if word == "remove":
        return moderation.remove(session, env, person, member, circle, reply_to)
    current = week._current(session, circle)
    if word in ("next", "close") and member.role == "leader":
        if current is None:
            return [Reply("The circle hasn't started yet.")]
        if word == "close" and current.phase != Phase.CLOSING:
            return [Reply("A week closes after the presenter's response; /circle next moves it on early.")]
        return week.move_on(session, env, circle, current, actor=person.actor)
    safety = safeguarding.screen(session, env, person, args, verdict=verdict)
    return safety + week.post(session, env, member, circle, args.strip(), chat_id=chat_id, message_id=message_id,
                              reply_to=reply_to)


def status(session: Session, env: Env, member: CircleMember, circle: Circle) -> list[Reply]:
    """Where the circle is: the week, its phase and until when."""
    current = week._current(session, circle)
    if current is None:
        opens = week.times_of(session, circle, 1).open
        return [Reply(f"<b>{escape(circle.name)}</b> starts on {week._when(session, circle, opens)}.")]
    end = week.times_of(session, circle, current.week).until(current.phase)
    until = f" until {week._when(session, circle, end)}" if end else ""
    presenter = session.get(CircleMember, current.presenter_id) if current.presenter_id else None
    who = f" Presenting: {week._name(session, circle, presenter)}." if presenter else ""
    return [Reply(f"<b>{escape(circle.name)}</b>, week {current.week} of {circle.weeks}: "
                  f"{week.PHASE_NAMES[Phase(current.phase)]}{until}.{who}\n\n{CIRCLE_HELP}")]


def write(session: Session, env: Env, person: Person, circle_id: int) -> CallbackOutcome:
    """✍️: the member's next typed message goes to the circle."""
    found = _membership(session, person)
    if found is None or found[1].id != circle_id:
        return CallbackOutcome(toast="You're not in this circle.", keep_buttons=True)
    member, _ = found
    if member.composing != "case":
        member.composing = "post"
        session.add(member)
    return CallbackOutcome(toast="Write your message", keep_buttons=True, replies=[Reply(
        "Your next message here goes to the whole circle. (Changed your mind? Send /circle to cancel.)")])


def button(session: Session, env: Env, person: Person, data: str | None, *, chat_id: int,
           message_id: int) -> CallbackOutcome:
    """A circle button press."""
    press = parse(data)
    if press is None:
        return CallbackOutcome(toast="Sorry, I didn't understand that button.")
    a = press.args
    if press.verb is Verb.JOIN:
        return setup.answer_invitation(session, env, person, a[0], a[1])
    if press.verb is Verb.VOLUNTEER:
        return week.volunteer(session, env, person, a[0])
    if press.verb is Verb.ROTATION:
        return week.rotation_answer(session, env, person, a[0], a[1])
    if press.verb is Verb.CONFIRM_CASE:
        return week.confirm_case(session, env, person, a[0], chat_id=chat_id, message_id=message_id)
    if press.verb is Verb.EDIT_CASE:
        return week.edit_case(session, env, person, a[0])
    if press.verb is Verb.WRITE:
        return write(session, env, person, a[0])
    return week.next_phase(session, env, person, a[0])
