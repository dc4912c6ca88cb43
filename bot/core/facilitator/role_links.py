"""Facilitator and researcher links that can be taken back: rotation, expiry, single use.

A link (``/start f-CODE``, ``/start r-CODE``) grants a role to whoever opens it, so a forwarded link is a
forwarded role. Rotating gives the cohort or study a fresh code: every earlier link stops granting, and whoever
opens one is told kindly that it isn't valid any more (no role, nothing else changes). Revoking someone's role
rotates the link too, so they can't simply open it again. A link may also expire at a given time or work once
(the code is replaced as soon as someone has joined by it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.scheduling.schedule import ScheduleError
from bot.core.student.enrolment import new_code
from storage import repo
from storage.models import Cohort, Study

FACILITATOR_CODE_LENGTH = 10
RESEARCHER_CODE_LENGTH = 10
_DURATION = re.compile(r"\s*(\d{1,4})\s*([hd]?)\s*", re.IGNORECASE)
MAX_VALID = timedelta(days=365)


@dataclass(frozen=True)
class LinkPolicy:
    """How a new link behaves: when it stops working (None: never) and whether it works only once."""

    expires_at: datetime | None = None
    single_use: bool = False


def parse_valid_for(text: str) -> timedelta:
    """Read a validity such as ``48h``, ``7d`` or ``12`` (hours); refuse anything else with a clear message."""
    m = _DURATION.fullmatch(text)
    if m is None or int(m.group(1)) == 0:
        raise ScheduleError(f"--expires-in {text!r} is not a number of hours or days, such as 48h or 7d")
    amount, unit = int(m.group(1)), m.group(2).lower()
    valid = timedelta(days=amount) if unit == "d" else timedelta(hours=amount)
    if valid > MAX_VALID:
        raise ScheduleError("--expires-in can be at most 365 days")
    return valid


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """Say whether a link with this expiry no longer works."""
    return expires_at is not None and now >= expires_at


def rotate_facilitator_link(session: Session, cohort: Cohort, policy: LinkPolicy, *, now: datetime,
                            actor: str, reason: str = "rotate") -> Cohort:
    """Give the cohort a fresh facilitator code with this policy; every earlier link stops granting."""
    cohort.facilitator_code = new_code(FACILITATOR_CODE_LENGTH)
    cohort.facilitator_link_expires_at = policy.expires_at
    cohort.facilitator_link_single_use = policy.single_use
    session.add(cohort)
    session.flush()
    repo.audit(session=session, actor=actor, action="link.rotate", cohort_id=cohort.id, at=now, role="facilitator",
               reason=reason, single_use=policy.single_use,
               expires_at=policy.expires_at.isoformat() if policy.expires_at else None)
    return cohort


def rotate_researcher_link(session: Session, study: Study, policy: LinkPolicy, *, now: datetime,
                           actor: str, reason: str = "rotate") -> Study:
    """Give the study a fresh researcher code with this policy; every earlier link stops granting."""
    study.researcher_code = new_code(RESEARCHER_CODE_LENGTH)
    study.researcher_link_expires_at = policy.expires_at
    study.researcher_link_single_use = policy.single_use
    session.add(study)
    session.flush()
    repo.audit(session=session, actor=actor, action="link.rotate", study_id=study.id, at=now, role="researcher",
               reason=reason, single_use=policy.single_use,
               expires_at=policy.expires_at.isoformat() if policy.expires_at else None)
    return study


def facilitator_policy(cohort: Cohort) -> LinkPolicy:
    """Return the cohort's current link policy (kept when the link is rotated on a revoke or a use)."""
    return LinkPolicy(cohort.facilitator_link_expires_at, cohort.facilitator_link_single_use)


def researcher_policy(study: Study) -> LinkPolicy:
    """Return the study's current link policy."""
    return LinkPolicy(study.researcher_link_expires_at, study.researcher_link_single_use)


def describe(policy: LinkPolicy, now: datetime) -> str:
    """Say in a few words how a link behaves, for the CLI."""
    parts = []
    if policy.expires_at is not None:
        when = policy.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        parts.append(f"expired {when}" if is_expired(policy.expires_at, now) else f"works until {when}")
    if policy.single_use:
        parts.append("works once")
    return ", ".join(parts) or "works until rotated"
