"""join the feature branches

Revision ID: 9f0e1d2c3b4a
Revises: 5d1e7a9c2b40, 5e1a7c2b9d40, 8c2f4d61a9b3, a6d17e0c3f52, b7e4d2a91c58
Create Date: 2026-11-22 23:35:39.565927

"""
from alembic import op
import flask_security  # noqa: F401 - autogenerate refers to its column types
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9f0e1d2c3b4a'
down_revision = ('5d1e7a9c2b40', '5e1a7c2b9d40', '8c2f4d61a9b3', 'a6d17e0c3f52', 'b7e4d2a91c58')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
