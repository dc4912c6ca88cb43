"""Setting up a circle: create it from a cohort, invite its members, the third consent (join or not), close it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from bot.core.circles import relay
from bot.core.circles.buttons import Verb, button
from bot.core.circles.rhythm import DEFAULT_RHYTHM, week_times
from bot.core.context import Env, Person
from bot.core.replies import CallbackOutcome, Reply
from bot.core.scheduling.schedule import describe_local
from bot.core.student.enrolment import find_cohort
from bot.core.templates import escape, latest_participant_information, render
from storage import repo
from storage.circle_models import Circle, CircleMember, CirclePost, CircleWeek, MemberStatus
from storage.models import Cohort, Enrolment, User

MIN_MEMBERS, MAX_MEMBERS = 4, 10  # students, the leader not counted
ALIASES = ("Ash", "Birch", "Cedar", "Elm", "Hazel", "Maple", "Oak", "Pine", "Rowan", "Willow")


class CircleError(Exception):
    """A circle operation that cannot be done as asked; the message says why, for people."""


@dataclass
class CircleIn:
    cohort: str
    name: str
    leader: int  # Telegram id
    students: list[int]  # Telegram ids of enrolled students
    starts_on: date | None = None
    weeks: int = 5
    rhythm: dict[str, str] | None = None
    aliases: bool = False


def _user(session: Session, telegram_id: int) -> User | None:
    return repo.get_user_by_telegram_id(session=session, telegram_id=telegram_id)


def create(session: Session, env: Env, data: CircleIn, *, actor: str = "cli") -> Circle:
    """Create a circle of 4–10 students of one cohort and a leader; queue everyone's invitation."""
    cohort = find_cohort(session, data.cohort)
    if cohort is None or cohort.id is None:
        raise CircleError(f"no cohort {data.cohort!r}: `balint cohort list` shows them")
    students = list(dict.fromkeys(data.students))
    if not MIN_MEMBERS <= len(students) <= MAX_MEMBERS:
        raise CircleError(f"a circle has {MIN_MEMBERS}–{MAX_MEMBERS} students (not {len(students)})")
    if data.leader in students:
        raise CircleError("the leader is named with --leader only, not as a student too")
    if not 1 <= data.weeks <= 12:
        raise CircleError("a circle runs 1–12 weeks")
    if session.exec(select(Circle).where(Circle.cohort_id == cohort.id, Circle.name == data.name,
                                         col(Circle.closed_at).is_(None))).first():
        raise CircleError(f"cohort {cohort.name!r} already has an open circle called {data.name!r}")
    users: list[User] = []
    for telegram_id in students:
        user = _user(session, telegram_id)
        enrolment = repo.get_enrolment(session=session, user_id=user.id, cohort_id=cohort.id) \
            if user and user.id else None
        if user is None or enrolment is None or enrolment.withdrawn_at is not None or not enrolment.participate:
            raise CircleError(f"{telegram_id} is not a student taking part in {cohort.name!r}")
        if _in_open_circle(session, user.id or 0):  # one circle at a time: a typed post must have one home
            raise CircleError(f"{telegram_id} is invited to or in another open circle already")
        users.append(user)
    leader = _user(session, data.leader)
    if leader is None:
        raise CircleError(f"the leader {data.leader} has not opened the bot yet: ask them to send it /start")
    circle = Circle(cohort_id=cohort.id, name=data.name, starts_on=data.starts_on or cohort.start_date,
                    weeks=data.weeks, rhythm=dict(data.rhythm or DEFAULT_RHYTHM), aliases=data.aliases,
                    created_by=actor, created_at=env.clock.now())
    week_times(circle.rhythm, circle.starts_on, 1, cohort.timezone)  # a bad rhythm fails here, not at week 1
    session.add(circle)
    session.flush()
    assert circle.id is not None
    members = [CircleMember(circle_id=circle.id, user_id=leader.id or 0, chat_id=leader.telegram_id, role="leader")]
    members += [CircleMember(circle_id=circle.id, user_id=u.id or 0, chat_id=u.telegram_id,
                             alias=ALIASES[i] if data.aliases else None) for i, u in enumerate(users)]
    session.add_all(members)
    session.flush()
    for member, user in zip(members, [leader, *users], strict=True):
        relay.enqueue(session, env, member, invitation(circle, member, user, len(members) - 1), buttons=(
            (button("Yes, I'll join", Verb.JOIN, member.id or 0, 1),
             button("Not now", Verb.JOIN, member.id or 0, 0)),))
    repo.audit(session=session, actor=actor, action="circle.create", cohort_id=cohort.id, at=env.clock.now(),
               circle_id=circle.id, members=len(users), leader=data.leader, weeks=data.weeks, aliases=data.aliases)
    return circle


