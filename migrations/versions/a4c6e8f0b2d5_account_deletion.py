"""account deletion: scheduled self-deletion and tombstones

Revision ID: a4c6e8f0b2d5
Revises: f1a3c5e7b9d2
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c6e8f0b2d5'
down_revision = 'f1a3c5e7b9d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_deletion',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_account_deletion_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_account_deletion'))
    )
    with op.batch_alter_table('account_deletion', schema=None) as batch_op:
        batch_op.create_index('ix_account_deletion_due_at', ['due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('account_deletion', schema=None) as batch_op:
        batch_op.drop_index('ix_account_deletion_due_at')

    op.drop_table('account_deletion')
