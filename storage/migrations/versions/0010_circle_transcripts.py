"""circle transcripts: a closed circle week becomes one research source (research_transcripts), each post a turn
(research_items.transcript_id, turn, speaker_role, phase); circle_posts.quotes_post_id records the post a reply
quoted, so a turn quoting a member without research consent stays out.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 01:07:46.976024
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('research_transcripts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('circle_week_id', sa.Integer(), nullable=True),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['circle_week_id'], ['circle_weeks.id'], name=op.f('fk_research_transcripts_circle_week_id_circle_weeks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_research_transcripts_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_research_transcripts_study_id_studies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_research_transcripts')),
    sa.UniqueConstraint('circle_week_id', name=op.f('uq_research_transcripts_circle_week_id'))
    )
    with op.batch_alter_table('research_transcripts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_research_transcripts_study_id'), ['study_id'], unique=False)

    with op.batch_alter_table('circle_posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quotes_post_id', sa.Integer(), nullable=True))

    with op.batch_alter_table('research_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transcript_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('turn', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('speaker_role', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('phase', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_research_items_transcript_id'), ['transcript_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_research_items_transcript_id_research_transcripts'), 'research_transcripts', ['transcript_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('research_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_research_items_transcript_id_research_transcripts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_research_items_transcript_id'))
        batch_op.drop_column('phase')
        batch_op.drop_column('speaker_role')
        batch_op.drop_column('turn')
        batch_op.drop_column('transcript_id')

    with op.batch_alter_table('circle_posts', schema=None) as batch_op:
        batch_op.drop_column('quotes_post_id')

    with op.batch_alter_table('research_transcripts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_research_transcripts_study_id'))

    op.drop_table('research_transcripts')
