"""CSV import of user accounts: the uploads, their records in chunks, and each row's keys

Revision ID: d3c5a7e9b1f2
Revises: 7b4e2c9d1a63
Create Date: 2026-12-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd3c5a7e9b1f2'
down_revision = '7b4e2c9d1a63'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('console_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('invite', sa.Boolean(), nullable=False),
    sa.Column('preview', sa.JSON(), nullable=True),
    sa.Column('applied_at', sa.DateTime(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_console_import_created_by_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_import'))
    )
    with op.batch_alter_table('console_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_import_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_import_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('console_import_chunk',
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('first_row', sa.Integer(), nullable=False),
    sa.Column('last_row', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['console_import.id'], name=op.f('fk_console_import_chunk_upload_id_console_import'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('upload_id', 'seq', name=op.f('pk_console_import_chunk'))
    )
    with op.batch_alter_table('console_import_chunk', schema=None) as batch_op:
        batch_op.create_index('ix_console_import_chunk_upload_id_last_row', ['upload_id', 'last_row'], unique=False)

    op.create_table('console_import_key',
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('row', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=320), nullable=False),
    sa.Column('value', sa.String(length=320), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['console_import.id'], name=op.f('fk_console_import_key_upload_id_console_import'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('upload_id', 'row', 'kind', name=op.f('pk_console_import_key'))
    )
    with op.batch_alter_table('console_import_key', schema=None) as batch_op:
        batch_op.create_index('ix_console_import_key_upload_id_kind_key', ['upload_id', 'kind', 'key', 'row'], unique=False)


def downgrade():
    with op.batch_alter_table('console_import_key', schema=None) as batch_op:
        batch_op.drop_index('ix_console_import_key_upload_id_kind_key')

    op.drop_table('console_import_key')
    with op.batch_alter_table('console_import_chunk', schema=None) as batch_op:
        batch_op.drop_index('ix_console_import_chunk_upload_id_last_row')

    op.drop_table('console_import_chunk')
    with op.batch_alter_table('console_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_import_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_console_import_created_at'))

    op.drop_table('console_import')
