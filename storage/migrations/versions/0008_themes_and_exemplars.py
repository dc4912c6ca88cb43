"""themes and exemplars: a round's themes, their codes and history; exemplar quotes

Chained on 0007, the head of main when it was merged in (the lead re-chains at merge).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 17:38:58.318438
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = '0008'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('research_theme_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('theme_ids', sa.JSON(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['research_rounds.id'], name=op.f('fk_research_theme_history_round_id_research_rounds')),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_research_theme_history_study_id_studies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_research_theme_history'))
    )
    with op.batch_alter_table('research_theme_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_research_theme_history_study_id'), ['study_id'], unique=False)

    op.create_table('research_themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('lineage', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('colour', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('derived_from', sa.JSON(), nullable=False),
    sa.Column('retired_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['research_rounds.id'], name=op.f('fk_research_themes_round_id_research_rounds')),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_research_themes_study_id_studies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_research_themes'))
    )
    with op.batch_alter_table('research_themes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_research_themes_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_research_themes_study_id'), ['study_id'], unique=False)

    op.create_table('research_theme_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['research_codes.id'], name=op.f('fk_research_theme_codes_code_id_research_codes')),
    sa.ForeignKeyConstraint(['theme_id'], ['research_themes.id'], name=op.f('fk_research_theme_codes_theme_id_research_themes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_research_theme_codes')),
    sa.UniqueConstraint('theme_id', 'code_id', name=op.f('uq_research_theme_codes_theme_id'))
    )
    with op.batch_alter_table('research_theme_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_research_theme_codes_code_id'), ['code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_research_theme_codes_theme_id'), ['theme_id'], unique=False)

    op.create_table('research_exemplars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coding_id', sa.Integer(), nullable=False),
    sa.Column('coder_id', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('marked_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coder_id'], ['research_coders.id'], name=op.f('fk_research_exemplars_coder_id_research_coders')),
    sa.ForeignKeyConstraint(['coding_id'], ['research_codings.id'], name=op.f('fk_research_exemplars_coding_id_research_codings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_research_exemplars')),
    sa.UniqueConstraint('coding_id', name=op.f('uq_research_exemplars_coding_id'))
    )
    with op.batch_alter_table('research_exemplars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_research_exemplars_coding_id'), ['coding_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('research_exemplars', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_research_exemplars_coding_id'))

    op.drop_table('research_exemplars')
    with op.batch_alter_table('research_theme_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_research_theme_codes_theme_id'))
        batch_op.drop_index(batch_op.f('ix_research_theme_codes_code_id'))

    op.drop_table('research_theme_codes')
    with op.batch_alter_table('research_themes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_research_themes_study_id'))
        batch_op.drop_index(batch_op.f('ix_research_themes_round_id'))

    op.drop_table('research_themes')
    with op.batch_alter_table('research_theme_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_research_theme_history_study_id'))

    op.drop_table('research_theme_history')
