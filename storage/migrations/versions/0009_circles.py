"""circles: Balint circles (members and the third consent, weeks and phases, posts, the relay outbox)

Chained on 0008, the head of main when the branch started.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 06:52:53.108959
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('circles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('weeks', sa.Integer(), nullable=False),
    sa.Column('rhythm', sa.JSON(), nullable=False),
    sa.Column('aliases', sa.Boolean(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_circles_cohort_id_cohorts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circles'))
    )
    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circles_cohort_id'), ['cohort_id'], unique=False)

    op.create_table('circle_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('alias', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('answered_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('composing', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('draft', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_circle_members_circle_id_circles')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_circle_members_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_members')),
    sa.UniqueConstraint('circle_id', 'user_id', name=op.f('uq_circle_members_circle_id'))
    )
    with op.batch_alter_table('circle_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circle_members_circle_id'), ['circle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circle_members_user_id'), ['user_id'], unique=False)

    op.create_table('circle_weeks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('phase', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('presenter_id', sa.Integer(), nullable=True),
    sa.Column('asked_id', sa.Integer(), nullable=True),
    sa.Column('declined', sa.JSON(), nullable=False),
    sa.Column('pushback_told', sa.Boolean(), nullable=False),
    sa.Column('opened_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('phase_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['asked_id'], ['circle_members.id'], name=op.f('fk_circle_weeks_asked_id_circle_members')),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_circle_weeks_circle_id_circles')),
    sa.ForeignKeyConstraint(['presenter_id'], ['circle_members.id'], name=op.f('fk_circle_weeks_presenter_id_circle_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_weeks')),
    sa.UniqueConstraint('circle_id', 'week', name=op.f('uq_circle_weeks_circle_id'))
    )
    with op.batch_alter_table('circle_weeks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circle_weeks_circle_id'), ['circle_id'], unique=False)

    op.create_table('circle_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('phase', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('encrypted', sa.Boolean(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('removed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('removed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['circle_members.id'], name=op.f('fk_circle_posts_member_id_circle_members')),
    sa.ForeignKeyConstraint(['week_id'], ['circle_weeks.id'], name=op.f('fk_circle_posts_week_id_circle_weeks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_posts')),
    sa.UniqueConstraint('chat_id', 'message_id', name=op.f('uq_circle_posts_chat_id'))
    )
    with op.batch_alter_table('circle_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circle_posts_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circle_posts_week_id'), ['week_id'], unique=False)

    op.create_table('circle_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('encrypted', sa.Boolean(), nullable=False),
    sa.Column('buttons', sa.JSON(), nullable=False),
    sa.Column('edit_of', sa.BigInteger(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('claimed_until', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_circle_outbox_circle_id_circles')),
    sa.ForeignKeyConstraint(['member_id'], ['circle_members.id'], name=op.f('fk_circle_outbox_member_id_circle_members')),
    sa.ForeignKeyConstraint(['post_id'], ['circle_posts.id'], name=op.f('fk_circle_outbox_post_id_circle_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_outbox'))
    )
    with op.batch_alter_table('circle_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circle_outbox_circle_id'), ['circle_id'], unique=False)
        batch_op.create_index('ix_circle_outbox_unsent', ['sent_at', 'member_id'], unique=False)


    # research items made from circle posts: no reflection session, the post instead
    with op.batch_alter_table('research_items', schema=None) as batch_op:
        batch_op.alter_column('session_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('circle_post_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_research_items_circle_post_id_circle_posts'), 'circle_posts',
                                    ['circle_post_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint(batch_op.f('uq_research_items_circle_post_id'), ['circle_post_id'])


def downgrade() -> None:
    op.execute("DELETE FROM research_items WHERE circle_post_id IS NOT NULL")
    with op.batch_alter_table('research_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_research_items_circle_post_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_research_items_circle_post_id_circle_posts'), type_='foreignkey')
        batch_op.drop_column('circle_post_id')
        batch_op.alter_column('session_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('circle_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_circle_outbox_unsent')
        batch_op.drop_index(batch_op.f('ix_circle_outbox_circle_id'))

    op.drop_table('circle_outbox')
    with op.batch_alter_table('circle_posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circle_posts_week_id'))
        batch_op.drop_index(batch_op.f('ix_circle_posts_member_id'))

    op.drop_table('circle_posts')
    with op.batch_alter_table('circle_weeks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circle_weeks_circle_id'))

    op.drop_table('circle_weeks')
    with op.batch_alter_table('circle_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circle_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_circle_members_circle_id'))

    op.drop_table('circle_members')
    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circles_cohort_id'))

    op.drop_table('circles')
