"""Raw video frames with their timestamps through a pipe, in the smallest part of Matroska.

The face blur (adapters/faces.py) sits between two ffmpeg runs: one decodes the clip into raw
frames, the other encodes them. A bare raw stream would lose the frames' timestamps (phones record
at a variable rate), so both ends speak Matroska with uncompressed video (ffmpeg's `-c:v rawvideo
-f matroska`). `read_frames` takes ffmpeg's stream apart into its headers and frames (timestamp
and bytes); `FrameWriter` writes the same headers and the frames back, one cluster each. The
frame bytes are read into a buffer the caller may change in place.

Only what ffmpeg's muxer writes for one video track is understood: EBML elements with known
sizes, except the segment's (unknown on a pipe); SimpleBlocks without lacing.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

EBML_HEADER = 0x1A45DFA3
SEGMENT = 0x18538067
INFO = 0x1549A966
TIMESTAMP_SCALE = 0x2AD7B1
TRACKS = 0x1654AE6B
CLUSTER = 0x1F43B675
CLUSTER_TIMESTAMP = 0xE7
SIMPLE_BLOCK = 0xA3
BLOCK_GROUP = 0xA0
UNKNOWN_SIZE = -1


class MatroskaError(ValueError):
    """The stream is not what ffmpeg writes for raw video (or it ended half-way)."""


@dataclass
class Frame:
    t: float  # seconds, as the decoder stamped it
    data: bytearray  # the raw picture, changed in place by whoever blurs it


@dataclass(frozen=True)
class Headers:
    ebml: bytes  # the EBML header element, as read
    info: bytes  # the segment's Info element, as read
    tracks: bytes  # its Tracks element, as read
    unit_s: float  # seconds per timestamp unit (Info's TimestampScale; ffmpeg writes 1 ms)


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise MatroskaError(f"the stream ended inside an element ({len(data)} of {size} bytes)")
    return data


def _read_into(stream: BinaryIO, buffer: bytearray) -> None:
    view, filled = memoryview(buffer), 0
    while filled < len(buffer):
        got = stream.readinto(view[filled:])
        if not got:
            raise MatroskaError(f"the stream ended inside a frame ({filled} of {len(buffer)} bytes)")
        filled += got


def _vint(stream: BinaryIO, keep_marker: bool) -> tuple[int, bytes] | None:
    """A variable-length integer: (value, its bytes), or None at the end of the stream."""
    first = stream.read(1)
    if not first:
        return None
    length = 1
    while length <= 8 and not first[0] & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise MatroskaError("a variable-length integer longer than 8 bytes")
    raw = first + _read_exactly(stream, length - 1)
    value = int.from_bytes(raw, "big")
    if not keep_marker:
        value &= (1 << (7 * length)) - 1
        if value == (1 << (7 * length)) - 1:
            value = UNKNOWN_SIZE
    return value, raw


def _element(stream: BinaryIO) -> tuple[int, int, bytes] | None:
    """The next element's (id, size, header bytes), or None at the end of the stream."""
    read_id = _vint(stream, keep_marker=True)
    if read_id is None:
        return None
    read_size = _vint(stream, keep_marker=False)
    if read_size is None:
        raise MatroskaError("the stream ended after an element id")
    return read_id[0], read_size[0], read_id[1] + read_size[1]


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big")


