"""The app icon, drawn here as PNG: a white calendar on the accent colour.

Written by hand because it is a few dozen lines with zlib, and an image library or a
drawing program would be a heavy dependency for four small squares of colour.
"""
from __future__ import annotations

import struct
import zlib
from functools import cache

ACCENT = (0x1D, 0x5C, 0x96)
WHITE = (0xFF, 0xFF, 0xFF)


def _png(width: int, height: int, pixel) -> bytes:
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


@cache
def app_icon(size: int, safe_zone: float = 0.6) -> bytes:
    """A calendar page inside the middle `safe_zone` of the square (maskable icons need 80%)."""
    margin = size * (1 - safe_zone) / 2
    left, right, top, bottom = margin, size - margin, margin, size - margin
    header = top + (bottom - top) * 0.22
    cell = (right - left) / 7

    def pixel(x: int, y: int):
        inside = left <= x < right and top <= y < bottom
        if not inside:
            return ACCENT
        if y < header:
            return (0xFF, 0xBF, 0x47)
        column, row = int((x - left) // cell), int((y - header) // cell)
        dot = column % 2 == 1 and row % 2 == 1
        return ACCENT if dot else WHITE

    return _png(size, size, pixel)


@cache
def badge_icon(size: int) -> bytes:
    """The small picture in the status bar: the same calendar, filling more of the square."""
    return app_icon(size, safe_zone=0.8)
