"""In-person session transcripts: read them, map speakers to participants (consent checked) and the leader, redact.

Formats: plain text with speaker labels (``Name: words``, an optional ``[00:01:02]`` before it; a line without a
label continues the turn before), ``.docx`` (the same, one paragraph a line), WebVTT (``<v Name>words`` or
``Name: words`` in a cue) and SRT (``Name: words`` in a cue). Consecutive cues of one speaker make one turn.

A speaker map says who each label is: ``leader``, a student's Telegram id (``tg:123456789``, enrolled with
research consent yes: in the session's cohort when it is stored, in the study for a preview), or ``exclude``.
Turns of unmapped, excluded or non-consenting speakers are left out before anything is redacted or shown. The
leader's turns are left out too: the leader is not a research participant (no pseudonym, no research consent
recorded), as in a circle, where a leader with no research enrolment never enters. Turns are numbered by their
place in the file, so a gap marks a turn left out. ``bot.research.transcript_import.store`` stores the turns that
enter as one session.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from bot.core.context import Env
from bot.research import deidentify, pseudonyms
from bot.research.errors import ResearchError
from storage import repo, research_repo
from storage.models import Study

FORMATS = ("txt", "docx", "vtt", "srt")
LEADER, EXCLUDE = "leader", "exclude"
_LABEL = re.compile(r"^\s*(?:\[?(?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)\]?\s*)?"
                    r"(?P<label>[^:\d\s][^:]{0,39}?)\s*:\s+(?P<text>\S.*)$")
_CUE_TIME = re.compile(r"^(?P<start>[\d:.,]+)\s+-->\s+(?P<end>[\d:.,]+)")
_VOICE = re.compile(r"^<v(?:\.[^ >]*)?\s+(?P<label>[^>]+)>(?P<text>.*?)(?:</v>)?$")
_TAGS = re.compile(r"</?[^>]+>")


@dataclass
class Turn:
    """One speaker's turn: the label as written, the words, when it started (as written, if given)."""

    speaker: str
    text: str
    start: str | None = None


@dataclass
class MappedTurn:
    """A turn that may enter: its place in the file, the speaker, the raw words (server side) and the redacted."""

    number: int
    role: str  # "member"
    telegram_id: int
    user_id: int
    pseudonym: str  # "P003", or "new participant" until the turn is stored
    raw: str  # never shown: stored encrypted, for review marks
    text: str  # redacted
    spans: deidentify.Spans


@dataclass
class Preview:
    turns: list[MappedTurn] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)  # speaker label -> turns left out
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def redactions(self) -> int:
        return sum(len(t.spans) for t in self.turns)


# ---------------------------------------------------------------------------------------------- reading


def _append(turns: list[Turn], speaker: str, text: str, start: str | None) -> None:
    text = " ".join(text.split())
    if not text:
        return
    if turns and turns[-1].speaker == speaker:
        turns[-1].text += " " + text
    else:
        turns.append(Turn(speaker, text, start))


def parse_lines(lines: list[str]) -> list[Turn]:
    """Read labelled lines (plain text or .docx paragraphs)."""
    turns: list[Turn] = []
    for line in lines:
        found = _LABEL.match(line)
        if found:
            turns.append(Turn(found["label"].strip(), " ".join(found["text"].split()), found["ts"]))
        elif line.strip() and turns:
            turns[-1].text += " " + " ".join(line.split())
    return turns


def parse_cues(text: str) -> list[Turn]:
    """Read WebVTT or SRT cues with speakers."""
    turns: list[Turn] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [ln for ln in block.strip().split("\n") if ln.strip()]
        timing = next((i for i, ln in enumerate(lines) if _CUE_TIME.match(ln)), None)
        if timing is None:
            continue  # the WEBVTT header, a NOTE, a STYLE block
        start = _CUE_TIME.match(lines[timing])["start"]  # type: ignore[index]
        speaker: str | None = turns[-1].speaker if turns else None
        for line in lines[timing + 1:]:
            voice = _VOICE.match(line.strip())
            if voice:
                speaker, words = voice["label"].strip(), voice["text"]
            else:
                labelled = _LABEL.match(_TAGS.sub("", line))
                if labelled:
                    speaker, words = labelled["label"].strip(), labelled["text"]
                else:
                    words = line
            if speaker is None:
                raise ResearchError(f"the cue at {start} has no speaker: write 'Name: words' or <v Name>")
            _append(turns, speaker, _TAGS.sub("", words), start)
    return turns


