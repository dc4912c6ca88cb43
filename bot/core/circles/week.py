"""A circle week: presenter, case, questions, push-back, response, close — driven by the rhythm and by people.

``tick`` opens each week when its time comes, asks the rotation's next person when nobody has volunteered
halfway to the case time, and moves the phase on as the rhythm says (``rhythm.due_phase``), telling everyone.
The presenter's confirmed case starts the questions; the leader can move on early and closes the week.
"""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from bot.core.circles import relay, setup
from bot.core.circles.buttons import Verb, button
from bot.core.circles.rhythm import NEXT, WeekTimes, current_week, due_phase, week_times
from bot.core.context import Env, Person
from bot.core.privacy.at_rest import seal, unseal
from bot.core.privacy.redaction import default_redactor
from bot.core.replies import Button, CallbackOutcome, Reply
from bot.core.scheduling.schedule import describe_local
from bot.core.templates import escape, render
from storage import repo
from storage.circle_models import Circle, CircleMember, CirclePost, CircleWeek, MemberStatus, Phase
from storage.models import Cohort, User

PHASE_NAMES = {Phase.CHOOSING: "Choosing a presenter", Phase.QUESTIONS: "Questions", Phase.DISCUSSION: "Push-back",
               Phase.RESPONSE: "The presenter's response", Phase.CLOSING: "Closing", Phase.CLOSED: "Closed",
               Phase.NO_CASE: "No case this week"}
PUSHBACK_EXPLAINED = (
    "This is the push-back, {name}: for now you step back and read, and the group talks about the case without "
    "you — what it stirs in them, what the patient might have felt, what went on between you. Nothing you "
    "write is posted until your response opens{until}. It can feel odd to be talked about; many presenters find "
    "it's where the case opens up.")
PUSHBACK_REFUSED = "Not posted: during push-back you read and listen. Your response opens{until}."
NO_CASE = ("No one is presenting in <b>{circle}</b> this week, and that's all right — some weeks are like that. "
           "Rest well; the circle meets again {next}.")
_ADVICE = re.compile(r"\b(you should|you could have|you must|next time|have you tried|why didn'?t you|"
                     r"i would have|my advice|you need to|try to)\b", re.IGNORECASE)


def times_of(session: Session, circle: Circle, week: int) -> WeekTimes:
    """The moments of one week in UTC."""
    return week_times(circle.rhythm, circle.starts_on, week, _tz(session, circle))


def _tz(session: Session, circle: Circle) -> str:
    cohort = session.get(Cohort, circle.cohort_id)
    return cohort.timezone if cohort else "Europe/London"


def _when(session: Session, circle: Circle, moment: object) -> str:
    return describe_local(moment, _tz(session, circle))  # type: ignore[arg-type]


def _header(circle: Circle, week: CircleWeek) -> str:
    return f"<b>{escape(circle.name)} · week {week.week}</b>"


def _user(session: Session, member: CircleMember) -> User | None:
    return session.get(User, member.user_id)


def _name(session: Session, circle: Circle, member: CircleMember | None) -> str:
    if member is None:
        return "the presenter"
    return setup.label(circle, member, _user(session, member))


def _broadcast(session: Session, env: Env, circle: Circle, text: str, *, except_id: int | None = None,
               buttons: tuple[tuple[Button, ...], ...] = (), post_id: int | None = None) -> None:
    for m in setup.joined(session, circle.id or 0):
        if m.id != except_id:
            relay.enqueue(session, env, m, text, post_id=post_id, buttons=buttons)


# ---- the clock ------------------------------------------------------------------------------------------------


def tick(session: Session, env: Env) -> int:
    """Open weeks, ask the rotation, move phases on; return how many things happened."""
    now, done = env.clock.now(), 0
    for circle in session.exec(select(Circle).where(col(Circle.closed_at).is_(None)).order_by(col(Circle.id))):
        number = current_week(circle.rhythm, circle.starts_on, circle.weeks, _tz(session, circle), now)
        if number is None:
            continue
        week = session.exec(select(CircleWeek).where(CircleWeek.circle_id == circle.id,
                                                     CircleWeek.week == number)).first()
        if week is None:
            done += _end_earlier_weeks(session, env, circle)
            week = _open_week(session, env, circle, number)
            done += 1
        done += _rotation(session, env, circle, week)
        done += advance(session, env, circle, week)
    return done


