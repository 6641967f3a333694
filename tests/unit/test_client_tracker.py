"""The client helper's resume state (storewire.client.tracker): position, dedupe, pending joins."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storewire.client.tracker import Position, Sync, Tracker, Verdict

E1, E2 = "e1e1e1e1e1e1e1e1", "e2e2e2e2e2e2e2e2"


def test_a_new_client_resumes_with_no_position_and_takes_the_servers() -> None:
    tracker = Tracker()
    assert tracker.position is None and tracker.resume() == {}
    assert tracker.sync(Sync(False, E1, 40, reason="no_position")) is True  # the app loads its data
    assert tracker.position == Position(E1, 40)
    assert tracker.resume() == {"epoch": E1, "seq": 40}
    assert tracker.synced


def test_a_repeat_is_dropped_and_the_position_is_the_largest_seq() -> None:
    tracker = Tracker(Position(E1, 10))
    assert [tracker.accept(E1, seq) for seq in (11, 14, 11, 14)] == [
        Verdict.NEW,
        Verdict.NEW,
        Verdict.DUPLICATE,
        Verdict.DUPLICATE,
    ]
    assert tracker.position == Position(E1, 14)


def test_an_older_seq_never_seen_is_new_a_join_replay_sends_those() -> None:
    tracker = Tracker(Position(E1, 10))
    tracker.accept(E1, 20)
    assert tracker.accept(E1, 15) is Verdict.NEW  # not "<= largest, so a repeat"
    assert tracker.accept(E1, 15) is Verdict.DUPLICATE
    assert tracker.position == Position(E1, 20)


def test_the_window_is_bounded_and_a_seq_older_than_it_goes_through() -> None:
    tracker = Tracker(window=3)
    for seq in (1, 2, 3, 4):
        tracker.accept(E1, seq)
    assert tracker.accept(E1, 4) is Verdict.DUPLICATE
    assert tracker.accept(E1, 2) is Verdict.DUPLICATE
    assert tracker.accept(E1, 1) is Verdict.NEW  # evicted: at least once wins over exactly once
    with pytest.raises(ValueError):
        Tracker(window=0)


@given(st.lists(st.integers(min_value=1, max_value=60), max_size=120))
def test_within_the_window_each_seq_is_accepted_exactly_once_in_arrival_order(seqs: list[int]) -> None:
    tracker = Tracker(window=100)
    accepted = [seq for seq in seqs if tracker.accept(E1, seq) is Verdict.NEW]
    assert accepted == list(dict.fromkeys(seqs))
    assert tracker.position == (Position(E1, max(seqs)) if seqs else None)


def test_an_envelope_of_a_new_epoch_resets_and_says_so_once() -> None:
    tracker = Tracker(Position(E1, 500))
    tracker.accept(E1, 501)
    assert tracker.accept(E2, 3) is Verdict.NEW_EPOCH
    assert tracker.position == Position(E2, 3)
    assert tracker.accept(E2, 501) is Verdict.NEW  # the old epoch's seqs mean nothing now
    assert tracker.accept(E2, 3) is Verdict.DUPLICATE
    # The server's epoch_changed sync that follows does not ask for a second refetch...
    assert tracker.sync(Sync(False, E2, 501, reason="epoch_changed")) is False
    # ...but a later one does.
    tracker.lost()
    assert tracker.sync(Sync(False, E2, 501, reason="epoch_changed")) is True


def test_the_first_epoch_seen_is_not_a_change() -> None:
    tracker = Tracker()
    assert tracker.accept(E1, 7) is Verdict.NEW
    assert tracker.sync(Sync(False, E1, 7, reason="no_position")) is True


def test_a_sync_of_a_foreign_epoch_resets_and_asks_for_a_refetch() -> None:
    tracker = Tracker(Position(E1, 90))
    tracker.accept(E1, 91)
    assert tracker.sync(Sync(False, E2, 12, reason="epoch_changed")) is True
    assert tracker.position == Position(E2, 12)
    assert tracker.accept(E2, 91) is Verdict.NEW  # seen set cleared with the epoch


def test_a_recovered_sync_moves_the_position_forward_only() -> None:
    tracker = Tracker(Position(E1, 10))
    tracker.accept(E1, 30)
    assert tracker.sync(Sync(True, E1, 25)) is False
    assert tracker.position == Position(E1, 30)
    assert tracker.sync(Sync(True, E1, 80)) is False
    assert tracker.position == Position(E1, 80)


@pytest.mark.parametrize("reason", ["expired", "too_many", "overflow"])
def test_an_unrecovered_sync_asks_for_a_refetch_and_moves_on(reason: str) -> None:
    tracker = Tracker(Position(E1, 10))
    assert tracker.sync(Sync(False, E1, 5000, reason=reason)) is True
    assert tracker.position == Position(E1, 5000)


def test_an_invalid_position_is_replaced_by_the_servers_even_if_lower() -> None:
    tracker = Tracker(Position(E1, 900))
    assert tracker.sync(Sync(False, E1, 40, reason="invalid")) is True
    assert tracker.position == Position(E1, 40)


def test_a_join_is_pending_from_its_since_until_its_own_sync() -> None:
    tracker = Tracker(Position(E1, 10))
    tracker.sync(Sync(True, E1, 10))
    assert tracker.joining("order:o1") == {"epoch": E1, "seq": 10}
    assert tracker.rooms == ("order:o1",)
    assert tracker.pending == {"order:o1": Position(E1, 10)}
    assert not tracker.synced
    tracker.accept(E1, 12)
    assert tracker.sync(Sync(True, E1, 12)) is False  # the connection's sync does not finish the join
    assert not tracker.synced
    assert tracker.sync(Sync(True, E1, 14, room="order:o1")) is False
    assert tracker.pending == {} and tracker.synced
    assert tracker.position == Position(E1, 14)


def test_a_join_without_a_position_asks_with_an_empty_since() -> None:
    tracker = Tracker()
    assert tracker.joining("product:p1") == {}
    assert tracker.pending == {"product:p1": None}
    assert tracker.sync(Sync(False, E1, 3, room="product:p1", reason="no_position")) is True
    assert tracker.position == Position(E1, 3) and tracker.pending == {}


def test_a_drop_mid_replay_rejoins_the_room_from_where_its_replay_started() -> None:
    tracker = Tracker(Position(E1, 100))
    tracker.sync(Sync(True, E1, 100))
    tracker.joining("storefront:s1")
    tracker.sync(Sync(True, E1, 120, room="storefront:s1"))  # live from here
    assert tracker.joining("order:o1") == {"epoch": E1, "seq": 120}
    # The replay of order:o1 runs (older seqs); newer events of other rooms came before it.
    for seq in (130, 121, 125):
        assert tracker.accept(E1, seq) is Verdict.NEW
    assert tracker.position == Position(E1, 130)
    tracker.lost()  # before order:o1's sync
    assert not tracker.synced
    assert tracker.resume() == {"epoch": E1, "seq": 130}
    assert tracker.connected() == [
        ("storefront:s1", {"epoch": E1, "seq": 130}),
        ("order:o1", {"epoch": E1, "seq": 120}),  # not 130: its events in (125, 130] may be missing
    ]
    # The replays repeat what already arrived: dropped; what was missing comes through.
    assert [tracker.accept(E1, seq) for seq in (121, 125, 128)] == [
        Verdict.DUPLICATE,
        Verdict.DUPLICATE,
        Verdict.NEW,
    ]
    tracker.sync(Sync(True, E1, 140))
    tracker.sync(Sync(True, E1, 140, room="storefront:s1"))
    assert not tracker.synced
    tracker.sync(Sync(True, E1, 140, room="order:o1"))
    assert tracker.synced and tracker.pending == {}


def test_joining_a_room_whose_replay_is_unfinished_keeps_the_older_since() -> None:
    tracker = Tracker(Position(E1, 5))
    tracker.joining("chat:c1")
    tracker.accept(E1, 9)
    assert tracker.joining("chat:c1") == {"epoch": E1, "seq": 5}
    assert tracker.rooms == ("chat:c1",)


def test_a_reconnect_rejoins_every_room_from_the_position_at_the_drop() -> None:
    tracker = Tracker(Position(E1, 1))
    tracker.sync(Sync(True, E1, 1))
    for room in ("order:o1", "chat:c1"):
        tracker.joining(room)
        tracker.sync(Sync(True, E1, 1, room=room))
    tracker.accept(E1, 50)
    tracker.lost()
    tracker.accept(E1, 50)  # a late packet of the old connection changes nothing
    assert tracker.connected() == [
        ("order:o1", {"epoch": E1, "seq": 50}),
        ("chat:c1", {"epoch": E1, "seq": 50}),
    ]
    assert tracker.connected() == tracker.connected()  # asked again (a second reconnect): the same


def test_forget_drops_the_room_and_its_pending_replay() -> None:
    tracker = Tracker(Position(E1, 1))
    tracker.sync(Sync(True, E1, 1))
    tracker.joining("order:o1")
    tracker.forget("order:o1")
    assert tracker.rooms == () and tracker.pending == {} and tracker.synced
    tracker.lost()
    assert tracker.connected() == []
    tracker.sync(Sync(True, E1, 1, room="order:o1"))  # a late sync of a forgotten room is harmless
    assert tracker.rooms == ()