def read(path: Path, fmt: str | None = None) -> list[Turn]:
    """Read a transcript file (the format from its suffix unless given)."""
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt in ("text", "md"):
        fmt = "txt"
    if fmt not in FORMATS:
        raise ResearchError(f"{path.name}: unknown transcript format {fmt!r}; use .txt, .docx, .vtt or .srt "
                            "(or --format)")
    if fmt == "docx":
        from docx import Document

        try:
            doc = Document(io.BytesIO(path.read_bytes()))
        except Exception as exc:  # python-docx raises several kinds for a file that is not Word
            raise ResearchError(f"{path.name} is not a Word (.docx) file: {exc.__class__.__name__}") from None
        turns = parse_lines([p.text for p in doc.paragraphs])
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ResearchError(f"{path.name} is not UTF-8 text; save it as UTF-8 and import it again") from None
        turns = parse_cues(text) if fmt in ("vtt", "srt") else parse_lines(text.splitlines())
    if not turns:
        raise ResearchError(f"{path.name}: no speaker turns found; each turn starts with 'Name: ' "
                            "(or <v Name> in WebVTT)")
    return turns


# -------------------------------------------------------------------------------------------- speakers


def parse_map(entries: list[str]) -> dict[str, str]:
    """Read ``LABEL=leader|exclude|tg:ID`` entries into label -> target."""
    out: dict[str, str] = {}
    for entry in entries:
        label, sep, target = entry.rpartition("=")
        target = target.strip().lower()
        if not sep or not label.strip() or not (target in (LEADER, EXCLUDE) or re.fullmatch(r"tg:\d{1,15}", target)):
            raise ResearchError(f"--speaker {entry!r}: write LABEL=leader, LABEL=exclude or LABEL=tg:TELEGRAM_ID")
        out[label.strip().lower()] = target
    return out


LEADER_OUT = "the leader: not a research participant, so leader turns are not stored"


def preview(session: Session, env: Env, study: Study, turns: list[Turn], speakers: dict[str, str],
            cohort_id: int | None = None) -> Preview:
    """Map and consent-check every turn (in ``cohort_id`` if given, else anywhere in the study), redact the ones
    that may enter; nothing is stored."""
    assert study.id is not None
    result = Preview()
    resolved: dict[str, tuple[int, int] | None] = {}
    for number, turn in enumerate(turns, start=1):
        label = turn.speaker.lower()
        if label not in resolved:
            resolved[label] = _resolve(session, study, cohort_id, turn.speaker, speakers.get(label), result)
        who = resolved[label]
        raw = deidentify.compose([turn.text])
        if who is None or not raw:
            result.left_out[turn.speaker] = result.left_out.get(turn.speaker, 0) + 1
            continue
        known = pseudonyms.find_participant(session, env, study.id, who[0])
        red = deidentify.redact(raw)
        result.turns.append(MappedTurn(number, "member", who[0], who[1], known.pseudonym if known else
                                       "new participant", raw, red.text, red.spans))
    return result


def _resolve(session: Session, study: Study, cohort_id: int | None, label: str, target: str | None,
             result: Preview) -> tuple[int, int] | None:
    """Return (Telegram id, user id) of a speaker whose turns may enter, else None with the reason kept."""
    if target is None:
        result.reasons[label] = "not in the speaker map"
        return None
    if target == EXCLUDE:
        result.reasons[label] = "excluded by the speaker map"
        return None
    if target == LEADER:
        result.reasons[label] = LEADER_OUT
        return None
    telegram_id = int(target.removeprefix("tg:"))
    user = repo.get_user_by_telegram_id(session=session, telegram_id=telegram_id)
    if user is None or user.id is None:
        result.reasons[label] = "not enrolled"
        return None
    if cohort_id is not None:
        enrolment = repo.get_enrolment(session=session, user_id=user.id, cohort_id=cohort_id)
        consenting = enrolment is not None and enrolment.research is True and enrolment.withdrawn_at is None
    else:
        consenting = study.id in research_repo.studies_consenting(session=session, user_id=user.id)
    if not consenting:
        result.reasons[label] = "no research consent " + ("in this cohort" if cohort_id is not None else
                                                           "in this study")
        return None
    return telegram_id, user.id