def _end_earlier_weeks(session: Session, env: Env, circle: Circle) -> int:
    ended = 0
    for week in session.exec(select(CircleWeek).where(CircleWeek.circle_id == circle.id,
                                                      col(CircleWeek.phase).not_in([Phase.CLOSED, Phase.NO_CASE]))):
        _set_phase(session, env, circle, week, Phase.CLOSED)
        _broadcast(session, env, circle, f"{_header(circle, week)} has ended: a new week is opening.")
        ended += 1
    return ended


def _open_week(session: Session, env: Env, circle: Circle, number: int) -> CircleWeek:
    now = env.clock.now()
    week = CircleWeek(circle_id=circle.id or 0, week=number, opened_at=now, phase_at=now)
    session.add(week)
    session.flush()
    times = times_of(session, circle, number)
    _broadcast(session, env, circle, (
        f"{_header(circle, week)} is open. Who would like to present? A case is an encounter that has stayed with "
        f"you — it needn't be dramatic. The case is due by {_when(session, circle, times.case)}."),
        buttons=((button("I'll present this week", Verb.VOLUNTEER, week.id or 0),),))
    return week


def _rotation(session: Session, env: Env, circle: Circle, week: CircleWeek) -> int:
    """Halfway to the case time with no presenter: ask the next person in turn (once each)."""
    if week.phase != Phase.CHOOSING or week.presenter_id is not None or week.asked_id is not None:
        return 0
    times = times_of(session, circle, week.week)
    if env.clock.now() < times.open + (times.case - times.open) / 2:
        return 0
    return _ask_next(session, env, circle, week)


def _ask_next(session: Session, env: Env, circle: Circle, week: CircleWeek) -> int:
    students = [m for m in setup.joined(session, circle.id or 0) if m.role == "member"]
    past = session.exec(select(CircleWeek.presenter_id).where(CircleWeek.circle_id == circle.id,
                                                              col(CircleWeek.presenter_id).is_not(None),
                                                              col(CircleWeek.phase) != Phase.NO_CASE)).all()
    # who presented least, then who was asked longest ago (join order): everyone gets a turn
    order = sorted(students, key=lambda m: (sum(1 for p in past if p == m.id), m.id or 0))
    candidates = [m for m in order if m.id not in week.declined]
    if not candidates:  # everyone said no: the case time passes and the week says so kindly
        return 0
    asked = candidates[0]
    week.asked_id = asked.id
    session.add(week)
    user = _user(session, asked)
    relay.enqueue(session, env, asked, (
        f"{_header(circle, week)}: nobody has offered a case yet. Would you present this week, "
        f"{escape(user.first_name if user else '')}? Saying no is completely fine — I'll ask someone else."),
        buttons=((button("Yes, I'll present", Verb.ROTATION, week.id or 0, 1),
                  button("Not this week", Verb.ROTATION, week.id or 0, 0)),))
    return 1


def advance(session: Session, env: Env, circle: Circle, week: CircleWeek) -> int:
    """Move a week to the phase the clock says; announce each step."""
    times = times_of(session, circle, week.week)
    moved = 0
    target = due_phase(week.phase, times, env.clock.now(), has_case=_has_case(session, week))
    while week.phase != target and week.phase not in (Phase.CLOSED, Phase.NO_CASE):
        nxt = Phase.NO_CASE if week.phase == Phase.CHOOSING and target == Phase.NO_CASE else NEXT[Phase(week.phase)]
        enter(session, env, circle, week, nxt, times)
        moved += 1
    return moved


def _has_case(session: Session, week: CircleWeek) -> bool:
    return session.exec(select(CirclePost.id).where(CirclePost.week_id == week.id, CirclePost.kind == "case")
                        ).first() is not None


def _set_phase(session: Session, env: Env, circle: Circle, week: CircleWeek, phase: Phase) -> None:
    week.phase, week.phase_at = phase, env.clock.now()
    if phase in (Phase.CLOSED, Phase.NO_CASE):
        week.closed_at = env.clock.now()
        for m in setup.joined(session, circle.id or 0):
            if m.composing:
                m.composing, m.draft = None, None
                session.add(m)
    session.add(week)
    repo.audit(session=session, actor="system", action="circle.phase", cohort_id=circle.cohort_id,
               at=env.clock.now(), circle_id=circle.id, week=week.week, phase=str(phase))


