"""Photos without their metadata, made without decoding a pixel: what officers
see of anonymous reports (DESIGN §6).

`strip_metadata(data, mime_type)` walks a JPEG, PNG or WebP file segment by
segment (chunk by chunk) and returns a copy that keeps only what is needed to
show the picture: the image data is copied byte for byte, never re-encoded.
It returns None — no clean copy — for any other type and for anything it
cannot walk from start to end (truncated, a length past the end, an unknown
part a viewer would need). The original is stored as it came either way.

Left out, in every format: Exif (GPS, device, time, thumbnails), XMP, IPTC
and Photoshop blocks, comments, text chunks, C2PA/JUMBF, vendor blocks, and
anything after the end of the image (Samsung trailers, motion-photo videos,
Multi-Picture secondary images). ICC colour profiles are left out too: a
profile's header names the device's maker and model (bytes 48 to 55), and a
phone maker's own profile names the maker. Without it a viewer assumes sRGB,
so a wide-gamut photo looks a little duller — acceptable for the officer's
copy; the sealed original keeps its profile.

What no lossless stripper can remove: the picture itself, and traits of the
encoder such as its quantization tables, which hint at the camera model.

Every loop advances through the input or stops, and every length is checked
against the end before it is used, so hostile input costs one linear pass.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable

# JPEG (ITU-T T.81 Annex B). Markers without a length: TEM and RST0..RST7.
_SOI = b"\xff\xd8"
_EOI, _SOS, _TEM = 0xD9, 0xDA, 0x01
_RST = range(0xD0, 0xD8)
_APP0, _APP14, _COM = 0xE0, 0xEE, 0xFE
_APPN = range(0xE0, 0xF0)
# Start-of-frame markers: SOF0..SOF15 minus DHT (C4), JPG (C8), DAC (CC); SOF55 of JPEG-LS.
_SOF = frozenset({*range(0xC0, 0xD0), 0xF7}) - {0xC4, 0xC8, 0xCC}
_JFIF = b"JFIF\x00"
_JFIF_HEADER = 12  # identifier, version, units, X and Y density; thumbnail size follows
_ADOBE = b"Adobe"
_ADOBE_BODY = 12  # identifier, version, two flag words, colour transform
_FILL = re.compile(rb"\xff+")
# Inside entropy-coded data 0xFF is followed by 0x00 (a stuffed byte) or a
# restart marker; any other byte after it is the marker that ends the scan.
_SCAN_END = re.compile(rb"\xff(?![\x00\xd0-\xd7])")

# PNG: the critical chunks and the ancillary ones a viewer uses to render
# (transparency, colour space without a profile, HDR, APNG animation).
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEEP = frozenset(
    {
        b"IHDR",
        b"PLTE",
        b"IDAT",
        b"IEND",
        b"tRNS",
        b"gAMA",
        b"cHRM",
        b"sRGB",
        b"sBIT",
        b"bKGD",
        b"cICP",
        b"mDCV",
        b"cLLI",
        b"acTL",
        b"fcTL",
        b"fdAT",
    }
)
_PNG_MAX_LENGTH = 2**31 - 1
_PNG_IHDR_LENGTH = 13

# WebP: https://developers.google.com/speed/webp/docs/riff_container
_WEBP_KEEP = frozenset({b"VP8X", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"})
_WEBP_FRAME_KEEP = frozenset({b"ALPH", b"VP8 ", b"VP8L"})
_WEBP_BITSTREAMS = frozenset({b"VP8 ", b"VP8L"})
_VP8X_SIZE = 10
_ANMF_HEADER = 16
# VP8X flag bits of the parts left out: ICC profile (0x20), Exif (0x08), XMP (0x04).
_VP8X_DROPPED = 0x20 | 0x08 | 0x04


def strip_metadata(data: bytes, mime_type: str) -> bytes | None:
    """A copy of the image without metadata, or None (another type, or malformed)."""
    stripper = _STRIPPERS.get(mime_type)
    return stripper(data) if stripper is not None else None


def strip_jpeg(data: bytes) -> bytes | None:
    """SOI, the frame's tables and headers, every scan as it was, EOI; nothing after."""
    if not data.startswith(_SOI):
        return None
    out: list[bytes] = [_SOI]
    pos, framed, scanned = 2, False, False
    while True:
        fill = _FILL.match(data, pos)
        if fill is None or fill.end() >= len(data):
            return None
        marker, pos = data[fill.end()], fill.end() + 1
        if marker == _EOI:
            out.append(b"\xff\xd9")
            return b"".join(out) if scanned else None
        if marker == _TEM:
            continue
        if marker < 0xC0 or marker == 0xD8 or marker in _RST or pos + 2 > len(data):
            return None  # reserved, a second SOI, a restart outside a scan, or cut short
        end = pos + int.from_bytes(data[pos : pos + 2], "big")
        if end < pos + 2 or end > len(data):
            return None
        if marker == _SOS:
            scan_end = _SCAN_END.search(data, end)
            if not framed or scan_end is None:
                return None
            out.append(data[pos - 2 : scan_end.start()])
            pos, scanned = scan_end.start(), True
            continue
        framed = framed or marker in _SOF
        kept = _jpeg_segment(marker, data[pos + 2 : end])
        if kept is not None:
            out.append(kept)
        pos = end


