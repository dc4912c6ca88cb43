"""imported transcripts: an in-person session imported with ``balint research import-transcript`` is a
research_transcripts row (kind "import") whose turns are queue items; research_imported_turns keeps each turn's raw
words (encrypted at rest) and whose they are, so review marks, consent changes and /delete reach it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 01:20:53.047309
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('research_imported_turns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('encrypted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['research_items.id'], name=op.f('fk_research_imported_turns_item_id_research_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_research_imported_turns_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_research_imported_turns')),
    sa.UniqueConstraint('item_id', name=op.f('uq_research_imported_turns_item_id'))
    )
    with op.batch_alter_table('research_imported_turns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_research_imported_turns_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('research_imported_turns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_research_imported_turns_user_id'))

    op.drop_table('research_imported_turns')
