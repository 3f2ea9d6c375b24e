"""A version number per person for the cached week pages; details on the lock screen by choice

Revision ID: 0007pageversion
Revises: 6f8fc3b85868
Create Date: 2026-11-25 22:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007pageversion'
down_revision = '6f8fc3b85868'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('notification_details', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notification_details')
        batch_op.drop_column('page_version')
