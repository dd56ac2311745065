"""Small real photos with the metadata a phone writes, built byte by byte.

Each builder returns the file and the bytes its clean copy must be: the
metadata segments or chunks left out, the image data exactly as it was. The
pixels are tiny but real: the JPEG is a baseline 16x8 greyscale picture with
a restart marker and a stuffed 0xFF byte in its scan, the PNG a 2x1 RGB
picture, the WebP a 1x1 lossless picture.

The metadata names a device and a place, the way a phone does:
`IDENTIFYING` lists the words that must never reach an officer's copy.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

MAKE = b"samsung"
MODEL = b"SM-A546E"
OWNER = b"Budi Santoso"
# 2 deg 58' 34.5" S, 104 deg 46' 31.2" E: a street in Palembang.
LATITUDE = ((2, 1), (58, 1), (345, 10))
LONGITUDE = ((104, 1), (46, 1), (312, 10))
GPS_LATITUDE = b"".join(struct.pack(">II", *part) for part in LATITUDE)
XMP_PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" exif:GPSLatitude="2,58.575S" '
    b'exif:GPSLongitude="104,46.52E" tiff:Model="SM-A546E"/></rdf:RDF></x:xmpmeta>'
)
IDENTIFYING = (
    GPS_LATITUDE,
    MAKE,
    MODEL,
    OWNER,
    b"GPS",
    b"Exif",
    b"http://ns.adobe.com/xap/1.0/",
    b"xmpmeta",
    b"ICC_PROFILE",
    b"Photoshop",
    b"SEFH",
)


@dataclass(frozen=True)
class Fixture:
    data: bytes  # the file as the citizen's phone wrote it
    clean: bytes  # what the copy without metadata must be
    image_data: tuple[bytes, ...]  # parts that must reach the copy byte for byte


# Exif: a TIFF structure with the camera (IFD0) and the place (GPS IFD).

ASCII, LONG, RATIONAL = 2, 4, 5


def exif_tiff() -> bytes:
    """Big-endian TIFF: IFD0 with Make, Model, Artist and a GPS IFD pointer."""
    gps_entries = [
        (1, ASCII, b"S\x00"),
        (2, RATIONAL, _rationals(LATITUDE)),
        (3, ASCII, b"E\x00"),
        (4, RATIONAL, _rationals(LONGITUDE)),
    ]
    ifd0_entries = [
        (0x010F, ASCII, MAKE + b"\x00"),
        (0x0110, ASCII, MODEL + b"\x00"),
        (0x013B, ASCII, OWNER + b"\x00"),
        (0x8825, LONG, b"\x00\x00\x00\x00"),  # the GPS IFD's offset, patched below
    ]
    ifd0 = _ifd(ifd0_entries, start=8)
    gps_start = 8 + len(ifd0)
    ifd0_entries[-1] = (0x8825, LONG, gps_start.to_bytes(4, "big"))
    ifd0 = _ifd(ifd0_entries, start=8)
    return b"MM\x00\x2a" + (8).to_bytes(4, "big") + ifd0 + _ifd(gps_entries, start=gps_start)


def _rationals(values: tuple[tuple[int, int], ...]) -> bytes:
    return b"".join(struct.pack(">II", numerator, denominator) for numerator, denominator in values)


def _ifd(entries: list[tuple[int, int, bytes]], *, start: int) -> bytes:
    """One IFD at offset `start`, values longer than 4 bytes stored right after it."""
    sizes = {ASCII: 1, LONG: 4, RATIONAL: 8}
    data_at = start + 2 + 12 * len(entries) + 4
    table, data = b"", b""
    for tag, kind, value in entries:
        count = len(value) // sizes[kind]
        if len(value) <= 4:
            field = value.ljust(4, b"\x00")
        else:
            field = (data_at + len(data)).to_bytes(4, "big")
            data += value + b"\x00" * (len(value) % 2)
        table += struct.pack(">HHI", tag, kind, count) + field
    return len(entries).to_bytes(2, "big") + table + b"\x00\x00\x00\x00" + data


def icc_profile() -> bytes:
    """An ICC header naming the device's maker and model, and no tags."""
    header = bytearray(128)
    header[4:8] = b"appl"
    header[12:16] = b"mntr"
    header[16:20] = b"RGB "
    header[36:40] = b"acsp"
    header[48:52] = b"SAMS"  # device manufacturer
    header[52:56] = MODEL[:4]  # device model
    body = bytes(header) + b"\x00\x00\x00\x00"
    return (len(body)).to_bytes(4, "big") + body[4:]


# JPEG


def jpeg_segment(marker: int, body: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(body) + 2).to_bytes(2, "big") + body


