"""Chat tables: a buyer's support room with one seller, who is in it and how far they read, its messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storewire.storage.tables import Base, utcnow

__all__ = ["OPEN", "ChatMemberRow", "ChatMessageRow", "ChatRoomRow"]

OPEN = "open"


class ChatRoomRow(Base):
    """A support conversation between one buyer and one seller (the seller's staff and admins may join).

    ``last_seq`` numbers the room's messages (1, 2, ...): it is the paging cursor and what unread counts
    are computed from, and it is assigned under the room's row lock, so it is gap-free in commit order.
    """

    __tablename__ = "chat_room"
    __table_args__ = (
        # One open room per buyer and seller: a second POST /chat/rooms finds this one.
        Index(
            "ix_chat_room_open_pair",
            "buyer_id",
            "seller_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("user.id"), index=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("user.id"), index=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_message_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last message's time (the creation time before any): the order of GET /chat/rooms.
    activity_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ChatMemberRow(Base):
    """A user's place in a room: a participant (hears ``chat:room_updated``) and/or only a reader.

    Staff and admins get a row when they mark a room read (``participant=False``) and become
    participants when they post.
    """

    __tablename__ = "chat_member"

    room_id: Mapped[str] = mapped_column(ForeignKey("chat_room.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id"), primary_key=True, index=True)
    participant: Mapped[bool] = mapped_column(Boolean, default=True)
    last_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChatMessageRow(Base):
    """One message; ``seq`` is its number in the room (see ``ChatRoomRow``)."""

    __tablename__ = "chat_message"
    # Also the index of paging: a room's messages by seq.
    __table_args__ = (UniqueConstraint("room_id", "seq"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("chat_room.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[str] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
