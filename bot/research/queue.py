"""The coding queue: consent-gated intake of finished reflection steps, withdrawal, and the review step.

Rules (docs/researchers.md explains them to a study team):

* An item is one step of one week's conversation (encounter, felt, patient, between, takeaway, moment): what
  the student wrote there, latest version of each message, redacted. A week enters once its conversation
  has ended (closed, or expired when the next prompt came), so nobody codes text that is still being written.
  The "nothing this week" answer of the short path is not an item.
* Only students whose research consent is yes *now* enter. When consent changes to no (or the student
  withdraws), ``on_consent_changed`` takes their items out of the queue and of every later export at once,
  and writes to the audit log which earlier exports held them. Yes again brings the items back.
* An edited reflection (a new version) or a researcher's review mark re-redacts the item; offsets of codings
  already made are carried over to the new text (see ``deidentify.Remap``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.context import Env
from bot.core.student.dialogue import Route, Step
from bot.research import circle_intake, deidentify, pseudonyms, transcript_import
from bot.research.errors import ResearchError
from storage import repo, research_repo
from storage.models import ReflectionEntry, ReflectionSession, Study, User
from storage.research_models import CodingItem, ItemMark, ResearchParticipant

_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*\]")


@dataclass
class IntakeResult:
    study: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    restored: int = 0
    excluded: int = 0
    new_participants: int = 0

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class _Step:
    session: ReflectionSession
    telegram_id: int
    step: str
    entry_ids: list[int]
    texts: list[str]
    written_at: datetime


def _steps(session: Session, env: Env, study_id: int) -> Iterator[_Step]:
    """Group the stream of eligible entries into steps, week by week; each message at its latest version."""
    current: int | None = None
    owner: tuple[ReflectionSession, int] | None = None
    # step -> (chat, message) -> [first entry id, latest text, latest entry id, first written]
    steps: dict[str, dict[tuple[int, int], list[Any]]] = {}

    def flush() -> Iterator[_Step]:
        if owner is None:
            return
        for step, messages in sorted(steps.items(), key=lambda kv: min(m[0] for m in kv[1].values())):
            ordered = sorted(messages.values())
            yield _Step(session=owner[0], telegram_id=owner[1], step=step, entry_ids=[m[2] for m in ordered],
                        texts=[m[1] for m in ordered], written_at=min(m[3] for m in ordered))

    for entry, rs, telegram_id in research_repo.eligible_entries(session=session, study_id=study_id):
        if entry.session_id != current:
            yield from flush()
            current, owner, steps = entry.session_id, (rs, telegram_id), {}
        assert entry.id is not None
        text = env.cipher.decrypt(entry.text, entry.encrypted)
        message = steps.setdefault(entry.step, {}).setdefault((entry.chat_id, entry.message_id),
                                                             [entry.id, text, entry.id, entry.created_at])
        message[1], message[2] = text, entry.id
    yield from flush()


def _counts(step: _Step) -> bool:
    """Say whether a step is research material (not the short path's "nothing this week")."""
    return not (step.step == Step.ENCOUNTER and step.session.path == Route.SHORT)


def intake(session: Session, env: Env, study: Study, *, actor: str) -> IntakeResult:
    """Bring the queue of a study up to date with consent and with what students wrote."""
    assert study.id is not None
    research_repo.lock_study(session=session, study_id=study.id)
    result = IntakeResult(study=study.name)
    now = env.clock.now()

    # Numbers follow first entry into the study: new participants are numbered by their first reflection.
    participants: dict[int, ResearchParticipant] = {}
    before = research_repo.max_participant_number(session=session, study_id=study.id)
    for telegram_id, _first in research_repo.eligible_first_entries(session=session, study_id=study.id):
        participants[telegram_id] = pseudonyms.participant_for(session, env, study.id, telegram_id)
    result.new_participants = research_repo.max_participant_number(session=session, study_id=study.id) - before

    index = research_repo.item_index(session=session, study_id=study.id)
    for step in _steps(session, env, study.id):
        if not _counts(step):
            continue
        assert step.session.id is not None
        raw = deidentify.compose(step.texts)
        if not raw:
            continue
        digest = deidentify.source_digest(raw)
        known = index.get((step.session.id, step.step))
        if known is None:
            participant = participants[step.telegram_id]
            assert participant.id is not None
            red = deidentify.redact(raw)
            research_repo.add_item(session=session, item=CodingItem(
                study_id=study.id, participant_id=participant.id, session_id=step.session.id,
                cohort_id=step.session.cohort_id, week=step.session.week, step=step.step, entry_ids=step.entry_ids,
                source_digest=digest, text=red.text, spans=red.spans, written_at=step.written_at, entered_at=now,
                updated_at=now))
            result.new += 1
            continue
        item_id, old_digest, excluded = known
        if excluded:
            research_repo.set_excluded(session=session, item_ids=[item_id], at=None, reason=None)
            result.restored += 1
        if old_digest != digest:
            item = research_repo.get_item(session=session, item_id=item_id)
            assert item is not None
            item.entry_ids = step.entry_ids
            rebuild(session, env, item, raw)
            item.reviewed_at = item.reviewed_by = None  # the student changed it: read it again before coding
            session.add(item)
            result.updated += 1
        elif not excluded:
            result.unchanged += 1

    circles = circle_intake.intake(session, env, study.id)  # circle posts, by their authors' consent
    result.new, result.excluded, result.restored = (result.new + circles.new, circles.excluded + circles.removed,
                                                    result.restored + circles.restored)
    result.new_participants = research_repo.max_participant_number(session=session, study_id=study.id) - before
    gone = research_repo.ineligible_item_ids(session=session, study_id=study.id)
    research_repo.set_excluded(session=session, item_ids=gone, at=now, reason="research consent is no longer yes")
    result.excluded += len(gone)
    counts: dict[str, Any] = {k: v for k, v in result.as_dict().items() if k != "study"}
    repo.audit(session=session, actor=actor, action="research.intake", study_id=study.id, at=now, **counts)
    return result


def raw_text(session: Session, env: Env, item: CodingItem) -> str:
    """Return the raw text an item was made from (server side only: never shown to researchers)."""
    if item.circle_post_id is not None:
        return circle_intake.raw_text(session, env, item)
    if transcript_import.is_imported(item):
        return transcript_import.raw_text(session, env, item)
    texts = []
    for entry_id in item.entry_ids:
        entry = session.get(ReflectionEntry, entry_id)
        if entry is not None:
            texts.append(env.cipher.decrypt(entry.text, entry.encrypted))
    return deidentify.compose(texts)


def _resolve_marks(session: Session, item: CodingItem, raw: str, digest: str) -> list[tuple[int, int, str]]:
    """Return the review marks as raw offsets into ``raw``; a mark made on an older version is found again by
    the redacted words the researcher marked."""
    assert item.id is not None
    marks = research_repo.marks_of(session=session, item_id=item.id)
    if not marks:
        return []
    resolved: list[tuple[int, int, str]] = []
    base: deidentify.Redacted | None = None
    for mark in marks:
        if mark.source_digest == digest and 0 <= mark.start < mark.end <= len(raw):
            resolved.append((mark.start, mark.end, mark.type))
            continue
        base = base or deidentify.redact(raw)
        for a, b in deidentify.find_all(base.text, mark.seen):
            start = deidentify.raw_position(base.spans, a, end=False)
            end = deidentify.raw_position(base.spans, b, end=True)
            if start < end:
                resolved.append((start, end, mark.type))
                mark.start, mark.end, mark.source_digest = start, end, digest
                session.add(mark)
    return resolved


def rebuild(session: Session, env: Env, item: CodingItem, raw: str | None = None) -> bool:
    """Re-redact an item (new version, new mark, changed rules); carry codings over. Say if the text changed."""
    from bot.research.coding import carry_codings  # late import: coding builds on the queue

    raw = raw_text(session, env, item) if raw is None else raw
    digest = deidentify.source_digest(raw)
    red = deidentify.redact(raw, _resolve_marks(session, item, raw, digest))
    changed = red.text != item.text
    if changed:
        carry_codings(session, item, deidentify.Remap(item.text, red.text))
    item.text, item.spans, item.source_digest = red.text, red.spans, digest
    item.updated_at = env.clock.now()
    session.add(item)
    return changed


def mark(session: Session, env: Env, item: CodingItem, start: int, end: int, kind: str, *, actor: str) -> CodingItem:
    """Redact ``[start, end)`` of the item's redacted text as ``[KIND]`` (the review step)."""
    assert item.id is not None
    if not 0 <= start < end <= len(item.text):
        raise ResearchError(f"the span {start}:{end} is outside item {item.id} (its text has {len(item.text)} "
                            "characters)")
    kind = (kind or "REDACTED").strip().upper()
    if not kind.replace("_", "").isalnum():
        raise ResearchError(f"{kind!r} is not a placeholder type; use letters, e.g. NAME, PLACE, REDACTED")
    raw = raw_text(session, env, item)
    digest = deidentify.source_digest(raw)
    if digest != item.source_digest:
        rebuild(session, env, item, raw)
        raise ResearchError(f"item {item.id} had changed (the student edited it) and was refreshed; "
                            "look at it again and mark once more")
    raw_start = deidentify.raw_position(item.spans, start, end=False)
    raw_end = deidentify.raw_position(item.spans, end, end=True)
    seen = item.text[start:end]
    research_repo.add(session=session, row=ItemMark(item_id=item.id, start=raw_start, end=raw_end, type=kind,
                                                    seen=seen, source_digest=digest, marked_by=actor,
                                                    marked_at=env.clock.now()))
    rebuild(session, env, item, raw)
    repo.audit(session=session, actor=actor, action="research.mark", study_id=item.study_id, at=env.clock.now(),
               item=item.id, type=kind, length=end - start)
    return item


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` so it cuts no word (nor a placeholder such as ``[AGE]``) in two."""
    if not 0 <= start < end <= len(text):
        return start, end

    def inside(i: int) -> bool:  # is position i between two characters of one word?
        return 0 < i < len(text) and _wordish(text[i - 1]) and _wordish(text[i])

    while inside(start):
        start -= 1
    while inside(end):
        end += 1
    for a, b in ((m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)):
        if a < start < b:
            start = a
        if a < end < b:
            end = b
    return start, end


def _wordish(ch: str) -> bool:
    return ch.isalnum() or ch in "'’-_"


def unmark(session: Session, env: Env, item: CodingItem, numbers: list[int] | None, *, actor: str) -> int:
    """Delete review marks of an item (numbered as ``review show`` lists them; None: all); return how many."""
    assert item.id is not None
    marks = list(research_repo.marks_of(session=session, item_id=item.id))
    if not marks:
        raise ResearchError(f"item {item.id} has no review marks")
    chosen = marks if numbers is None else []
    for n in numbers or []:
        if not 1 <= n <= len(marks):
            raise ResearchError(f"item {item.id} has {len(marks)} mark(s); there is no mark {n}")
        chosen.append(marks[n - 1])
    for m in chosen:
        session.delete(m)
    session.flush()
    rebuild(session, env, item)
    repo.audit(session=session, actor=actor, action="research.unmark", study_id=item.study_id, at=env.clock.now(),
               item=item.id, marks=len(chosen))
    return len(chosen)


def mark_text(session: Session, env: Env, item: CodingItem, snippet: str, kind: str, *, actor: str) -> int:
    """Redact every whole-word occurrence of ``snippet`` in the item's redacted text; return how many."""
    found = deidentify.find_all(item.text, snippet)
    if not found:
        raise ResearchError(f"{snippet!r} does not occur in item {item.id} as shown to researchers")
    for start, end in reversed(found):  # from the end, so earlier offsets stay valid
        current = research_repo.get_item(session=session, item_id=item.id or 0)
        assert current is not None
        mark(session, env, current, start, end, kind, actor=actor)
    return len(found)


def set_reviewed(session: Session, env: Env, item: CodingItem, *, actor: str) -> None:
    """Record that a researcher read the item and marked whatever else needed redacting."""
    item.reviewed_at, item.reviewed_by = env.clock.now(), actor
    session.add(item)


def on_consent_changed(session: Session, env: Env, user_id: int, *, actor: str = "system") -> None:
    """Apply a student's current research consent to the queue (called by ``bot.core.student.consent``).

    No (or withdrawn): every item of theirs leaves the queue and every later export; the audit log names the
    exports that already held them. Yes again: their items come back.
    """
    items = research_repo.items_of_user(session=session, user_id=user_id)
    if not items:
        return
    eligible_studies = research_repo.studies_consenting(session=session, user_id=user_id)
    now = env.clock.now()
    by_study: dict[int, list[CodingItem]] = {}
    for item in items:
        by_study.setdefault(item.study_id, []).append(item)
    for study_id, study_items in by_study.items():
        if study_id in eligible_studies:
            back = [i.id for i in study_items if i.excluded_at is not None and i.id is not None]
            research_repo.set_excluded(session=session, item_ids=back, at=None, reason=None)
            if back:
                repo.audit(session=session, actor=actor, action="research.restored", study_id=study_id, at=now,
                           participants=_pseudonyms(session, study_items), items=len(back))
            continue
        out = [i.id for i in study_items if i.excluded_at is None and i.id is not None]
        if not out:
            continue
        research_repo.set_excluded(session=session, item_ids=out, at=now, reason="research consent withdrawn")
        _audit_removal(session, env, study_id, study_items, "research.excluded", actor, items=len(out))


def forget_user(session: Session, env: Env, user_id: int, *, actor: str) -> int:
    """Delete every research item (and codings, memos, marks) made from a student's reflections.

    Call this before erasing the reflections themselves; the audit log keeps which exports held them.
    Return the number of items deleted.
    """
    items = research_repo.items_of_user(session=session, user_id=user_id)
    by_study: dict[int, list[CodingItem]] = {}
    for item in items:
        by_study.setdefault(item.study_id, []).append(item)
    for study_id, study_items in by_study.items():
        _audit_removal(session, env, study_id, study_items, "research.deleted", actor, items=len(study_items))
    research_repo.delete_items(session=session, item_ids=[i.id for i in items if i.id is not None])
    return len(items)


def _pseudonyms(session: Session, items: list[CodingItem]) -> list[str]:
    ids = {i.participant_id for i in items}
    return sorted(p.pseudonym for p in (session.get(ResearchParticipant, pid) for pid in ids) if p is not None)


def _audit_removal(session: Session, env: Env, study_id: int, removed: list[CodingItem], action: str, actor: str,
                   **detail: Any) -> None:
    held: list[dict[str, object]] = []
    for pid in sorted({i.participant_id for i in removed}):
        for export in research_repo.exports_holding(session=session, participant_id=pid):
            held.append({"export": export.id, "at": export.at.isoformat(), "format": export.format,
                         "round": export.round_number, "sha256": export.sha256, "by": export.actor})
    repo.audit(session=session, actor=actor, action=action, study_id=study_id, at=env.clock.now(),
               participants=_pseudonyms(session, removed), held_by_exports=held, **detail)


def withdrawals(session: Session, study: Study) -> list[dict[str, Any]]:
    """Return when participants left (or came back to) the queue, and which earlier exports held them."""
    assert study.id is not None
    kinds = {"research.excluded": "left the queue", "research.deleted": "erased", "research.restored": "came back"}
    exports = research_repo.list_exports(session=session, study_id=study.id)
    out = []
    for e in research_repo.research_events(session=session, study_id=study.id, actions=list(kinds)):
        who = set(e.detail.get("participants", []))
        left_out_of = [x.id for x in exports if x.at >= e.at and x.left_out
                       and who & set(x.left_out.get("participants", []))]
        out.append({"at": e.at.isoformat(timespec="seconds"), "what": kinds[e.action],
                    "participants": e.detail.get("participants", []), "items": e.detail.get("items"),
                    "held_by_exports": e.detail.get("held_by_exports", []), "left_out_of": left_out_of})
    return out


# --- hooks for the student's data rights and retention (bot/core/privacy/data_rights.py, retention.py) ---------------


def participant_summary(session: Session, env: Env, user: User) -> dict[str, Any]:
    """What the research pipeline holds about a student: pseudonym per study, items, exports holding them."""
    assert user.id is not None
    items = research_repo.items_of_user(session=session, user_id=user.id)
    studies: dict[int, dict[str, Any]] = {}
    exports: set[int] = set()
    for item in items:
        entry = studies.get(item.study_id)
        if entry is None:
            study = research_repo.get_study(session=session, study_id=item.study_id)
            participant = session.get(ResearchParticipant, item.participant_id)
            entry = studies[item.study_id] = {"study": study.name if study else None,
                                              "pseudonym": participant.pseudonym if participant else None,
                                              "items": 0, "in_queue": 0}
            for export in research_repo.exports_holding(session=session, participant_id=item.participant_id):
                if export.id is not None:
                    exports.add(export.id)
        entry["items"] += 1
        entry["in_queue"] += item.excluded_at is None
    return {"studies": list(studies.values()), "items": len(items), "exports": sorted(exports)}


def erase_participant(session: Session, env: Env, user: User) -> dict[str, Any]:
    """Erase a student's research rows (/delete); the pseudonym can no longer be linked back to them.

    The participant's number stays in the export records (so it is still known which files held "P003"), but
    its digest is replaced by a random value: a returning student becomes a new participant.
    """
    assert user.id is not None
    summary = participant_summary(session, env, user)
    participant_ids = {i.participant_id for i in research_repo.items_of_user(session=session, user_id=user.id)}
    forget_user(session, env, user.id, actor=f"telegram:{user.telegram_id}")
    for pid in participant_ids:
        participant = session.get(ResearchParticipant, pid)
        if participant is not None:
            participant.digest = "erased:" + secrets.token_hex(16)
            session.add(participant)
    return {"items": summary["items"], "exports": summary["exports"]}


def purge_entries(session: Session, env: Env, entry_ids: list[int], *, dry_run: bool = False) -> int:
    """Delete the items made from these replies (retention); return how many (or would be, with dry_run)."""
    if not entry_ids:
        return 0
    doomed = set(entry_ids)
    ids = [item_id for item_id, made_from in research_repo.items_from_entries(session=session, entry_ids=entry_ids)
           if doomed & set(made_from)]
    if not dry_run:
        research_repo.delete_items(session=session, item_ids=ids)
    return len(ids)
