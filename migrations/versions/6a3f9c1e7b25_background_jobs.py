"""background jobs: the console's job table and the report of each job

Revision ID: 6a3f9c1e7b25
Revises: 2d9b6f0c8e17
Create Date: 2026-11-28 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a3f9c1e7b25'
down_revision = '2d9b6f0c8e17'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('console_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('outcomes', sa.JSON(), nullable=False),
    sa.Column('cursor', sa.JSON(), nullable=True),
    sa.Column('reported', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('base_url', sa.String(length=500), nullable=True),
    sa.Column('system', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_email', sa.String(length=320), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('run_token', sa.String(length=32), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_console_job_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_job'))
    )
    with op.batch_alter_table('console_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_job_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index('ix_console_job_state_heartbeat_at', ['state', 'heartbeat_at'], unique=False)

    op.create_table('console_job_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=320), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['console_job.id'], name=op.f('fk_console_job_report_job_id_console_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_job_report'))
    )
    with op.batch_alter_table('console_job_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_job_report_job_id'), ['job_id'], unique=False)


def downgrade():
    with op.batch_alter_table('console_job_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_job_report_job_id'))

    op.drop_table('console_job_report')
    with op.batch_alter_table('console_job', schema=None) as batch_op:
        batch_op.drop_index('ix_console_job_state_heartbeat_at')
        batch_op.drop_index(batch_op.f('ix_console_job_created_by_id'))

    op.drop_table('console_job')
