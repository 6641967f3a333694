"""Chat (support): a buyer opens a room with a seller; the seller's staff and admins may join it.

Who may see a room is the one visibility rule (``can_see``) with the room's facts: the seller owns it
(so its staff see it too), its participants are members, admins see all. Participants are the buyer and
the seller from the start, and any staff member or admin once they post.

Messages are numbered per room (``seq``, under the room's row lock). A participant's unread count is
the room's last number minus the last one it read; posting marks everything up to one's own message
read (a reply implies the conversation was read).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.accounts.tables import UserRow
from storewire.commerce.chat.events import EVENT_BODY_LIMIT, MessageCreated, RoomUpdated
from storewire.commerce.chat.models import (
    EXCERPT_LENGTH,
    ChatRoomOut,
    ChatRoomPage,
    LastMessage,
    MessageOut,
    MessagePage,
    NewChatRoom,
    NewMessage,
    as_utc,
)
from storewire.commerce.chat.tables import OPEN, ChatMemberRow, ChatMessageRow, ChatRoomRow
from storewire.commerce.module import ModuleContext, Online, Services
from storewire.commerce.notifications.service import NotificationService
from storewire.commerce.parties import parties_only
from storewire.delivery.publisher import Publisher
from storewire.errors import Forbidden, InvalidPayload, NotFound
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal, Role, RoomFacts, can_see
from storewire.storage.database import Database
from storewire.storage.tables import utcnow

__all__ = ["ChatService", "chat_facts", "lookup_chat"]

Members = dict[str, ChatMemberRow]  # user id -> that user's row in one room


def chat_facts(room: ChatRoomRow | None, members: Members) -> RoomFacts:
    """The visibility rule's view of a room: the seller owns it, its participants are members."""
    if room is None:
        return RoomFacts(exists=False)
    participants = frozenset(user for user, member in members.items() if member.participant)
    return RoomFacts(exists=True, owner_id=room.seller_id, members=participants)


async def lookup_chat(session: AsyncSession, room_id: str) -> RoomFacts:
    """``chat:{id}`` room facts, for the join policy."""
    room = await session.get(ChatRoomRow, room_id)
    return chat_facts(room, await _members(session, room_id) if room is not None else {})


async def _members(session: AsyncSession, room_id: str) -> Members:
    rows = await session.scalars(select(ChatMemberRow).where(ChatMemberRow.room_id == room_id))
    return {row.user_id: row for row in rows}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    # Integer arithmetic: a float timestamp can be a microsecond off, and the cursor must be exact.
    return (as_utc(moment) - _EPOCH) // _MICROSECOND


def _room_cursor(room: ChatRoomRow) -> str:
    return f"{_micros(room.activity_at)}.{room.id}"


def _parse_room_cursor(cursor: str) -> tuple[datetime, str]:
    micros, sep, room_id = cursor.partition(".")
    try:
        if sep and micros.isdigit() and room_id:
            return _EPOCH + int(micros) * _MICROSECOND, room_id
    except OverflowError:
        pass
    raise InvalidPayload("cursor is not a next_cursor this server gave")


_MAX_SEQ = 2**31 - 1  # the column is a 32-bit integer everywhere


def _parse_message_cursor(before: str) -> int:
    if not before.isdigit() or not 1 <= int(before) <= _MAX_SEQ:
        raise InvalidPayload("before is not a next_cursor this server gave")
    return int(before)


def _unread(room: ChatRoomRow, member: ChatMemberRow | None) -> int:
    return room.last_seq - (member.last_read_seq if member is not None else 0)


