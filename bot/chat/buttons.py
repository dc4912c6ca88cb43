"""Route a button press to the domain function that owns its action.

Each entry takes (session, env, person, *args) and returns a CallbackOutcome; every one of them checks that
the ids in the button belong to the person who pressed it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from bot.core.actions import Action, decode
from bot.core.context import Env, Person
from bot.core.facilitator import facilitator_announce, facilitator_dialogue
from bot.core.privacy import data_rights
from bot.core.replies import CallbackOutcome
from bot.core.safety import safeguarding, safeguarding_checkin
from bot.core.student import consent, reflection
from bot.research import chat as research_chat

Route = Callable[..., CallbackOutcome]

ROUTES: dict[Action, Route] = {
    Action.CONSENT_PARTICIPATE: consent.choose_participate,
    Action.CONSENT_RESEARCH: consent.choose_research,
    Action.WITHDRAW: consent.confirm_withdraw,
    Action.NO_ENCOUNTER: reflection.no_encounter,
    Action.START_WITH_PENDING: reflection.start_with_pending,
    Action.CODE_TOGGLE: research_chat.toggle,
    Action.CODE_SEGMENT: research_chat.segment,
    Action.CODE_DONE: research_chat.done,
    Action.SCHEDULE: facilitator_dialogue.schedule_button,
    Action.ANNOUNCE: facilitator_announce.confirm,
    Action.DELETE: data_rights.confirm_delete,
    Action.ACK_ALERT: safeguarding.ack_button,
    Action.CHECK_IN: safeguarding_checkin.answer,
}

UNKNOWN = CallbackOutcome(toast="Sorry, I didn't understand that button.")
EXPIRED = CallbackOutcome(toast="This button has expired.")


def press(session: Session, env: Env, person: Person, data: str | None) -> CallbackOutcome:
    """Handle a button press."""
    cb = decode(data)
    if cb is None:
        return UNKNOWN
    route = ROUTES.get(cb.action)
    if route is None:
        return EXPIRED
    return route(session, env, person, *cb.args)
