"""The facilitator's console in chat: their cohorts, a preview of any week, send-now, pause and resume, stats.

Every entry point checks role AND cohort (``bot.core.roles``) before doing anything; anyone else gets
``roles.REFUSAL`` and the refusal is audited. Every action is written to the audit log. Nothing here reads
what a student wrote: facilitators see participation, never text.

The guided dialogues (/newcohort, /schedule) are in ``facilitator_dialogue``, announcements in
``facilitator_announce``.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.core import roles
from bot.core.context import Env, Person
from bot.core.facilitator import role_links, stats
from bot.core.replies import Attachment, Reply
from bot.core.scheduling import progress
from bot.core.scheduling import send_now as send_now_service
from bot.core.scheduling.cohort_schedule import quiet_text, set_status
from bot.core.scheduling.schedule import current_week, describe_local, due_at, spec_of
from bot.core.scheduling.send_now import Queued, WeekTally
from bot.core.student.enrolment import find_cohort, normalise_code
from bot.core.student.reflection import prompt_replies
from bot.core.templates import TemplateProblem, escape
from storage import repo
from storage.models import Cohort, CohortStatus, Enrolment, ReflectionSession, Role


def refuse(session: Session, env: Env, person: Person, command: str, cohort_id: int | None = None) -> list[Reply]:
    """Say no politely and record that someone tried."""
    repo.audit(session=session, actor=person.actor, action="facilitator.refused", cohort_id=cohort_id,
               at=env.clock.now(), command=command)
    return [Reply(roles.REFUSAL)]


def my_cohorts(session: Session, env: Env, person: Person) -> list[Cohort]:
    """Return the cohorts this person facilitates (every cohort for an admin), oldest first."""
    allowed = roles.facilitated_cohorts(session, env, person)
    return [c for c in repo.list_cohorts(session=session) if allowed is None or c.id in allowed]


def _choose(cohorts: list[Cohort], command: str, example: str = "") -> list[Reply]:
    lines = [f"Which cohort? Add its id, for example /{command} {example}{cohorts[0].id}:"]
    lines += [f"• {c.id} — {escape(c.name)} ({c.status})" for c in cohorts]
    return [Reply("\n".join(lines))]


def pick_cohort(session: Session, env: Env, person: Person, ref: str, command: str,
                example: str = "") -> Cohort | list[Reply]:
    """Find the cohort a facilitator command is about (given, or their only one), checking role and cohort."""
    if not roles.is_facilitator(session, env, person):
        return refuse(session, env, person, command)
    ref = ref.strip()
    if ref:
        cohort = find_cohort(session, ref)
        if cohort is None:
            mine = my_cohorts(session, env, person)
            known = ", ".join(f"{c.id} ({escape(c.name)})" for c in mine) or "none yet"
            return [Reply(f"I can't find a cohort called <code>{escape(ref[:40])}</code>. Your cohorts: {known}.")]
        assert cohort.id is not None
        if not roles.can_facilitate(session, env, person, cohort.id):
            return refuse(session, env, person, command, cohort.id)
        return cohort
    mine = my_cohorts(session, env, person)
    if not mine:
        return [Reply("There are no cohorts yet. /newcohort sets one up.")]
    if len(mine) > 1:
        return _choose(mine, command, example)
    return mine[0]


OLD_LINK = ("That facilitator link isn't valid any more (it has been replaced), so it doesn't make you a "
            "facilitator. If you should be one, please ask whoever runs the bot for a current link.")
EXPIRED_LINK = ("That facilitator link has expired, so it doesn't make you a facilitator. If you should be one, "
                "please ask whoever runs the bot for a new link.")


def accept_link(session: Session, env: Env, person: Person, raw_code: str) -> list[Reply]:
    """/start f-CODE: make this person a facilitator of the cohort behind the code."""
    repo.upsert_user(session=session, telegram_id=person.telegram_id, first_name=person.first_name,
                     username=person.username, at=env.clock.now())
    cohort = repo.get_cohort_by_facilitator_code(session=session, code=normalise_code(raw_code))
    now = env.clock.now()
    if cohort is None or cohort.id is None:
        repo.audit(session=session, actor=person.actor, action="facilitator.bad_link", at=now)
        return [Reply(OLD_LINK)]
    if role_links.is_expired(cohort.facilitator_link_expires_at, now):
        repo.audit(session=session, actor=person.actor, action="facilitator.expired_link", cohort_id=cohort.id,
                   at=now)
        return [Reply(EXPIRED_LINK)]
    already = roles.can_facilitate(session, env, person, cohort.id) and not roles.is_admin(env, person)
    repo.grant_role(session=session, telegram_id=person.telegram_id, role=Role.FACILITATOR, cohort_id=cohort.id,
                    granted_by=f"link:{person.actor}")
    if not already:
        repo.audit(session=session, actor=person.actor, action="role.grant", cohort_id=cohort.id,
                   at=now, role=Role.FACILITATOR.value, via="facilitator link")
        if cohort.facilitator_link_single_use:  # used up: the next person needs a new link
            role_links.rotate_facilitator_link(session, cohort, role_links.facilitator_policy(cohort), now=now,
                                               actor=person.actor, reason="used")
    hello = "You're already" if already else f"Welcome, {escape(person.first_name or 'there')} — you're now"
    return [Reply(f"{hello} a facilitator of <b>{escape(cohort.name)}</b> (id {cohort.id}).")]  # chat adds /help


def _active_counts(session: Session) -> dict[int, tuple[int, int]]:
    rows = session.exec(
        select(Enrolment.cohort_id, func.count(), func.count().filter(col(Enrolment.participate).is_(True)))
        .where(col(Enrolment.withdrawn_at).is_(None))
        .group_by(col(Enrolment.cohort_id))).all()
    return {int(c): (int(n), int(yes)) for c, n, yes in rows}


def next_prompt_text(session: Session, env: Env, cohort: Cohort) -> str:
    """Say where a cohort stands: its week and its next prompt (a week sent early counts as out)."""
    assert cohort.id is not None
    spec = spec_of(cohort)
    now = env.clock.now()
    sent = progress.sent_weeks(session, cohort_id=cohort.id)
    week = progress.week_now(spec, now, sent)
    upcoming = progress.next_prompt(spec, now, sent)
    parts = [f"week {week} of {cohort.weeks}" if week else "not started"]
    if week and (current_week(spec, now) or 0) < week:
        parts[0] += " (sent early)"
    if cohort.status != CohortStatus.OPEN:
        parts.append(f"{cohort.status}: no prompts go out")
    elif upcoming:
        parts.append(f"week {upcoming[0]} comes {describe_local(upcoming[1], cohort.timezone)} ({cohort.timezone})")
    else:
        parts.append("every prompt has gone out")
    return " · ".join(parts)


def cohorts(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    """/cohorts: each cohort this person facilitates, its students and where it stands."""
    if not roles.is_facilitator(session, env, person):
        return refuse(session, env, person, "cohorts")
    mine = my_cohorts(session, env, person)
    repo.audit(session=session, actor=person.actor, action="facilitator.cohorts", at=env.clock.now())
    if not mine:
        return [Reply("There are no cohorts yet. /newcohort sets one up.")]
    counts = _active_counts(session)
    blocks = []
    for c in mine:
        assert c.id is not None
        students, taking_part = counts.get(c.id, (0, 0))
        blocks.append(
            f"<b>{escape(c.name)}</b> (id {c.id}) — {c.status}\n"
            f"{students} joined, {taking_part} taking part · {next_prompt_text(session, env, c)}\n"
            f"Invite link: {env.invite_link(c.invite_code)}")
    return [Reply("\n\n".join(blocks))]  # chat adds the commands (bot.chat.commands)


def _week_and_ref(args: str) -> tuple[int | None, str]:
    head, _, rest = args.strip().partition(" ")
    if head.isdigit():
        return int(head), rest.strip()
    return None, args.strip()


def preview(session: Session, env: Env, person: Person, args: str) -> list[Reply]:
    """/preview N [cohort]: week N's prompt exactly as students see it, with this person's first name."""
    week, ref = _week_and_ref(args)
    if week is None:
        return [Reply("Which week? For example /preview 2 (and the cohort's id if you have several).")]
    found = pick_cohort(session, env, person, ref, "preview", example=f"{week} ")
    if not isinstance(found, Cohort):
        return found
    if not 1 <= week <= found.weeks:
        return [Reply(f"<b>{escape(found.name)}</b> has weeks 1 to {found.weeks}; there is no week {week}.")]
    rs = ReflectionSession(id=0, enrolment_id=0, user_id=0, cohort_id=found.id or 0, week=week, step="encounter")
    try:
        shown = prompt_replies(first_name=person.first_name, cohort=found, week=week, rs=rs)
    except TemplateProblem as exc:
        return [Reply(f"Week {week}'s prompt can't be shown: {escape(str(exc))}")]
    repo.audit(session=session, actor=person.actor, action="facilitator.preview", cohort_id=found.id,
               at=env.clock.now(), week=week)
    when = describe_local(due_at(spec_of(found), week), found.timezone)
    head = Reply(f"Preview of week {week} for <b>{escape(found.name)}</b>, due {when}. Each student sees their "
                 "own first name where yours is; the button is inactive here.")
    return [head, *shown]


def send_now(session: Session, env: Env, person: Person, args: str) -> tuple[list[Reply], Queued | None]:
    """/sendnow [N] [cohort]: queue week N's prompt (default: the current week) to go out now."""
    week, ref = _week_and_ref(args)
    found = pick_cohort(session, env, person, ref, "sendnow", example=f"{week or 1} ")
    if not isinstance(found, Cohort):
        return found, None
    try:
        send_now_service.check_open(found)  # the command line refuses with the same words
    except send_now_service.Refused as refused:
        return [Reply(refused.html())], None
    week = week or current_week(spec_of(found), env.clock.now()) or 1
    if not 1 <= week <= found.weeks:
        return [Reply(f"<b>{escape(found.name)}</b> has weeks 1 to {found.weeks}; there is no week {week}.")], None
    queued = send_now_service.queue(session, env, found, week, actor=person.actor)
    note = f" ({queued.already} had it already, and won't get it twice)" if queued.already else ""
    return [Reply(f"Sending week {week}'s prompt to <b>{escape(found.name)}</b> now{note}. "
                  "I'll tell you when it's done.")], queued


