"""chat: rooms, their members and messages

Revision ID: chat_0001
Revises: 0002
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "chat_0001"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN_ONLY = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "chat_room",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("buyer_id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_message_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["buyer_id"], ["user.id"], name=op.f("fk_chat_room_buyer_id_user")),
        sa.ForeignKeyConstraint(["seller_id"], ["user.id"], name=op.f("fk_chat_room_seller_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_room")),
    )
    with op.batch_alter_table("chat_room", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_room_activity_at"), ["activity_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_chat_room_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(
            "ix_chat_room_open_pair",
            ["buyer_id", "seller_id"],
            unique=True,
            sqlite_where=OPEN_ONLY,
            postgresql_where=OPEN_ONLY,
        )
        batch_op.create_index(batch_op.f("ix_chat_room_seller_id"), ["seller_id"], unique=False)

    op.create_table(
        "chat_member",
        sa.Column("room_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("participant", sa.Boolean(), nullable=False),
        sa.Column("last_read_seq", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["chat_room.id"], name=op.f("fk_chat_member_room_id_chat_room"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_chat_member_user_id_user")),
        sa.PrimaryKeyConstraint("room_id", "user_id", name=op.f("pk_chat_member")),
    )
    with op.batch_alter_table("chat_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_member_user_id"), ["user_id"], unique=False)

    op.create_table(
        "chat_message",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("room_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["chat_room.id"], name=op.f("fk_chat_message_room_id_chat_room"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["sender_id"], ["user.id"], name=op.f("fk_chat_message_sender_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_message")),
        sa.UniqueConstraint("room_id", "seq", name=op.f("uq_chat_message_room_id")),
    )


def downgrade() -> None:
    op.drop_table("chat_message")
    with op.batch_alter_table("chat_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_member_user_id"))
    op.drop_table("chat_member")
    with op.batch_alter_table("chat_room", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_room_seller_id"))
        batch_op.drop_index("ix_chat_room_open_pair")
        batch_op.drop_index(batch_op.f("ix_chat_room_buyer_id"))
        batch_op.drop_index(batch_op.f("ix_chat_room_activity_at"))
    op.drop_table("chat_room")
