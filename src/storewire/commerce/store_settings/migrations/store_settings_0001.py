"""store settings: one row per seller and settings category

Revision ID: store_settings_0001
Revises: 0002
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "store_settings_0001"
down_revision = "0002"
branch_labels = ("store_settings",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_setting",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["seller_id"], ["user.id"], name=op.f("fk_store_setting_seller_id_user")),
        sa.PrimaryKeyConstraint("seller_id", "category", name=op.f("pk_store_setting")),
    )


def downgrade() -> None:
    op.drop_table("store_setting")
