"""Consent invariants, by property: whatever sequence of joining, consent changes, withdrawal, deletion, weeks
of reflection, intake and export happens, no text of a student without research consent *at that moment* is
in the coding queue or in an export made then, and nothing of an erased student is in any coding item.

Every sentence a student writes carries a unique nonsense word (it survives de-identification), so the test
can tell whose text an item or an export holds. The model of consent is kept here, from the buttons pressed,
and checked against the database after every step.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from bot.chat import student
from bot.chat.buttons import press
from bot.core.actions import Action, encode
from bot.core.clock import ManualClock
from bot.core.context import Env, Person
from bot.core.student.enrolment import CohortIn, create_cohort
from bot.research import exports
from bot.research import queue as research_queue
from bot.research.queue import intake
from storage import repo
from storage.db import Database
from storage.models import Cohort, Study
from storage.research_models import CodingItem
from tests.support.research_support import KEY, STUDY, seed

STUDENTS = (1001, 1002)
SENTENCES = [
    "On the ward I met an older man, and the word {m} stayed with me all afternoon.",
    "I felt unsure and rather small, a feeling I would call {m} if it had a name.",
    "He may have felt tired of strangers; I wrote {m} in my notebook to remember.",
    "Between us there was a long quiet moment, something like {m}, that I did not break.",
    "Next time I will sit down sooner, and think of {m} before I speak.",
]

Op = tuple[object, ...]
student_ids = st.sampled_from(STUDENTS)
ARGS = {
    # join, take part and choose research (mostly yes) in one go
    "enrol": st.tuples(st.just("enrol"), student_ids, st.sampled_from([True, True, True, False])),
    "reflect": st.tuples(st.just("reflect"), student_ids),
    "intake": st.tuples(st.just("intake")),
    "join": st.tuples(st.just("join"), student_ids),
    "participate": st.tuples(st.just("participate"), student_ids, st.booleans()),
    "research": st.tuples(st.just("research"), student_ids, st.booleans()),
    "withdraw": st.tuples(st.just("withdraw"), student_ids),
    "delete": st.tuples(st.just("delete"), student_ids),
    "tick": st.tuples(st.just("tick")),
    "export": st.tuples(st.just("export"), st.sampled_from(["jsonl", "csv"])),
}
# joining with both choices made, and writing, come up more often than the rest, so most runs have text in the
# queue that could go wrong
WEIGHTED = (
    ["enrol"] * 3 + ["reflect"] * 4 + ["intake"] * 2 + [k for k in ARGS if k not in ("enrol", "reflect", "intake")]
)
OPS = st.sampled_from(WEIGHTED).flatmap(lambda kind: ARGS[kind])


@dataclass
class Model:
    """What consent each student has given, according to the buttons they pressed."""

    joined: bool = False
    participate: bool | None = None
    research: bool | None = None
    incarnation: int = 0  # a new one after every erasure
    last_enrolment: int = 10_000  # the id their last buttons carried (stale after withdrawal or erasure)
    last_user: int = 10_000


@dataclass
class World:
    db: Database
    env: Env
    cohort: Cohort
    model: dict[int, Model] = field(default_factory=lambda: {s: Model() for s in STUDENTS})
    written: dict[str, tuple[int, int]] = field(default_factory=dict)  # word -> (student, incarnation)
    words: itertools.count = field(default_factory=itertools.count)
    messages: itertools.count = field(default_factory=lambda: itertools.count(100))
    most_queued: int = 0

    def forbidden(self) -> set[str]:
        """Words whose writer has no research consent now (or was erased)."""
        out = set()
        for word, (sid, incarnation) in self.written.items():
            m = self.model[sid]
            if incarnation != m.incarnation or not (m.joined and m.research is True):
                out.add(word)
        return out

    def erased(self) -> set[str]:
        return {w for w, (sid, inc) in self.written.items() if inc != self.model[sid].incarnation}


def word(n: int) -> str:
    letters = "bcdfghjklmnpqrstvwxz"
    out = ""
    while True:
        out = letters[n % 20] + out
        n //= 20
        if n == 0:
            return "qx" + out.rjust(3, "b")


def reset(db: Database) -> None:
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for t in reversed(tables):
                conn.execute(text(f'DELETE FROM "{t}"'))


def new_world(db: Database) -> World:
    reset(db)
    clock = ManualClock(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    env = Env(research=research_queue, clock=clock, bot_username="balint_test_bot", pseudonym_key=KEY)
    cohort = db.call(
        create_cohort,
        CohortIn(
            name="Study cohort",
            start_date=date(2026, 1, 5),
            weeks=6,
            weekday=0,
            send_time=time(9, 0),
            timezone="Europe/London",
            study=STUDY,
        ),
    )
    seed(db, env)  # the seed codebook opens round 1, so exports can be made
    return World(db, env, cohort)


def person(sid: int) -> Person:
    return Person(telegram_id=sid, first_name=f"S{sid}")


def current_ids(session: Session, sid: int) -> tuple[int | None, int | None]:
    user = repo.get_user_by_telegram_id(session=session, telegram_id=sid)
    enrolment = repo.active_enrolment(session=session, user_id=user.id) if user and user.id else None
    return (user.id if user else None), (enrolment.id if enrolment else None)


def step(w: World, op: Op) -> None:
    kind, *args = op
    if kind == "tick":
        w.env.clock.advance(timedelta(days=7))  # type: ignore[attr-defined]
        return
    if kind == "intake":
        w.db.call(lambda s: intake(s, w.env, s.exec(select(Study)).one(), actor="test"))
        return
    if kind == "export":
        exported = w.db.call(_export, w.env, str(args[0]))
        leaked = {word for word in w.forbidden() if word in exported}
        assert not leaked, f"an export made now holds text of students without research consent: {leaked}"
        return
    sid = int(args[0])  # type: ignore[call-overload]
    m, who = w.model[sid], person(sid)
    if kind == "enrol":
        for sub in (("join", sid), ("participate", sid, True), ("research", sid, args[1])):
            step(w, sub)
        return
    if kind == "join":
        w.db.call(student.start, w.env, who, w.cohort.invite_code)
        if not m.joined:
            m.joined, m.participate, m.research = True, None, None
    elif kind in ("participate", "research"):
        value = bool(args[1])
        action = Action.CONSENT_PARTICIPATE if kind == "participate" else Action.CONSENT_RESEARCH
        w.db.call(press, w.env, who, encode(action, m.last_enrolment, int(value)))
        if m.joined:
            setattr(m, kind, value)
    elif kind == "withdraw":
        w.db.call(press, w.env, who, encode(Action.WITHDRAW, m.last_enrolment, 1))
        if m.joined:
            m.joined, m.participate, m.research = False, False, False
    elif kind == "delete":
        existed = w.db.call(lambda s: repo.get_user_by_telegram_id(session=s, telegram_id=sid)) is not None
        w.db.call(press, w.env, who, encode(Action.DELETE, m.last_user, 1))
        if existed:
            m.incarnation, m.joined, m.participate, m.research = m.incarnation + 1, False, None, None
    elif kind == "reflect":
        w.db.call(student.command, w.env, who, "reflect")
        for sentence in SENTENCES:
            word_ = word(next(w.words))
            w.written[word_] = (sid, m.incarnation)
            w.db.call(student.text, w.env, who, sentence.format(m=word_), chat_id=sid, message_id=next(w.messages))
    user_id, enrolment_id = w.db.call(current_ids, sid)
    if enrolment_id is not None and m.joined:
        m.last_enrolment = enrolment_id
    if user_id is not None:
        m.last_user = user_id


def _export(session: Session, env: Env, fmt: str) -> str:
    out = io.BytesIO()
    exports.export(session, env, session.exec(select(Study)).one(), fmt, out, actor="test")
    return out.getvalue().decode("utf-8")


def check(w: World) -> None:
    """The queue holds no text of anyone without consent now; no item holds anything of an erased student."""

    def read(session: Session) -> tuple[list[CodingItem], dict[int, tuple[bool | None, bool]]]:
        items = list(session.exec(select(CodingItem)).all())
        consents = {}
        for sid in STUDENTS:
            user = repo.get_user_by_telegram_id(session=session, telegram_id=sid)
            enrolment = repo.active_enrolment(session=session, user_id=user.id) if user and user.id else None
            consents[sid] = (enrolment.research if enrolment else None, enrolment is not None)
        return items, consents

    items, consents = w.db.call(read)
    w.most_queued = max(w.most_queued, sum(1 for i in items if i.excluded_at is None))
    for sid, (research, joined) in consents.items():
        m = w.model[sid]
        assert (research if joined else None, joined) == (m.research if m.joined else None, m.joined), (
            f"student {sid}: the database and the buttons pressed disagree about consent"
        )
    forbidden, erased = w.forbidden(), w.erased()
    for item in items:
        in_queue = item.excluded_at is None
        for word_ in forbidden if in_queue else erased:
            assert word_ not in item.text, f"item {item.id} holds {word_} of a student without consent"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(ops=st.lists(OPS, min_size=8, max_size=40))
def test_no_text_without_research_consent_reaches_the_queue_or_an_export(db: Database, ops: list[Op]) -> None:
    w = new_world(db)
    for op in ops:
        step(w, op)
        check(w)
    step(w, ("intake",))
    check(w)
    step(w, ("export", "jsonl"))
    event(f"queue at its fullest: {'empty' if not w.most_queued else 'under 10' if w.most_queued < 10 else '10+'}")
    event(f"words written, then out of bounds: {'none' if not w.forbidden() else 'some'}")
    event(f"students erased: {sum(m.incarnation > 0 for m in w.model.values())}")


def test_the_model_sees_a_withdrawal_after_an_export(db: Database) -> None:
    """One hand-written sequence, so the property's machinery is shown to bite."""
    w = new_world(db)
    for op in [
        ("join", 1001),
        ("participate", 1001, True),
        ("research", 1001, True),
        ("reflect", 1001),
        ("intake",),
        ("export", "jsonl"),
    ]:
        step(w, op)
        check(w)
    assert not w.forbidden()
    first = w.db.call(_export, w.env, "jsonl")
    assert all(word_ in first for word_ in w.written)  # consented: every sentence is there
    step(w, ("withdraw", 1001))
    assert w.forbidden() == set(w.written)
    assert not any(word_ in w.db.call(_export, w.env, "jsonl") for word_ in w.written)
    check(w)