def enter(session: Session, env: Env, circle: Circle, week: CircleWeek, phase: Phase,
          times: WeekTimes | None = None) -> None:
    """Put a week into ``phase`` and tell the circle what it means."""
    times = times or times_of(session, circle, week.week)
    _set_phase(session, env, circle, week, phase)
    presenter = session.get(CircleMember, week.presenter_id) if week.presenter_id else None
    who = _name(session, circle, presenter)
    end = times.until(phase)
    until = f" until {_when(session, circle, end)}" if end else ""
    write = ((button("✍️ Write to the circle", Verb.WRITE, circle.id or 0),),)
    head = _header(circle, week)
    if phase == Phase.NO_CASE:
        nxt = times_of(session, circle, week.week + 1).open if week.week < circle.weeks else None
        _broadcast(session, env, circle, NO_CASE.format(circle=escape(circle.name), next=(
            f"on {_when(session, circle, nxt)}" if nxt else "when your facilitator says")))
        return
    if phase == Phase.QUESTIONS:
        _broadcast(session, env, circle, f"{head} · <b>Questions</b>{until}. Ask {who} what you'd like to "
                                         "know about the case; questions only for now.", buttons=write)
    elif phase == Phase.DISCUSSION:
        _broadcast(session, env, circle, f"{head} · <b>Push-back</b>{until}. {who} steps back and reads. "
                   "Explore what the case stirs in you, what the patient might have felt, what went on between "
                   "them — no advice, no problem solving.", except_id=week.presenter_id, buttons=write)
        if presenter is not None:
            person = _user(session, presenter)
            relay.enqueue(session, env, presenter, f"{head} · <b>Push-back</b>. " + PUSHBACK_EXPLAINED.format(
                name=escape(person.first_name if person else ""), until=f" on {_when(session, circle, end)}"
                if end else ""))
            week.pushback_told = True
    elif phase == Phase.RESPONSE:
        _broadcast(session, env, circle, f"{head} · <b>The presenter's response</b>{until}. {who} comes back in "
                                         "and responds to what the group said.", buttons=write)
    elif phase == Phase.CLOSING:
        _broadcast(session, env, circle, f"{head} · <b>Closing</b>. The leader will close the week.")
        for m in setup.joined(session, circle.id or 0):
            if m.role == "leader":
                relay.enqueue(session, env, m, "When you're ready, write your closing words (✍️) and close the "
                                               "week.", buttons=(write[0], (button(
                                                   "Close the week", Verb.NEXT_PHASE, week.id or 0),)))
    elif phase == Phase.CLOSED:
        _broadcast(session, env, circle, f"{head} is closed. Thank you, everyone — and thank you, {who}, for "
                                         "bringing the case.")


# ---- people ---------------------------------------------------------------------------------------------------


def _mine(session: Session, person: Person, week_id: int) -> tuple[CircleMember, Circle, CircleWeek] | None:
    week = session.get(CircleWeek, week_id)
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    found = setup.joined_member(session, user.id) if user else None
    if week is None or found is None or found[1].id != week.circle_id:
        return None
    return found[0], found[1], week


def volunteer(session: Session, env: Env, person: Person, week_id: int) -> CallbackOutcome:
    """"I'll present this week": the first one to press presents."""
    found = _mine(session, person, week_id)
    if found is None:
        return CallbackOutcome(toast="This button isn't for you.")
    member, circle, week = found
    if member.role == "leader":
        return CallbackOutcome(toast="The leader doesn't present; a student does.", keep_buttons=True)
    if week.phase != Phase.CHOOSING:
        return CallbackOutcome(toast="This week has moved on.")
    if week.presenter_id is not None:
        return CallbackOutcome(toast="Someone is presenting already.") if week.presenter_id != member.id \
            else CallbackOutcome(toast="You're presenting this week.")
    return CallbackOutcome(toast="Thank you", replies=_become_presenter(session, env, circle, week, member))


def rotation_answer(session: Session, env: Env, person: Person, week_id: int, value: int) -> CallbackOutcome:
    """The rotation's ask: yes (present) or not this week (ask the next person)."""
    found = _mine(session, person, week_id)
    if found is None:
        return CallbackOutcome(toast="This button isn't for you.")
    member, circle, week = found
    if week.phase != Phase.CHOOSING or week.presenter_id is not None:
        return CallbackOutcome(toast="This week has a presenter already, or has moved on.")
    if value:
        return CallbackOutcome(toast="Thank you", replies=_become_presenter(session, env, circle, week, member))
    week.declined = [*week.declined, member.id or 0]
    week.asked_id = None
    session.add(week)
    _ask_next(session, env, circle, week)
    return CallbackOutcome(edit_text="✓ Not this week — thank you for saying.")


