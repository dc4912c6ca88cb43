"""Circle posts in the coding queue: by the author's research consent, de-identified as reflections are.

``queue.intake`` calls ``intake`` after the reflections. One item is one post of a finished circle week (closed,
or "nobody presented"), so nobody codes a discussion still going on. Only authors whose research consent in the
circle's cohort is yes *now* enter (a leader with no enrolment never does); consent changed to no takes their
items out at the next intake, yes brings them back; a removed post (the author left or /deleted, or the leader
removed it) loses its item altogether. The step names the phase: ``circle:case``, ``circle:questions``, …
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.core.context import Env
from bot.research import deidentify, pseudonyms
from storage import research_repo
from storage.circle_models import Circle, CircleMember, CirclePost, CircleWeek, Phase
from storage.models import Cohort, Enrolment, User
from storage.research_models import CodingItem

ENDED = (Phase.CLOSED, Phase.NO_CASE)


@dataclass
class CircleIntake:
    new: int = 0
    excluded: int = 0
    restored: int = 0
    removed: int = 0


def step_of(post: CirclePost) -> str:
    """The item's step: the kind for a case, else the phase it was posted in."""
    return "circle:case" if post.kind == "case" else f"circle:{post.phase}"


def _posts(session: Session, study_id: int) -> Iterator[tuple[CirclePost, CircleWeek, Circle, User, bool]]:
    """Every post of the study's finished circle weeks, with whether its author may be in research now."""
    consenting = {(u, c) for u, c in session.exec(
        select(Enrolment.user_id, Enrolment.cohort_id).join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .where(Cohort.study_id == study_id, col(Enrolment.research).is_(True),
               col(Enrolment.withdrawn_at).is_(None))).all()}
    stmt = (select(CirclePost, CircleWeek, Circle, User)
            .join(CircleWeek, col(CircleWeek.id) == CirclePost.week_id)
            .join(Circle, col(Circle.id) == CircleWeek.circle_id)
            .join(Cohort, col(Cohort.id) == Circle.cohort_id)
            .join(CircleMember, col(CircleMember.id) == CirclePost.member_id)
            .join(User, col(User.id) == CircleMember.user_id)
            .where(Cohort.study_id == study_id, col(CircleWeek.phase).in_(ENDED))
            .order_by(col(CirclePost.id)))
    for post, week, circle, user in session.exec(stmt):
        yield post, week, circle, user, (user.id, circle.cohort_id) in consenting


def intake(session: Session, env: Env, study_id: int) -> CircleIntake:
    """Bring a study's circle items up to date with consent and removals."""
    result = CircleIntake()
    now = env.clock.now()
    known = {int(p): (int(i or 0), x is not None) for p, i, x in session.exec(
        select(CodingItem.circle_post_id, CodingItem.id, CodingItem.excluded_at)
        .where(CodingItem.study_id == study_id, col(CodingItem.circle_post_id).is_not(None))).all() if p}
    gone, excluded, restored = [], [], []
    for post, week, circle, user, consenting in _posts(session, study_id):
        assert post.id is not None
        item = known.get(post.id)
        if post.removed_at is not None:
            if item:
                gone.append(item[0])
            continue
        if item is None:
            if not consenting:
                continue
            raw = deidentify.compose([env.cipher.decrypt(post.text, post.encrypted)])
            if not raw:
                continue
            participant = pseudonyms.participant_for(session, env, study_id, user.telegram_id)
            assert participant.id is not None
            red = deidentify.redact(raw)
            research_repo.add_item(session=session, item=CodingItem(
                study_id=study_id, participant_id=participant.id, session_id=None, circle_post_id=post.id,
                cohort_id=circle.cohort_id, week=week.week, step=step_of(post), entry_ids=[],
                source_digest=deidentify.source_digest(raw), text=red.text, spans=red.spans,
                written_at=post.created_at, entered_at=now, updated_at=now))
            result.new += 1
        elif consenting and item[1]:
            restored.append(item[0])
        elif not consenting and not item[1]:
            excluded.append(item[0])
    research_repo.delete_items(session=session, item_ids=gone)
    research_repo.set_excluded(session=session, item_ids=excluded, at=now,
                               reason="research consent is no longer yes")
    research_repo.set_excluded(session=session, item_ids=restored, at=None, reason=None)
    result.removed, result.excluded, result.restored = len(gone), len(excluded), len(restored)
    return result


def raw_text(session: Session, env: Env, item: CodingItem) -> str:
    """The raw text of a circle item (server side only)."""
    post = session.get(CirclePost, item.circle_post_id) if item.circle_post_id else None
    if post is None or post.removed_at is not None:
        return ""
    return deidentify.compose([env.cipher.decrypt(post.text, post.encrypted)])