class ChatService:
    """Rooms, messages and read marks; each change publishes its events in its own transaction."""

    def __init__(self, db: Database, publisher: Publisher, services: Services) -> None:
        self._db = db
        self._publisher = publisher
        self._services = services

    @classmethod
    def build(cls, context: ModuleContext) -> ChatService:
        return cls(context.db, context.publisher, context.services)

    # -- rooms ---------------------------------------------------------------------------------------

    async def open(self, principal: Principal, new: NewChatRoom) -> tuple[ChatRoomOut, bool]:
        """A buyer opens a room with a seller, or gets its open one back. Returns (room, created)."""
        if principal.role is not Role.BUYER or principal.user_id is None:
            raise Forbidden("only buyers open chat rooms")
        try:
            return await self._open(principal, principal.user_id, new)
        except IntegrityError:
            # A concurrent POST for the same pair committed first (the open-pair index): answer with it.
            async with self._db.reading() as session:
                room = await _open_room(session, principal.user_id, new.seller_id)
                if room is None:
                    raise
                return (await self._summaries(session, principal, [room]))[0], False

    async def _open(self, principal: Principal, buyer_id: str, new: NewChatRoom) -> tuple[ChatRoomOut, bool]:
        async with self._db.transaction() as session:
            seller = await session.get(UserRow, new.seller_id)
            if seller is None or seller.role != Role.SELLER:
                raise InvalidPayload("seller_id must name a seller")
            existing = await _open_room(session, buyer_id, seller.id)
            if existing is not None:
                return (await self._summaries(session, principal, [existing]))[0], False
            now = utcnow()
            room = ChatRoomRow(
                id=new_id("chr"),
                buyer_id=buyer_id,
                seller_id=seller.id,
                subject=new.subject,
                status=OPEN,
                last_seq=0,
                created_at=now,
                activity_at=now,
            )
            session.add(room)
            await session.flush()  # the room before its members (their foreign key)
            for user_id in (buyer_id, seller.id):
                session.add(
                    ChatMemberRow(room_id=room.id, user_id=user_id, participant=True, last_read_seq=0)
                )
            await session.flush()
            # The seller's sidebar learns of the new room (and the buyer's other devices).
            for user_id in (buyer_id, seller.id):
                self._room_updated(session, room, user_id, 0)
            return (await self._summaries(session, principal, [room]))[0], True

    async def get_room(self, principal: Principal, room_id: str) -> ChatRoomOut:
        async with self._db.reading() as session:
            room, _ = await _visible(session, principal, room_id)
            return (await self._summaries(session, principal, [room]))[0]

    async def rooms(self, principal: Principal, limit: int, cursor: str | None) -> ChatRoomPage:
        """The caller's rooms by last activity, newest first: a buyer's own, a seller's (and its
        staff's) store's, every room for admins."""
        query = select(ChatRoomRow).order_by(ChatRoomRow.activity_at.desc(), ChatRoomRow.id.desc())
        query = parties_only(query, principal, ChatRoomRow.buyer_id, ChatRoomRow.seller_id)
        if cursor is not None:
            moment, room_id = _parse_room_cursor(cursor)
            query = query.where(
                or_(
                    ChatRoomRow.activity_at < moment,
                    and_(ChatRoomRow.activity_at == moment, ChatRoomRow.id < room_id),
                )
            )
        async with self._db.reading() as session:
            rooms = list((await session.scalars(query.limit(limit + 1))).all())
            more = len(rooms) > limit
            rooms = rooms[:limit]
            items = await self._summaries(session, principal, rooms)
        return ChatRoomPage(items=items, next_cursor=_room_cursor(rooms[-1]) if more else None)

    async def mark_read(self, principal: Principal, room_id: str) -> ChatRoomOut:
        """Everything in the room is read by the caller (``chat:room_updated`` to the caller only)."""
        user_id = _signed_in(principal)
        async with self._db.transaction() as session:
            room, members = await _visible(session, principal, room_id, lock=True)
            member = members.get(user_id)
            if member is None:  # staff or an admin reading: a read mark, not a participant
                member = ChatMemberRow(room_id=room.id, user_id=user_id, participant=False)
                session.add(member)
            member.last_read_seq = room.last_seq
            await session.flush()
            self._room_updated(session, room, user_id, 0)
            return (await self._summaries(session, principal, [room]))[0]

    # -- messages ------------------------------------------------------------------------------------

    async def post(self, principal: Principal, room_id: str, new: NewMessage) -> MessageOut:
        """Post a message: ``chat:message_created`` to the room, ``chat:room_updated`` to each
        participant (a staff member or admin posting becomes one)."""
        user_id = _signed_in(principal)
        async with self._db.transaction() as session:
            room, members = await _visible(session, principal, room_id, lock=True)
            room.last_seq += 1
            message = ChatMessageRow(
                id=new_id("msg"),
                room_id=room.id,
                seq=room.last_seq,
                sender_id=user_id,
                body=new.body,
                created_at=utcnow(),
            )
            session.add(message)
            room.last_message_id, room.activity_at = message.id, message.created_at
            sender = members.get(user_id)
            if sender is None:
                sender = members[user_id] = ChatMemberRow(room_id=room.id, user_id=user_id)
                session.add(sender)
            sender.participant = True
            sender.last_read_seq = room.last_seq
            await session.flush()
            body = new.body[:EVENT_BODY_LIMIT]
            created = MessageCreated(
                room_id=room.id,
                message_id=message.id,
                sender_id=user_id,
                sender_name=principal.name,
                body=body,
                truncated=len(body) < len(new.body),
                created_at=as_utc(message.created_at),
            )
            self._publisher.publish(session, "chat:message_created", created)
            for member in sorted(members.values(), key=lambda m: m.user_id):
                if member.participant:
                    self._room_updated(session, room, member.user_id, _unread(room, member))
            self._notify_absent(session, members.values(), created, principal.name)
            return _message_out(message, principal.name)

    def _notify_absent(
        self, session: AsyncSession, members: Iterable[ChatMemberRow], created: MessageCreated, sender: str
    ) -> None:
        """A participant with no socket connected finds the message in its notification inbox."""
        online = self._services.get(Online)
        inbox = self._services.get(NotificationService)
        summary = f"{sender}: {created.body[:200]}"
        for member in members:
            if (
                member.participant
                and member.user_id != created.sender_id
                and not online.is_connected(member.user_id)
            ):
                data = created.model_dump(mode="json")
                inbox.record(session, member.user_id, "chat:message_created", data, "New message", summary)

    async def messages(
        self, principal: Principal, room_id: str, before: str | None, limit: int
    ) -> MessagePage:
        """The room's messages newest first, ``limit`` at a time, older than the ``before`` cursor."""
        query = (
            select(ChatMessageRow, UserRow.name)
            .join(UserRow, UserRow.id == ChatMessageRow.sender_id)
            .where(ChatMessageRow.room_id == room_id)
            .order_by(ChatMessageRow.seq.desc())
            .limit(limit + 1)
        )
        if before is not None:
            query = query.where(ChatMessageRow.seq < _parse_message_cursor(before))
        async with self._db.reading() as session:
            await _visible(session, principal, room_id)
            rows = (await session.execute(query)).all()
        more = len(rows) > limit
        page = rows[:limit]
        return MessagePage(
            items=[_message_out(message, name) for message, name in page],
            next_cursor=str(page[-1][0].seq) if more else None,
        )

    # -- helpers -------------------------------------------------------------------------------------

    def _room_updated(self, session: AsyncSession, room: ChatRoomRow, user_id: str, unread: int) -> None:
        update = RoomUpdated(
            room_id=room.id, user_id=user_id, last_message_id=room.last_message_id, unread_count=unread
        )
        self._publisher.publish(session, "chat:room_updated", update)

    async def _summaries(
        self, session: AsyncSession, principal: Principal, rooms: Sequence[ChatRoomRow]
    ) -> list[ChatRoomOut]:
        """The rooms as the caller sees them: participants, last message, the caller's unread count."""
        if not rooms:
            return []
        ids = [room.id for room in rooms]
        members: dict[str, Members] = {room_id: {} for room_id in ids}
        for member in await session.scalars(select(ChatMemberRow).where(ChatMemberRow.room_id.in_(ids))):
            members[member.room_id][member.user_id] = member
        last_ids = [room.last_message_id for room in rooms if room.last_message_id is not None]
        last: dict[str, LastMessage] = {}
        if last_ids:
            found = await session.execute(
                select(ChatMessageRow, UserRow.name)
                .join(UserRow, UserRow.id == ChatMessageRow.sender_id)
                .where(ChatMessageRow.id.in_(last_ids))
            )
            for message, name in found.all():
                last[message.room_id] = LastMessage(
                    id=message.id,
                    excerpt=message.body[:EXCERPT_LENGTH],
                    sender_id=message.sender_id,
                    sender_name=name,
                    created_at=as_utc(message.created_at),
                )
        people = {room.buyer_id for room in rooms} | {room.seller_id for room in rooms}
        names = dict(
            (await session.execute(select(UserRow.id, UserRow.name).where(UserRow.id.in_(people)))).all()
        )
        return [
            ChatRoomOut(
                id=room.id,
                buyer_id=room.buyer_id,
                buyer_name=names.get(room.buyer_id, ""),
                seller_id=room.seller_id,
                seller_name=names.get(room.seller_id, ""),
                subject=room.subject,
                status=room.status,
                participant_ids=sorted(u for u, m in members[room.id].items() if m.participant),
                last_message=last.get(room.id),
                unread_count=_unread(room, members[room.id].get(principal.user_id or "")),
                created_at=as_utc(room.created_at),
                activity_at=as_utc(room.activity_at),
            )
            for room in rooms
        ]


