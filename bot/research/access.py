"""Who is a researcher of which study: grants from the CLI or the researcher invite link ``/start r-CODE``.

A researcher works only on the studies they were granted (``bot.core.roles.can_research``); admins on all.
They are known to other researchers and in exports by their coder label, never by Telegram name or id.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.core.context import Env, Person
from bot.core.facilitator import role_links
from bot.core.replies import Reply
from bot.core.roles import can_research, researched_studies
from bot.core.student.enrolment import RESEARCHER_PREFIX
from bot.core.templates import escape
from bot.research.coding import ensure_coder
from bot.research.errors import ResearchError
from storage import coding_repo, repo, research_repo
from storage.models import Role, Study
from storage.research_models import Coder

NOT_A_RESEARCHER = ("Sorry, that command is for researchers of a study, and you're not one. If you should be, ask "
                    "the study lead for the researcher invite link.")


OLD_LINK = ("That researcher link isn't valid any more (it has been replaced), so it doesn't make you a "
            "researcher. If you should be one, please ask the study lead for a current link.")
EXPIRED_LINK = ("That researcher link has expired, so it doesn't make you a researcher. If you should be one, "
                "please ask the study lead for a new link.")


def grant(session: Session, env: Env, study: Study, telegram_id: int, *, label: str | None = None,
          independent: bool | None = None, actor: str) -> Coder:
    """Make someone a researcher (and coder) of a study."""
    assert study.id is not None
    repo.grant_role(session=session, telegram_id=telegram_id, role=Role.RESEARCHER, study_id=study.id,
                    granted_by=actor)
    coder = ensure_coder(session, env, study, telegram_id, label=label, independent=independent)
    repo.audit(session=session, actor=actor, action="research.grant", study_id=study.id, at=env.clock.now(),
               coder=coder.label, independent=coder.independent)
    return coder


def revoke(session: Session, env: Env, study: Study, telegram_id: int, *, actor: str) -> bool:
    """Stop someone researching a study (their codings stay, under their label); say if they were one.

    The researcher link is rotated too: they (or whoever has a forwarded copy) could otherwise open it again.
    """
    assert study.id is not None
    held = coding_repo.revoke_researcher(session=session, telegram_id=telegram_id, study_id=study.id)
    if held:
        repo.audit(session=session, actor=actor, action="research.revoke", study_id=study.id, at=env.clock.now())
        role_links.rotate_researcher_link(session, study, role_links.researcher_policy(study), now=env.clock.now(),
                                          actor=actor, reason="revoke")
    return held


def is_researcher_link(payload: str | None) -> bool:
    """Say whether a /start payload is a researcher invite (``r-CODE``)."""
    return bool(payload) and payload.strip().lower().startswith(RESEARCHER_PREFIX)  # type: ignore[union-attr]


def join(session: Session, env: Env, person: Person, payload: str) -> list[Reply]:
    """``/start r-CODE``: become a researcher of the study behind the code."""
    code = payload.strip()[len(RESEARCHER_PREFIX):]
    study = research_repo.get_study_by_researcher_code(session=session, code=code) if code else None
    now = env.clock.now()
    if study is None:
        repo.audit(session=session, actor=person.actor, action="research.bad_link", at=now)
        return [Reply(OLD_LINK)]
    assert study.id is not None
    if role_links.is_expired(study.researcher_link_expires_at, now):
        repo.audit(session=session, actor=person.actor, action="research.expired_link", study_id=study.id, at=now)
        return [Reply(EXPIRED_LINK)]
    already = can_research(session, env, person, study.id) and coding_repo.get_coder(
        session=session, study_id=study.id, telegram_id=person.telegram_id) is not None
    coder = grant(session, env, study, person.telegram_id, actor=person.actor)
    if study.researcher_link_single_use and not already:  # used up: the next researcher needs a new link
        role_links.rotate_researcher_link(session, study, role_links.researcher_policy(study), now=now,
                                          actor=person.actor, reason="used")
    opening = (f"You're already a researcher of <b>{escape(study.name)}</b>" if already
               else f"Welcome — you're now a researcher of <b>{escape(study.name)}</b>")
    return [Reply(
        f"{opening}, coding as <b>{escape(coder.label)}</b>. Other researchers and exports know you by that "
        "label only."
    )]  # chat adds the researcher's commands (bot.chat.commands)


def studies_of(session: Session, env: Env, person: Person) -> list[Study]:
    """Return the studies this person may research (all of them for an admin)."""
    allowed = researched_studies(session, env, person)
    return [s for s in research_repo.list_studies(session=session) if allowed is None or s.id in allowed]


def coder_of(session: Session, env: Env, person: Person, study: Study) -> Coder:
    """Return the person's coder in a study (checked: they must be allowed to research it)."""
    assert study.id is not None
    if not can_research(session, env, person, study.id):
        raise ResearchError(NOT_A_RESEARCHER)
    coder = coding_repo.get_coder(session=session, study_id=study.id, telegram_id=person.telegram_id)
    return coder or ensure_coder(session, env, study, person.telegram_id)
