"""RFC 6455 framing: frame building, parsing at every split point, every protocol-error branch."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storewire.engine.ws_frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    FrameParser,
    WsClose,
    WsMessage,
    WsPing,
    WsPong,
    WsProtocolError,
    accept_key,
    binary_frame,
    close_frame,
    frame,
    ping_frame,
    pong_frame,
    text_frame,
)

MASK = b"\x37\xfa\x21\x3d"
Event = WsMessage | WsPing | WsPong | WsClose


def client_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    mask: bytes | None = MASK,
    rsv: int = 0,
    length_bytes: int | None = None,
) -> bytes:
    """A frame as a client sends it. ``length_bytes`` forces the 7/16/64-bit length form."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | rsv << 4 | opcode
    masked = 0x80 if mask is not None else 0
    form = length_bytes if length_bytes is not None else (0 if n < 126 else 2 if n < 65536 else 8)
    if form == 0:
        head = bytes((b0, masked | n))
    elif form == 2:
        head = bytes((b0, masked | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((b0, masked | 127)) + n.to_bytes(8, "big")
    if mask is None:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def server_frame_decode(data: bytes) -> tuple[int, bytes]:
    """Decode one unmasked server frame (the test's independent reading of our output)."""
    assert data[0] & 0x80, "FIN must be set"
    assert not data[1] & 0x80, "server frames are never masked"
    n, pos = data[1] & 0x7F, 2
    if n == 126:
        n, pos = int.from_bytes(data[2:4], "big"), 4
    elif n == 127:
        n, pos = int.from_bytes(data[2:10], "big"), 10
    assert len(data) == pos + n
    return data[0] & 0x0F, data[pos:]


def parse_in_chunks(stream: bytes, cuts: list[int], max_size: int = 1 << 20) -> list[Event]:
    parser = FrameParser(max_size)
    events: list[Event] = []
    prev = 0
    for cut in [*cuts, len(stream)]:
        events += parser.feed(stream[prev:cut])
        prev = cut
    return events


# -- messages as the client might send them, with fragmentation and interleaved pings ----------

messages = st.one_of(
    st.text(max_size=40).map(WsMessage),
    st.binary(max_size=40).map(WsMessage),
)


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[Event]]:
    out = b""
    expected: list[Event] = []
    for msg in draw(st.lists(messages, min_size=1, max_size=4)):
        raw = msg.data.encode() if isinstance(msg.data, str) else msg.data
        op = OP_TEXT if isinstance(msg.data, str) else OP_BINARY
        # cut anywhere, even inside a UTF-8 sequence: only the whole message must be valid
        cuts = sorted(draw(st.sets(st.integers(0, len(raw)), max_size=3)))
        pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
        for i, piece in enumerate(pieces):
            mask = draw(st.binary(min_size=4, max_size=4))
            last = i == len(pieces) - 1
            out += client_frame(op if i == 0 else OP_CONT, piece, fin=last, mask=mask)
            if last:
                expected.append(msg)
            if draw(st.booleans()):
                ping = draw(st.binary(max_size=8))
                out += client_frame(OP_PING, ping, mask=mask)
                expected.append(WsPing(ping))
    return out, expected


@given(streams())
def test_parses_identically_whatever_the_split(case: tuple[bytes, list[Event]]) -> None:
    stream, expected = case
    assert parse_in_chunks(stream, []) == expected
    for cut in range(1, len(stream)):
        assert parse_in_chunks(stream, [cut]) == expected
    assert parse_in_chunks(stream, list(range(1, len(stream)))) == expected  # byte by byte


@given(st.binary(max_size=300), st.binary(min_size=4, max_size=4))
def test_unmasks_any_payload(payload: bytes, mask: bytes) -> None:
    assert FrameParser(1000).feed(client_frame(OP_BINARY, payload, mask=mask)) == [WsMessage(payload)]


@pytest.mark.parametrize(("n", "form"), [(0, 0), (125, 0), (126, 2), (65535, 2), (65536, 8), (70000, 8)])
def test_every_length_form(n: int, form: int) -> None:
    payload = bytes(range(256)) * (n // 256) + bytes(range(n % 256))
    stream = client_frame(OP_BINARY, payload, length_bytes=form)
    assert parse_in_chunks(stream, [1, 3, 9, 14, 1000]) == [WsMessage(payload)]


def test_non_minimal_length_form_is_accepted() -> None:
    # RFC 6455 asks for the minimal form; like Node's ws, the parser does not insist
    assert FrameParser(100).feed(client_frame(OP_TEXT, b"hi", length_bytes=8)) == [WsMessage("hi")]


def test_control_frames() -> None:
    stream = (
        client_frame(OP_PING, b"p")
        + client_frame(OP_PONG, b"")
        + client_frame(OP_CLOSE, (1000).to_bytes(2, "big") + "bye ✓".encode())
    )
    assert parse_in_chunks(stream, []) == [WsPing(b"p"), WsPong(b""), WsClose(1000, "bye ✓")]


def test_close_without_status_code() -> None:
    assert FrameParser(10).feed(client_frame(OP_CLOSE, b"")) == [WsClose(1005, "")]


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999])
def test_valid_close_codes(code: int) -> None:
    assert FrameParser(10).feed(client_frame(OP_CLOSE, code.to_bytes(2, "big"))) == [WsClose(code, "")]


