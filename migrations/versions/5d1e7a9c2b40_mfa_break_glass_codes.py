"""break-glass recovery codes

Revision ID: 5d1e7a9c2b40
Revises: c31fcff8689d
Create Date: 2026-11-22 22:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1e7a9c2b40'
down_revision = 'c31fcff8689d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mfa_break_glass_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_mfa_break_glass_code_issued_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_mfa_break_glass_code_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mfa_break_glass_code'))
    )
    with op.batch_alter_table('mfa_break_glass_code', schema=None) as batch_op:
        batch_op.create_index('ix_mfa_break_glass_code_user_id', ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('mfa_break_glass_code', schema=None) as batch_op:
        batch_op.drop_index('ix_mfa_break_glass_code_user_id')

    op.drop_table('mfa_break_glass_code')
