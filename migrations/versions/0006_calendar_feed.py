"""Calendar feeds: one secret iCalendar address per person

Revision ID: 6f8fc3b85868
Revises: 9c7782de160e
Create Date: 2026-11-25 19:55:10.253966

"""
from alembic import op
import sqlalchemy as sa
import webapp.timeutil


# revision identifiers, used by Alembic.
revision = '6f8fc3b85868'
down_revision = '9c7782de160e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feeds',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', webapp.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token', name=op.f('uq_calendar_feeds_token'))
    )


def downgrade():
    op.drop_table('calendar_feeds')
