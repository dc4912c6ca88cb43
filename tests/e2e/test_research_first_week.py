"""Research from the command line without ceremony: exports before any codebook, a default study, errors that
suggest what was meant."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from bot.cli.cohorts import DEFAULT_STUDY
from storage.db import Database
from tests.support.cli_support import balint
from tests.support.research_support import enrol, reflect, run_intake, seed


def test_export_before_any_codebook_gives_the_queue(
    db: Database,
    research_env,
    study_cohort,
    cli_env,  # noqa: F811
    tmp_path: Path,
) -> None:
    chats = [enrol(db, research_env, study_cohort, 2001 + i, f"S{i}") for i in range(2)]
    enrol(db, research_env, study_cohort, 2009, "Nope", research=False)
    reflect(db, research_env, study_cohort, chats)
    out = tmp_path / "queue.csv"
    code, said, err = balint("export", "--format", "csv", "--out", str(out))
    assert code == 0, err
    lines = said.splitlines()
    assert lines[0] == (
        "Balint Study 2026 has no coding round yet, so this is the queue: pseudonyms and redacted "
        "text, no codings (10 new item(s) came in just now)."
    )
    assert lines[1].startswith(f"Wrote 10 row(s) from 2 participant(s) of Balint Study 2026 to {out} (")
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0] == [
        "item",
        "pseudonym",
        "cohort",
        "week",
        "step",
        "session",
        "turn",
        "speaker",
        "role",
        "phase",
        "prompt",
        "text",
    ]
    assert {r[1] for r in rows[1:]} == {"P001", "P002"}
    first = rows[1]
    assert first[5:10] == [""] * 5  # no session, turn, speaker, role or phase: a private reflection
    assert first[4] == "encounter" and "Mrs [NAME]" in first[11] and "07700" not in first[11]
    assert "Jones" not in first[11]
    code, said, _ = balint("research", "exports", "--json")
    assert code == 0 and json.loads(said)[0]["round"] is None
    code, _, err = balint("export", "--format", "qdpx", "--out", str(tmp_path / "x.qdpx"))
    assert code == 2 and "only the queue can be exported, as csv or jsonl" in err


def test_cohort_create_without_a_study_names_the_default_one(empty_database_url: str, tmp_path: Path) -> None:
    from tests.support.cli_support import balint_process as run

    env = {"DATABASE_URL": empty_database_url}
    assert run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0  # PostgreSQL is upgraded explicitly
    made = run("cohort", "create", "--name", "Surgery", "--start", "2026-01-05", env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[3] == (
        f"Study: {DEFAULT_STUDY} (no --study given, so the cohort joined this "
        "one; balint export works on it from the first reflection)"
    )
    status = run("research", "status", "--json", env={**env, "ENVIRONMENT": "test"}, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["study"] == DEFAULT_STUDY


def test_an_unknown_code_suggests_the_nearest_names(db: Database, research_env, study_cohort, cli_env) -> None:  # noqa: F811
    reflect(db, research_env, study_cohort, [enrol(db, research_env, study_cohort, 2001, "S0")])
    run_intake(db, research_env)
    seed(db, research_env)
    code, _, err = balint("research", "settle", "1", "--codes", "Container for vulnerability;Identity in the hierarchy")
    assert code == 2
    assert err.strip() == (
        "Error: round 1 has no code 'Identity in the hierarchy'; did you mean 'Identity within the hierarchy'?"
    )


def test_agreement_from_our_own_export_says_which_columns_it_wants(tmp_path: Path) -> None:
    ours = tmp_path / "round.csv"
    ours.write_text(
        "item,pseudonym,cohort,week,step,prompt,text,codes C1,codes C2,agreed codes,status\n"
        "1,P001,Psych,1,encounter,q,t,A,A,,agreed\n",
        encoding="utf-8",
    )
    code, _, err = balint("research", "agreement", "--from", str(ours))
    assert code == 2 and "Traceback" not in err
    assert "missing column(s) coder, code" in err
    assert "looks like a `balint export` table" in err and "one row per coding (item,coder,code" in err
