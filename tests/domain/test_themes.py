"""Themes per round: the seed themes, linking codes, history, carrying into the next round, frozen when closed."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from bot.core.context import Env
from bot.research import codebook, themes
from bot.research.errors import ResearchError
from bot.research.rounds import close_round
from storage.db import Database
from storage.models import Study
from tests.support.cli_support import balint
from tests.support.research_support import study

SEED_THEMES = [
    "Container for vulnerability",
    "Attunement to encounters",
    "Identity within the hierarchy",
    "Self-preservation",
]


def _study(session: Session, db: Database) -> Study:
    found = session.get(Study, study(db).id)
    assert found is not None
    return found


def _seed(db: Database, env: Env) -> tuple[int, int]:
    def run(session: Session) -> tuple[int, int]:
        _, added, codes = themes.seed(session, env, _study(session, db), actor="test")
        return added, codes

    return db.call(run)


def _listing(db: Database, env: Env, number: int | None = None) -> dict[str, list[str]]:
    def run(session: Session) -> dict[str, list[str]]:
        rnd = codebook.round_by_number(session, _study(session, db), number)
        paths = codebook.paths(session, rnd)
        return {
            t.name: [paths[c.id or 0] for c in themes.codes_of(session, t)] for t in themes.themes(session, env, rnd)
        }

    return db.call(run)


def test_seed_delivers_the_four_themes_with_example_codes_once(db, research_env, study_cohort):
    assert _seed(db, research_env) == (4, 12)
    listing = _listing(db, research_env)
    assert list(listing) == SEED_THEMES
    assert listing["Self-preservation"] == [
        "Self-preservation",
        "Self-preservation/Emotional exhaustion",
        "Self-preservation/Protective distance",
        "Self-preservation/Ways of recovering",
    ]
    assert _seed(db, research_env) == (0, 0)  # again: nothing new
    assert sum(len(v) for v in _listing(db, research_env).values()) == 16


def test_themes_carry_into_the_next_round_following_merges_and_the_closed_round_is_frozen(
    db, research_env, study_cohort
):
    _seed(db, research_env)

    def merge_and_close(session: Session) -> None:
        s = _study(session, db)
        rnd = codebook.open_round(session, s.id)
        assert rnd is not None
        keep = codebook.find_code(session, rnd, "Emotional exhaustion")
        other = codebook.find_code(session, rnd, "Protective distance")
        codebook.merge_codes(session, research_env, rnd, keep, [other], name="Tiredness and distance", actor="t")
        close_round(session, research_env, s, actor="t", force=True)

    db.call(merge_and_close)
    two = _listing(db, research_env, 2)
    assert two["Self-preservation"] == [
        "Self-preservation",
        "Self-preservation/Tiredness and distance",
        "Self-preservation/Ways of recovering",
    ]

    def refine(session: Session) -> None:
        rnd = codebook.round_by_number(session, _study(session, db), 2)
        theme = themes.find_theme(session, research_env, rnd, "Self-preservation")
        themes.edit_theme(session, research_env, rnd, theme, name="Protecting the carer", actor="t")

    db.call(refine)
    assert "Protecting the carer" in _listing(db, research_env, 2)
    assert "Self-preservation" in _listing(db, research_env, 1)  # round 1 keeps its own

    def edit_closed(session: Session) -> None:
        rnd = codebook.round_by_number(session, _study(session, db), 1)
        themes.add_theme(session, research_env, rnd, "Late idea", actor="t")

    with pytest.raises(ResearchError, match="round 1 is closed; its themes are frozen"):
        db.call(edit_closed)
    rows = db.call(lambda s: themes.history(s, _study(s, db)))
    assert [r["action"] for r in rows if r["round"] == 2] == ["carry", "rename"]


@pytest.mark.usefixtures("cli_env")
def test_themes_on_the_command_line(db, research_env, study_cohort):
    code, out, err = balint("research", "themes", "seed")
    assert code == 0, err
    assert out.strip() == (
        "Round 1 of Balint Study 2026: 4 theme(s) and 12 example code(s) added; 4 theme(s) in "
        "all (from seed: Ng, Seu & Cullum 2022)."
    )
    code, out, _ = balint(
        "research",
        "themes",
        "add",
        "Learning from peers",
        "--definition",
        "What others' cases taught",
        "--code",
        "Structure that holds",
    )
    assert out.strip() == (
        "Round 1 of Balint Study 2026: added the theme 'Learning from peers' with 'Structure that holds'."
    )
    code, out, err = balint("research", "themes", "link", "Learning from peers", "No such code")
    assert code == 2 and err.strip() == "Error: round 1 has no code 'No such code'"
    code, out, _ = balint("research", "themes", "list")
    assert "Round 1 of Balint Study 2026 (open): 5 theme(s)" in out
    assert "Learning from peers  (1 code(s))\n       - Container for vulnerability/Structure that holds" in out
    code, out, err = balint("research", "themes", "remove", "Nothing")
    assert code == 2 and "round 1 has no theme 'Nothing'" in err
