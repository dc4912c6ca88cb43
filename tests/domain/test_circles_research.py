"""Circle posts in the research queue by their author's consent; /delete takes a member's posts out everywhere."""

from __future__ import annotations

from sqlmodel import select

from bot.core.circles import week
from bot.core.clock import ManualClock
from bot.core.context import Env
from bot.core.privacy import data_rights
from storage.circle_models import CircleOutbox, CirclePost
from storage.db import Database
from storage.models import User
from tests.support.circle_support import (
    DISCUSSION_END,
    LEADER,
    QUESTIONS_END,
    RESPONSE_END,
    STUDENTS,
    CircleChat,
    make_circle,
    open_week,
    play_week,
)
from tests.support.paths import DATA
from tests.support.research_support import enrol, items, run_intake


def test_posts_enter_by_consent_and_leave_with_delete(
    db: Database, research_env: Env, clock: ManualClock, study_cohort
) -> None:
    env = research_env
    make_circle(db, env, study_cohort)
    db.call(
        lambda s: [
            setattr(e, "research", False) or s.add(e)
            for e in s.exec(  # Cara says no to research
                select(data_rights.Enrolment).join(User).where(User.telegram_id == 3003)
            ).all()
        ]
    )
    chats = {name: CircleChat(db, env, tid, name) for tid, name in [*STUDENTS, LEADER]}
    chats["Ben"].say("hello")  # not writing to the circle: handled as the student's own, never shared
    play_week(db, env, clock, chats)

    result = run_intake(db, env)
    queued = items(db)
    # the case, Ben's question, Dev's discussion post; not Cara (no research consent) nor the leader (no enrolment)
    assert [i.step for i in queued] == ["circle:case", "circle:questions", "circle:discussion"]
    assert result["new"] == 3
    assert all("Rashid" not in i.text and "Begum" not in i.text for i in queued)
    assert not any("hello" in t for t, _ in chats["Cara"].inbox())

    # Ben erases his data: his post leaves the circle's record and research; the others see a removal note
    def erase_ben(session) -> None:
        user = session.exec(select(User).where(User.telegram_id == 3002)).one()
        data_rights.erase(session, env, user)

    db.call(erase_ben)
    assert [i.step for i in items(db)] == ["circle:case", "circle:discussion"]
    posts = db.call(lambda s: s.exec(select(CirclePost)).all())
    assert not any("hands" in p.text for p in posts)
    notes = db.call(lambda s: s.exec(select(CircleOutbox).where(CircleOutbox.edit_of.is_not(None))).all())
    assert len(notes) == 0  # nothing was sent yet in this domain test: the unsent copies were blanked instead
    assert any("A message was removed" in t for t, _ in chats["Anna"].inbox())
    assert not any("hands" in t for c in chats.values() for t, _ in c.inbox())


def test_a_late_no_takes_circle_items_out_and_yes_brings_them_back(
    db: Database, research_env: Env, clock: ManualClock, study_cohort
) -> None:
    env = research_env
    make_circle(db, env, study_cohort)
    chats = {name: CircleChat(db, env, tid, name) for tid, name in [*STUDENTS, LEADER]}
    play_week(db, env, clock, chats)
    assert run_intake(db, env)["new"] == 4

    def set_research(value: bool) -> None:
        def run(session) -> None:
            for e in session.exec(select(data_rights.Enrolment).join(User).where(User.telegram_id == 3004)).all():
                e.research = value
                session.add(e)

        db.call(run)

    set_research(False)
    run_intake(db, env)
    assert [i.step for i in items(db)] == ["circle:case", "circle:questions", "circle:questions"]
    set_research(True)
    run_intake(db, env)
    assert len(items(db)) == 4


def test_a_risk_post_to_the_circle_raises_the_alert(
    db: Database, research_env: Env, clock: ManualClock, study_cohort
) -> None:
    from storage.safety_models import SafeguardingAlert

    env = research_env
    make_circle(db, env, study_cohort)
    chats = open_week(db, env, clock)
    chats["Anna"].press("I'll present this week")
    replies = chats["Anna"].say("Since that night I want to kill myself and I have a plan.")
    assert any("support" in r.text.lower() or "samaritans" in r.text.lower() for r in replies)
    alerts = db.call(lambda s: s.exec(select(SafeguardingAlert)).all())
    assert len(alerts) == 1 and alerts[0].category
    assert any(r.buttons for r in replies)  # the case preview still comes, so the presenter decides what to share