def _jpeg_segment(marker: int, body: bytes) -> bytes | None:
    """The segment as it goes into the copy, or None to leave it out."""
    if marker == _APP0 and body.startswith(_JFIF) and len(body) >= _JFIF_HEADER + 2:
        # JFIF without its optional thumbnail: the thumbnail size bytes become 0 by 0.
        return _jpeg_wrap(marker, body[:_JFIF_HEADER] + b"\x00\x00")
    if marker == _APP14 and body.startswith(_ADOBE) and len(body) >= _ADOBE_BODY:
        # Adobe's colour-transform flag decides how CMYK and RGB JPEGs decode.
        return _jpeg_wrap(marker, body[:_ADOBE_BODY])
    if marker in _APPN or marker == _COM:
        return None
    return _jpeg_wrap(marker, body)


def _jpeg_wrap(marker: int, body: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(body) + 2).to_bytes(2, "big") + body


def strip_png(data: bytes) -> bytes | None:
    """The signature and the chunks in `_PNG_KEEP`, each copied whole with its CRC."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    view = memoryview(data)
    out: list[bytes | memoryview] = [_PNG_SIGNATURE]
    pos, has_data = len(_PNG_SIGNATURE), False
    while pos + 12 <= len(data):
        length = int.from_bytes(view[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if length > _PNG_MAX_LENGTH or end > len(data) or not kind.isalpha():
            return None
        if zlib.crc32(view[pos + 4 : end - 4]) != int.from_bytes(view[end - 4 : end], "big"):
            return None
        if (pos == len(_PNG_SIGNATURE)) != (kind == b"IHDR"):
            return None  # IHDR comes first, and only once
        if kind == b"IHDR" and length != _PNG_IHDR_LENGTH:
            return None
        if kind in _PNG_KEEP:
            out.append(view[pos:end])
        elif kind[:1].isupper():
            return None  # an unknown critical chunk: no viewer could show the copy
        has_data = has_data or kind == b"IDAT"
        pos = end
        if kind == b"IEND":
            return b"".join(out) if has_data else None
    return None


def strip_webp(data: bytes) -> bytes | None:
    """The RIFF container with only the chunks in `_WEBP_KEEP`, sizes and VP8X flags fixed."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    riff_end = 8 + int.from_bytes(data[4:8], "little")
    if riff_end > len(data):
        return None
    chunks = _riff_chunks(data, 12, riff_end)
    if not chunks or chunks[0][0] not in {b"VP8X", *_WEBP_BITSTREAMS}:
        return None
    kept: list[bytes] = []
    for fourcc, start, end in chunks:
        if fourcc not in _WEBP_KEEP:
            continue
        chunk: bytes | None = data[start:end]
        if fourcc == b"VP8X":
            chunk = _vp8x(data[start:end])
        elif fourcc == b"ANMF":
            chunk = _frame(data, start, end)
        if chunk is None:
            return None
        kept.append(chunk)
    if not any(chunk[:4] in {b"ANMF", *_WEBP_BITSTREAMS} for chunk in kept):
        return None
    body = b"WEBP" + b"".join(kept)
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def _riff_chunks(data: bytes, pos: int, stop: int) -> list[tuple[bytes, int, int]] | None:
    """(FourCC, start, end including the pad byte) of each chunk from `pos` to `stop`."""
    chunks = []
    while pos < stop:
        if pos + 8 > stop:
            return None
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + 8 + size + (size & 1)
        if end > stop:
            return None
        chunks.append((data[pos : pos + 4], pos, end))
        pos = end
    return chunks


def _vp8x(chunk: bytes) -> bytes | None:
    if len(chunk) < 8 + _VP8X_SIZE:
        return None
    flags = chunk[8] & ~_VP8X_DROPPED & 0xFF
    return chunk[:8] + bytes((flags,)) + chunk[9:]


def _frame(data: bytes, start: int, end: int) -> bytes | None:
    """An animation frame keeping its header, alpha and bitstream, nothing else."""
    payload_end = start + 8 + int.from_bytes(data[start + 4 : start + 8], "little")
    header_end = start + 8 + _ANMF_HEADER
    subchunks = _riff_chunks(data, header_end, payload_end) if header_end <= payload_end else None
    if not subchunks or not any(fourcc in _WEBP_BITSTREAMS for fourcc, _, _ in subchunks):
        return None
    kept = [data[s:e] for fourcc, s, e in subchunks if fourcc in _WEBP_FRAME_KEEP]
    payload = data[start + 8 : header_end] + b"".join(kept)
    return b"ANMF" + len(payload).to_bytes(4, "little") + payload


_STRIPPERS: dict[str, Callable[[bytes], bytes | None]] = {
    "image/jpeg": strip_jpeg,
    "image/png": strip_png,
    "image/webp": strip_webp,
}