JFIF_HEADER = b"JFIF\x00\x01\x02\x00\x00\x48\x00\x48"  # version 1.2, 72 x 72 dpi
ADOBE = b"Adobe\x00\x64\x00\x00\x00\x00\x01"  # colour transform 1: YCbCr


class _Bits:
    """Huffman-coded bits, most significant first, with 0xFF stuffing."""

    def __init__(self) -> None:
        self.bits = ""

    def put(self, bits: str) -> None:
        self.bits += bits

    def flush(self) -> bytes:
        bits = self.bits + "1" * (-len(self.bits) % 8)
        self.bits = ""
        raw = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
        return raw.replace(b"\xff", b"\xff\x00")


def jpeg_scan() -> bytes:
    """Two 8x8 blocks with a restart between them; the first has four AC
    coefficients of 255, which puts a stuffed 0xFF byte in the scan."""
    bits = _Bits()
    bits.put("0")  # DC difference 0 (category 0: code 0)
    for _ in range(4):
        bits.put("10" + "11111111")  # AC run 0 size 8 (code 10), value 255
    bits.put("0")  # end of block (code 0)
    first = bits.flush()
    bits.put("0" + "0")  # the second block: DC 0, end of block
    second = bits.flush()
    return first + b"\xff\xd0" + second


def jpeg_image_segments() -> bytes:
    """DQT, SOF0, DHT (DC and AC), DRI: the frame a decoder needs."""
    quantization = jpeg_segment(0xDB, b"\x00" + b"\x01" * 64)
    frame = jpeg_segment(0xC0, b"\x08\x00\x08\x00\x10\x01\x01\x11\x00")  # 16x8, one component
    dc_table = jpeg_segment(0xC4, b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00")
    ac_table = jpeg_segment(0xC4, b"\x10" + b"\x01\x01" + b"\x00" * 14 + b"\x00\x08")
    restart_interval = jpeg_segment(0xDD, b"\x00\x01")
    return quantization + frame + dc_table + ac_table + restart_interval


def jpeg_photo() -> Fixture:
    """A phone photo: JFIF with a thumbnail, Exif with GPS, XMP, ICC, IPTC,
    Adobe, a comment, the image, and a vendor trailer after EOI."""
    thumbnail = b"\x01\x01" + b"\x80\x80\x80"  # 1x1 RGB
    exif = jpeg_segment(0xE1, b"Exif\x00\x00" + exif_tiff())
    xmp = jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP_PACKET)
    icc = jpeg_segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + icc_profile())
    iptc = jpeg_segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10" + OWNER)
    comment = jpeg_segment(0xFE, b"Galaxy A54 " + OWNER)
    image = jpeg_image_segments() + jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + jpeg_scan()
    trailer = b"SEFH" + MODEL + b"Image_UTC_Data1764201600000SEFT"
    data = (
        b"\xff\xd8"
        + jpeg_segment(0xE0, JFIF_HEADER + thumbnail)
        + exif
        + xmp
        + icc
        + iptc
        + jpeg_segment(0xEE, ADOBE)
        + comment
        + image
        + b"\xff\xd9"
        + trailer
    )
    clean = (
        b"\xff\xd8"
        + jpeg_segment(0xE0, JFIF_HEADER + b"\x00\x00")
        + jpeg_segment(0xEE, ADOBE)
        + image
        + b"\xff\xd9"
    )
    return Fixture(data=data, clean=clean, image_data=(image,))


# PNG


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def png_photo() -> Fixture:
    """A 2x1 RGB picture with Exif, text, XMP, a profile, a timestamp and a
    private chunk around its image data, and junk after IEND."""
    pixels = zlib.compress(b"\x00" + b"\xc0\x20\x20" + b"\x20\x20\xc0")  # filter 0, red, blue
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
    gamma = png_chunk(b"gAMA", (45455).to_bytes(4, "big"))
    transparent = png_chunk(b"tRNS", b"\x00\xc0\x00\x20\x00\x20")
    image = (png_chunk(b"IDAT", pixels[:5]), png_chunk(b"IDAT", pixels[5:]))
    end = png_chunk(b"IEND", b"")
    data = (
        b"\x89PNG\r\n\x1a\n"
        + header
        + gamma
        + png_chunk(b"iCCP", b"Samsung\x00\x00" + zlib.compress(icc_profile()))
        + png_chunk(b"eXIf", exif_tiff())
        + png_chunk(b"tEXt", b"Author\x00" + OWNER)
        + png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(MAKE + b" " + MODEL))
        + png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP_PACKET)
        + png_chunk(b"tIME", b"\x07\xea\x0b\x1b\x0a\x00\x00")
        + png_chunk(b"pHYs", b"\x00\x00\x0b\x13\x00\x00\x0b\x13\x01")
        + png_chunk(b"caBX", b"c2pa manifest: " + MODEL)
        + transparent
        + image[0]
        + image[1]
        + png_chunk(b"tEXt", b"Software\x00" + MODEL)
        + end
        + b"SEFH"
        + MODEL
    )
    clean = b"\x89PNG\r\n\x1a\n" + header + gamma + transparent + image[0] + image[1] + end
    return Fixture(data=data, clean=clean, image_data=(header, *image))


