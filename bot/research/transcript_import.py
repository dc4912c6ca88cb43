"""An in-person session stored as one research source: its consenting speakers' turns enter the coding queue.

``balint research import-transcript FILE --cohort C --week N --store`` comes here after ``transcripts.read`` and
the speaker map. The session becomes a ``research_transcripts`` row (``kind`` "import", titled "Cohort · week 2 ·
in person" unless the team names it), each turn that may enter one queue item pointing at it, the same shape as a
circle week's turns: the speaker's pseudonym, role "member", the turn's place in the file (gaps: turns left out,
the leader's among them). Each turn is redacted as a reflection is and waits for review (``reviewed_at`` empty).

Its raw words are kept encrypted in ``research_imported_turns`` with the speaker's user, never shown: a review mark
re-redacts from them, and the speaker's consent reaches the turn as it reaches a reflection (no: out of the queue
at once; yes again: back; /delete: gone). A title is imported once per study, so running the command twice does
not double a session.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.core.context import Env
from bot.research import deidentify, pseudonyms, transcripts
from bot.research.errors import ResearchError
from storage import repo, research_repo
from storage.models import Cohort, Study
from storage.research_models import CodingItem, ImportedTurn, ResearchTranscript

KIND = "import"
STEP = "transcript"


@dataclass
class Stored:
    transcript_id: int
    title: str
    cohort: str
    week: int
    items: list[int]
    new_participants: int


def cohort_of(session: Session, study: Study, name: str | None) -> Cohort:
    """The cohort a session belongs to: the one named, or the study's only cohort."""
    assert study.id is not None
    cohorts = list(research_repo.study_cohorts(session=session, study_id=study.id))
    if name is not None:
        found = next((c for c in cohorts if c.name.lower() == name.strip().lower()), None)
        if found is None:
            raise ResearchError(f"{study.name} has no cohort {name!r}; its cohorts: "
                                f"{', '.join(c.name for c in cohorts) or 'none'}")
        return found
    if len(cohorts) != 1:
        raise ResearchError(f"{study.name} has {len(cohorts)} cohorts; say which one the session was with "
                            "(--cohort NAME)")
    return cohorts[0]


def default_title(cohort: Cohort, week: int) -> str:
    """The session's name in the exports when the team gives none."""
    return f"{cohort.name} · week {week} · in person"


def store(session: Session, env: Env, study: Study, cohort: Cohort, week: int, title: str,
          preview: transcripts.Preview, *, actor: str) -> Stored:
    """Store a previewed session (mapped in ``cohort``) as one transcript; its turns enter the queue for review."""
    assert study.id is not None and cohort.id is not None
    research_repo.lock_study(session=session, study_id=study.id)
    if week < 1:
        raise ResearchError(f"--week {week}: weeks are numbered from 1")
    title = " ".join(title.split())
    if not title:
        raise ResearchError("--title is empty")
    same = session.exec(select(ResearchTranscript.id).where(ResearchTranscript.study_id == study.id,
                                                            ResearchTranscript.title == title)).first()
    if same is not None:
        raise ResearchError(f"{study.name} already has a session {title!r} (transcript {same}); nothing was stored. "
                            "Give this one another --title if it is a different session")
    if not preview.turns:
        raise ResearchError("no turn may enter (see who is left out and why); nothing was stored")
    now = env.clock.now()
    before = research_repo.max_participant_number(session=session, study_id=study.id)
    transcript = ResearchTranscript(study_id=study.id, kind=KIND, circle_week_id=None, cohort_id=cohort.id,
                                    week=week, title=title, created_at=now)
    session.add(transcript)
    session.flush()
    items: list[int] = []
    for turn in preview.turns:
        participant = pseudonyms.participant_for(session, env, study.id, turn.telegram_id)
        assert participant.id is not None
        turn.pseudonym = participant.pseudonym
        item = research_repo.add_item(session=session, item=CodingItem(
            study_id=study.id, participant_id=participant.id, session_id=None, circle_post_id=None,
            transcript_id=transcript.id, turn=turn.number, speaker_role=turn.role, phase=None,
            cohort_id=cohort.id, week=week, step=STEP, entry_ids=[], source_digest=deidentify.source_digest(turn.raw),
            text=turn.text, spans=turn.spans, written_at=now, entered_at=now, updated_at=now))
        assert item.id is not None
        token, encrypted = env.cipher.encrypt(turn.raw)
        session.add(ImportedTurn(item_id=item.id, user_id=turn.user_id, text=token, encrypted=encrypted))
        items.append(item.id)
    session.flush()
    assert transcript.id is not None
    new_participants = research_repo.max_participant_number(session=session, study_id=study.id) - before
    repo.audit(session=session, actor=actor, action="research.transcript_imported", study_id=study.id,
               cohort_id=cohort.id, at=now, transcript=transcript.id, week=week, items=len(items),
               left_out=sum(preview.left_out.values()), new_participants=new_participants)
    return Stored(transcript.id, title, cohort.name, week, items, new_participants)


def raw_text(session: Session, env: Env, item: CodingItem) -> str:
    """The raw words of an imported turn (server side only)."""
    found = session.exec(select(ImportedTurn).where(col(ImportedTurn.item_id) == item.id)).first()
    if found is None:
        raise ResearchError(f"item {item.id}: its imported words are gone; nothing was changed")
    return env.cipher.decrypt(found.text, found.encrypted)


def is_imported(item: CodingItem) -> bool:
    """Say whether an item is a turn of an imported transcript (not a reflection step, not a circle post)."""
    return item.transcript_id is not None and item.circle_post_id is None and item.session_id is None
