"""Engine.IO v4 packet encoding: round-trips and every malformed-input branch."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storewire.engine.eio_packets import (
    SEPARATOR,
    EioPacket,
    EioType,
    decode_payload,
    decode_ws,
    encode_payload,
    encode_ws,
)
from storewire.engine.errors import ProtocolError

text_packets = st.builds(EioPacket, st.sampled_from(EioType), st.text())
binary_packets = st.builds(EioPacket, st.just(EioType.MESSAGE), st.binary())
packets = text_packets | binary_packets
# Inside a polling payload the record separator frames packets, so text data cannot contain it.
payload_packets = (
    st.builds(EioPacket, st.sampled_from(EioType), st.text().filter(lambda s: SEPARATOR not in s))
    | binary_packets
)


@given(packets)
def test_ws_round_trip(p: EioPacket) -> None:
    assert decode_ws(encode_ws(p)) == p


@given(st.lists(payload_packets, min_size=1, max_size=8))
def test_payload_round_trip(ps: list[EioPacket]) -> None:
    assert decode_payload(encode_payload(ps)) == ps


@given(st.binary())
def test_binary_frame_is_a_message_with_no_prefix(data: bytes) -> None:
    assert encode_ws(EioPacket(EioType.MESSAGE, data)) == data
    assert decode_ws(data) == EioPacket(EioType.MESSAGE, data)
    assert decode_ws(bytearray(data)) == EioPacket(EioType.MESSAGE, data)  # type: ignore[arg-type]


def test_known_encodings() -> None:
    # the examples of the protocol README and of the official test suite
    assert encode_ws(EioPacket(EioType.MESSAGE, "hello")) == "4hello"
    assert encode_ws(EioPacket(EioType.PING, "probe")) == "2probe"
    assert encode_ws(EioPacket(EioType.NOOP)) == "6"
    assert decode_ws("3probe") == EioPacket(EioType.PONG, "probe")
    assert decode_ws("5") == EioPacket(EioType.UPGRADE)
    body = "4hello\x1ebAQIDBA=="
    assert decode_payload(body) == [
        EioPacket(EioType.MESSAGE, "hello"),
        EioPacket(EioType.MESSAGE, b"\x01\x02\x03\x04"),
    ]
    assert encode_payload(decode_payload(body)) == body
    assert decode_payload("4test1\x1e4test2\x1e4test3") == [
        EioPacket(EioType.MESSAGE, f"test{i}") for i in (1, 2, 3)
    ]
    assert decode_payload("1") == [EioPacket(EioType.CLOSE)]


def test_base64_text_in_a_websocket_frame_is_binary() -> None:
    # engine.io-parser decodes a "b"-prefixed string the same way whatever the transport
    assert decode_ws("bAQID") == EioPacket(EioType.MESSAGE, b"\x01\x02\x03")


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        ("", "empty packet"),
        ("abc", "unknown packet type"),
        ("7", "unknown packet type"),
        ("x4hello", "unknown packet type"),
        ("b!!!!", "invalid base64"),
        ("bAQIDBA", "invalid base64"),  # missing padding
        ("bé", "invalid base64"),
    ],
)
def test_decode_ws_rejects(msg: str, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        decode_ws(msg)


def test_decode_ws_rejects_a_non_frame_value() -> None:
    with pytest.raises(ProtocolError, match="unsupported frame content"):
        decode_ws(12)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body",
    ["", "abc", "4hello\x1e", "\x1e4hello", "4a\x1e\x1e4b", "4hello\x1eb!", "4hello\x1e9"],
)
def test_decode_payload_rejects_any_bad_packet(body: str) -> None:
    with pytest.raises(ProtocolError):
        decode_payload(body)


def test_binary_data_only_on_messages() -> None:
    with pytest.raises(ValueError, match="only a MESSAGE"):
        encode_ws(EioPacket(EioType.PING, b"x"))
    with pytest.raises(ValueError, match="only a MESSAGE"):
        encode_payload([EioPacket(EioType.CLOSE, b"x")])


def test_packet_data_must_be_str_or_bytes() -> None:
    with pytest.raises(TypeError, match="str or bytes"):
        encode_ws(EioPacket(EioType.MESSAGE, 12))  # type: ignore[arg-type]