def _signed_in(principal: Principal) -> str:
    if principal.user_id is None:
        raise Forbidden("sign in to chat")
    return principal.user_id


async def _open_room(session: AsyncSession, buyer_id: str, seller_id: str) -> ChatRoomRow | None:
    query = select(ChatRoomRow).where(
        ChatRoomRow.buyer_id == buyer_id, ChatRoomRow.seller_id == seller_id, ChatRoomRow.status == OPEN
    )
    room: ChatRoomRow | None = await session.scalar(query)
    return room


async def _visible(
    session: AsyncSession, principal: Principal, room_id: str, *, lock: bool = False
) -> tuple[ChatRoomRow, Members]:
    """The room and its members, or 404 for anyone the visibility rule does not let see it."""
    # The row lock (PostgreSQL) serialises posts to one room, so message numbers are gap-free.
    room = await session.get(ChatRoomRow, room_id, with_for_update=lock, populate_existing=lock)
    members = await _members(session, room_id) if room is not None else {}
    if room is None or not can_see(principal, chat_facts(room, members)):
        raise NotFound(f"chat room {room_id} not found")
    return room, members


def _message_out(message: ChatMessageRow, sender_name: str) -> MessageOut:
    return MessageOut(
        id=message.id,
        room_id=message.room_id,
        sender_id=message.sender_id,
        sender_name=sender_name,
        body=message.body,
        created_at=as_utc(message.created_at),
    )
