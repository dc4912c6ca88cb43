"""revocable role links: facilitator and researcher links may expire or work once

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0004'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facilitator_link_expires_at', storage.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('facilitator_link_single_use', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('researcher_link_expires_at', storage.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('researcher_link_single_use', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.drop_column('researcher_link_single_use')
        batch_op.drop_column('researcher_link_expires_at')
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_column('facilitator_link_single_use')
        batch_op.drop_column('facilitator_link_expires_at')
