"""quotations: quotations and their lines

Revision ID: quotations_0001
Revises: 0002
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "quotations_0001"
down_revision = "0002"
branch_labels = None
depends_on = None

MONEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "quotation",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("buyer_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_cents", MONEY, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["buyer_id"], ["user.id"], name=op.f("fk_quotation_buyer_id_user")),
        sa.ForeignKeyConstraint(["seller_id"], ["user.id"], name=op.f("fk_quotation_seller_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotation")),
    )
    with op.batch_alter_table("quotation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quotation_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quotation_seller_id"), ["seller_id"], unique=False)

    op.create_table(
        "quotation_item",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("quotation_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", MONEY, nullable=False),
        sa.ForeignKeyConstraint(
            ["quotation_id"],
            ["quotation.id"],
            name=op.f("fk_quotation_item_quotation_id_quotation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotation_item")),
    )
    with op.batch_alter_table("quotation_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quotation_item_quotation_id"), ["quotation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quotation_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quotation_item_quotation_id"))
    op.drop_table("quotation_item")
    with op.batch_alter_table("quotation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quotation_seller_id"))
        batch_op.drop_index(batch_op.f("ix_quotation_buyer_id"))
    op.drop_table("quotation")
