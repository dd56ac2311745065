"""revoked_browsers: web-chat tokens revoked by "hapus percakapan ini"

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revoked_browsers",
        sa.Column("browser_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("browser_id"),
    )
    with op.batch_alter_table("revoked_browsers") as batch_op:
        batch_op.create_index("ix_revoked_browsers_revoked_at", ["revoked_at"], unique=False)


def downgrade() -> None:
    op.drop_table("revoked_browsers")