def _become_presenter(session: Session, env: Env, circle: Circle, week: CircleWeek,
                      member: CircleMember) -> list[Reply]:
    week.presenter_id = member.id
    member.composing, member.draft = "case", None
    session.add_all([week, member])
    times = times_of(session, circle, week.week)
    _broadcast(session, env, circle, f"{_header(circle, week)}: {_name(session, circle, member)} will present. "
                                     "The case comes here once they have written it.", except_id=member.id)
    return [Reply(f"Thank you for presenting. Write the case here, in one message: what happened, who the patient "
                  f"was to you, what stays with you. Before anyone sees it I'll show you how it will look, with "
                  f"names and details taken out. It's due by {_when(session, circle, times.case)}.")]


def case_draft(session: Session, env: Env, member: CircleMember, circle: Circle, body: str) -> list[Reply]:
    """The presenter's case text: show the redacted version to confirm or edit."""
    week = _current(session, circle)
    if week is None or week.phase != Phase.CHOOSING or week.presenter_id != member.id:
        member.composing = None
        session.add(member)
        return [Reply("That case can't be shared any more: this week has moved on.")]
    shown = default_redactor().redact(body).text
    member.draft, member.composing = seal(env.cipher, shown), None
    session.add(member)
    return [Reply("This is how the circle will see your case (names, places and numbers taken out):"),
            Reply(f"<blockquote>{escape(shown)}</blockquote>", buttons=(
                (button("Share it with the circle", Verb.CONFIRM_CASE, week.id or 0),
                 button("Edit", Verb.EDIT_CASE, week.id or 0)),))]


def edit_case(session: Session, env: Env, person: Person, week_id: int) -> CallbackOutcome:
    """The presenter wants to change the case before it is shared."""
    found = _mine(session, person, week_id)
    if found is None or found[2].presenter_id != found[0].id or found[2].phase != Phase.CHOOSING:
        return CallbackOutcome(toast="This button has expired.")
    member = found[0]
    member.composing, member.draft = "case", None
    session.add(member)
    return CallbackOutcome(replies=[Reply("Send the case again as you'd like it to read; I'll show it to you "
                                          "again before it's shared.")])


def confirm_case(session: Session, env: Env, person: Person, week_id: int, *, chat_id: int,
                 message_id: int) -> CallbackOutcome:
    """Share the confirmed (redacted) case with the circle; the questions open."""
    found = _mine(session, person, week_id)
    if found is None or found[2].presenter_id != found[0].id:
        return CallbackOutcome(toast="This button has expired.")
    member, circle, week = found
    text = unseal(env.cipher, member.draft)
    if week.phase != Phase.CHOOSING or not text:
        return CallbackOutcome(toast="This case was shared already, or the week has moved on.")
    member.draft = None
    session.add(member)
    post = _store(session, env, member, week, "presenter", "case", text, chat_id=chat_id, message_id=message_id)
    _broadcast(session, env, circle, f"{_header(circle, week)} · <b>The case</b>, from "
                                     f"{_name(session, circle, member)}:\n\n{escape(text)}",
               except_id=member.id, post_id=post.id)
    enter(session, env, circle, week, Phase.QUESTIONS)
    return CallbackOutcome(toast="Shared", edit_text=f"<blockquote>{escape(text)}</blockquote>\n✓ Shared with the "
                                                     "circle.")


def _store(session: Session, env: Env, member: CircleMember, week: CircleWeek, role: str, kind: str, text: str, *,
           chat_id: int, message_id: int) -> CirclePost:
    token, encrypted = env.cipher.encrypt(text)
    post = CirclePost(week_id=week.id or 0, member_id=member.id or 0, role=role, phase=week.phase, kind=kind,
                      text=token, encrypted=encrypted, chat_id=chat_id, message_id=message_id,
                      created_at=env.clock.now())
    session.add(post)
    session.flush()
    return post


def _current(session: Session, circle: Circle) -> CircleWeek | None:
    return session.exec(select(CircleWeek).where(CircleWeek.circle_id == circle.id)
                        .order_by(col(CircleWeek.week).desc())).first()


