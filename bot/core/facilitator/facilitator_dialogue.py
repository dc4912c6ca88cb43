"""Guided dialogues for facilitators: /newcohort one question at a time, and /schedule's view-and-change.

The dialogue's state is a row of ``facilitator_drafts`` (one per facilitator), not PTB's ``user_data``: it
survives a restart and works the same with several bot processes. A typed message goes here first
(``draft_text``) whenever its sender has an open draft; /cancel drops it. Role and cohort are checked again on
every step, so a role withdrawn mid-dialogue stops it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from bot.core import roles
from bot.core.actions import Action, encode
from bot.core.context import Env, Person
from bot.core.facilitator.facilitator import next_prompt_text, pick_cohort, refuse
from bot.core.replies import Button, CallbackOutcome, Reply
from bot.core.scheduling.cohort_schedule import (
    ScheduleChange,
    change_schedule,
    describe,
    parse_plan,
    parse_quiet,
    schedule_lines,
)
from bot.core.scheduling.schedule import WEEKDAYS, ScheduleError, parse_date, parse_time, parse_weekday, zone
from bot.core.student.enrolment import FACILITATOR_PREFIX, CohortIn, create_cohort
from bot.core.templates import escape
from storage import repo
from storage.facilitator_models import DraftKind, FacilitatorDraft
from storage.models import Cohort, Role

DRAFT_TTL = timedelta(hours=24)
DEFAULT_TZ = "Europe/London"


# ---------------------------------------------------------------- drafts


def _draft(session: Session, env: Env, person: Person) -> FacilitatorDraft | None:
    draft = session.get(FacilitatorDraft, person.telegram_id)
    if draft is not None and env.clock.now() - draft.updated_at > DRAFT_TTL:
        session.delete(draft)
        return None
    return draft


def _save(session: Session, env: Env, person: Person, kind: DraftKind, step: str, *, cohort_id: int | None = None,
          data: dict[str, Any] | None = None) -> None:
    draft = session.get(FacilitatorDraft, person.telegram_id) or FacilitatorDraft(
        telegram_id=person.telegram_id, kind=kind, step=step)
    draft.kind, draft.step, draft.cohort_id = kind.value, step, cohort_id
    draft.data = dict(data or {})
    draft.updated_at = env.clock.now()
    session.add(draft)


def _drop(session: Session, person: Person) -> None:
    draft = session.get(FacilitatorDraft, person.telegram_id)
    if draft is not None:
        session.delete(draft)


def cancel(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    """/cancel: stop the dialogue in progress; nothing it was building is kept."""
    if _draft(session, env, person) is None:
        return [Reply("There's nothing to cancel.")]
    _drop(session, person)
    return [Reply("Stopped — nothing was changed.")]


def draft_text(session: Session, env: Env, person: Person, body: str) -> list[Reply] | None:
    """Take a typed message as the next answer of an open dialogue; None when there is none."""
    draft = _draft(session, env, person)
    if draft is None:
        return None
    if draft.kind == DraftKind.NEW_COHORT:
        return _new_cohort_step(session, env, person, draft, body.strip())
    return _schedule_step(session, env, person, draft, body.strip())


# ---------------------------------------------------------------- /newcohort


@dataclass(frozen=True)
class Question:
    key: str
    ask: str
    parse: Callable[[str], Any]


def _weeks(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 52:
        raise ScheduleError("send a number from 1 to 52")
    return int(text)


def _tz(text: str) -> str:
    name = DEFAULT_TZ if text.lower() in ("ok", "default", "") else text
    zone(name)
    return name


def _name(text: str) -> str:
    if not 2 <= len(text) <= 80:
        raise ScheduleError("a name of 2 to 80 characters, please")
    return text


NEW_COHORT = (
    Question("name", "What should the cohort be called? Students see this name, for example "
                     "<i>Psychiatry February 2026</i>.", _name),
    Question("start", "What is the first day of the placement? A date as YYYY-MM-DD, for example 2026-02-02.",
             lambda t: parse_date(t).isoformat()),
    Question("weeks", "How many weekly prompts? A number from 1 to 52 (the default plan has 6).", _weeks),
    Question("day", "Which day should prompts go out? mon, tue, wed, thu, fri, sat or sun.",
             lambda t: WEEKDAYS[parse_weekday(t)]),
    Question("time", "At what local time? HH:MM, 24-hour, for example 09:00.",
             lambda t: f"{parse_time(t):%H:%M}"),
    Question("tz", f"Which time zone? An IANA name such as Europe/London or America/New_York; send <b>ok</b> for "
                   f"{DEFAULT_TZ}.", _tz),
)


def new_cohort(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    """/newcohort: start the guided set-up (facilitators and admins)."""
    if not roles.is_facilitator(session, env, person):
        return refuse(session, env, person, "newcohort")
    _save(session, env, person, DraftKind.NEW_COHORT, NEW_COHORT[0].key)
    return [Reply("Let's set up a new cohort — six short questions; /cancel stops at any point.\n\n"
                  + NEW_COHORT[0].ask)]


def _summary(data: dict[str, Any]) -> str:
    return (f"<b>{escape(data['name'])}</b>\nStarts {data['start']}, {data['weeks']} weekly prompts, "
            f"{data['day']} at {data['time']} ({data['tz']}).")


def _new_cohort_step(session: Session, env: Env, person: Person, draft: FacilitatorDraft, text: str) -> list[Reply]:
    if not roles.is_facilitator(session, env, person):
        _drop(session, person)
        return refuse(session, env, person, "newcohort")
    data = dict(draft.data)
    if draft.step == "confirm":
        if text.lower() not in ("yes", "y", "create", "ok"):
            return [Reply("Send <b>yes</b> to create it, or /cancel to stop.")]
        return _create(session, env, person, data)
    keys = [q.key for q in NEW_COHORT]
    index = keys.index(draft.step) if draft.step in keys else 0
    question = NEW_COHORT[index]
    try:
        data[question.key] = question.parse(text)
    except ScheduleError as exc:
        return [Reply(f"That doesn't look right: {escape(str(exc))}.\n\n{question.ask}")]
    if question.key == "name" and repo.get_cohort_by_name(session=session, name=data["name"]):
        return [Reply(f"A cohort called <b>{escape(data['name'])}</b> exists already. Another name, please?")]
    if index + 1 < len(NEW_COHORT):
        _save(session, env, person, DraftKind.NEW_COHORT, NEW_COHORT[index + 1].key, data=data)
        return [Reply(NEW_COHORT[index + 1].ask)]
    _save(session, env, person, DraftKind.NEW_COHORT, "confirm", data=data)
    return [Reply(f"{_summary(data)}\n\nSend <b>yes</b> to create it, or /cancel to stop.")]


def _create(session: Session, env: Env, person: Person, data: dict[str, Any]) -> list[Reply]:
    try:
        cohort = create_cohort(session, CohortIn(
            name=data["name"], start_date=parse_date(data["start"]), weeks=int(data["weeks"]),
            weekday=parse_weekday(data["day"]), send_time=parse_time(data["time"]), timezone=data["tz"]),
            actor=person.actor)
    except ScheduleError as exc:
        _save(session, env, person, DraftKind.NEW_COHORT, "name", data={})
        return [Reply(f"I couldn't create it: {escape(str(exc))}. Let's try again.\n\n{NEW_COHORT[0].ask}")]
    assert cohort.id is not None
    cohort.reminder_hours = env.reminder_hours
    session.add(cohort)
    repo.grant_role(session=session, telegram_id=person.telegram_id, role=Role.FACILITATOR, cohort_id=cohort.id,
                    granted_by=person.actor)
    repo.audit(session=session, actor=person.actor, action="role.grant", cohort_id=cohort.id, at=env.clock.now(),
               role=Role.FACILITATOR.value, via="newcohort")
    _drop(session, person)
    link = env.invite_link(cohort.invite_code)
    co = env.invite_link(f"{FACILITATOR_PREFIX}{cohort.facilitator_code}")
    return [
        Reply(f"Created <b>{escape(cohort.name)}</b> (id {cohort.id}): starts {data['start']}, {data['weeks']} weekly "
              f"prompts, {data['day']} at {data['time']} ({data['tz']}).\n{next_prompt_text(session, env, cohort)}.\n\n"
              f"Share this invite link with your students:\n{link}\n"
              f"or they can type the code <code>{cohort.invite_code}</code>.\n\n"
              f"To add a co-facilitator, send them this link — it gives facilitator access, so share it with care:\n"
              f"{co}"),
    ]


# ---------------------------------------------------------------- /schedule


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    ask: str
    apply: Callable[[str], ScheduleChange]


def _reminder(text: str) -> ScheduleChange:
    t = text.lower().removesuffix("h").strip()
    if t in ("off", "none", "no"):
        return ScheduleChange(reminder_hours=0)
    if not t.isdigit():
        raise ScheduleError("send a number of hours, or off")
    return ScheduleChange(reminder_hours=int(t))


FIELDS = (
    Field("day", "Day", "Which day should prompts go out? mon … sun.",
          lambda t: ScheduleChange(weekday=parse_weekday(t))),
    Field("time", "Time", "At what local time? HH:MM, e.g. 09:00.", lambda t: ScheduleChange(send_time=parse_time(t))),
    Field("tz", "Time zone", "Which time zone? An IANA name such as Europe/London.",
          lambda t: ScheduleChange(timezone=_tz(t))),
    Field("weeks", "Weeks", "How many weekly prompts in all? 1 to 52.", lambda t: ScheduleChange(weeks=_weeks(t))),
    Field("start", "Start date", "First day of the placement? YYYY-MM-DD.",
          lambda t: ScheduleChange(start_date=parse_date(t))),
    Field("quiet", "Quiet hours", "Quiet hours as START-END, e.g. 22:00-07:00, or <b>off</b>. Nothing automatic "
                                  "goes out inside them.", lambda t: ScheduleChange(quiet=parse_quiet(t))),
    Field("reminder", "Reminder", "How many hours after the prompt should the one gentle reminder come? A number, "
                                  "or <b>off</b>.", _reminder),
    Field("plan", "Plan", "Which prompt templates, in order? Names from prompts/plan/, separated by commas, or "
                          "<b>default</b>.", lambda t: ScheduleChange(plan=parse_plan(t))),
)
FIELD_KEYS = {f.key: i for i, f in enumerate(FIELDS)} | {"timezone": 2, "quiet-hours": 5, "reminder-hours": 6}


def _schedule_view(session: Session, env: Env, cohort: Cohort) -> list[Reply]:
    assert cohort.id is not None
    text = escape("\n".join(schedule_lines(describe(session, env, cohort))))
    buttons = tuple(
        tuple(Button(FIELDS[i].label, encode(Action.SCHEDULE, cohort.id, i)) for i in range(row, row + 4))
        for row in (0, 4))
    return [Reply(f"<pre>{text}</pre>\nTo change something, press its button, or type it in one go, e.g. "
                  f"<code>/schedule {cohort.id} time 08:30</code>.", buttons=buttons)]


def _apply(session: Session, env: Env, person: Person, cohort: Cohort, field: Field,
           value: str) -> tuple[bool, list[Reply]]:
    """Change one value; (False, the question again) when the value is not valid."""
    try:
        said = change_schedule(session, env, cohort, field.apply(value), actor=person.actor)
    except ScheduleError as exc:
        return False, [Reply(f"That doesn't look right: {escape(str(exc))}.\n\n{field.ask}")]
    if not said:
        return True, [Reply(f"Nothing changed: {field.label.lower()} was already that.")]
    return True, [Reply(f"Changed <b>{escape(cohort.name)}</b>: {escape(', '.join(said))}.\n"
                        f"Now: {next_prompt_text(session, env, cohort)}.")]


def schedule(session: Session, env: Env, person: Person, args: str) -> list[Reply]:
    """/schedule [cohort] [field value]: show a cohort's schedule with buttons, or change one value."""
    words = args.split()
    at = next((i for i, w in enumerate(words) if w.lower() in FIELD_KEYS), None)
    ref = " ".join(words[:at] if at is not None else words)
    found = pick_cohort(session, env, person, ref, "schedule")
    if not isinstance(found, Cohort):
        return found
    if at is None:
        repo.audit(session=session, actor=person.actor, action="facilitator.schedule_view", cohort_id=found.id,
                   at=env.clock.now())
        return _schedule_view(session, env, found)
    field = FIELDS[FIELD_KEYS[words[at].lower()]]
    value = " ".join(words[at + 1:])
    if not value:
        assert found.id is not None
        _save(session, env, person, DraftKind.SCHEDULE, field.key, cohort_id=found.id)
        return [Reply(f"{field.ask} (/cancel to stop)")]
    return _apply(session, env, person, found, field, value)[1]


