"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

import storage.schema
from storage.migrate import current_revision, head_revision, is_up_to_date, upgrade


def test_upgrade_from_empty_matches_the_models(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        assert current_revision(engine) == head_revision(empty_database_url)
        assert is_up_to_date(engine, empty_database_url)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(ctx, storage.schema.metadata)
        assert diff == [], f"models and migrations differ; generate a migration: {diff}"
    finally:
        engine.dispose()


def test_an_empty_database_is_not_up_to_date(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        assert not is_up_to_date(engine, empty_database_url)
    finally:
        engine.dispose()


def test_the_circle_and_transcript_migrations_go_down_and_up_again(empty_database_url: str) -> None:
    """0010 (circle transcripts) and 0011 (imported turns) undo cleanly, and redo to the models' schema."""
    from alembic import command

    from storage.migrate import alembic_config

    upgrade(empty_database_url)
    command.downgrade(alembic_config(empty_database_url), "0009")
    engine = create_engine(empty_database_url)
    try:
        assert current_revision(engine) == "0009"
        upgrade(empty_database_url)
        assert is_up_to_date(engine, empty_database_url)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            assert compare_metadata(ctx, storage.schema.metadata) == []
    finally:
        engine.dispose()
