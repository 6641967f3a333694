"""cart: one line per buyer and variant

Revision ID: cart_0001
Revises: 0002
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cart_0001"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cart_item",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("buyer_id", sa.String(length=40), nullable=False),
        sa.Column("variant_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_cart_item_quantity_positive")),
        sa.ForeignKeyConstraint(["buyer_id"], ["user.id"], name=op.f("fk_cart_item_buyer_id_user")),
        sa.ForeignKeyConstraint(["variant_id"], ["variant.id"], name=op.f("fk_cart_item_variant_id_variant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cart_item")),
        sa.UniqueConstraint("buyer_id", "variant_id", name=op.f("uq_cart_item_buyer_id")),
    )
    with op.batch_alter_table("cart_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cart_item_variant_id"), ["variant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cart_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cart_item_variant_id"))
    op.drop_table("cart_item")
