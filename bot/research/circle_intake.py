"""A finished circle week as one research source: a transcript whose turns are its posts, by the authors' consent.

``queue.intake`` calls ``intake`` after the reflections. A week enters once it is over (closed, or "nobody
presented"), so nobody codes a discussion still going on. It becomes one ``research_transcripts`` row (the
session: "Circle Rose · week 1"); each post is one item of the coding queue pointing at it, with its turn number,
the speaker's role (presenter, member, leader) and the phase it was written in (case, questions, discussion,
response, closing). The speaker is the author's pseudonym.

Who enters: only authors whose research consent in the circle's cohort is yes *now* (a leader with no enrolment
never does). A turn that replied to (quoted) a post whose author may not be in research, or a post that has since
been removed, stays out too. Consent changed to no takes the turns out at the next intake, yes brings them back; a
removed post (the author left or /deleted, or the leader removed it) loses its item altogether. A turn is numbered
once, when it enters, by its place among the week's posts; a gap marks a turn left out or removed, and a closed
round's exports keep their numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.context import Env
from bot.research import deidentify, pseudonyms
from storage import research_repo
from storage.circle_models import Circle, CircleMember, CirclePost, CircleWeek, Phase
from storage.models import Cohort, Enrolment, User
from storage.research_models import CodingItem, ResearchTranscript

ENDED = (Phase.CLOSED, Phase.NO_CASE)
CONSENT_NO = "research consent is no longer yes"
QUOTES_OUT = "quotes a post whose author is not in the research"


@dataclass
class CircleIntake:
    new: int = 0
    excluded: int = 0
    restored: int = 0
    removed: int = 0


def phase_of(post: CirclePost) -> str:
    """The turn's phase: "case" for the case, else the phase it was posted in."""
    return "case" if post.kind == "case" else str(post.phase)


def step_of(post: CirclePost) -> str:
    """The item's step: ``circle:`` and the phase."""
    return f"circle:{phase_of(post)}"


@dataclass
class _Turn:
    post: CirclePost
    user: User
    consenting: bool


def _weeks(session: Session, study_id: int) -> Iterator[tuple[CircleWeek, Circle, list[_Turn]]]:
    """Every finished circle week of the study with its posts in order, and whether each author may be in research."""
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
            .order_by(col(CircleWeek.id), col(CirclePost.id)))
    current: tuple[CircleWeek, Circle] | None = None
    turns: list[_Turn] = []
    for post, week, circle, user in session.exec(stmt):
        if current is not None and current[0].id != week.id:
            yield current[0], current[1], turns
            turns = []
        current = (week, circle)
        turns.append(_Turn(post, user, (user.id, circle.cohort_id) in consenting))
    if current is not None:
        yield current[0], current[1], turns


def _transcript(session: Session, study_id: int, week: CircleWeek, circle: Circle,
                known: dict[int, ResearchTranscript]) -> ResearchTranscript:
    assert week.id is not None
    found = known.get(week.id)
    if found is None:
        found = ResearchTranscript(study_id=study_id, kind="circle", circle_week_id=week.id, cohort_id=circle.cohort_id,
                                   week=week.week, title=f"{circle.name} · week {week.week}")
        session.add(found)
        session.flush()
        known[week.id] = found
    return found


def intake(session: Session, env: Env, study_id: int) -> CircleIntake:
    """Bring a study's circle transcripts up to date with consent, quotes and removals."""
    result = CircleIntake()
    now = env.clock.now()
    known = {int(i.circle_post_id): i for i in session.exec(
        select(CodingItem).where(CodingItem.study_id == study_id, col(CodingItem.circle_post_id).is_not(None)))
        if i.circle_post_id}
    transcripts = {int(t.circle_week_id): t for t in session.exec(
        select(ResearchTranscript).where(ResearchTranscript.study_id == study_id,
                                         col(ResearchTranscript.circle_week_id).is_not(None))) if t.circle_week_id}
    gone: list[int] = []
    out: dict[str, list[int]] = {CONSENT_NO: [], QUOTES_OUT: []}
    restored: list[int] = []
    weeks = list(_weeks(session, study_id))
    standing = {t.post.id: t for _w, _c, turns in weeks for t in turns if t.post.removed_at is None}
    for week, circle, turns in weeks:
        number = 0
        for turn in turns:
            post = turn.post
            assert post.id is not None
            item = known.get(post.id)
            number += 1
            if post.removed_at is not None:
                if item is not None and item.id is not None:
                    gone.append(item.id)
                continue
            quoted = standing.get(post.quotes_post_id) if post.quotes_post_id is not None else None
            why = CONSENT_NO if not turn.consenting else QUOTES_OUT if (
                post.quotes_post_id is not None and (quoted is None or not quoted.consenting)) else None
            if item is None:
                if why is None:
                    item = _add(session, env, study_id, week, circle, turn, transcripts, now)
                    if item is not None:
                        result.new += 1
                if item is None:
                    continue
            if item.transcript_id is None or item.turn is None:  # new, or made before circle weeks were transcripts
                item.transcript_id = _transcript(session, study_id, week, circle, transcripts).id
                item.turn, item.speaker_role, item.phase, item.step = number, post.role, phase_of(post), step_of(post)
                session.add(item)
            assert item.id is not None
            if why is None and item.excluded_at is not None:
                restored.append(item.id)
            elif why is not None and item.excluded_at is None:
                out[why].append(item.id)
    research_repo.delete_items(session=session, item_ids=gone)
    for reason, ids in out.items():
        research_repo.set_excluded(session=session, item_ids=ids, at=now, reason=reason)
    research_repo.set_excluded(session=session, item_ids=restored, at=None, reason=None)
    result.removed, result.restored = len(gone), len(restored)
    result.excluded = sum(len(ids) for ids in out.values())
    return result


def _add(session: Session, env: Env, study_id: int, week: CircleWeek, circle: Circle, turn: _Turn,
         transcripts: dict[int, ResearchTranscript], now: datetime) -> CodingItem | None:
    post = turn.post
    raw = deidentify.compose([env.cipher.decrypt(post.text, post.encrypted)])
    if not raw:
        return None
    participant = pseudonyms.participant_for(session, env, study_id, turn.user.telegram_id)
    assert participant.id is not None
    red = deidentify.redact(raw)
    transcript = _transcript(session, study_id, week, circle, transcripts)
    return research_repo.add_item(session=session, item=CodingItem(
        study_id=study_id, participant_id=participant.id, session_id=None, circle_post_id=post.id,
        transcript_id=transcript.id, turn=None, speaker_role=post.role, phase=phase_of(post),
        cohort_id=circle.cohort_id, week=week.week, step=step_of(post), entry_ids=[],
        source_digest=deidentify.source_digest(raw), text=red.text, spans=red.spans,
        written_at=post.created_at, entered_at=now, updated_at=now))


def raw_text(session: Session, env: Env, item: CodingItem) -> str:
    """The raw text of a circle item (server side only)."""
    post = session.get(CirclePost, item.circle_post_id) if item.circle_post_id else None
    if post is None or post.removed_at is not None:
        return ""
    return deidentify.compose([env.cipher.decrypt(post.text, post.encrypted)])
