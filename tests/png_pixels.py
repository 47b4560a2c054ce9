"""Pixels of a PNG screenshot as a numpy array, for the map's pixel checks (no helper).

A small decoder for what headless Chromium writes (8-bit RGB/RGBA, not interlaced):
the test dependencies have no imaging library, and one is not worth adding for this.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


def _paeth_row(f: NDArray[np.int64], prev: NDArray[np.int64], bpp: int) -> NDArray[np.int64]:
    fl, up = f.tolist(), prev.tolist()  # plain ints: this loop is the decoder's hot spot
    out = [0] * len(fl)
    for i, v in enumerate(fl):
        a = out[i - bpp] if i >= bpp else 0
        b = up[i]
        c = up[i - bpp] if i >= bpp else 0
        pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
        out[i] = (v + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    return np.array(out, dtype=np.int64)


def _avg_row(f: NDArray[np.int64], prev: NDArray[np.int64], bpp: int) -> NDArray[np.int64]:
    fl, up = f.tolist(), prev.tolist()
    out = [0] * len(fl)
    for i, v in enumerate(fl):
        out[i] = (v + ((out[i - bpp] if i >= bpp else 0) + up[i]) // 2) & 0xFF
    return np.array(out, dtype=np.int64)


def read_png(path: Path) -> NDArray[np.uint8]:
    """(height, width, channels) uint8 pixels."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    assert hdr is not None
    w, h, depth, colour, _, _, interlace = hdr
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG {hdr}"
    bpp = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(h, w * bpp + 1)
    out = np.zeros((h, w * bpp), dtype=np.int64)
    prev = np.zeros(w * bpp, dtype=np.int64)
    for y in range(h):
        kind, f = raw[y, 0], raw[y, 1:].astype(np.int64)
        if kind == 0:
            row = f
        elif kind == 1:
            row = np.empty_like(f)
            for c in range(bpp):
                row[c::bpp] = np.cumsum(f[c::bpp]) & 0xFF
        elif kind == 2:
            row = (f + prev) & 0xFF
        elif kind == 3:
            row = _avg_row(f, prev, bpp)
        else:
            row = _paeth_row(f, prev, bpp)
        out[y] = row
        prev = row
    return out.reshape(h, w, bpp).astype(np.uint8)
