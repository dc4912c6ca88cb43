"""Stable pseudonyms per participant per study: P001, P002 … in order of first entry into the study.

The mapping is stored keyed by ``HMAC-SHA256(PSEUDONYM_KEY, "study:<id>:telegram:<id>")``, never by the
Telegram id or the user row: someone holding the database but not the key cannot tell which participant a
Telegram account is, and cannot recompute a digest from an id. The same key must be kept for the life of a
study — a new key makes every returning student a new participant.

In development, with no PSEUDONYM_KEY set, a key is generated once and kept in ``pseudonym.key`` in the
data folder (beside the SQLite database), so pseudonyms stay stable between runs. Production refuses to
start without the setting (see ``bot.config``).
"""

from __future__ import annotations

import hashlib
import hmac

from sqlmodel import Session

from bot.core.context import Env

# the development key: kept apart so that building the Env (every CLI command) needs no research tables
from bot.research.pseudonym_key import DEV_KEY_FILE as DEV_KEY_FILE
from bot.research.pseudonym_key import data_folder as data_folder
from bot.research.pseudonym_key import dev_key as dev_key
from storage import research_repo
from storage.research_models import ResearchParticipant


class PseudonymKeyMissing(Exception):
    """No PSEUDONYM_KEY: research intake cannot assign pseudonyms."""


def digest(key: str, study_id: int, telegram_id: int) -> str:
    """Return the HMAC digest that stands for a Telegram account within a study."""
    message = f"study:{study_id}:telegram:{telegram_id}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def key_of(env: Env) -> str:
    """Return the server's pseudonym key, or say clearly that it is missing."""
    if not env.pseudonym_key:
        raise PseudonymKeyMissing("PSEUDONYM_KEY is not set, so pseudonyms cannot be assigned. "
                                  "Set it in the environment or .env (see docs/researchers.md).")
    return env.pseudonym_key


def participant_for(session: Session, env: Env, study_id: int, telegram_id: int) -> ResearchParticipant:
    """Return the participant of this account in this study, numbered next if they are new."""
    d = digest(key_of(env), study_id, telegram_id)
    found = research_repo.get_participant_by_digest(session=session, study_id=study_id, digest=d)
    if found is not None:
        return found
    number = research_repo.max_participant_number(session=session, study_id=study_id) + 1
    return research_repo.add_participant(session=session, participant=ResearchParticipant(
        study_id=study_id, digest=d, number=number, first_entered_at=env.clock.now()))


def find_participant(session: Session, env: Env, study_id: int, telegram_id: int) -> ResearchParticipant | None:
    """Return the participant of this account in this study, if they have entered it."""
    if not env.pseudonym_key:
        return None
    d = digest(env.pseudonym_key, study_id, telegram_id)
    return research_repo.get_participant_by_digest(session=session, study_id=study_id, digest=d)