def _children(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The (id, payload) of the elements inside an element's payload."""
    stream = io.BytesIO(data)
    while (element := _element(stream)) is not None:
        element_id, size, _ = element
        yield element_id, _read_exactly(stream, size)


def read_frames(
    stream: BinaryIO, frame_bytes: int, new_buffer: Callable[[], bytearray] | None = None,
) -> tuple[Headers, Iterator[Frame]]:
    """The headers of ffmpeg's raw-video Matroska stream, and its frames in order (each
    `frame_bytes` long, read into a buffer from `new_buffer`, a fresh one by default). Elements
    that are neither headers nor frames are skipped."""
    ebml = _element(stream)
    if ebml is None or ebml[0] != EBML_HEADER:
        raise MatroskaError("not a Matroska stream")
    ebml_bytes = ebml[2] + _read_exactly(stream, ebml[1])
    segment = _element(stream)
    if segment is None or segment[0] != SEGMENT:
        raise MatroskaError("no segment after the EBML header")
    info = tracks = b""
    scale = 1_000_000  # nanoseconds per timestamp unit, Matroska's default
    pending: tuple[int, int, bytes] | None = None
    while info == b"" or tracks == b"":
        element = _element(stream)
        if element is None:
            raise MatroskaError("the stream ended before its track was described")
        element_id, size, header = element
        if element_id == CLUSTER:
            pending = element
            break
        payload = _read_exactly(stream, size)
        if element_id == INFO:
            info = header + payload
            scale = next((_uint(value) for child, value in _children(payload) if child == TIMESTAMP_SCALE), scale)
        elif element_id == TRACKS:
            tracks = header + payload
    if not info or not tracks:
        raise MatroskaError("a frame came before the track was described")
    new_buffer = new_buffer or (lambda: bytearray(frame_bytes))
    return Headers(ebml_bytes, info, tracks, scale / 1e9), _frames(stream, frame_bytes, scale / 1e9, pending, new_buffer)


def _frames(
    stream: BinaryIO, frame_bytes: int, unit_s: float, pending: tuple[int, int, bytes] | None,
    new_buffer: Callable[[], bytearray],
) -> Iterator[Frame]:
    cluster_time = 0
    while True:
        element = pending or _element(stream)
        pending = None
        if element is None:
            return
        element_id, size, _ = element
        if element_id == CLUSTER:
            continue  # its children follow: a timestamp, then blocks
        if element_id == CLUSTER_TIMESTAMP:
            cluster_time = _uint(_read_exactly(stream, size))
        elif element_id == SIMPLE_BLOCK:
            track = _vint(stream, keep_marker=False)
            if track is None:
                raise MatroskaError("the stream ended inside a block")
            relative, flags = struct.unpack(">hB", _read_exactly(stream, 3))
            if flags & 0x06:
                raise MatroskaError("laced blocks are not raw video frames")
            length = size - len(track[1]) - 3
            if length != frame_bytes:
                raise MatroskaError(f"a frame of {length} bytes where {frame_bytes} were expected")
            data = new_buffer()
            if len(data) != length:
                raise MatroskaError(f"a buffer of {len(data)} bytes for a frame of {length}")
            _read_into(stream, data)
            yield Frame(round((cluster_time + relative) * unit_s, 6), data)
        elif element_id == BLOCK_GROUP:
            raise MatroskaError("block groups are not expected in ffmpeg's raw video")
        elif size == UNKNOWN_SIZE:
            raise MatroskaError(f"element {element_id:#x} of unknown size")
        else:
            _read_exactly(stream, size)  # cues, tags, CRCs, voids


def _size(value: int) -> bytes:
    return (value | 1 << 56).to_bytes(8, "big")  # always 8 bytes: simple, and as valid as any


class FrameWriter:
    """Writes a Matroska stream of raw frames that ffmpeg reads back with their timestamps: the
    headers `read_frames` gave, then each frame in a cluster of its own."""

    def __init__(self, stream: BinaryIO, headers: Headers) -> None:
        self._stream = stream
        self._unit_s = headers.unit_s
        self._stream.write(headers.ebml)
        self._stream.write(SEGMENT.to_bytes(4, "big") + b"\x01\xff\xff\xff\xff\xff\xff\xff")  # size unknown
        self._stream.write(headers.info)
        self._stream.write(headers.tracks)

    def write(self, frame: Frame, track: int = 1) -> None:
        stamp = round(frame.t / self._unit_s)
        stamp_bytes = stamp.to_bytes(8, "big")
        timestamp = bytes([CLUSTER_TIMESTAMP, 0x88]) + stamp_bytes
        block_header = bytes([0x80 | track]) + b"\x00\x00\x80"  # track, +0 from the cluster, key frame
        block = bytes([SIMPLE_BLOCK]) + _size(len(block_header) + len(frame.data)) + block_header
        cluster_size = len(timestamp) + len(block) + len(frame.data)
        self._stream.write(CLUSTER.to_bytes(4, "big") + _size(cluster_size) + timestamp + block)
        self._stream.write(frame.data)

