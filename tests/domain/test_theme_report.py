"""Exemplar quotes (chat and CLI) and the theme report: counts checked against the database, three formats, map."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import bindparam, text
from sqlmodel import Session, select

from bot.core.context import Env, Person
from bot.research import chat_exemplar, codebook, coding, compare, theme_render, theme_report, themes, web_themes
from storage import coding_repo, research_repo, theme_repo
from storage.db import Database
from storage.models import Study
from storage.research_models import Coder
from storage.theme_models import Exemplar
from tests.support.cli_support import balint
from tests.support.factories import DomainChat
from tests.support.research_support import (
    RESEARCHER_A,
    RESEARCHER_B,
    enrol,
    next_week,
    reflect,
    researchers,
    review_all,
    run_intake,
    study,
)

# What each coder applies, by words found in an item: (code, passage or None for the whole item).
PLAN = {
    RESEARCHER_A.telegram_id: [
        ("out of my depth", "Naming own feelings", "out of my depth"),
        ("frightened", "Imagining the patient's perspective", None),
    ],
    RESEARCHER_B.telegram_id: [
        ("out of my depth", "Naming own feelings", "out of my depth"),
        ("out of my depth", "Exposure and trust", None),
        ("frightened", "Imagining the patient's perspective", None),
        ("Sitting down", "Relational dynamics", None),
    ],
}


def _study(session: Session, db: Database) -> Study:
    found = session.get(Study, study(db).id)
    assert found is not None
    return found


def coded_round(db: Database, env: Env, cohort) -> list[DomainChat]:
    """Three students in week 1, two of them again in week 2; both coders code every item by PLAN."""
    chats = [enrol(db, env, cohort, 2001 + i, f"S{i}") for i in range(3)]
    reflect(db, env, cohort, chats)
    next_week(env.clock)  # type: ignore[arg-type]
    reflect(db, env, cohort, chats[:2], week=2)
    run_intake(db, env)
    researchers(db, env)
    db.call(lambda s: themes.seed(s, env, _study(s, db), actor="test"))
    review_all(db, env)

    def run(session: Session) -> None:
        s = _study(session, db)
        rnd = codebook.open_round(session, s.id)
        assert rnd is not None
        coding.assign(session, env, s, rnd, actor="lead")
        for telegram_id, plan in PLAN.items():
            me = coding_repo.get_coder(session=session, study_id=s.id, telegram_id=telegram_id)
            for a in coding_repo.assignments_of_coder(session=session, round_id=rnd.id, coder_id=me.id):
                item = research_repo.get_item(session=session, item_id=a.item_id)
                for words, name, passage in plan:
                    if words not in item.text:
                        continue
                    code = codebook.find_code(session, rnd, name)
                    if passage is None:
                        coding.toggle(session, env, a, code)
                    else:
                        start = item.text.index(passage)
                        coding.add_segment(session, env, a, item, code, start, start + len(passage))
                coding.finish(session, env, a)

    db.call(run)
    return chats


def _counts_from_the_database(db: Database, code_names: list[str]) -> tuple[int, int, int]:
    """Items, participants and weeks where any finished coder applied one of the codes (no item is settled)."""
    sql = text("""
        SELECT COUNT(DISTINCT i.id), COUNT(DISTINCT i.participant_id), COUNT(DISTINCT i.week)
        FROM research_codings c JOIN research_assignments a ON a.id = c.assignment_id
        JOIN research_items i ON i.id = a.item_id JOIN research_codes k ON k.id = c.code_id
        WHERE a.done_at IS NOT NULL AND i.excluded_at IS NULL AND k.name IN :names""")
    sql = sql.bindparams(bindparam("names", expanding=True))
    return db.call(lambda s: tuple(s.execute(sql, {"names": code_names}).one()))


def _report(db: Database, env: Env) -> theme_report.ThemeReport:
    def run(session: Session) -> theme_report.ThemeReport:
        s = _study(session, db)
        return theme_report.build(session, env, s, codebook.round_by_number(session, s, 1))

    return db.call(run)


def test_a_coder_marks_the_passage_just_coded_as_an_exemplar_in_chat_and_can_undo(db, research_env, study_cohort):
    coded_round(db, research_env, study_cohort)
    said = db.call(chat_exemplar.exemplar_command, research_env, RESEARCHER_B, "says it plainly")
    assert said[0].text.startswith("Marked as an exemplar quote: «")
    assert "item #" in said[0].text and "theme report" in said[0].text
    marks = db.call(lambda s: [(e.note, e.coder_id) for e in s.exec(select(Exemplar)).all()])
    assert marks == [("says it plainly", 2)]
    undone = db.call(chat_exemplar.exemplar_command, research_env, RESEARCHER_B, "undo")
    assert undone[0].text.startswith("Exemplar mark taken off: «")
    assert db.call(lambda s: s.exec(select(Exemplar)).all()) == []
    again = db.call(chat_exemplar.exemplar_command, research_env, RESEARCHER_B, "undo")
    assert again[0].text == "None of your passages in this round is marked as an exemplar."
    stranger = db.call(chat_exemplar.exemplar_command, research_env, Person(telegram_id=7, first_name="X"), "")
    assert "researcher" in stranger[0].text.lower()


def test_the_report_counts_match_the_database_and_carry_the_exemplars(db, research_env, study_cohort):
    coded_round(db, research_env, study_cohort)

    def mark(session: Session) -> None:  # C1 marks their "out of my depth" passages
        for coding_row, a in theme_repo.codings_of_round(session=session, round_id=1):
            if coding_row.start is not None and a.coder_id == 1:
                themes.mark_exemplar(session, research_env, coding_row, session.get(Coder, 1), actor="test")

    db.call(mark)
    report = _report(db, research_env)
    by_theme = {t.name: t for t in report.themes}
    container = by_theme["Container for vulnerability"]
    assert (
        len(container.prevalence.items),
        len(container.prevalence.participants),
        len(container.prevalence.weeks),
    ) == _counts_from_the_database(
        db, ["Container for vulnerability", "Permission to not know", "Structure that holds", "Exposure and trust"]
    )
    attune = by_theme["Attunement to encounters"]
    assert (len(attune.prevalence.items), len(attune.prevalence.participants), len(attune.prevalence.weeks)) == (
        15,
        3,
        2,
    )  # steps 2, 3 and 5 of five reflections (three students, two weeks)
    assert _counts_from_the_database(
        db,
        [
            "Naming own feelings",
            "Imagining the patient's perspective",
            "Relational dynamics",
            "Attunement to encounters",
        ],
    ) == (15, 3, 2)
    rows = {c.name: c for c in attune.codes}
    assert len(rows["Naming own feelings"].prevalence.items) == 5
    assert rows["Naming own feelings"].agreement.percent_agreement == 1.0
    assert rows["Relational dynamics"].agreement.percent_agreement == 0.8  # only C2 applied it, on 5 of 25 items
    assert len(attune.quotes) == 5 and {q.text for q in attune.quotes} == {"out of my depth"}
    assert {q.pseudonym for q in attune.quotes} == {"P001", "P002", "P003"} and {q.week for q in attune.quotes} == {
        1,
        2,
    }
    assert report.coded_items == 25 and report.participants == 3 and report.coders == ["C1", "C2"]


def test_a_student_who_withdraws_leaves_the_report_quotes_and_counts(db, research_env, study_cohort):
    chats = coded_round(db, research_env, study_cohort)

    def mark_all(session: Session) -> None:
        for coding_row, a in theme_repo.codings_of_round(session=session, round_id=1):
            if coding_row.start is not None:
                themes.mark_exemplar(session, research_env, coding_row, session.get(Coder, a.coder_id), actor="t")

    db.call(mark_all)
    before = {t.name: t for t in _report(db, research_env).themes}["Attunement to encounters"]
    assert "P001" in {q.pseudonym for q in before.quotes} and len(before.prevalence.participants) == 3
    chats[0].command("withdraw")
    chats[0].press("Yes, withdraw")
    after = {t.name: t for t in _report(db, research_env).themes}["Attunement to encounters"]
    assert {q.pseudonym for q in after.quotes} == {"P002", "P003"}
    assert len(after.prevalence.participants) == 2 and len(after.prevalence.items) == 9  # P001 wrote two weeks


@pytest.mark.parametrize("fmt", theme_render.FORMATS)
@pytest.mark.usefixtures("cli_env")
def test_the_report_renders_in_every_format_with_the_map_on_the_command_line(
    db, research_env, study_cohort, tmp_path: Path, fmt: str
):
    coded_round(db, research_env, study_cohort)
    code, out, err = balint("research", "themes", "passages", "--code", "Naming own feelings")
    assert code == 0, err
    first = out.splitlines()[1].split()[0].lstrip("#")
    code, out, err = balint("research", "themes", "exemplar", first, "--note", "vivid")
    assert code == 0, err
    assert out.strip().endswith("is an exemplar quote of round 1: «out of my depth»")
    target = tmp_path / f"report.{fmt}"
    code, out, err = balint("research", "themes", "report", "--round", "1", "--format", fmt, "--out", str(target))
    assert code == 0, err
    assert out.splitlines()[0] == (
        f"Wrote the theme report of round 1 of Balint Study 2026 to {target} (map: {tmp_path / 'report.png'})."
    )
    attune = next(line for line in out.splitlines() if line.startswith("Attunement to encounters"))
    assert attune.split()[-5:] == ["15", "3", "2", "4", "1"], out
    png = (tmp_path / "report.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    if fmt == "md":
        body = target.read_text(encoding="utf-8")
        assert "![Theme map](report.png)" in body and "## Self-preservation" in body
        assert (
            "> out of my depth\n> — P001, week 1 (Attunement to encounters/Naming own feelings; marked by C1; "
            "vivid)" in body
        )
        assert "| Attunement to encounters/Naming own feelings | 5 | 3 | 2 | 100% |" in body
    elif fmt == "html":
        body = target.read_text(encoding="utf-8")
        assert 'src="data:image/png;base64,' in body and "<h2" in body and "Mrs Jones" not in body
    else:
        doc = Document(str(target))
        assert any(p.text == "Attunement to encounters" for p in doc.paragraphs)
        assert "out of my depth" in [p.text for p in doc.paragraphs]
        naming = [r for r in doc.tables[1].rows if r.cells[0].text == "Attunement to encounters/Naming own feelings"]
        assert [c.text for c in naming[0].cells][1:5] == ["5", "3", "2", "100%"]
        with zipfile.ZipFile(target) as z:
            assert any(n.startswith("word/media/") and n.endswith(".png") for n in z.namelist())
    code, _, err = balint("research", "themes", "report", "--format", "pdf")
    assert code == 2 and err.strip() == "Error: unknown report format 'pdf'; choose md, html or docx"


def test_the_report_counts_circle_and_in_person_turns_by_their_sessions(db, research_env, study_cohort, clock):
    """A circle week, an imported in-person session and a private reflection, coded: the sources and the number of
    group sessions a theme draws on match the database."""
    from bot.research import transcript_import, transcripts
    from tests.support.circle_support import LEADER, STUDENTS, CircleChat, make_circle, play_week

    env = research_env
    make_circle(db, env, study_cohort)
    chats = {name: CircleChat(db, env, tid, name) for tid, name in [*STUDENTS, LEADER]}
    reflect(db, env, study_cohort, [enrol(db, env, study_cohort, 2001, "Ola")])
    play_week(db, env, clock, chats)  # Anna's case: "… I froze."
    run_intake(db, env)

    def in_person(session: Session) -> None:
        s = _study(session, db)
        cohort = transcript_import.cohort_of(session, s, None)
        turns = transcripts.parse_lines(
            ["Ruth: Who has a case?", "Anna: I froze again on the ward.", "Ben: I felt useless too."]
        )
        speakers = transcripts.parse_map(["Ruth=leader", "Anna=tg:3001", "Ben=tg:3002"])
        transcript_import.store(
            session,
            env,
            s,
            cohort,
            1,
            "In person · week 1",
            transcripts.preview(session, env, s, turns, speakers, cohort.id),
            actor="test",
        )

    db.call(in_person)
    researchers(db, env)
    db.call(lambda s: themes.seed(s, env, _study(s, db), actor="test"))
    review_all(db, env)

    def code(session: Session) -> None:  # both coders: "Naming own feelings" wherever someone froze or felt useless
        s = _study(session, db)
        rnd = codebook.open_round(session, s.id)
        coding.assign(session, env, s, rnd, actor="lead")
        naming = codebook.find_code(session, rnd, "Naming own feelings")
        for telegram_id in PLAN:
            me = coding_repo.get_coder(session=session, study_id=s.id, telegram_id=telegram_id)
            for a in coding_repo.assignments_of_coder(session=session, round_id=rnd.id, coder_id=me.id):
                item = research_repo.get_item(session=session, item_id=a.item_id)
                if "froze" in item.text or "useless" in item.text:
                    coding.toggle(session, env, a, naming)
                coding.finish(session, env, a)

    db.call(code)
    attune = {t.name: t for t in _report(db, env).themes}["Attunement to encounters"]
    sql = text("""
        SELECT COALESCE(t.kind, 'reflection'), COUNT(DISTINCT i.id), COUNT(DISTINCT t.id)
        FROM research_codings c JOIN research_assignments a ON a.id = c.assignment_id
        JOIN research_items i ON i.id = a.item_id JOIN research_codes k ON k.id = c.code_id
        LEFT JOIN research_transcripts t ON t.id = i.transcript_id
        WHERE a.done_at IS NOT NULL AND i.excluded_at IS NULL AND k.name = 'Naming own feelings'
        GROUP BY COALESCE(t.kind, 'reflection')""")
    stored = {kind: (n, sessions) for kind, n, sessions in db.call(lambda s: s.execute(sql).all())}
    assert stored == {"circle": (1, 1), "import": (2, 1), "reflection": (1, 0)}
    p = attune.prevalence
    assert {k: len(v) for k, v in p.by_source.items()} == {
        "circle turn": 1,
        "in-person turn": 2,
        "private reflection": 1,
    }
    assert len(p.sessions) == 2 and len(p.items) == 4
    assert len(p.participants) == 3 and p.weeks == {1}  # Ola; Anna in the circle and in person; Ben
    assert theme_render.prevalence_line(attune) == (
        "4 item(s) from 3 participant(s) in 1 week(s) (sources: 1 circle turn, 2 in-person turn, "
        "1 private reflection; group sessions: 2)"
    )


def test_the_workbench_report_from_kept_figures_equals_the_command_lines(db, research_env, study_cohort):
    coded_round(db, research_env, study_cohort)

    def mark_and_settle(session: Session) -> None:  # an exemplar, and a settlement that overrides both coders
        s = _study(session, db)
        rnd = codebook.round_by_number(session, s, 1)
        coding_row, a = next(
            (c, a) for c, a in theme_repo.codings_of_round(session=session, round_id=1) if c.start is not None
        )
        themes.mark_exemplar(session, research_env, coding_row, session.get(Coder, a.coder_id), actor="test")
        item = research_repo.get_item(session=session, item_id=a.item_id)
        compare.settle(session, research_env, rnd, item, accept=session.get(Coder, 2), actor="test", note="C2's")

    db.call(mark_and_settle)

    def both(session: Session) -> tuple[theme_report.ThemeReport, theme_report.ThemeReport]:
        s = _study(session, db)
        rnd = codebook.round_by_number(session, s, 1)
        kept, _fingerprint = web_themes._kept_report(session, research_env, s, rnd, {})
        return kept, replace(theme_report.build(session, research_env, s, rnd), made_at=kept.made_at)

    kept, built = db.call(both)
    assert kept == built and kept.coded_items == 25 and any(t.quotes for t in kept.themes)
