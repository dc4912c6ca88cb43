"""frozen rounds: members of a closed round as they stood, what a round held, what an export left out

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-02 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('research_round_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('cohort', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('entered_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['research_items.id'], name=op.f('fk_research_round_items_item_id_research_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['research_participants.id'], name=op.f('fk_research_round_items_participant_id_research_participants')),
    sa.ForeignKeyConstraint(['round_id'], ['research_rounds.id'], name=op.f('fk_research_round_items_round_id_research_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_research_round_items')),
    sa.UniqueConstraint('round_id', 'item_id', name=op.f('uq_research_round_items_round_id'))
    )
    with op.batch_alter_table('research_round_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_research_round_items_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_research_round_items_round_id'), ['round_id'], unique=False)
    with op.batch_alter_table('research_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frozen', sa.JSON(), nullable=True))
    with op.batch_alter_table('research_exports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_out', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('research_exports', schema=None) as batch_op:
        batch_op.drop_column('left_out')
    with op.batch_alter_table('research_rounds', schema=None) as batch_op:
        batch_op.drop_column('frozen')
    with op.batch_alter_table('research_round_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_research_round_items_round_id'))
        batch_op.drop_index(batch_op.f('ix_research_round_items_item_id'))
    op.drop_table('research_round_items')