# WebP


def riff_chunk(fourcc: bytes, body: bytes) -> bytes:
    return fourcc + len(body).to_bytes(4, "little") + body + b"\x00" * (len(body) % 2)


def riff(chunks: bytes) -> bytes:
    body = b"WEBP" + chunks
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def vp8l_pixel(argb: tuple[int, int, int, int] = (0xFF, 0xC0, 0x20, 0x20)) -> bytes:
    """A 1x1 lossless bitstream: every prefix code a simple one-symbol code,
    so the single pixel takes no bits at all."""
    alpha, red, green, blue = argb
    bits = ""

    def put(value: int, count: int) -> None:
        nonlocal bits
        bits += format(value, f"0{count}b")[::-1]  # least significant bit first

    put(0, 14)  # width - 1
    put(0, 14)  # height - 1
    put(0, 1)  # alpha is not used
    put(0, 3)  # version
    put(0, 1)  # no transform
    put(0, 1)  # no colour cache
    put(0, 1)  # no meta prefix codes
    for symbol in (green, red, blue, alpha):
        put(1, 1)  # simple code
        put(0, 1)  # one symbol
        put(1, 1)  # of 8 bits
        put(symbol, 8)
    put(1, 1)  # the distance code: simple, one symbol of 1 bit, 0
    put(0, 1)
    put(0, 1)
    put(0, 1)
    bits += "0" * (-len(bits) % 8)
    stream = bytes(int(bits[i : i + 8][::-1], 2) for i in range(0, len(bits), 8))
    return b"\x2f" + stream


def vp8x(flags: int, width: int = 1, height: int = 1) -> bytes:
    canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return riff_chunk(b"VP8X", bytes((flags, 0, 0, 0)) + canvas)


ICC_FLAG, ALPHA_FLAG, EXIF_FLAG, XMP_FLAG, ANIMATION_FLAG = 0x20, 0x10, 0x08, 0x04, 0x02


def webp_photo() -> Fixture:
    """An extended WebP with a profile, Exif (odd length: padded), XMP, an unknown chunk."""
    bitstream = riff_chunk(b"VP8L", vp8l_pixel())
    exif = b"Exif\x00\x00" + exif_tiff() + b"!"
    if len(exif) % 2 == 0:
        exif += b"!"
    data = riff(
        vp8x(ICC_FLAG | EXIF_FLAG | XMP_FLAG)
        + riff_chunk(b"ICCP", icc_profile())
        + bitstream
        + riff_chunk(b"EXIF", exif)
        + riff_chunk(b"XMP ", XMP_PACKET)
        + riff_chunk(b"SEFH", MODEL)
    )
    return Fixture(data=data, clean=riff(vp8x(0) + bitstream), image_data=(bitstream,))


def animated_webp() -> Fixture:
    """Two frames, one carrying an unknown subchunk, and Exif after them."""
    animation = riff_chunk(b"ANIM", b"\xff\xff\xff\xff\x00\x00")
    header = b"\x00" * 6 + b"\x00\x00\x00" + b"\x00\x00\x00" + b"\x64\x00\x00" + b"\x00"
    pixel = riff_chunk(b"VP8L", vp8l_pixel())
    first = riff_chunk(b"ANMF", header + pixel + riff_chunk(b"GPS ", MODEL))
    second = riff_chunk(b"ANMF", header + pixel)
    data = riff(
        vp8x(ANIMATION_FLAG | EXIF_FLAG)
        + animation
        + first
        + second
        + riff_chunk(b"EXIF", b"Exif\x00\x00" + exif_tiff())
    )
    clean = riff(vp8x(ANIMATION_FLAG) + animation + riff_chunk(b"ANMF", header + pixel) + second)
    return Fixture(data=data, clean=clean, image_data=(animation, pixel, second))


def numbered_jpeg(n: int, padding: int = 0) -> bytes:
    """A whole small JPEG, different for each `n` (media is content-addressed):
    the photo of `jpeg_photo` with `n`, and `padding` more bytes, in comments."""
    data = jpeg_photo().data
    comments = [jpeg_segment(0xFE, b"photo %d" % n)]
    while padding > 0:
        size = min(padding, 65_000)
        comments.append(jpeg_segment(0xFE, b"." * size))
        padding -= size
    return data[:2] + b"".join(comments) + data[2:]
