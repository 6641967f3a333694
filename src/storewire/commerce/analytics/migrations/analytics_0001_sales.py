"""analytics: one sale row per paid order

Revision ID: analytics_0001
Revises: 0002
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analytics_0001"
down_revision = "0002"
branch_labels = None
depends_on = None

MONEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "analytics_sale",
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("total_cents", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["order.id"], name=op.f("fk_analytics_sale_order_id_order"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["seller_id"], ["user.id"], name=op.f("fk_analytics_sale_seller_id_user")),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_analytics_sale")),
    )
    with op.batch_alter_table("analytics_sale", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_analytics_sale_paid_at"), ["paid_at"], unique=False)
        batch_op.create_index("ix_analytics_sale_seller_id_paid_at", ["seller_id", "paid_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("analytics_sale", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_sale_seller_id_paid_at")
        batch_op.drop_index(batch_op.f("ix_analytics_sale_paid_at"))
    op.drop_table("analytics_sale")