def _in_open_circle(session: Session, user_id: int) -> bool:
    return session.exec(select(CircleMember.id).join(Circle, col(Circle.id) == CircleMember.circle_id)
                        .where(CircleMember.user_id == user_id, col(Circle.closed_at).is_(None),
                               col(CircleMember.status).in_([MemberStatus.INVITED, MemberStatus.JOINED]))
                        ).first() is not None


def first_opening(session: Session, circle: Circle) -> str:
    """Say when week 1 opens, in the cohort's zone ("Saturday 9 January at 10:00 (Europe/London)")."""
    cohort = session.get(Cohort, circle.cohort_id)
    tz = cohort.timezone if cohort else "Europe/London"
    return f"{describe_local(week_times(circle.rhythm, circle.starts_on, 1, tz).open, tz)} ({tz})"


def invitation(circle: Circle, member: CircleMember, user: User, others: int) -> str:
    """The invitation with the third consent, as the member will read it."""
    return render("circles/invitation.html.j2", circle_name=circle.name, first_name=user.first_name or "there",
                  inviter="Your facilitator", role=member.role, weeks=circle.weeks, others=others,
                  aliases=circle.aliases, alias=member.alias)


def label(circle: Circle, member: CircleMember, user: User | None) -> str:
    """How a member's posts are attributed: first name or alias; the leader as such."""
    if member.role == "leader":
        return f"{escape(user.first_name) if user and user.first_name else 'The leader'} (leader)"
    if circle.aliases and member.alias:
        return member.alias
    return escape(user.first_name) if user and user.first_name else "A member"


def answer_invitation(session: Session, env: Env, person: Person, member_id: int, value: int) -> CallbackOutcome:
    """The third consent: join (posts shared with the circle and its leader) or not."""
    member = session.get(CircleMember, member_id)
    user = _user(session, person.telegram_id)
    if member is None or user is None or member.user_id != user.id:
        return CallbackOutcome(toast="This button isn't yours.")
    circle = session.get(Circle, member.circle_id)
    if circle is None or circle.closed_at is not None:
        return CallbackOutcome(toast="This circle has closed.")
    if member.status in (MemberStatus.JOINED, MemberStatus.DECLINED, MemberStatus.LEFT):
        return CallbackOutcome(toast="You've answered already.")
    now = env.clock.now()
    member.status = MemberStatus.JOINED if value else MemberStatus.DECLINED
    member.answered_at = now
    session.add(member)
    repo.audit(session=session, actor=person.actor, action=f"circle.{member.status}", cohort_id=circle.cohort_id,
               at=now, circle_id=circle.id, member_id=member.id)
    enrolment = enrolment_of(session, circle, member)
    if enrolment is not None:  # the third consent joins the student's consent history (/mydata shows it)
        repo.add_consent_record(session=session, enrolment=enrolment, kind="circle", value=bool(value),
                                version=latest_participant_information()[0], at=now)
    if not value:
        return CallbackOutcome(edit_text=f"✓ You chose not to join {escape(circle.name)}. Nothing you write is "
                                         "shared with it.", replies=[Reply(
                                             "That's completely fine — your private reflections carry on as "
                                             "before. If you change your mind, tell your facilitator.")])
    return CallbackOutcome(edit_text=f"✓ You joined {escape(circle.name)}.", replies=[Reply(
        "Welcome to the circle. I'll message you when the week opens. /circle shows where the circle is; "
        "what you post there is shared with its members and its leader.")])


def leave(session: Session, env: Env, person: Person) -> list[Reply]:
    """Leave one's circle: posts leave the circle's record and research; others see a removal note."""
    user = _user(session, person.telegram_id)
    found = joined_member(session, user.id) if user and user.id else None
    if found is None:
        return [Reply("You're not in a circle.")]
    member, circle = found
    member.status, member.composing, member.draft = MemberStatus.LEFT, None, None
    session.add(member)
    removed = relay.remove_posts_of(session, env, member, actor=person.actor)
    repo.audit(session=session, actor=person.actor, action="circle.left", cohort_id=circle.cohort_id,
               at=env.clock.now(), circle_id=circle.id, member_id=member.id, posts_removed=removed)
    return [Reply(f"You've left {escape(circle.name)}. Your posts have been taken out of its record.")]


def joined_member(session: Session, user_id: int | None) -> tuple[CircleMember, Circle] | None:
    """Return a user's membership of an open circle (joined), if any."""
    if user_id is None:
        return None
    row = session.exec(select(CircleMember, Circle).join(Circle, col(Circle.id) == CircleMember.circle_id)
                       .where(CircleMember.user_id == user_id, CircleMember.status == MemberStatus.JOINED,
                              col(Circle.closed_at).is_(None))
                       .order_by(col(CircleMember.id).desc())).first()
    return (row[0], row[1]) if row else None