def post(session: Session, env: Env, member: CircleMember, circle: Circle, body: str, *, chat_id: int,
         message_id: int, reply_to: int | None = None) -> list[Reply]:
    """A member's post: kept to the phase, stored once, relayed to everyone else in the circle.

    ``reply_to``: the message of the member's chat it answers (a Telegram reply); a reply to a circle post is
    recorded as quoting it, and the others see whom it answers."""
    member.composing = None
    session.add(member)
    if session.exec(select(CirclePost.id).where(CirclePost.chat_id == chat_id,
                                                CirclePost.message_id == message_id)).first():
        return []  # the same message again (a redelivered update): stored and relayed once already
    week = _current(session, circle)
    if week is None:
        return [Reply(f"{escape(circle.name)} hasn't started yet; I'll message you when the first week opens.")]
    leader = member.role == "leader"
    presenter = week.presenter_id == member.id
    phase = Phase(week.phase)
    times = times_of(session, circle, week.week)
    if phase in (Phase.CLOSED, Phase.NO_CASE):
        return [Reply("This week's circle is closed, so I haven't shared that. The next week opens on "
                      f"{_when(session, circle, times_of(session, circle, week.week + 1).open)}.")
                if week.week < circle.weeks else Reply("This week's circle is closed, so I haven't shared that.")]
    if not leader and phase == Phase.CHOOSING:
        return [Reply("There's no case yet this week, so I haven't shared that. "
                      + ("Write your case and I'll show it to you first." if presenter else
                         "Once the case is in, questions open."))]
    if not leader and phase == Phase.CLOSING:
        return [Reply("The leader is closing this week, so I haven't shared that.")]
    if presenter and phase == Phase.DISCUSSION:
        response = times.discussion
        until = f" on {_when(session, circle, response)}"
        name = _user(session, member)
        if not week.pushback_told:
            week.pushback_told = True
            session.add(week)
            return [Reply(PUSHBACK_EXPLAINED.format(name=escape(name.first_name if name else ""), until=until))]
        return [Reply(PUSHBACK_REFUSED.format(until=until))]
    role = "leader" if leader else "presenter" if presenter else "member"
    stored = _store(session, env, member, week, role, "post", body, chat_id=chat_id, message_id=message_id)
    quoted = relay.post_behind(session, member, reply_to) if reply_to else None
    answers = ""
    quoted_week = session.get(CircleWeek, quoted.week_id) if quoted is not None else None
    if quoted is not None and quoted_week is not None and quoted_week.circle_id == circle.id:
        stored.quotes_post_id = quoted.id
        session.add(stored)
        answers = f" ↩ {escape(_name(session, circle, session.get(CircleMember, quoted.member_id)))}"
    label = setup.label(circle, member, _user(session, member)) + (" (presenter)" if presenter else "")
    _broadcast(session, env, circle, f"💬 <b>{label}</b>{answers} · {PHASE_NAMES[phase].lower()}\n{escape(body)}",
               except_id=member.id, post_id=stored.id)
    others = len(setup.joined(session, circle.id or 0)) - 1
    replies = [Reply(f"✓ Shared with the circle ({others} {'person' if others == 1 else 'people'}).")]
    if phase == Phase.DISCUSSION and not leader and _ADVICE.search(body):
        presenter_m = session.get(CircleMember, week.presenter_id) if week.presenter_id else None
        name = _user(session, member)
        replies.append(Reply(render("circles/balint_frame.html.j2", first_name=escape(name.first_name if name else ""),
                                    presenter=_name(session, circle, presenter_m))))
    return replies


def next_phase(session: Session, env: Env, person: Person, week_id: int) -> CallbackOutcome:
    """The leader moves the week on early (from closing: closes it)."""
    found = _mine(session, person, week_id)
    if found is None or found[0].role != "leader":
        return CallbackOutcome(toast="Only the circle's leader can do that.")
    _, circle, week = found
    replies = move_on(session, env, circle, week, actor=person.actor)
    return CallbackOutcome(toast=replies[0].text[:190] if replies else None)


def move_on(session: Session, env: Env, circle: Circle, week: CircleWeek, *, actor: str) -> list[Reply]:
    """Move a week one phase on, as its leader asked."""
    phase = Phase(week.phase)
    if phase in (Phase.CLOSED, Phase.NO_CASE):
        return [Reply("This week is closed already.")]
    if phase == Phase.CHOOSING:
        return [Reply("The week moves on once the presenter has shared the case.")]
    nxt = NEXT[phase]
    enter(session, env, circle, week, nxt)
    repo.audit(session=session, actor=actor, action="circle.move_on", cohort_id=circle.cohort_id,
               at=env.clock.now(), circle_id=circle.id, week=week.week, phase=str(nxt))
    if nxt == Phase.CLOSED:
        return [Reply(f"You closed week {week.week}. Thank you for leading it.")]
    return [Reply(f"Moved on: {PHASE_NAMES[nxt]}.")]


def members_of(session: Session, circle: Circle) -> list[CircleMember]:
    """Joined members (for the transport's status line)."""
    return [m for m in setup.joined(session, circle.id or 0) if m.status == MemberStatus.JOINED]
