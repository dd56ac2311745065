"""contacts: the phone index holds contacts with a phone only

A lookup by (channel, external_id) has the unique index for it, but on a
table never analysed (a new deployment, its first minute or so) PostgreSQL
costed `ix_contacts_channel_phone` the same and used it with the channel as
its only condition: each lookup read every contact of the channel. Partial,
the index can serve only a query that names a phone.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

HAS_PHONE = "phone IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_index("ix_contacts_channel_phone")
        batch_op.create_index(
            "ix_contacts_channel_phone",
            ["channel", "phone"],
            unique=False,
            postgresql_where=sa.text(HAS_PHONE),
            sqlite_where=sa.text(HAS_PHONE),
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_index("ix_contacts_channel_phone")
        batch_op.create_index("ix_contacts_channel_phone", ["channel", "phone"], unique=False)
