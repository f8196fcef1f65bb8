"""indexes for the operators' user list: name prefix search, created and last sign-in order

Revision ID: 5e1a7c2b9d40
Revises: c31fcff8689d
Create Date: 2026-11-22 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '5e1a7c2b9d40'
down_revision = 'c31fcff8689d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index('ix_user_name_lower', [sa.literal_column('lower(name)')], unique=False)
        batch_op.create_index('ix_user_create_datetime', ['create_datetime'], unique=False)
        batch_op.create_index('ix_user_current_login_at', ['current_login_at'], unique=False)


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index('ix_user_current_login_at')
        batch_op.drop_index('ix_user_create_datetime')
        batch_op.drop_index('ix_user_name_lower')
