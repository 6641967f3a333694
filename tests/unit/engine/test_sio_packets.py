"""Socket.IO v5 packet encoding: round-trips and every malformed-input branch of the Decoder."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storewire.engine.errors import ProtocolError
from storewire.engine.sio_packets import (
    RESERVED_EVENTS,
    Decoder,
    SioPacket,
    SioType,
    encode,
    encode_event,
    encode_event_bytes,
)

MAX_SAFE = 2**53 - 1

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE, MAX_SAFE)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
# A dict holding "_placeholder" is a placeholder on the wire: the reference parser has the same
# ambiguity, so application data never uses that key.
json_keys = st.text().filter(lambda k: k != "_placeholder")


def values(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_keys, inner, max_size=4),
        max_leaves=12,
    )


json_values = values(json_scalars)
with_binary = values(json_scalars | st.binary(max_size=64))
event_names = st.text().filter(lambda s: s not in RESERVED_EVENTS) | st.integers(-MAX_SAFE, MAX_SAFE)
namespaces = st.just("/") | st.text(min_size=1).filter(lambda s: "," not in s).map(lambda s: "/" + s)
ack_ids = st.none() | st.integers(0, MAX_SAFE)


def decode_all(parts: list[str | bytes], decoder: Decoder | None = None) -> SioPacket:
    decoder = decoder or Decoder(max_attachments=1000)
    *head, last = parts
    for part in head:
        assert decoder.feed(part) is None
    packet = decoder.feed(last)
    assert packet is not None
    assert not decoder.waiting_for_attachments
    return packet


@given(
    event_names,
    st.lists(with_binary, max_size=4),
    namespaces,
    ack_ids,
)
def test_event_round_trip(name: Any, args: list[Any], nsp: str, ack_id: int | None) -> None:
    p = SioPacket(SioType.EVENT, nsp, [name, *args], ack_id)
    assert decode_all(encode(p)) == p


@given(st.lists(with_binary, max_size=4), namespaces, st.integers(0, MAX_SAFE))
def test_ack_round_trip(args: list[Any], nsp: str, ack_id: int) -> None:
    p = SioPacket(SioType.ACK, nsp, args, ack_id)
    assert decode_all(encode(p)) == p


@given(st.none() | st.dictionaries(json_keys, json_values, max_size=4), namespaces)
def test_connect_round_trip(auth: dict[str, Any] | None, nsp: str) -> None:
    p = SioPacket(SioType.CONNECT, nsp, auth)
    assert decode_all(encode(p)) == p


@given(st.text() | st.dictionaries(json_keys, json_values, max_size=4), namespaces)
def test_connect_error_round_trip(data: Any, nsp: str) -> None:
    p = SioPacket(SioType.CONNECT_ERROR, nsp, data)
    assert decode_all(encode(p)) == p


@given(namespaces)
def test_disconnect_round_trip(nsp: str) -> None:
    p = SioPacket(SioType.DISCONNECT, nsp)
    assert decode_all(encode(p)) == p


@given(
    event_names.filter(lambda n: isinstance(n, str)), st.lists(json_values, max_size=4), namespaces, ack_ids
)
def test_encode_event_matches_encode(name: str, args: list[Any], nsp: str, ack_id: int | None) -> None:
    text = encode_event(name, args, nsp, ack_id)
    assert [text] == encode(SioPacket(SioType.EVENT, nsp, [name, *args], ack_id))
    assert encode_event_bytes(name, args, nsp, ack_id) == text.encode()


@given(st.lists(st.binary(max_size=16), min_size=1, max_size=10))
def test_attachments_are_numbered_in_order(blobs: list[bytes]) -> None:
    parts = encode(SioPacket(SioType.EVENT, "/", ["ev", {"blobs": blobs}]))
    assert parts[0] == (
        f"5{len(blobs)}-"
        + '["ev",{"blobs":['
        + ",".join(f'{{"_placeholder":true,"num":{i}}}' for i in range(len(blobs)))
        + "]}]"
    )
    assert parts[1:] == blobs


def test_known_encodings() -> None:
    # the packets the official test suite expects from the reference server
    assert encode_event("auth", [{}]) == '2["auth",{}]'
    assert encode_event("auth", [{"token": "abc"}], "/custom") == '2/custom,["auth",{"token":"abc"}]'
    assert encode(SioPacket(SioType.ACK, "/", [1, "2", {"3": [False]}], 456)) == ['3456[1,"2",{"3":[false]}]']
    assert encode(SioPacket(SioType.EVENT, "/", ["message-back", b"\x01\x02\x03", b"\x04\x05\x06"])) == [
        '52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
        b"\x01\x02\x03",
        b"\x04\x05\x06",
    ]
    assert encode(SioPacket(SioType.ACK, "/", [bytearray(b"\x01"), memoryview(b"\x02")], 789)) == [
        '62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
        b"\x01",
        b"\x02",
    ]
    assert encode(SioPacket(SioType.CONNECT_ERROR, "/random", {"message": "Invalid namespace"})) == [
        '4/random,{"message":"Invalid namespace"}'
    ]
    assert encode(SioPacket(SioType.CONNECT, "/", {"sid": "x"})) == ['0{"sid":"x"}']
    assert encode(SioPacket(SioType.DISCONNECT, "/admin")) == ["1/admin,"]


def test_known_decodings() -> None:
    d = Decoder()
    assert d.feed("0") == SioPacket(SioType.CONNECT)
    assert d.feed('0{"token":"123"}') == SioPacket(SioType.CONNECT, "/", {"token": "123"})
    assert d.feed("0/custom,") == SioPacket(SioType.CONNECT, "/custom")
    assert d.feed("0/custom") == SioPacket(SioType.CONNECT, "/custom")  # the comma is optional at the end
    assert d.feed("1/custom") == SioPacket(SioType.DISCONNECT, "/custom")
    assert d.feed('2456["message-with-ack",1,"2",{"3":[false]}]') == SioPacket(
        SioType.EVENT, "/", ["message-with-ack", 1, "2", {"3": [False]}], 456
    )
    assert d.feed('2/admin,0["ev"]') == SioPacket(SioType.EVENT, "/admin", ["ev"], 0)
    assert d.feed("3/admin,7[]") == SioPacket(SioType.ACK, "/admin", [], 7)
    assert d.feed("37") == SioPacket(SioType.ACK, "/", None, 7)
    assert d.feed("2[1.5]") == SioPacket(SioType.EVENT, "/", [1.5])  # numeric event names are allowed
    assert d.feed('4"nope"') == SioPacket(SioType.CONNECT_ERROR, "/", "nope")
    assert d.feed('2[" connect"]') == SioPacket(SioType.EVENT, "/", [" connect"])


def test_binary_packet_waits_for_its_attachments() -> None:
    d = Decoder()
    assert (
        d.feed('52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
        is None
    )
    assert d.waiting_for_attachments
    assert d.feed(b"\x01\x02\x03") is None
    assert d.feed(bytearray(b"\x04\x05\x06")) == SioPacket(  # type: ignore[arg-type]
        SioType.EVENT, "/", ["message-with-ack", b"\x01\x02\x03", b"\x04\x05\x06"], 789
    )
    assert not d.waiting_for_attachments
    # a zero-attachment binary packet is complete at once, and the decoder is reusable
    assert d.feed('50-["ev",{"a":1}]') == SioPacket(SioType.EVENT, "/", ["ev", {"a": 1}])
    assert d.feed('61-/x,3[{"_placeholder":true,"num":0}]') is None
    assert d.feed(b"") == SioPacket(SioType.ACK, "/x", [b""], 3)


def test_placeholders_may_repeat_and_appear_anywhere() -> None:
    d = Decoder()
    d.feed('51-["ev",{"a":[{"_placeholder":true,"num":0}]},{"_placeholder":true,"num":0}]')
    assert d.feed(b"z") == SioPacket(SioType.EVENT, "/", ["ev", {"a": [b"z"]}, b"z"])


def test_reset_drops_a_partial_packet() -> None:
    d = Decoder()
    d.feed('51-["ev",{"_placeholder":true,"num":0}]')
    d.reset()
    assert not d.waiting_for_attachments
    assert d.feed('2["ev"]') == SioPacket(SioType.EVENT, "/", ["ev"])


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        ("", "empty packet"),
        ("abc", "unknown packet type"),
        ("7", "unknown packet type"),
        ("-1", "unknown packet type"),
        ("5", "illegal attachments"),
        ('5["ev"]', "illegal attachments"),
        ('5-["ev"]', "illegal attachments"),
        ('5x-["ev"]', "illegal attachments"),
        ('5 1-["ev"]', "illegal attachments"),
        ("6\u0661-[]", "illegal attachments"),  # a non-ASCII digit
        ('511-["ev"]', "too many attachments"),
        ('29007199254740992["ev"]', "invalid ack id"),
        ('200000000000000000001["ev"]', "invalid ack id"),
        ("2{}", "invalid payload"),
        ('2abc["message-with-ack",1]', "invalid payload"),
        ("2[", "invalid payload"),
        ('2["ev","\\ud800"]', "invalid payload"),  # a lone surrogate: no encoder could send it back
        ('2["ev",1e999]', "invalid payload"),
        ('2"ev"', "invalid payload"),
        ("2[]", "invalid payload"),
        ("2[null]", "invalid payload"),
        ("2[true]", "invalid payload"),
        ("2[{}]", "invalid payload"),
        ("2[[]]", "invalid payload"),
        ('50-{"a":1}', "invalid payload"),
        ("2", "event without payload"),
        ("2/admin,", "event without payload"),
        ("51-", "event without payload"),
        ('3{"a":1}', "invalid payload"),
        ('3"x"', "invalid payload"),
        ("60-{}", "invalid payload"),
        ("0[]", "invalid payload"),
        ('0"token"', "invalid payload"),
        ("0null", "invalid payload"),
        ("1{}", "invalid payload"),
        ("1null", "invalid payload"),
        ("4true", "invalid payload"),
        ("4[]", "invalid payload"),
    ],
)
def test_decoder_rejects(msg: str, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        Decoder().feed(msg)


@pytest.mark.parametrize("name", sorted(RESERVED_EVENTS))
def test_reserved_event_names_are_rejected(name: str) -> None:
    with pytest.raises(ProtocolError, match="invalid payload"):
        Decoder().feed(f'2["{name}",1]')
    with pytest.raises(ProtocolError, match="invalid payload"):
        Decoder().feed(f'50-["{name}"]')


def test_text_while_waiting_for_attachments() -> None:
    d = Decoder()
    d.feed('51-["ev",{"_placeholder":true,"num":0}]')
    with pytest.raises(ProtocolError, match="plaintext data when reconstructing"):
        d.feed('2["ev"]')


def test_binary_when_no_packet_waits() -> None:
    with pytest.raises(ProtocolError, match="binary data when not reconstructing"):
        Decoder().feed(b"\x01")


def test_unknown_message_type() -> None:
    with pytest.raises(ProtocolError, match="unknown message type"):
        Decoder().feed(12)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "placeholder",
    [
        '{"_placeholder":true,"num":1}',
        '{"_placeholder":true,"num":-1}',
        '{"_placeholder":true,"num":"0"}',
        '{"_placeholder":true,"num":0.5}',
        '{"_placeholder":true,"num":true}',
        '{"_placeholder":true}',
    ],
)
def test_placeholder_out_of_range(placeholder: str) -> None:
    d = Decoder()
    assert d.feed(f'51-["ev",{placeholder}]') is None
    with pytest.raises(ProtocolError, match="illegal attachments"):
        d.feed(b"x")


def test_placeholder_in_a_zero_attachment_packet() -> None:
    with pytest.raises(ProtocolError, match="illegal attachments"):
        Decoder().feed('50-["ev",{"_placeholder":true,"num":0}]')


def test_max_attachments_is_configurable() -> None:
    d = Decoder(max_attachments=2)
    assert d.feed('52-["ev"]') is None
    with pytest.raises(ProtocolError, match="too many attachments"):
        Decoder(max_attachments=2).feed('53-["ev"]')


def test_encode_event_rejects_binary() -> None:
    with pytest.raises(TypeError):
        encode_event("ev", [b"x"])


def test_explicit_binary_type_without_binary_data() -> None:
    # BINARY_* asked for explicitly is kept, with zero attachments, and decodes to EVENT / ACK
    parts = encode(SioPacket(SioType.BINARY_EVENT, "/", ["ev", 1]))
    assert parts == ['50-["ev",1]']
    assert Decoder().feed(parts[0]) == SioPacket(SioType.EVENT, "/", ["ev", 1])
    assert encode(SioPacket(SioType.BINARY_ACK, "/x", [], 4)) == ["60-/x,4[]"]
