"""wholesale: invitations, wholesale orders and their items

Revision ID: wholesale_0001
Revises: 0002
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "wholesale_0001"
down_revision = "0002"
branch_labels = None
depends_on = None

MONEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wholesale_invitation",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("buyer_id", sa.String(length=40), nullable=True),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("deposit_percent", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "deposit_percent BETWEEN 0 AND 100", name=op.f("ck_wholesale_invitation_deposit_percent_range")
        ),
        sa.CheckConstraint(
            "discount_percent BETWEEN 0 AND 100", name=op.f("ck_wholesale_invitation_discount_percent_range")
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["user.id"], name=op.f("fk_wholesale_invitation_buyer_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["user.id"], name=op.f("fk_wholesale_invitation_seller_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wholesale_invitation")),
    )
    with op.batch_alter_table("wholesale_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wholesale_invitation_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wholesale_invitation_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_wholesale_invitation_seller_id"), ["seller_id"], unique=False)

    op.create_table(
        "wholesale_order",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("invitation_id", sa.String(length=40), nullable=False),
        sa.Column("buyer_id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("subtotal_cents", MONEY, nullable=False),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("discount_cents", MONEY, nullable=False),
        sa.Column("total_cents", MONEY, nullable=False),
        sa.Column("deposit_percent", sa.Integer(), nullable=False),
        sa.Column("deposit_cents", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deposit_paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["buyer_id"], ["user.id"], name=op.f("fk_wholesale_order_buyer_id_user")),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["wholesale_invitation.id"],
            name=op.f("fk_wholesale_order_invitation_id_wholesale_invitation"),
        ),
        sa.ForeignKeyConstraint(["seller_id"], ["user.id"], name=op.f("fk_wholesale_order_seller_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wholesale_order")),
    )
    with op.batch_alter_table("wholesale_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wholesale_order_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wholesale_order_invitation_id"), ["invitation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wholesale_order_seller_id"), ["seller_id"], unique=False)

    op.create_table(
        "wholesale_order_item",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=40), nullable=False),
        sa.Column("variant_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", MONEY, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["wholesale_order.id"],
            name=op.f("fk_wholesale_order_item_order_id_wholesale_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_wholesale_order_item_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variant.id"], name=op.f("fk_wholesale_order_item_variant_id_variant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wholesale_order_item")),
    )
    with op.batch_alter_table("wholesale_order_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wholesale_order_item_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wholesale_order_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wholesale_order_item_order_id"))
    op.drop_table("wholesale_order_item")
    with op.batch_alter_table("wholesale_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wholesale_order_seller_id"))
        batch_op.drop_index(batch_op.f("ix_wholesale_order_invitation_id"))
        batch_op.drop_index(batch_op.f("ix_wholesale_order_buyer_id"))
    op.drop_table("wholesale_order")
    with op.batch_alter_table("wholesale_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wholesale_invitation_seller_id"))
        batch_op.drop_index(batch_op.f("ix_wholesale_invitation_email"))
        batch_op.drop_index(batch_op.f("ix_wholesale_invitation_buyer_id"))
    op.drop_table("wholesale_invitation")
