"""resume: the event log's room index and the pruned position

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BACKFILL_BATCH = 5000


def upgrade() -> None:
    op.add_column("relay_state", sa.Column("pruned_seq", SEQ, nullable=False, server_default="0"))
    rooms = op.create_table(
        "event_log_room",
        sa.Column("room", sa.String(length=200), nullable=False),
        sa.Column("seq", SEQ, autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("room", "seq", name=op.f("pk_event_log_room")),
    )
    op.create_index("ix_event_log_room_seq", "event_log_room", ["seq"])
    # Index the events already logged, so positions from before this upgrade can still be resumed.
    log = sa.table("event_log", sa.column("seq", SEQ), sa.column("rooms", sa.JSON()))
    bind = op.get_bind()
    after = 0
    while True:
        batch = bind.execute(
            sa.select(log.c.seq, log.c.rooms)
            .where(log.c.seq > after)
            .order_by(log.c.seq)
            .limit(BACKFILL_BATCH)
        ).all()
        if not batch:
            break
        op.bulk_insert(rooms, [{"room": room, "seq": seq} for seq, names in batch for room in set(names)])
        after = batch[-1].seq


def downgrade() -> None:
    op.drop_index("ix_event_log_room_seq", table_name="event_log_room")
    op.drop_table("event_log_room")
    op.drop_column("relay_state", "pruned_seq")