def sent_summary(queued: Queued, tally: WeekTally) -> Reply:
    """Say how a send-now went (counted from the database, whichever sender did the sending)."""
    parts = [f"sent {tally.sent - queued.already}"]
    if tally.unreachable:
        parts.append(f"{tally.unreachable} unreachable (they blocked the bot)")
    if tally.failed:
        parts.append(f"{tally.failed} failed")
    if tally.pending:
        parts.append(f"{tally.pending} waiting to retry")
    return Reply(f"Week {queued.week} of <b>{escape(queued.name)}</b>: " + ", ".join(parts) + ".")


def wants_cohort_pause(session: Session, env: Env, person: Person, args: str) -> bool:
    """Say whether /pause or /resume is about a cohort: it names one, or a facilitator who isn't a student sent it."""
    if args.strip() and find_cohort(session, args) is not None:
        return True
    if not roles.is_facilitator(session, env, person):
        return False
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    return user is None or user.id is None or repo.active_enrolment(session=session, user_id=user.id) is None


def set_paused(session: Session, env: Env, person: Person, args: str, paused: bool) -> list[Reply]:
    """/pause or /resume a cohort."""
    command = "pause" if paused else "resume"
    found = pick_cohort(session, env, person, args, command)
    if not isinstance(found, Cohort):
        return found
    if found.status == CohortStatus.CLOSED:
        return [Reply(f"<b>{escape(found.name)}</b> is closed; it can't be paused or resumed.")]
    name = escape(found.name)
    if not set_status(session, env, found, CohortStatus.PAUSED if paused else CohortStatus.OPEN, actor=person.actor):
        return [Reply(f"<b>{name}</b> is already {'paused' if paused else 'running'}.")]
    if paused:
        return [Reply(f"Paused <b>{name}</b>: no prompts or reminders go out until you send /resume {found.id}. "
                      f"Students can still join. A week that falls due while paused is sent on resume only within "
                      f"{env.grace_hours:g} hours of its time; after that it is skipped, never sent late.")]
    quiet = "" if quiet_text(found) == "off" else f" Quiet hours ({quiet_text(found)}) still apply."
    return [Reply(f"Resumed <b>{name}</b>: {next_prompt_text(session, env, found)}.{quiet}")]


def show_stats(session: Session, env: Env, person: Person, args: str) -> list[Reply]:
    """/stats [cohort]: participation per week as a table and a chart — counts, never text."""
    found = pick_cohort(session, env, person, args, "stats")
    if not isinstance(found, Cohort):
        return found
    rows = stats.cohort_stats(session, env, found)
    repo.audit(session=session, actor=person.actor, action="facilitator.stats", cohort_id=found.id,
               at=env.clock.now())
    name = escape(found.name)
    if not rows:
        return [Reply(f"<b>{name}</b> hasn't started yet: {next_prompt_text(session, env, found)}.")]
    table = Reply(f"<b>{name}</b> — participation per week\n<pre>{escape(stats.table_text(rows))}</pre>\n"
                  "Invited: joined by the week's end · Consented: taking part now · Prompted: the prompt reached "
                  "them · Replied: wrote at least once · Completed: closed the week's conversation · "
                  "Unreachable: had blocked the bot · Declined: said no to taking part (not counted as invited).")
    chart = Reply(f"{name}: participation per week",
                  attachment=Attachment(f"stats-cohort-{found.id}.png", stats.chart_png(found.name, rows), "photo"))
    return [table, chart]
