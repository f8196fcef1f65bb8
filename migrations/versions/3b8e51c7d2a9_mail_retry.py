"""mail kept for a retry after a failed send

Revision ID: 3b8e51c7d2a9
Revises: f1e41e2d35db
Create Date: 2026-11-24 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b8e51c7d2a9'
down_revision = 'f1e41e2d35db'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_retry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('template', sa.String(length=120), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('sender', sa.String(length=320), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=998), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_retry'))
    )
    with op.batch_alter_table('mail_retry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_retry_next_attempt_at'), ['next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_retry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_retry_next_attempt_at'))

    op.drop_table('mail_retry')