def test_data_after_close_is_ignored() -> None:
    parser = FrameParser(100)
    stream = client_frame(OP_CLOSE, (1000).to_bytes(2, "big")) + client_frame(OP_TEXT, b"late")
    assert parser.feed(stream) == [WsClose(1000, "")]
    assert parser.feed(client_frame(OP_TEXT, b"later")) == []


def test_message_of_exactly_max_size() -> None:
    assert FrameParser(5).feed(client_frame(OP_TEXT, b"12345")) == [WsMessage("12345")]
    fragmented = client_frame(OP_TEXT, b"12", fin=False) + client_frame(OP_CONT, b"345")
    assert FrameParser(5).feed(fragmented) == [WsMessage("12345")]


# -- protocol errors -----------------------------------------------------------------------------


def assert_close_code(code: int, stream: bytes, max_size: int = 1000) -> None:
    parser = FrameParser(max_size)
    with pytest.raises(WsProtocolError) as info:
        parser.feed(stream)
    assert info.value.close_code == code
    with pytest.raises(WsProtocolError):  # a failed parser stays failed
        parser.feed(client_frame(OP_TEXT, b"x"))


def test_unmasked_frame() -> None:
    assert_close_code(1002, client_frame(OP_TEXT, b"hi", mask=None))


@pytest.mark.parametrize("rsv", [1, 2, 4, 7])
def test_reserved_bits(rsv: int) -> None:
    assert_close_code(1002, client_frame(OP_TEXT, b"hi", rsv=rsv))


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_reserved_opcodes(opcode: int) -> None:
    assert_close_code(1002, client_frame(opcode, b""))


@pytest.mark.parametrize("opcode", [OP_PING, OP_PONG, OP_CLOSE])
def test_fragmented_control_frame(opcode: int) -> None:
    assert_close_code(1002, client_frame(opcode, b"", fin=False))


@pytest.mark.parametrize("opcode", [OP_PING, OP_PONG, OP_CLOSE])
def test_control_frame_over_125_bytes(opcode: int) -> None:
    assert_close_code(1002, client_frame(opcode, b"\x03\xe8" + b"x" * 124))


def test_continuation_with_nothing_to_continue() -> None:
    assert_close_code(1002, client_frame(OP_CONT, b"x"))


@pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY])
def test_new_message_inside_a_fragmented_one(opcode: int) -> None:
    assert_close_code(1002, client_frame(OP_TEXT, b"a", fin=False) + client_frame(opcode, b"b"))


def test_64_bit_length_with_the_top_bit_set() -> None:
    assert_close_code(1002, bytes((0x82, 0xFF)) + (1 << 63).to_bytes(8, "big") + MASK)


@pytest.mark.parametrize("payload", [b"\xff", b"\xc3", b"\xed\xa0\x80", "é".encode()[:1] + b"x"])
def test_invalid_utf8_text(payload: bytes) -> None:
    assert_close_code(1007, client_frame(OP_TEXT, payload))


def test_invalid_utf8_across_fragments() -> None:
    assert_close_code(1007, client_frame(OP_TEXT, b"ok", fin=False) + client_frame(OP_CONT, b"\xc3"))


def test_message_too_big_is_refused_from_its_header() -> None:
    # only the header has arrived: the parser must not wait to buffer 1 MB before refusing
    header = client_frame(OP_BINARY, b"\x00" * 1_000_001)[:14]
    assert_close_code(1009, header, max_size=1_000_000)


def test_fragmented_message_too_big() -> None:
    stream = client_frame(OP_TEXT, b"1234", fin=False) + client_frame(OP_CONT, b"56", fin=True)
    assert_close_code(1009, stream, max_size=5)


def test_close_with_one_byte_payload() -> None:
    assert_close_code(1002, client_frame(OP_CLOSE, b"\x03"))


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])
def test_invalid_close_code(code: int) -> None:
    assert_close_code(1002, client_frame(OP_CLOSE, code.to_bytes(2, "big")))


def test_close_reason_not_utf8() -> None:
    assert_close_code(1007, client_frame(OP_CLOSE, b"\x03\xe8\xff"))


# -- building frames -------------------------------------------------------------------------------


def test_accept_key_rfc_example() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize(("n", "header"), [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)])
def test_frame_length_forms(n: int, header: int) -> None:
    payload = b"a" * n
    built = frame(OP_BINARY, payload)
    assert len(built) == header + n
    assert server_frame_decode(built) == (OP_BINARY, payload)


@given(st.text(max_size=200))
def test_text_frame_from_str_or_utf8_bytes(s: str) -> None:
    assert text_frame(s) == text_frame(s.encode())
    assert server_frame_decode(text_frame(s)) == (OP_TEXT, s.encode())


def test_binary_ping_pong_frames() -> None:
    assert binary_frame(b"\x01\x02") == b"\x82\x02\x01\x02"
    assert ping_frame(b"") == b"\x89\x00"
    assert pong_frame(b"ab") == b"\x8a\x02ab"
    with pytest.raises(ValueError, match="125"):
        ping_frame(b"x" * 126)
    with pytest.raises(ValueError, match="125"):
        pong_frame(b"x" * 126)


def test_close_frame() -> None:
    assert close_frame() == b"\x88\x02\x03\xe8"
    assert close_frame(1009, "too big") == b"\x88\x09\x03\xf1too big"
    long_reason = close_frame(1000, "é" * 100)  # 200 bytes of reason: cut on a character boundary
    op, payload = server_frame_decode(long_reason)
    assert op == OP_CLOSE
    assert len(payload) <= 125
    assert payload[2:].decode() == "é" * 61
