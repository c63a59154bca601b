"""Byte-level mutations of valid files: the shapes of broken input seen in the wild.

Each mutation is a pure function ``(data, rng) -> bytes``. DICOM-aware ones find
element headers in the dataset (explicit VR little endian, after the 132-byte
preamble and prefix) and break them on purpose: a lying length, a wrong VR, an absurd
Rows/Columns, another transfer syntax.
"""

from __future__ import annotations

import random
import re
import struct
from collections.abc import Callable

__all__ = ["MUTATIONS", "mutate"]

_ROWS, _COLUMNS = b"\x28\x00\x10\x00", b"\x28\x00\x11\x00"
_TRANSFER_SYNTAX = b"\x02\x00\x10\x00"
_SYNTAXES = [b"1.2.840.10008.1.2\x00", b"1.2.840.10008.1.2.2\x00", b"1.2.840.10008.1.2.4.50",
             b"1.2.840.10008.1.2.4.90", b"1.2.840.10008.1.2.5\x00", b"1.2.840.10008.1.2.1.99",
             b"9.9.9\x00"]  # fmt: skip
_VRS = [b"SQ", b"OB", b"UN", b"US", b"FD", b"DS", b"XX", b"\x00\x00"]


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(0, max(len(data), 1))]


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def overwrite_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    if out:
        start = rng.randrange(len(out))
        out[start : start + rng.randint(1, 64)] = rng.randbytes(rng.randint(1, 64))
    return bytes(out)


def _headers(data: bytes) -> list[int]:
    """Offsets of plausible explicit-VR element headers (group 0002, 0008 .. 7FE0)."""
    offsets = []
    for i in range(132, len(data) - 8):
        group = data[i] | data[i + 1] << 8
        if group in (0x0002, 0x0008, 0x0010, 0x0018, 0x0020, 0x0028, 0x7FE0, 0x0040) and (
            data[i + 4 : i + 6].isalpha()
        ):
            offsets.append(i)
    return offsets


def lying_length(data: bytes, rng: random.Random) -> bytes:
    headers = _headers(data)
    if not headers:
        return flip_bits(data, rng)
    i = rng.choice(headers)
    out = bytearray(data)
    vr = bytes(out[i + 4 : i + 6])
    value = rng.choice([0, 1, 0xFFFF, 0xFFFFFFFF, 0x7FFFFFFF, len(data), rng.randrange(1 << 16)])
    if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV"):
        out[i + 8 : i + 12] = struct.pack("<I", value & 0xFFFFFFFF)
    else:
        out[i + 6 : i + 8] = struct.pack("<H", value & 0xFFFF)
    return bytes(out)


def wrong_vr(data: bytes, rng: random.Random) -> bytes:
    headers = _headers(data)
    if not headers:
        return flip_bits(data, rng)
    i = rng.choice(headers)
    out = bytearray(data)
    out[i + 4 : i + 6] = rng.choice(_VRS)
    return bytes(out)


def absurd_dimensions(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for tag in (_ROWS, _COLUMNS):
        i = out.find(tag + b"US")
        if i >= 0 and rng.random() < 0.8:
            out[i + 8 : i + 10] = struct.pack("<H", rng.choice([0, 1, 0xFFFF, 40000, 3]))
    return bytes(out)


def other_transfer_syntax(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    i = out.find(_TRANSFER_SYNTAX + b"UI")
    if i < 0:
        return flip_bits(data, rng)
    length = struct.unpack("<H", out[i + 6 : i + 8])[0]
    new = rng.choice(_SYNTAXES)
    out[i + 6 : i + 8] = struct.pack("<H", len(new))
    out[i + 8 : i + 8 + length] = new
    return bytes(out)


def text_noise(data: bytes, rng: random.Random) -> bytes:
    """For text formats: insert, delete or duplicate a short run of characters."""
    if not data:
        return rng.randbytes(8)
    i = rng.randrange(len(data))
    choice = rng.randrange(4)
    if choice == 0:
        return data[:i] + data[i + rng.randint(1, 32) :]
    if choice == 1:
        return data[:i] + rng.choice([b",", b"\"", b"{", b"}", b"[", b"<", b"\n", b"nan", b"1e999",
                                      b"-", b"\x00", b"\xff\xfe"]) + data[i:]  # fmt: skip
    if choice == 2:
        j = min(len(data), i + rng.randint(1, 200))
        return data[:j] + data[i:j] * rng.randint(2, 50) + data[j:]
    return data[:i] + data[i:][::-1][: rng.randint(1, 16)] + data[i:]


_NUMBER = re.compile(rb"-?\d+\.\d+")
_WILD = (b"1e12", b"1e20", b"1e300", b"-1.7e308", b"123456789012345678901234567890.5")


def wild_number(data: bytes, rng: random.Random) -> bytes:
    """For text formats: make one decimal number (a coordinate, most likely) wild but
    finite, far beyond any film."""
    found = list(_NUMBER.finditer(data))
    if not found:
        return text_noise(data, rng)
    match = rng.choice(found)
    return data[: match.start()] + rng.choice(_WILD) + data[match.end() :]


MUTATIONS: dict[str, list[Callable[[bytes, random.Random], bytes]]] = {
    "dicom": [
        truncate,
        flip_bits,
        overwrite_bytes,
        lying_length,
        wrong_vr,
        absurd_dimensions,
        other_transfer_syntax,
    ],  # fmt: skip
    "landmarks": [truncate, flip_bits, overwrite_bytes, text_noise],
}
MUTATIONS["dicom-header"] = MUTATIONS["dicom"]
MUTATIONS["bonefinder"] = MUTATIONS["landmarks"]
MUTATIONS["measure"] = [*MUTATIONS["landmarks"], wild_number, wild_number]


def mutate(kind: str, data: bytes, rng: random.Random, rounds: int = 1) -> bytes:
    """Apply `rounds` random mutations of `kind` to `data`."""
    for _ in range(rounds):
        data = rng.choice(MUTATIONS[kind])(data, rng)
    return data
