"""The researcher's chat entry points that share a message with the student side.

``#7`` opens item 7 and ``/skip`` puts the item on screen aside, but only for a researcher with no reflection
open: for anyone else they mean what they mean to a student. The choice is made here, above both.
"""

from __future__ import annotations

import re

from sqlmodel import Session

from bot.chat import student
from bot.core.context import Env, Person
from bot.core.replies import Reply
from bot.research import chat as research_chat
from bot.research.access import studies_of
from storage import repo

HASH_ITEM = re.compile(r"^#(\d{1,9})$")


def hash_message(session: Session, env: Env, person: Person, body: str, *, chat_id: int,
                 message_id: int) -> list[Reply]:
    """A message that is just ``#7``: a researcher's way to open item 7; anyone else's text goes on as usual."""
    found = HASH_ITEM.match(body.strip())
    if found is None or _has_open_reflection(session, person) or not studies_of(session, env, person):
        return student.text(session, env, person, body, chat_id=chat_id, message_id=message_id)
    return research_chat.open_numbered(session, env, person, int(found.group(1)))


def skip_command(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    """/skip: the student's skip when they have a reflection open; else put the coding item on screen aside."""
    if not _has_open_reflection(session, person) and studies_of(session, env, person):
        aside = research_chat.put_aside(session, env, person)
        if aside is not None:
            return aside
    return student.command(session, env, person, "skip", args)


def _has_open_reflection(session: Session, person: Person) -> bool:
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    enrolment = repo.active_enrolment(session=session, user_id=user.id) if user and user.id else None
    return bool(enrolment and enrolment.id and repo.open_session(session=session, enrolment_id=enrolment.id))
