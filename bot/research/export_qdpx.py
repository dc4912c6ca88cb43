"""The REFI-QDA project of a coding round: coders as users, the codebook, memos as notes, the texts as sources.

Private reflections become one text source per week (or per participant, or per step); a transcript (a circle
week) becomes one text source of its own, its turns in order, each headed by its speaker's pseudonym, role and
phase, and linked to the case of every participant who speaks in it. Each source carries a ``balintbot items``
variable (JSON: each item's offsets, status and who finished it, and for a turn its number, speaker, role and
phase), so agreement read back from the file is the database's, item by item.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any, BinaryIO, cast

from sqlmodel import Session

from bot.research import codebook, codebook_files
from bot.research.agreement.input import ITEMS_VARIABLE
from bot.research.export_rows import Reader, Row, Tracker
from bot.research.refi_qda import QdaCase, QdaNote, QdaSelection, QdaSource, QdaUser, QdaVariable, write_qdpx
from storage import coding_repo, research_repo
from storage.research_models import CodingRound, pseudonym_of

ITEMS_KEY = "balintbot_items"
AGREED_USER = "agreed"


def _section_title(row: Row, *, with_week: bool) -> str:
    """The heading of a step's section in a week's or participant's document ("1 · The encounter")."""
    head = row.item.prompt.split(". ")[0] if "·" in row.item.prompt.split(". ")[0] else row.item.step
    return f"Week {row.item.week} · {head}" if with_week else head


def _group_key(row: Row, documents: str) -> tuple[int, ...]:
    return (row.item.participant_id, row.item.week) if documents == "week" else (row.item.participant_id,)


