"""Participation per week — counts only, never what anyone wrote — as rows, a text table and a PNG chart.

For week *n* (from its prompt — its due time, or when it was sent if that was earlier — until the next week's,
or until now for the current week):

* invited — students enrolled during the week (joined before it ended, not withdrawn before it began), except
  those who declined;
* consented — of those, the ones taking part as things stand now (a student who has since withdrawn or said
  no is not counted);
* prompted — the week's prompt reached them (sent; answered or expired later);
* replied — they wrote at least one reply for the week (prompted or via /reflect);
* completed — they closed the week's conversation (the last question, or /done) after replying;
* unreachable — of the invited, those who had blocked the bot by the week's end (Telegram 403);
* declined — students enrolled during the week who said no to taking part (and have not withdrawn since).

Weeks whose prompt has neither fallen due nor been sent are not shown: a week sent early (``/sendnow 2``)
counts from when it went out. The chart uses matplotlib's Agg backend, imported only when
a chart is drawn.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.core.context import Env
from bot.core.scheduling.progress import sent_weeks, week_now
from bot.core.scheduling.schedule import due_at, spec_of
from storage.models import Cohort, Delivery, Enrolment, ReflectionEntry, ReflectionSession, SessionStatus, User

# "declined" comes last so that the columns before it keep their places in scripts reading the table
COLUMNS = ("invited", "consented", "prompted", "replied", "completed", "unreachable", "declined")


@dataclass(frozen=True)
class WeekStats:
    week: int
    invited: int
    consented: int
    prompted: int
    replied: int
    completed: int
    unreachable: int
    declined: int = 0


def _per_week(session: Session, stmt: Any) -> dict[int, int]:
    return {int(week): int(n) for week, n in session.exec(stmt).all()}


def cohort_stats(session: Session, env: Env, cohort: Cohort) -> list[WeekStats]:
    """Count participation for every week whose prompt has come (by the calendar, or sent early)."""
    assert cohort.id is not None
    spec = spec_of(cohort)
    now = env.clock.now()
    sent = sent_weeks(session, cohort_id=cohort.id)
    last = week_now(spec, now, sent)
    if last is None:
        return []
    members: list[tuple[Enrolment, datetime | None]] = [
        (e, unreachable_at) for e, unreachable_at in session.exec(
            select(Enrolment, User.unreachable_at).join(User, col(User.id) == col(Enrolment.user_id))
            .where(Enrolment.cohort_id == cohort.id)).all()]
    prompted = _per_week(session, select(Delivery.week, func.count(func.distinct(Delivery.enrolment_id)))
                         .where(Delivery.cohort_id == cohort.id, col(Delivery.sent_at).is_not(None))
                         .group_by(col(Delivery.week)))
    replied = _per_week(session, select(ReflectionEntry.week, func.count(func.distinct(ReflectionEntry.user_id)))
                        .where(ReflectionEntry.cohort_id == cohort.id).group_by(col(ReflectionEntry.week)))
    with_entries = select(ReflectionEntry.session_id).where(ReflectionEntry.cohort_id == cohort.id)
    completed = _per_week(session, select(ReflectionSession.week, func.count(func.distinct(ReflectionSession.id)))
                          .where(ReflectionSession.cohort_id == cohort.id,
                                 ReflectionSession.status == SessionStatus.CLOSED,
                                 col(ReflectionSession.id).in_(with_entries))
                          .group_by(col(ReflectionSession.week)))
    rows = []
    for week in range(1, last + 1):
        begins = min(due_at(spec, week), sent.get(week, now))
        follows = min(due_at(spec, week + 1), sent.get(week + 1, now)) if week < cohort.weeks else None
        ends = max(begins, min(follows or begins + timedelta(days=7), now))
        joined = [(e, u) for e, u in members
                  if e.joined_at <= ends and (e.withdrawn_at is None or e.withdrawn_at >= begins)]
        declined = sum(1 for e, _ in joined if e.participate is False and e.withdrawn_at is None)
        enrolled = [(e, u) for e, u in joined if not (e.participate is False and e.withdrawn_at is None)]
        rows.append(WeekStats(
            week=week,
            invited=len(enrolled),
            consented=sum(1 for e, _ in enrolled if e.participate and e.withdrawn_at is None),
            prompted=prompted.get(week, 0),
            replied=replied.get(week, 0),
            completed=completed.get(week, 0),
            unreachable=sum(1 for _, u in enrolled if u is not None and u <= ends),
            declined=declined,
        ))
    return rows


def as_json(cohort: Cohort, rows: list[WeekStats]) -> dict[str, Any]:
    """Return the stats as plain data."""
    return {"cohort_id": cohort.id, "cohort": cohort.name, "weeks": [asdict(r) for r in rows]}


def table_text(rows: list[WeekStats]) -> str:
    """Render the rows as a fixed-width table (for <pre> in chat, or a terminal)."""
    head = f"{'Week':>4} " + " ".join(f"{c.capitalize():>11}" for c in COLUMNS)
    lines = [head]
    for r in rows:
        lines.append(f"{r.week:>4} " + " ".join(f"{getattr(r, c):>11}" for c in COLUMNS))
    return "\n".join(lines)


def chart_png(title: str, rows: list[WeekStats]) -> bytes:
    """Draw the rows as a grouped bar chart; return PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.subplots()
    width = 0.8 / len(COLUMNS)
    weeks = [r.week for r in rows]
    for i, name in enumerate(COLUMNS):
        xs = [w - 0.4 + width * (i + 0.5) for w in weeks]
        ax.bar(xs, [getattr(r, name) for r in rows], width=width, label=name.capitalize())
    ax.set_xticks(weeks, [f"Week {w}" for w in weeks])
    ax.set_ylabel("Students")
    ax.set_title(title, parse_math=False)  # a cohort name such as "$\\foo$" is text, not math
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize="small", ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.08), frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
