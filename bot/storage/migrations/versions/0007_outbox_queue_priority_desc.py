"""outbox: the claim index in the claim's own order, urgent first

The sender walks one channel's pending rows by priority, highest first, and
then by id. With priority ascending in the index, that order is not the
index's, and SQLite sorted every pending row of the channel on every pass
(150 ms with 30,000 rows behind the rate limits, while the writer waits);
with priority descending it is a short walk that stops at the limit.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_queue")
        batch_op.create_index(
            "ix_outbox_queue", ["status", "channel", sa.text("priority DESC"), "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_queue")
        batch_op.create_index(
            "ix_outbox_queue", ["status", "channel", "priority", "id"], unique=False
        )
