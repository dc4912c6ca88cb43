"""Pseudonyms: P001… in order of first entry, stable, per study, and not derivable without the server's key."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import timedelta

from sqlalchemy import inspect, text
from sqlmodel import SQLModel, select

from bot.core.context import Env
from bot.research import pseudonyms
from storage.db import Database
from storage.research_models import ResearchParticipant
from tests.support.research_support import KEY, WEEK, enrol, items, next_week, reflect, run_intake, study


def _pseudonym_of(db: Database, telegram_id: int) -> str | None:
    found = db.call(pseudonyms.find_participant, KEY_ENV, study(db).id, telegram_id)
    return found.pseudonym if found else None


KEY_ENV = Env(pseudonym_key=KEY)


def test_numbers_follow_first_entry_and_stay_stable(db: Database, research_env: Env, study_cohort, clock) -> None:
    cy = enrol(db, research_env, study_cohort, 3003, "Cy")  # joins first …
    al = enrol(db, research_env, study_cohort, 3001, "Al")
    from tests.support.factories import send_week

    send_week(db, research_env, study_cohort, 1)
    for line in WEEK:
        al.say(line)  # … but Al writes first
    clock.advance(timedelta(hours=2))
    for line in WEEK:
        cy.say(line)
    run_intake(db, research_env)
    assert (_pseudonym_of(db, 3001), _pseudonym_of(db, 3003)) == ("P001", "P002")
    next_week(clock)
    bea = enrol(db, research_env, study_cohort, 3002, "Bea")
    reflect(db, research_env, study_cohort, [bea, al, cy], week=2)
    run_intake(db, research_env)
    assert [_pseudonym_of(db, t) for t in (3001, 3003, 3002)] == ["P001", "P002", "P003"]
    assert len(items(db)) == 25


def test_the_digest_needs_the_key_and_differs_per_study() -> None:
    d = pseudonyms.digest(KEY, 1, 123456789)
    assert d == pseudonyms.digest(KEY, 1, 123456789)
    assert d != pseudonyms.digest("another key", 1, 123456789)
    assert d != pseudonyms.digest(KEY, 2, 123456789)
    for guess in ("123456789", "study:1:telegram:123456789"):  # plain hashes of the id don't match
        assert d not in (hashlib.sha256(guess.encode()).hexdigest(), hashlib.sha1(guess.encode()).hexdigest())


def test_no_research_table_holds_a_telegram_id_or_name_of_a_student(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 777000111, "Anastasia")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name.startswith("research_")]
    with db.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        for table in tables:
            assert table.name in names
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"')).all():
                flat = " ".join(str(v) for v in row)
                assert "777000111" not in flat and "Anastasia" not in flat, table.name
    participant = db.call(lambda s: s.exec(select(ResearchParticipant)).one())
    assert participant.digest == pseudonyms.digest(KEY, study(db).id, 777000111)


def test_development_key_is_generated_once_and_kept_private(tmp_path) -> None:
    folder = tmp_path / "data"
    key = pseudonyms.dev_key(folder)
    assert len(key) >= 40 and pseudonyms.dev_key(folder) == key
    mode = stat.S_IMODE(os.stat(folder / "pseudonym.key").st_mode)
    assert mode == 0o600


def test_the_data_folder_is_beside_the_sqlite_database() -> None:
    assert str(pseudonyms.data_folder("sqlite:///./data/balint.db")) == "data"
    assert str(pseudonyms.data_folder("sqlite:////srv/balint/db.sqlite")) == "/srv/balint"
    assert str(pseudonyms.data_folder("postgresql+psycopg://u@h/db")) == "data"


def test_make_env_uses_the_setting_or_a_development_key(tmp_path, monkeypatch) -> None:
    from bot.config import Settings
    from bot.runtime import make_env

    url = f"sqlite:///{tmp_path}/balint.db"
    assert make_env(Settings(database_url=url, pseudonym_key="from-setting")).pseudonym_key == "from-setting"
    dev = make_env(Settings(database_url=url, environment="development", _env_file=None)).pseudonym_key
    assert dev and (tmp_path / "pseudonym.key").read_text().strip() == dev
    assert make_env(Settings(database_url=url, environment="test", _env_file=None)).pseudonym_key is None
