"""linked identities: accounts signed in through an identity provider

Revision ID: f1a3c5e7b9d2
Revises: e2b7c4a9d816
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a3c5e7b9d2'
down_revision = 'e2b7c4a9d816'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('linked_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('unlinked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_linked_identity_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linked_identity')),
    sa.UniqueConstraint('provider', 'subject', name=op.f('uq_linked_identity_provider'))
    )
    with op.batch_alter_table('linked_identity', schema=None) as batch_op:
        batch_op.create_index('ix_linked_identity_user_id', ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('linked_identity', schema=None) as batch_op:
        batch_op.drop_index('ix_linked_identity_user_id')

    op.drop_table('linked_identity')
