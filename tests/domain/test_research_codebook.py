"""Codebook rounds: the seed themes, closing a round, rename/merge/split with history, .qdc and CSV."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.core.context import Env
from bot.research import codebook, codebook_files, coding
from bot.research.errors import ResearchError
from bot.research.rounds import close_round
from storage.db import Database
from storage.models import Study
from storage.research_models import Assignment, CodingItem
from tests.support.research_support import enrol, reflect, researchers, review_all, run_intake, seed, study

SEED_NAMES = [
    "Container for vulnerability",
    "Attunement to encounters",
    "Identity within the hierarchy",
    "Self-preservation",
]


def _study(session: Session, db: Database) -> Study:
    found = session.get(Study, study(db).id)
    assert found is not None
    return found


def test_seed_loads_the_four_themes_with_definitions_into_round_1(
    db: Database, research_env: Env, study_cohort
) -> None:
    seed(db, research_env)

    def look(session):
        rnd = codebook.open_round(session, study(db).id)
        return rnd.number, [
            (c.name, c.colour, bool(c.definition and c.inclusion and c.exclusion and c.example))
            for c in codebook.codes(session, rnd)
        ]

    number, codes = db.call(look)
    assert number == 1
    assert [c[0] for c in codes] == SEED_NAMES
    assert all(c[2] for c in codes) and all(c[1].startswith("#") for c in codes)
    seed(db, research_env)  # loading again changes nothing
    assert len(db.call(look)[1]) == 4


def test_closing_a_round_freezes_it_and_carries_the_codebook_with_its_lineage(db, research_env, study_cohort):
    seed(db, research_env)

    def close(session):
        s = _study(session, db)
        done = close_round(session, research_env, s, actor="lead", force=True)
        return done.closed.number, done.opened.number

    assert db.call(close) == (1, 2)

    def rounds(session):
        s = _study(session, db)
        one, two = codebook.round_by_number(session, s, 1), codebook.round_by_number(session, s, 2)
        a, b = codebook.codes(session, one), codebook.codes(session, two)
        return (
            [c.lineage for c in a] == [c.lineage for c in b],
            [c.derived_from for c in b] == [[c.id] for c in a],
            one.closed_at is not None,
            two.closed_at is None,
        )

    assert db.call(rounds) == (True, True, True, True)

    def edit_closed(session):
        one = codebook.round_by_number(session, _study(session, db), 1)
        codebook.edit_code(session, research_env, one, codebook.codes(session, one)[0], name="X", actor="lead")

    with pytest.raises(ResearchError, match="round 1 is closed"):
        db.call(edit_closed)


def test_rename_merge_split_keep_their_history(db, research_env, study_cohort):
    seed(db, research_env)

    def change(session):
        s = _study(session, db)
        close_round(session, research_env, s, actor="lead", force=True)
        rnd = codebook.open_round(session, s.id)
        find = lambda ref: codebook.find_code(session, rnd, ref)  # noqa: E731
        codebook.edit_code(
            session, research_env, rnd, find("Self-preservation"), name="Protecting the self", actor="lead"
        )
        codebook.merge_codes(
            session,
            research_env,
            rnd,
            find("Attunement to encounters"),
            [find("Container for vulnerability")],
            name="Attunement and holding",
            actor="lead",
        )
        codebook.split_code(
            session,
            research_env,
            rnd,
            find("Identity within the hierarchy"),
            ["Place in the team", "Becoming a doctor"],
            actor="lead",
        )
        return [c.name for c in codebook.codes(session, rnd)], codebook.history(session, s)

    names, history = db.call(change)
    assert names == ["Attunement and holding", "Protecting the self", "Place in the team", "Becoming a doctor"]
    actions = [(h["round"], h["action"]) for h in history]
    assert actions[:4] == [(1, "create")] * 4
    assert actions[4:] == [
        (2, "carry"),
        (2, "rename"),
        (2, "rename"),
        (2, "merge"),
        (2, "create"),
        (2, "create"),
        (2, "split"),
    ]
    rename = history[5]
    assert rename["before"] == {"name": "Self-preservation"} and rename["after"] == {"name": "Protecting the self"}
    merge = history[7]
    assert merge["merged"] == ["Container for vulnerability"] and merge["into"] == "Attunement and holding"
    split = history[-1]
    assert split["code"] == "Identity within the hierarchy" and split["into"] == [
        "Place in the team",
        "Becoming a doctor",
    ]

    def lineage(session):
        rnd = codebook.open_round(session, study(db).id)
        merged = codebook.find_code(session, rnd, "Attunement and holding")
        return len(merged.derived_from)

    assert db.call(lineage) == 2  # it came from two codes of round 1


def test_split_is_refused_once_a_code_has_codings_in_the_round(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    researchers(db, research_env)
    seed(db, research_env)
    review_all(db, research_env)

    def code_then_split(session):
        s = _study(session, db)
        rnd = codebook.open_round(session, s.id)
        coding.assign(session, research_env, s, rnd, actor="lead")
        a = session.exec(select(Assignment)).first()
        code = codebook.find_code(session, rnd, "Self-preservation")
        coding.toggle(session, research_env, a, code)
        codebook.split_code(session, research_env, rnd, code, ["A", "B"], actor="lead")

    with pytest.raises(ResearchError, match="already has codings in round 1"):
        db.call(code_then_split)


def test_merge_moves_codings_and_drops_duplicates(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    researchers(db, research_env)
    seed(db, research_env)
    review_all(db, research_env)

    def run(session):
        s = _study(session, db)
        rnd = codebook.open_round(session, s.id)
        coding.assign(session, research_env, s, rnd, actor="lead")
        a = session.exec(select(Assignment)).first()
        keep, other = (codebook.find_code(session, rnd, n) for n in SEED_NAMES[:2])
        coding.toggle(session, research_env, a, keep)
        coding.toggle(session, research_env, a, other)
        codebook.merge_codes(session, research_env, rnd, keep, [other], actor="lead")
        session.flush()
        return [(c.code_id == keep.id, c.start) for c in coding.my_codings(session, a)]

    assert db.call(run) == [(True, None)]


def test_names_and_colours_are_checked(db, research_env, study_cohort):
    seed(db, research_env)

    def add(session, name, colour=None, parent=None):
        rnd = codebook.open_round(session, study(db).id)
        p = codebook.find_code(session, rnd, parent) if parent else None
        codebook.add_code(session, research_env, rnd, codebook.CodeIn(name=name, colour=colour), parent=p, actor="lead")

    with pytest.raises(ResearchError, match="cannot contain '/'"):
        db.call(add, "A/B")
    with pytest.raises(ResearchError, match=r"give #RRGGBB \(e.g. #4E79A7\) or a CSS colour name"):
        db.call(add, "Tone", "not-a-colour")
    with pytest.raises(ResearchError, match="already has a code 'Self-preservation'"):
        db.call(add, "self-preservation")
    db.call(add, "Sleep", None, "Self-preservation")  # the same name elsewhere in the tree is fine
    db.call(add, "Sleep", None, "Container for vulnerability")

    def paths(session):
        return sorted(codebook.paths(session, codebook.open_round(session, study(db).id)).values())

    assert "Self-preservation/Sleep" in db.call(paths)
    with pytest.raises(ResearchError, match="several codes are called 'Sleep'"):
        db.call(lambda s: codebook.find_code(s, codebook.open_round(s, study(db).id), "Sleep"))


def test_qdc_round_trip_keeps_tree_fields_colours_and_guids(db, research_env, study_cohort, tmp_path: Path):
    seed(db, research_env)

    def add_child(session):
        rnd = codebook.open_round(session, study(db).id)
        parent = codebook.find_code(session, rnd, "Self-preservation")
        codebook.add_code(
            session,
            research_env,
            rnd,
            codebook.CodeIn(
                name="Carrying patients home",
                definition="Thinking about patients after the shift.",
                example="I lay awake thinking about him.",
                colour="#123456",
            ),
            parent=parent,
            actor="lead",
        )

    db.call(add_child)
    path = tmp_path / "book.qdc"

    def write(session):
        with path.open("wb") as fh:
            return codebook_files.write_qdc_file(session, codebook.open_round(session, study(db).id), fh)

    assert db.call(write) == 5
    book = codebook_files.read_qdc_file(path)
    assert [c.name for c in book] == SEED_NAMES
    child = book[3].children[0]
    assert (child.name, child.colour, child.definition, child.example) == (
        "Carrying patients home",
        "#123456",
        "Thinking about patients after the shift.",
        "I lay awake thinking about him.",
    )
    assert book[1].inclusion.startswith("Imagining the patient's perspective")

    def lineages(session):
        rnd = codebook.open_round(session, study(db).id)
        return {c.name: c.lineage for c in codebook.codes(session, rnd)}

    before = db.call(lineages)
    # Into a second study: the codes keep their GUIDs, so later exports line up in NVivo
    from bot.core.student.enrolment import CohortIn, create_cohort

    db.call(create_cohort, CohortIn(name="Other", start_date=study_cohort.start_date, study="Second study"))

    def load(session):
        s = session.exec(select(Study).where(Study.name == "Second study")).one()
        codebook_files.load(session, research_env, s, book, actor="lead", source="book.qdc")
        rnd = codebook.open_round(session, s.id)
        return {c.name: c.lineage for c in codebook.codes(session, rnd)}

    assert db.call(load) == before


def test_csv_round_trip_and_formula_cells_are_neutralised(db, research_env, study_cohort, tmp_path):
    seed(db, research_env)

    def add(session):
        rnd = codebook.open_round(session, study(db).id)
        codebook.add_code(
            session,
            research_env,
            rnd,
            codebook.CodeIn(name="Doubt", definition='=HYPERLINK("http://evil")', example="-not sure"),
            actor="lead",
        )
        out = io.StringIO()
        codebook_files.write_csv(session, rnd, out)
        return out.getvalue()

    text = db.call(add)
    assert text.splitlines()[0] == "name,parent,definition,inclusion,exclusion,example,colour"
    assert "'=HYPERLINK" in text and "'-not sure" in text
    path = tmp_path / "book.csv"
    path.write_text(text, encoding="utf-8")
    book = codebook_files.read_csv_file(path)
    doubt = book[-1]
    assert (doubt.definition, doubt.example) == ('=HYPERLINK("http://evil")', "-not sure")


def test_a_malformed_csv_gets_a_clear_message(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("title,colour\nA,#FFFFFF\n", encoding="utf-8")
    with pytest.raises(ResearchError, match="must name the columns, including 'name'"):
        codebook_files.read_csv_file(bad)
    orphan = tmp_path / "orphan.csv"
    orphan.write_text("name,parent\nChild,Missing\n", encoding="utf-8")
    with pytest.raises(ResearchError, match="line 2: parent 'Missing' is not defined"):
        codebook_files.read_csv_file(orphan)


def test_items_table_holds_no_raw_text(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    rows = db.call(lambda s: s.exec(select(CodingItem)).all())
    dumped = " ".join(str(r.model_dump()) for r in rows)
    for secret in ("Jones", "Tom", "07700", "900123"):
        assert secret not in dumped
