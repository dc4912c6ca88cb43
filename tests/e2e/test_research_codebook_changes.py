"""Codebook changes from the command line: delete (with --move-to), undo, derived_from, colour names, labels."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from bot.research import chat
from storage.db import Database
from storage.research_models import ResearchCoding
from tests.support.cli_support import balint
from tests.support.factories import buttons, press
from tests.support.research_support import RESEARCHER_A, assign, enrol, reflect, researchers, review_all, run_intake


def _paths(number: int | None = None) -> list[str]:
    args = ["research", "codebook", "list", "--json"] + (["--round", str(number)] if number else [])
    return [c["path"] for c in json.loads(balint(*args)[1])["codes"]]


def test_delete_move_to_and_undo(db: Database, research_env, study_cohort, cli_env, tmp_path: Path):  # noqa: F811
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    researchers(db, research_env)
    assert balint("research", "codebook", "seed")[0] == 0
    review_all(db, research_env)
    assign(db, research_env, limit=1)
    _, view = db.call(chat.code_command, research_env, RESEARCHER_A)
    press(db, research_env, RESEARCHER_A, buttons(view)["☐ Self-preservation"])

    code, _, err = balint("research", "codebook", "delete", "Self-preservation")
    assert code == 2 and err.strip() == (
        "Error: 'Self-preservation' has 1 coding(s) in round 1; give --move-to CODE to move them to another code first"
    )
    code, out, _ = balint(
        "research", "codebook", "delete", "Self-preservation", "--move-to", "Attunement to encounters"
    )
    assert out.strip() == (
        "Round 1 of Balint Study 2026: deleted 'Self-preservation'; its codings moved to "
        "'Attunement to encounters'. (codebook undo puts it back)"
    )
    assert "Self-preservation" not in _paths()
    coded = db.call(lambda s: [c.code_id for c in s.exec(select(ResearchCoding)).all()])
    code, out, _ = balint("research", "codebook", "undo")
    assert out.strip() == "Round 1 of Balint Study 2026: undid the last change (delete)."
    assert "Self-preservation" in _paths()
    assert db.call(lambda s: [c.code_id for c in s.exec(select(ResearchCoding)).all()]) != coded  # moved back
    assert balint("research", "codebook", "delete", "Identity within the hierarchy")[0] == 0  # unused: no --move-to

    # an earlier round's .qdc does not bring back a code merged away in this round; undo takes an import back
    book = tmp_path / "round1.qdc"
    assert balint("research", "codebook", "export", "--out", str(book))[0] == 0
    assert balint("research", "close-round", "--force")[0] == 0
    assert (
        balint(
            "research",
            "codebook",
            "merge",
            "Attunement to encounters",
            "Container for vulnerability",
            "--name",
            "Attunement and holding",
        )[0]
        == 0
    )
    merged = _paths()
    code, out, _ = balint("research", "codebook", "import", str(book))
    assert out.strip() == "Round 2 of Balint Study 2026: 0 code(s) added, 0 updated (from round1.qdc)."
    assert _paths() == merged  # the merged-away code stays away, the renamed one keeps its new name
    code, out, _ = balint("research", "codebook", "undo")
    assert out.strip() == "Round 2 of Balint Study 2026: undid the last change (load from round1.qdc)."
    assert _paths() == merged
    code, out, _ = balint("research", "codebook", "undo")  # and the merge before it
    assert out.strip() == "Round 2 of Balint Study 2026: undid the last change (merge)."
    assert "Container for vulnerability" in _paths() and "Attunement to encounters" in _paths()
    history = balint("research", "codebook", "history")[1]
    assert "checkpoint" not in history and "undo" in history


def test_derived_from_colour_names_and_labels(db: Database, research_env, study_cohort, cli_env):  # noqa: F811
    assert balint("research", "codebook", "seed")[0] == 0
    code, out, err = balint(
        "research", "codebook", "add", "Speaking up", "--parent", "Identity within the hierarchy", "--colour", "red"
    )
    assert code == 0, err
    listed = json.loads(balint("research", "codebook", "list", "--json")[1])["codes"]
    assert next(c for c in listed if c["path"].endswith("Speaking up"))["colour"] == "#FF0000"
    code, _, err = balint("research", "codebook", "edit", "Speaking up", "--colour", "reddish")
    assert code == 2 and "a CSS colour name" in err
    assert balint("research", "close-round", "--force")[0] == 0
    two = json.loads(balint("research", "codebook", "list", "--json")[1])["codes"]
    speaking = next(c for c in two if c["path"].endswith("Speaking up"))
    assert speaking["derived_from"] == [
        {"id": speaking["derived_from"][0]["id"], "round": 1, "path": "Identity within the hierarchy/Speaking up"}
    ]

    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    researchers(db, research_env)
    review_all(db, research_env)
    assign(db, research_env, limit=1)
    _, view = db.call(chat.code_command, research_env, RESEARCHER_A)
    assert "☐ Speaking up" in buttons(view) and not any("·" in label for label in buttons(view))
    # a code name copied from a button, old "· " mark or new box included, is still the code (issue 14, point 6)
    from bot.research import codebook as codebook_domain
    from storage.research_models import CodingRound

    def found(ref: str) -> str:
        def run(session):  # type: ignore[no-untyped-def]
            rnd = session.exec(select(CodingRound).order_by(CodingRound.number.desc())).first()  # type: ignore[union-attr]
            return codebook_domain.find_code(session, rnd, ref).name

        return db.call(run)

    assert found("· Speaking up") == found("☐ Speaking up") == found("Speaking up") == "Speaking up"


def test_move_a_code_under_another_and_back_to_the_top(db: Database, research_env, study_cohort, cli_env):  # noqa: F811
    assert balint("research", "codebook", "seed")[0] == 0
    assert balint("research", "codebook", "add", "Speaking up", "--parent", "Identity within the hierarchy")[0] == 0
    code, out, err = balint("research", "codebook", "move", "Speaking up", "--under", "Self-preservation")
    assert code == 0, err
    assert out.strip() == "Round 1 of Balint Study 2026: moved 'Speaking up' under 'Self-preservation'."
    assert "Self-preservation/Speaking up" in _paths()
    code, _, err = balint("research", "codebook", "move", "Self-preservation", "--under", "Speaking up")
    assert code == 2 and "cannot go under itself or under one of its own sub-codes" in err
    code, out, _ = balint("research", "codebook", "move", "Speaking up")
    assert out.strip() == "Round 1 of Balint Study 2026: moved 'Speaking up' to the top level."
    assert "Speaking up" in _paths()
    assert balint("research", "codebook", "undo")[0] == 0  # a move is undone like any other change
    assert "Self-preservation/Speaking up" in _paths()
    history = json.loads(balint("research", "codebook", "history", "--json")[1])
    moves = [(h["code"], h["parent"]) for h in history if h["action"] == "move"]
    assert moves == [("Speaking up", "Self-preservation"), ("Speaking up", None)]
