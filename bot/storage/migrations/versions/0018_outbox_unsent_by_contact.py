"""outbox: an index of each contact's unsent messages, for the sender's claim

The claim asks, for each due row, whether an earlier row to the same contact
is still pending or being sent. Through the index on `contact_id` alone that
read every message the contact was ever sent, a cost that grew with each
citizen's history.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

UNSENT = "status IN ('pending', 'sending')"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.create_index(
            "ix_outbox_unsent_by_contact",
            ["contact_id", "id"],
            unique=False,
            postgresql_where=sa.text(UNSENT),
            sqlite_where=sa.text(UNSENT),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_unsent_by_contact")