def schedule_button(session: Session, env: Env, person: Person, cohort_id: int, field_no: int) -> CallbackOutcome:
    """A /schedule button: ask for the new value of one field."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or field_no >= len(FIELDS) or not roles.can_facilitate(session, env, person, cohort_id):
        refuse(session, env, person, "schedule", cohort_id)
        return CallbackOutcome(toast="This button isn't for you, or has expired.")
    field = FIELDS[field_no]
    _save(session, env, person, DraftKind.SCHEDULE, field.key, cohort_id=cohort_id)
    return CallbackOutcome(toast=field.label, keep_buttons=True,
                           replies=[Reply(f"<b>{escape(cohort.name)}</b> — {field.ask} (/cancel to stop)")])


def _schedule_step(session: Session, env: Env, person: Person, draft: FacilitatorDraft, text: str) -> list[Reply]:
    cohort = session.get(Cohort, draft.cohort_id) if draft.cohort_id is not None else None
    if cohort is None or cohort.id is None or not roles.can_facilitate(session, env, person, cohort.id):
        _drop(session, person)
        return refuse(session, env, person, "schedule", draft.cohort_id)
    field = FIELDS[FIELD_KEYS.get(draft.step, 0)]
    ok, replies = _apply(session, env, person, cohort, field, text)
    if ok:  # otherwise the draft stays open and the question is asked again
        _drop(session, person)
    return replies
