"""``balint demo``: a finished six-week placement to try every role on, made by the same domain code as the chat.

Twelve synthetic students join "Demo psychiatry placement" and make their two choices (ten say yes to research),
receive six weekly prompts and reflect on most of them with texts written for the demo (some name a patient,
so the redaction shows). One student withdraws after week 3; one erases everything after week 4. The cohort
belongs to "Demo study", which has two coders: C1 (you, in ``balint sandbox --as researcher``) and C2, an
independent coder who has already coded the first twelve items of round 1 (the seed codebook). The facilitator
(you, in ``balint sandbox --as facilitator``) is Dr Demo. Nothing here is a real person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session, select

from bot.chat import student
from bot.core.clock import ManualClock
from bot.core.context import Env, Person
from bot.core.delivery import delivery
from bot.core.replies import CallbackOutcome, Reply
from bot.core.scheduling.schedule import due_at, spec_of
from bot.core.student.enrolment import CohortIn, create_cohort
from bot.research import queue as research_queue
from storage import repo
from storage.db import Database
from storage.models import Cohort, Role, Study

COHORT = "Demo psychiatry placement"
STUDY = "Demo study"
FACILITATOR = Person(telegram_id=900_001, first_name="Dr Demo", username="dr_demo")
CODER_1 = Person(telegram_id=900_101, first_name="You (C1)")
CODER_2 = Person(telegram_id=900_102, first_name="Sam (C2)")
STUDENTS = ("Amara", "Ben", "Chloe", "Dev", "Ellie", "Femi", "Grace", "Hugo", "Isla", "Jay", "Kiran", "Lena")
NO_RESEARCH = {"Hugo", "Lena"}  # take part, keep their words out of research
WITHDRAWS, ERASES = "Femi", "Jay"
SKIPS = {("Ben", 2), ("Chloe", 5), ("Dev", 3), ("Grace", 6), ("Isla", 4), ("Kiran", 2), ("Kiran", 5)}

ENCOUNTERS = (
    "An older man on the ward who had stopped eating since his wife died. He kept apologising for taking up my time.",
    "A young woman admitted after an overdose. She joked with the nurses but went quiet whenever I came in.",
    "Mrs Patel, who was frightened of the new medication and asked me three times whether it would change her.",
    "A man with schizophrenia who told me in great detail about the voices, calmly, as if describing the weather.",
    "In clinic, a mother who had brought her teenage son. She answered every question I asked him.",
    "A retired teacher with dementia who corrected my grammar and then asked where her classroom had gone.",
    "Mr Okafor, who was angry about being kept in hospital and shouted at me that I was just a student.",
    "A woman with severe anxiety who could not sit down for the whole assessment and apologised for pacing.",
    "A student my own age, admitted with depression. We had the same trainers on.",
    "An elderly patient who held my hand during the ward round and would not let go when the team moved on.",
    "A man with alcohol dependence who was charming and funny, and who the nurses warned me not to believe.",
    "A woman who had been in hospital for eight months and knew the ward routines better than I did.",
)
FELT = (
    "Useless at first, and then a heaviness I carried into the afternoon.",
    "Out of my depth. I wanted someone more senior to walk in.",
    "Protective, and a bit embarrassed by how protective.",
    "Irritated, which surprised me, and then guilty for being irritated.",
    "Moved. I had to look at my notes for a moment.",
    "Strangely calm, and afterwards very tired.",
    "Like an intruder in something private.",
    "Curious, and worried that my curiosity was unkind.",
)
PATIENT = (
    "Perhaps that I was one more person wanting something from them.",
    "Maybe relieved that someone had time, even a student.",
    "Possibly ashamed to be seen like this by someone so young.",
    "I wonder if they felt I was judging them, even though I was trying not to.",
    "Tired of telling the same story to a new face every day.",
    "Maybe that I was safe to be angry with, because I don't matter.",
)
BETWEEN = (
    "Something shifted when I sat down instead of standing at the end of the bed.",
    "We both avoided the obvious question for the whole conversation.",
    "I stopped asking questions and they started talking about their garden.",
    "I noticed I was copying their way of speaking, and it seemed to help.",
    "There was a long silence that I didn't fill, and it was the best part.",
    "I felt pulled to rescue, and held back, and they seemed to notice.",
)
TAKEAWAY = (
    "Sometimes being there matters more than getting the history.",
    "My irritation told me something about the patient, not only about me.",
    "I want to notice when I start performing competence instead of listening.",
    "Being the same age as a patient is something to notice, not hide.",
    "Silence can be a kind of company.",
    "I can ask for help from the team without it meaning I failed.",
)
# what C2 coded on the first items, by step (seed codebook names)
C2_CODES = {"encounter": ["Attunement to encounters"], "felt": ["Container for vulnerability"],
            "patient": ["Attunement to encounters"], "between": ["Attunement to encounters"],
            "takeaway": ["Identity within the hierarchy"]}


@dataclass
class _Chat:
    """One synthetic person talking to the domain, pressing the buttons they are shown."""

    db: Database
    env: Env
    person: Person
    seen: list[Reply] = field(default_factory=list)
    message_id: int = 0

    def start(self, payload: str) -> None:
        self.seen += self.db.call(student.start, self.env, self.person, payload)

    def say(self, text: str) -> None:
        self.message_id += 1
        self.seen += self.db.call(student.text, self.env, self.person, text, chat_id=self.person.telegram_id,
                                  message_id=self.message_id)

    def command(self, name: str) -> None:
        self.seen += self.db.call(student.command, self.env, self.person, name, "")

    def press(self, label: str) -> None:
        for reply in reversed(self.seen):
            for row in reply.buttons:
                for b in row:
                    if b.label == label:
                        outcome: CallbackOutcome = self.db.call(student.callback, self.env, self.person, b.data)
                        self.seen += outcome.replies
                        return
        raise RuntimeError(f"demo: no button {label!r}")


def exists(db: Database) -> bool:
    """Say whether the demo placement is in this database."""
    return db.call(lambda s: repo.get_cohort_by_name(session=s, name=COHORT) is not None)


def other_cohorts(db: Database) -> int:
    """Count the cohorts that are not the demo's (the demo only goes into a database of its own)."""
    return db.call(lambda s: sum(1 for c in repo.list_cohorts(session=s) if c.name != COHORT))