def test_mydata_holds_the_circle_posts(db: Database, research_env: Env, clock: ManualClock, study_cohort) -> None:
    import json

    env = research_env
    make_circle(db, env, study_cohort)
    chats = {name: CircleChat(db, env, tid, name) for tid, name in [*STUDENTS, LEADER]}
    play_week(db, env, clock, chats)
    replies = db.call(data_rights.my_data, env, chats["Ben"].person)
    data = json.loads(replies[0].attachment.content)
    assert data["balint_circles"][0]["circle"] == "Circle Rose"
    assert data["balint_circles"][0]["status"] == "joined"
    assert [p["text"] for p in data["balint_circles"][0]["posts"]] == [
        "What did you do with your hands while he cried?"
    ]


def _set_research(db: Database, telegram_id: int, value: bool) -> None:
    def run(session) -> None:
        for e in session.exec(select(data_rights.Enrolment).join(User).where(User.telegram_id == telegram_id)).all():
            e.research = value
            session.add(e)

    db.call(run)


def test_a_closed_week_is_one_transcript_of_turns_by_consent_and_quotes(
    db: Database, research_env: Env, clock: ManualClock, study_cohort
) -> None:
    from storage.research_models import ResearchParticipant, ResearchTranscript

    env = research_env
    make_circle(db, env, study_cohort)
    _set_research(db, 3003, False)  # Cara says no to research
    chats = open_week(db, env, clock)
    anna, ben, cara, dev, ruth = (chats[n] for n in ("Anna", "Ben", "Cara", "Dev", "Ruth"))
    anna.press("I'll present this week")
    anna.say("Mr Rashid Begum, 64, cried when I told him the scan result. I froze.")
    anna.press("Share it with the circle")
    ben.command("What did you do with your hands?")  # turn 2
    cara.command("Did he have anyone with him?")  # turn 3: Cara has no research consent
    anna.command("His daughter, on the phone.", reply_to=anna.delivered("anyone with him"))  # 4: quotes Cara
    ruth.command("Good questions, all of you.")  # 5: the leader has no enrolment
    clock.set(QUESTIONS_END)
    db.call(week.tick, env)
    dev.command("I imagine he was protecting you from his fear.", reply_to=dev.delivered("your hands"))  # 6
    assert any("💬 <b>Dev</b> ↩ Ben · push-back" in t for t, _ in ruth.inbox())  # whom a reply answers is shown
    clock.set(DISCUSSION_END)
    db.call(week.tick, env)
    anna.command("I think I froze because he reminded me of my grandfather.")  # 7
    run_intake(db, env)  # the week is not over yet: nothing of it enters
    assert items(db) == []
    clock.set(RESPONSE_END)
    db.call(week.tick, env)
    ruth.command("Thank you all.")  # 8
    ruth.command("close")

    run_intake(db, env)
    sources = db.call(lambda s: s.exec(select(ResearchTranscript)).all())
    assert [(t.kind, t.title, t.week) for t in sources] == [("circle", "Circle Rose · week 1", 1)]
    names = dict(db.call(lambda s: [(p.id, p.pseudonym) for p in s.exec(select(ResearchParticipant)).all()]))
    turns = [(i.transcript_id, i.turn, names[i.participant_id], i.speaker_role, i.phase) for i in items(db)]
    anna_p, ben_p, dev_p = (turns[0][2], turns[1][2], turns[2][2])
    assert len({anna_p, ben_p, dev_p}) == 3
    assert turns == [
        (sources[0].id, 1, anna_p, "presenter", "case"),
        (sources[0].id, 2, ben_p, "member", "questions"),
        (sources[0].id, 6, dev_p, "member", "discussion"),
        (sources[0].id, 7, anna_p, "presenter", "response"),
    ]
    assert "Rashid" not in items(db)[0].text

    # Cara says yes: her question enters, and so does the answer that quoted it, each at its place
    _set_research(db, 3003, True)
    run_intake(db, env)
    assert [(i.turn, i.speaker_role) for i in sorted(items(db), key=lambda i: i.turn)] == [
        (1, "presenter"),
        (2, "member"),
        (3, "member"),
        (4, "presenter"),
        (6, "member"),
        (7, "presenter"),
    ]
    # no again: her turn and the one quoting her leave every export
    _set_research(db, 3003, False)
    run_intake(db, env)
    gone = items(db, excluded=True)
    assert sorted((i.turn, i.excluded_reason) for i in gone) == [
        (3, "research consent is no longer yes"),
        (4, "quotes a post whose author is not in the research"),
    ]
    # Dev leaves the circle: his turn leaves research at once, before any intake
    dev.command("leave")
    assert 6 not in [i.turn for i in items(db)]


