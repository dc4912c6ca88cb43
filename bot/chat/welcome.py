"""/start: joining by a link or a code, and the greeting, with each role's commands from the one table.

``bot.chat.student.start`` does the joining and the student's welcome; this adds what only the command table
knows (``bot.chat.commands``): the facilitator's and the researcher's commands, after their link or for someone
who holds those roles and is no student. It sits above ``commands``, which imports ``student``.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.chat import commands, student
from bot.core.context import Env, Person
from bot.core.facilitator import facilitator
from bot.core.replies import Reply
from bot.core.student import enrolment
from bot.core.templates import escape
from bot.research import access


def start(session: Session, env: Env, person: Person, payload: str | None) -> list[Reply]:
    """/start, with or without an invite code (``f-CODE``: a facilitator link, ``r-CODE``: a researcher link)."""
    replies = student.start(session, env, person, payload)
    prefix = (payload or "").strip().lower()[:2]
    failed = {r.text for r in replies} & {facilitator.OLD_LINK, facilitator.EXPIRED_LINK, access.OLD_LINK,
                                          access.EXPIRED_LINK}
    if prefix == enrolment.FACILITATOR_PREFIX and not failed:
        return commands.with_help(replies, commands.facilitator_help(session, env, person))
    if prefix == enrolment.RESEARCHER_PREFIX and not failed:
        return commands.with_help(replies, commands.researcher_help(session, env, person))
    if payload or student.is_student(session, person):
        return replies
    roles_help = commands.role_help(session, env, person)
    if not roles_help:
        return replies  # the student welcome
    # a researcher or facilitator who is no student: their own commands, not the student welcome
    hello = f"Hello {escape(person.first_name)}!" if person.first_name else "Hello!"
    return [Reply(f"{hello} Here is what you can do here."), *roles_help]