def joined(session: Session, circle_id: int) -> list[CircleMember]:
    """Return a circle's joined members in join order (the leader included)."""
    return list(session.exec(select(CircleMember).where(CircleMember.circle_id == circle_id,
                                                        CircleMember.status == MemberStatus.JOINED)
                             .order_by(col(CircleMember.id))).all())


def find(session: Session, ref: str) -> Circle | None:
    """Find a circle by id or name."""
    if ref.isdigit():
        return session.get(Circle, int(ref))
    return session.exec(select(Circle).where(Circle.name == ref).order_by(col(Circle.id).desc())).first()


def list_rows(session: Session, cohort: str | None = None) -> list[dict[str, Any]]:
    """Return circles with their member counts (no content)."""
    stmt = select(Circle, Cohort).join(Cohort, col(Cohort.id) == Circle.cohort_id).order_by(col(Circle.id))
    rows = []
    for circle, c in session.exec(stmt).all():
        if cohort and cohort not in (c.name, str(c.id)):
            continue
        members = session.exec(select(CircleMember).where(CircleMember.circle_id == circle.id)).all()
        counts = {s.value: sum(1 for m in members if m.status == s and m.role == "member") for s in MemberStatus}
        rows.append({"id": circle.id, "name": circle.name, "cohort": c.name, "weeks": circle.weeks,
                     "starts_on": circle.starts_on.isoformat(), "status": "closed" if circle.closed_at else "open",
                     **counts})
    return rows


def show(session: Session, env: Env, circle: Circle) -> dict[str, Any]:
    """Return a circle's set-up, members and weeks with participation counts — never what anyone wrote."""
    cohort = session.get(Cohort, circle.cohort_id)
    assert cohort is not None and circle.id is not None
    members = session.exec(select(CircleMember, User).join(User, col(User.id) == CircleMember.user_id)
                           .where(CircleMember.circle_id == circle.id).order_by(col(CircleMember.id))).all()
    weeks = session.exec(select(CircleWeek).where(CircleWeek.circle_id == circle.id)
                         .order_by(col(CircleWeek.week))).all()
    posts = session.exec(select(CirclePost).join(CircleWeek, col(CircleWeek.id) == CirclePost.week_id)
                         .where(CircleWeek.circle_id == circle.id, col(CirclePost.removed_at).is_(None))).all()
    presented = {w.presenter_id for w in weeks if w.presenter_id and w.phase not in ("choosing", "no_case")}
    sent = relay.read_counts(session, circle.id)
    return {
        "id": circle.id, "name": circle.name, "cohort": cohort.name, "timezone": cohort.timezone,
        "starts_on": circle.starts_on.isoformat(), "weeks": circle.weeks, "rhythm": circle.rhythm,
        "attribution": "alias" if circle.aliases else "first name",
        "status": "closed" if circle.closed_at else "open",
        "members": [{"name": u.first_name, "telegram_id": u.telegram_id, "role": m.role, "alias": m.alias,
                     "status": m.status, "presented": m.id in presented,
                     "posts": sum(1 for p in posts if p.member_id == m.id), "received": sent.get(m.id or 0, 0)}
                    for m, u in members],
        "weeks_run": [{"week": w.week, "phase": w.phase, "posts": sum(1 for p in posts if p.week_id == w.id),
                       "presenter": next((u.first_name for m, u in members if m.id == w.presenter_id), None)
                       if w.phase != "no_case" else None} for w in weeks],
    }


def close(session: Session, env: Env, circle: Circle, *, actor: str = "cli") -> int:
    """Close a circle for good (its record stays); tell the members. Return how many were told."""
    if circle.closed_at is not None:
        raise CircleError(f"circle {circle.name!r} is closed already")
    circle.closed_at = env.clock.now()
    session.add(circle)
    members = joined(session, circle.id or 0)
    for m in members:
        m.composing = None
        session.add(m)
        relay.enqueue(session, env, m, f"<b>{escape(circle.name)}</b> has come to an end. Thank you for "
                                       "everything you brought to it.")
    repo.audit(session=session, actor=actor, action="circle.close", cohort_id=circle.cohort_id,
               at=env.clock.now(), circle_id=circle.id)
    return len(members)


def enrolment_of(session: Session, circle: Circle, member: CircleMember) -> Enrolment | None:
    """Return the member's enrolment in the circle's cohort (the leader may have none)."""
    return repo.get_enrolment(session=session, user_id=member.user_id, cohort_id=circle.cohort_id)