def test_a_transcript_exports_with_its_turns_and_one_qdpx_source(
    db: Database, research_env: Env, clock: ManualClock, study_cohort
) -> None:
    import csv
    import io
    import json
    import zipfile

    import xmlschema

    from bot.research import exports
    from storage.models import Study
    from tests.support.research_support import reflect, seed, study

    env = research_env
    make_circle(db, env, study_cohort)
    chats = {name: CircleChat(db, env, tid, name) for tid, name in [*STUDENTS, LEADER]}
    reflect(db, env, study_cohort, [enrol(db, env, study_cohort, 2001, "Ola")])  # a private reflection too
    play_week(db, env, clock, chats)
    run_intake(db, env)
    seed(db, env)

    def export(fmt: str) -> bytes:
        out = io.BytesIO()
        db.call(lambda s: exports.export(s, env, s.get(Study, study(db).id), fmt, out, actor="test"))
        return out.getvalue()

    rows = list(csv.DictReader(io.StringIO(export("csv").decode("utf-8-sig"))))
    cols = ("step", "session", "turn", "speaker", "role", "phase")
    turns = [[r[k] for k in cols] for r in rows if r["session"]]
    speaker = {r["speaker"] for r in rows if r["role"] == "presenter"}.pop()
    assert turns == [
        ["circle:case", "Circle Rose · week 1", "1", speaker, "presenter", "case"],
        ["circle:questions", "Circle Rose · week 1", "2", turns[1][3], "member", "questions"],
        ["circle:questions", "Circle Rose · week 1", "3", turns[2][3], "member", "questions"],
        ["circle:discussion", "Circle Rose · week 1", "4", turns[3][3], "member", "discussion"],
    ]
    private = [r for r in rows if not r["session"]]
    assert len(private) == 5 and all(r[k] == "" for r in private for k in cols[1:])
    records = [json.loads(line) for line in export("jsonl").splitlines()]
    assert [(r["turn"], r["role"], r["phase"]) for r in records if r["session"]] == [
        (1, "presenter", "case"),
        (2, "member", "questions"),
        (3, "member", "questions"),
        (4, "member", "discussion"),
    ]
    assert all(r["session"] is None and r["speaker"] is None for r in records[:5])

    with zipfile.ZipFile(io.BytesIO(export("qdpx"))) as z:
        project = z.read("project.qde").decode()
        texts = {n: z.read(n).decode() for n in z.namelist() if n.startswith("sources/")}
    schema = DATA / "refi-qda" / "Project.xsd"
    xmlschema.XMLSchema(str(schema)).validate(project)
    # one source for the session, its turns in order with who spoke; the reflection is a source of its own
    assert 'name="Circle Rose · week 1 (transcript)"' in project and project.count("<TextSource ") == 2
    session_text = next(t for t in texts.values() if t.startswith("1. "))
    heads = [line for line in session_text.splitlines() if line[:2] in ("1.", "2.", "3.", "4.")]
    assert heads == [
        f"1. {speaker} (presenter) · case",
        f"2. {turns[1][3]} (member) · questions",
        f"3. {turns[2][3]} (member) · questions",
        f"4. {turns[3][3]} (member) · discussion",
    ]
    assert "Rashid" not in session_text and "What did you do with your hands while he cried?" in session_text
    # every speaker's case holds the session (Anna, Ben, Cara, Dev), and Ola's case her reflection
    assert project.count("<SourceRef ") == 5