def write_qdpx_project(reader: Reader, out: IO[bytes], tracker: Tracker, documents: str = "week") -> None:
    """Write a REFI-QDA project: coders as users, the codebook, memos as notes, and one text source per week's
    reflection (``documents="week"``, each step a section), per participant, or per step; with week or participant
    documents, each transcript (a circle week) is one source of its own, its turns in order.

    Each source carries a ``balintbot items`` variable (JSON: each item's offsets in the text, status and who
    finished it), so agreement from the file is the database's, item by item."""
    session, rnd, study = reader.session, reader.rnd, reader.study
    coders = reader.coders(with_memos=True)
    users = [QdaUser(key=f"coder-{c.id}", name=c.label) for c in coders]
    users.append(QdaUser(key=AGREED_USER, name="Agreed"))  # settled, or what every coder applied alike
    user_of = {c.label: f"coder-{c.id}" for c in coders}
    qda_codes = codebook_files.qda_codes(session, rnd)
    lineage = {c.id: c.lineage for c in coding_repo.codes_of_round(session=session, round_id=rnd.id or 0,
                                                                      retired=True)}
    variables = [QdaVariable("cohort", "Cohort", "Text", "The cohort (placement group) of the participant"),
                 QdaVariable("week", "Week", "Integer", "Week of the placement the reflection was written in"),
                 QdaVariable("step", "Step", "Text", "Step of the Balint conversation the text answers"),
                 QdaVariable("finished_by", "Finished by", "Text", "The coders who finished the item, separated by "
                             "'; ' (one who applied no code finished it too)"),
                 QdaVariable("status", "Status", "Text", "in progress, agreed, disagreement or settled"),
                 QdaVariable("session", "Session", "Text", "The group session a transcript is of (a Balint circle "
                             "week)"),
                 QdaVariable("speakers", "Speakers", "Text", "The speakers of a transcript, by pseudonym and role"),
                 QdaVariable(ITEMS_KEY, ITEMS_VARIABLE, "Text", "For balintbot: the items (steps, or a transcript's "
                             "turns) in this document as JSON, with their offsets, status and the coders who finished "
                             "them; for a turn also its number, speaker, role and phase")]
    cases = [QdaCase(key=f"participant-{pid}", name=pseudonym_of(reader.participants.get(pid, 0)),
                     variables={"cohort": cohort}) for pid, cohort in reader.participant_cohorts().items()]
    notes = _notes(session, rnd, reader)
    round_start = rnd.opened_at

    names = codebook.paths(session, rnd)

    def section(row: Row, offset: int) -> tuple[list[QdaSelection], dict[str, Any]]:
        """The selections of one item placed at ``offset`` in its document, and its entry in ITEMS."""
        item = row.item
        a, b = offset, offset + len(item.text)
        selections: list[QdaSelection] = []
        whole: dict[str, list[str]] = {}
        for label, entries in row.codings.items():
            for code, start, end, cid, at in entries:
                if start is None:
                    whole.setdefault(label, []).append(names.get(code, "?"))
                selections.append(QdaSelection(
                    key=f"coding-{cid}", start=a if start is None else a + start,
                    end=b if end is None else a + (end or 0), code_key=lineage[code], coder_key=user_of[label],
                    created=at or round_start, name=item.step))
        for code, start, end, gid, at in row.agreed or []:
            selections.append(QdaSelection(
                key=f"agreed-{gid}" if gid else f"agreed-{item.id}-{code}", start=a if start is None else a + start,
                end=b if end is None else a + (end or 0), code_key=lineage[code], coder_key=AGREED_USER,
                created=at or round_start, name=f"{item.step} (agreed)"))
        entry = {"item": item.id, "step": item.step, "start": a, "end": b, "status": row.status,
                 "finished_by": row.finished, "whole": whole}
        return selections, entry

    def one(group: list[Row]) -> QdaSource:
        first = group[0]
        text, selections, entries, notes_of = "", [], [], []
        for row in group:
            tracker.saw(row)
            if documents != "step":
                title = _section_title(row, with_week=documents == "participant")
                text += ("\n\n" if text else "") + title + "\n"
            placed, entry = section(row, len(text))
            text += row.item.text
            selections.extend(placed)
            entries.append(entry)
            notes_of.extend([*row.memo_keys, *([f"settle-{row.item.id}"] if row.note else [])])
        item = first.item
        variables: dict[str, Any] = {"cohort": first.cohort, ITEMS_KEY: json.dumps(entries, ensure_ascii=False)}
        if documents == "step":
            key, name = f"item-{item.id}", f"{first.pseudonym} week {item.week} {item.step} #{item.id}"
            variables.update(week=item.week, step=item.step, finished_by="; ".join(first.finished) or None,
                             status=first.status)
        elif documents == "week":
            key, name = f"week-{item.participant_id}-{item.week}", f"{first.pseudonym} week {item.week}"
            variables.update(week=item.week)
        else:
            key, name = f"participant-{item.participant_id}", first.pseudonym
        return QdaSource(key=key, name=name, text=text, created=min(r.item.entered_at for r in group),
                         selections=selections, case_key=f"participant-{item.participant_id}", note_keys=notes_of,
                         variables=variables)

    def transcript(group: list[Row]) -> QdaSource:
        """One session as one source: its turns in order, each headed by who spoke, in which role and phase."""
        first = group[0]
        text, selections, entries, notes_of = "", [], [], []
        speakers: dict[str, str] = {}  # case key -> "P001 (presenter)"
        for row in group:
            tracker.saw(row)
            item = row.item
            phase = f" · {item.phase}" if item.phase else ""  # an imported in-person session has no phases
            text += ("\n\n" if text else "") + f"{item.turn}. {row.pseudonym} ({item.role}){phase}\n"
            placed, entry = section(row, len(text))
            entry.update(turn=item.turn, speaker=row.pseudonym, role=item.role, phase=item.phase)
            text += item.text
            selections.extend(placed)
            entries.append(entry)
            notes_of.extend([*row.memo_keys, *([f"settle-{item.id}"] if row.note else [])])
            speakers.setdefault(f"participant-{item.participant_id}", f"{row.pseudonym} ({item.role})")
        session_name = first.item.session or f"session {first.item.transcript_id}"
        return QdaSource(key=f"transcript-{first.item.transcript_id}", name=f"{session_name} (transcript)",
                         text=text, created=min(r.item.entered_at for r in group), selections=selections,
                         case_keys=list(speakers), note_keys=notes_of, variables={
                             "cohort": first.cohort, "week": first.item.week, "session": session_name,
                             "speakers": "; ".join(speakers.values()),
                             ITEMS_KEY: json.dumps(entries, ensure_ascii=False)})

    def sources() -> Iterator[QdaSource]:
        # a week's steps enter the queue together (one intake, one after another), so in item order they are
        # neighbours: only a participant's documents need the rows sorted by participant
        order = "participant" if documents == "participant" else "item"
        group: list[Row] = []
        for row in reader.rows(order, transcripts=None if documents == "step" else False):
            if group and (documents == "step" or _group_key(row, documents) != _group_key(group[0], documents)):
                yield one(group)
                group = []
            group.append(row)
        if group:
            yield one(group)
        if documents == "step":
            return
        group = []  # then each session (a circle week) as one source, turn by turn
        for row in reader.rows("session"):
            if group and row.item.transcript_id != group[0].item.transcript_id:
                yield transcript(group)
                group = []
            group.append(row)
        if group:
            yield transcript(group)

    write_qdpx(cast(BinaryIO, out), project_name=f"{study.name} — round {rnd.number}", users=users, codes=qda_codes,
               variables=variables, cases=cases, sources=sources(), notes=notes, created=round_start,
               description=f"De-identified reflections of {study.name}, coding round {rnd.number}, exported by "
                           "balintbot. Texts are redacted; participants are pseudonyms.")


def _notes(session: Session, rnd: CodingRound, reader: Reader) -> list[QdaNote]:
    names = codebook.paths(session, rnd)
    notes = []
    for m in reader.memos:
        item = research_repo.get_item(session=session, item_id=m.item_id) if m.item_id else None
        if item is not None and item.excluded_at is not None:
            continue  # a memo on a withdrawn reflection may quote it
        about = []
        if m.item_id is not None:
            about.append(f"item #{m.item_id}")
        if m.code_id is not None:
            about.append(f"code {names.get(m.code_id, '?')}")
        label = reader.labels.get(m.coder_id, "?")
        notes.append(QdaNote(key=f"memo-{m.id}", name=f"Memo by {label} on {' and '.join(about) or 'the round'}",
                             text=m.text, created=m.created_at, creator_key=f"coder-{m.coder_id}"))
    for st in coding_repo.settlements_of_round(session=session, round_id=rnd.id or 0):
        item = research_repo.get_item(session=session, item_id=st.item_id)
        if st.note and item is not None and item.excluded_at is None:
            notes.append(QdaNote(key=f"settle-{st.item_id}", name=f"Settle note on item #{st.item_id}", text=st.note,
                                 created=st.at))
    return notes