def _send_week(db: Database, env: Env, cohort_id: int, week: int) -> None:
    def run(session: Session) -> None:
        cohort = session.get(Cohort, cohort_id)
        assert cohort is not None
        delivery.ensure_deliveries(session, env, cohort, week, when=env.clock.now())
        for n, delivery_id in enumerate(delivery.claim(session, env, "demo", cohort_id=cohort_id)):
            if delivery.prepare(session, env, delivery_id) is not None:
                delivery.mark_sent(session, env, delivery_id, week * 1000 + n)

    db.call(run)


def seed(db: Database, *, today: datetime | None = None, pseudonym_key: str | None = None) -> dict[str, int]:
    """Play the placement through; return what was made. The database must be at the current schema."""
    now = today or datetime.now(UTC)
    start = (now - timedelta(weeks=7)).date()
    start -= timedelta(days=start.weekday())  # a Monday, seven weeks ago: all six prompts and their week are past
    clock = ManualClock(datetime.combine(start, time(8, 0), tzinfo=UTC))
    env = Env(clock=clock, bot_username="balint_demo_bot", pseudonym_key=pseudonym_key,
              research=research_queue)
    cohort = db.call(create_cohort, CohortIn(name=COHORT, start_date=start, weeks=6, weekday=0,
                                             send_time=time(9, 0), timezone="Europe/London", study=STUDY))
    assert cohort.id is not None
    db.call(lambda s: repo.grant_role(session=s, telegram_id=FACILITATOR.telegram_id, role=Role.FACILITATOR,
                                      cohort_id=cohort.id, granted_by="demo"))
    chats = {name: _Chat(db, env, Person(telegram_id=910_000 + i, first_name=name))
             for i, name in enumerate(STUDENTS)}
    for name, chat in chats.items():
        chat.start(cohort.invite_code)
        chat.press("Yes, I'll take part")
        chat.press("No, keep them out of research" if name in NO_RESEARCH else "Yes, you may use them")
    replies = 0
    spec = spec_of(cohort)
    for week in range(1, 7):
        clock.set(due_at(spec, week) + timedelta(minutes=5))
        _send_week(db, env, cohort.id, week)
        for i, (name, chat) in enumerate(chats.items()):
            if (name == WITHDRAWS and week > 3) or (name == ERASES and week > 4) or (name, week) in SKIPS:
                continue
            clock.advance(timedelta(minutes=37))
            k = i + week * 5
            for text in (ENCOUNTERS[k % len(ENCOUNTERS)], FELT[k % len(FELT)], PATIENT[k % len(PATIENT)],
                         BETWEEN[k % len(BETWEEN)], TAKEAWAY[k % len(TAKEAWAY)]):
                chat.say(text)
                replies += 1
        if week == 3:
            chats[WITHDRAWS].command("withdraw")
            chats[WITHDRAWS].press("Yes, withdraw")
        if week == 4:
            chats[ERASES].command("delete")
            chats[ERASES].press("Yes, erase everything")
    clock.set(now)
    coded = db.call(_research, env)
    return {"students": len(STUDENTS), "weeks": 6, "replies": replies, "coded_by_c2": coded}


def _research(session: Session, env: Env) -> int:
    """The study side: two coders, the queue in, reviewed, round 1 with the seed codebook, C2's first codings."""
    from bot.research import codebook, codebook_files, coding
    from bot.research.access import grant
    from bot.research.queue import intake, set_reviewed
    from storage import coding_repo, research_repo

    study = session.exec(select(Study).where(Study.name == STUDY)).one()
    grant(session, env, study, CODER_1.telegram_id, label="C1", actor="demo")
    c2 = grant(session, env, study, CODER_2.telegram_id, label="C2", independent=True, actor="demo")
    intake(session, env, study, actor="demo")
    for queued in research_repo.queued_items(session=session, study_id=study.id or 0, reviewed_only=False):
        set_reviewed(session, env, queued, actor="demo")
    codebook_files.load(session, env, study, codebook_files.read_seed(), actor="demo", source="seed")
    assert study.id is not None
    rnd = codebook.open_round(session, study.id)
    assert rnd is not None
    coding.assign(session, env, study, rnd, limit=12, actor="demo")
    done = 0
    for assignment in list(coding_repo.open_assignments(session=session, round_id=rnd.id or 0, coder_id=c2.id or 0)):
        item = research_repo.get_item(session=session, item_id=assignment.item_id)
        assert item is not None
        for name in C2_CODES.get(item.step, []):
            coding.toggle(session, env, assignment, codebook.find_code(session, rnd, name))
        coding.finish(session, env, assignment)
        done += 1
    return done
