"""indexes for WhatsApp's lookups: outbox rows by platform message id, contacts by phone

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 23:00:00

Status webhooks find the outbox row a status is about by the id WhatsApp
gave the message (three or more statuses per message sent), and payloads in
the format from before April 2026 find a citizen by phone number only.

It follows 0003 (the FAQ migration, committed first, which revises 0001) so
that the history has one head.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_external_message", ["channel", "external_message_id"], unique=False
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_channel_phone", ["channel", "phone"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_channel_phone")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_external_message")
