"""Stripping metadata from photos: what goes, what stays byte for byte, and
that no input — truncated, lying about its lengths, random — breaks it."""

from __future__ import annotations

import hashlib
import random
import zlib
from pathlib import Path

import pytest

from bot.media.clean import strip_jpeg, strip_metadata, strip_png, strip_webp
from bot.media.store import MediaStore, RejectedFile, Upload
from tests.support.images import (
    ADOBE,
    IDENTIFYING,
    JFIF_HEADER,
    Fixture,
    animated_webp,
    exif_tiff,
    jpeg_image_segments,
    jpeg_photo,
    jpeg_scan,
    jpeg_segment,
    png_chunk,
    png_photo,
    riff,
    riff_chunk,
    vp8l_pixel,
    vp8x,
    webp_photo,
)

PHOTOS = {
    "image/jpeg": jpeg_photo,
    "image/png": png_photo,
    "image/webp": webp_photo,
}
SOS = jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")


def assert_anonymous(copy: bytes) -> None:
    for word in IDENTIFYING:
        assert word not in copy, word


@pytest.mark.parametrize("mime_type", sorted(PHOTOS))
def test_the_copy_keeps_the_image_data_and_nothing_that_identifies(mime_type: str) -> None:
    photo = PHOTOS[mime_type]()
    original = bytes(photo.data)

    copy = strip_metadata(photo.data, mime_type)

    assert copy == photo.clean
    assert all(part in copy for part in photo.image_data)
    assert_anonymous(copy)
    assert photo.data == original, "the original is never touched"
    for word in IDENTIFYING[:5]:
        assert word in photo.data, "the fixture carries what the copy must lose"


@pytest.mark.parametrize("mime_type", sorted(PHOTOS))
def test_a_clean_copy_is_already_clean(mime_type: str) -> None:
    clean = PHOTOS[mime_type]().clean
    assert strip_metadata(clean, mime_type) == clean


def test_the_jpeg_fixture_exercises_stuffing_and_restarts() -> None:
    scan = jpeg_scan()
    assert b"\xff\x00" in scan
    assert b"\xff\xd0" in scan


def test_jpeg_metadata_between_scans_is_dropped_and_both_scans_kept() -> None:
    second_table = jpeg_segment(0xC4, b"\x10" + b"\x01\x01" + b"\x00" * 14 + b"\x00\x08")
    between = jpeg_segment(0xE1, b"Exif\x00\x00" + exif_tiff()) + jpeg_segment(0xFE, b"GPS")
    head = b"\xff\xd8" + jpeg_image_segments()
    scans = (SOS + jpeg_scan(), second_table + SOS + jpeg_scan())
    data = head + scans[0] + between + scans[1] + b"\xff\xd9"

    assert strip_jpeg(data) == head + scans[0] + scans[1] + b"\xff\xd9"


def test_jpeg_fill_bytes_and_other_app0_blocks() -> None:
    image = jpeg_image_segments() + SOS + jpeg_scan()
    jfxx = jpeg_segment(0xE0, b"JFXX\x00\x10" + b"\xff\xd8\xff\xd9")  # a thumbnail extension
    short_adobe = jpeg_segment(0xEE, b"Adobe\x00")
    long_jfif = jpeg_segment(0xE0, JFIF_HEADER + b"\x00\x00" + b"extra")
    data = b"\xff\xd8\xff\xff" + jfxx[1:] + short_adobe + long_jfif + image + b"\xff\xff\xd9"

    assert strip_jpeg(data) == (
        b"\xff\xd8" + jpeg_segment(0xE0, JFIF_HEADER + b"\x00\x00") + image + b"\xff\xd9"
    )
    adobe = jpeg_segment(0xEE, ADOBE + b"more")
    assert strip_jpeg(b"\xff\xd8" + adobe + image + b"\xff\xd9") == (
        b"\xff\xd8" + jpeg_segment(0xEE, ADOBE) + image + b"\xff\xd9"
    )


def test_png_unknown_critical_chunk_means_no_copy() -> None:
    photo = png_photo().clean
    end = len(photo) - 12
    assert strip_png(photo[:end] + png_chunk(b"ZZZZ", b"x") + photo[end:]) is None
    assert strip_png(photo[:end] + png_chunk(b"zzZZ", b"x") + photo[end:]) == photo


def test_animated_webp_frames_lose_unknown_subchunks() -> None:
    photo = animated_webp()
    copy = strip_webp(photo.data)
    assert copy == photo.clean
    assert copy is not None
    assert b"GPS " not in copy
    assert b"EXIF" not in copy


def test_simple_webp_is_copied_and_trailing_data_dropped() -> None:
    simple = riff(riff_chunk(b"VP8L", vp8l_pixel()))
    assert strip_webp(simple + b"SEFH trailer") == simple


def test_other_types_get_no_copy() -> None:
    assert strip_metadata(b"GIF89a\x01\x00\x01\x00", "image/gif") is None
    assert strip_metadata(b"%PDF-1.7", "application/pdf") is None
    assert strip_metadata(jpeg_photo().data, "image/png") is None


# Malformed input: never an exception, never a copy of something broken.

MALFORMED_JPEG = {
    "empty": b"",
    "only SOI": b"\xff\xd8",
    "SOI and a lone 0xFF": b"\xff\xd8\xff",
    "zeros after APP0": b"\xff\xd8\xff\xe0" + b"\x00" * 2048,
    "length below 2": b"\xff\xd8\xff\xe1\x00\x01" + b"\x00" * 8,
    "length past the end": b"\xff\xd8\xff\xe1\xff\xff" + b"\x00" * 16,
    "scan before a frame": b"\xff\xd8" + SOS + jpeg_scan() + b"\xff\xd9",
    "no scan": b"\xff\xd8" + jpeg_image_segments() + b"\xff\xd9",
    "no EOI": b"\xff\xd8" + jpeg_image_segments() + SOS + jpeg_scan(),
    "scan ends on 0xFF": b"\xff\xd8" + jpeg_image_segments() + SOS + b"\x12\xff",
    "second SOI": b"\xff\xd8\xff\xd8" + jpeg_image_segments() + SOS + b"\x00\xff\xd9",
    "reserved marker": b"\xff\xd8\xff\x02\x00\x04\x00\x00",
    "restart outside a scan": b"\xff\xd8\xff\xd0" + jpeg_image_segments(),
    "byte that is no marker": b"\xff\xd8\x00" + jpeg_image_segments(),
    "a million fill bytes": b"\xff\xd8" + b"\xff" * 1_000_000,
    "a scan of stuffed bytes only": b"\xff\xd8"
    + jpeg_image_segments()
    + SOS
    + b"\xff\x00" * 500_000,
}


@pytest.mark.parametrize("name", sorted(MALFORMED_JPEG))
def test_malformed_jpeg_gets_no_copy(name: str) -> None:
    assert strip_jpeg(MALFORMED_JPEG[name]) is None


def _png(*chunks: bytes) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


IHDR = png_chunk(b"IHDR", bytes(13))
IDAT = png_chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00"))
IEND = png_chunk(b"IEND", b"")
MALFORMED_PNG = {
    "empty": b"",
    "signature only": _png(),
    "bogus length": _png(IHDR, b"\x7f\xff\xff\xf0IDAT" + b"\x00" * 64, IEND),
    "length above 2^31": _png(IHDR, b"\xff\xff\xff\xffIDAT" + b"\x00" * 64, IEND),
    "bad CRC": _png(IHDR, IDAT[:-1] + bytes((IDAT[-1] ^ 1,)), IEND),
    "no IHDR first": _png(IDAT, IHDR, IEND),
    "two IHDR": _png(IHDR, IHDR, IDAT, IEND),
    "short IHDR": _png(png_chunk(b"IHDR", bytes(12)), IDAT, IEND),
    "no IDAT": _png(IHDR, IEND),
    "no IEND": _png(IHDR, IDAT),
    "chunk name not letters": _png(IHDR, png_chunk(b"ID4T", b""), IDAT, IEND),
    "cut in a chunk header": _png(IHDR, IDAT, IEND[:6]),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_PNG))
def test_malformed_png_gets_no_copy(name: str) -> None:
    assert strip_png(MALFORMED_PNG[name]) is None


PIXEL = riff_chunk(b"VP8L", vp8l_pixel())
MALFORMED_WEBP = {
    "empty": b"",
    "RIFF of something else": b"RIFF\x04\x00\x00\x00WAVE",
    "no chunks": riff(b""),
    "RIFF size past the end": b"RIFF\xff\xff\xff\x7fWEBP" + PIXEL,
    "chunk size past the RIFF": riff(b"VP8L\xff\xff\x00\x00" + b"\x00" * 16),
    "cut in a chunk header": riff(PIXEL + b"EXIF"),
    "VP8X too short": riff(riff_chunk(b"VP8X", b"\x00" * 4) + PIXEL),
    "metadata but no picture": riff(vp8x(0x08) + riff_chunk(b"EXIF", exif_tiff())),
    "first chunk not an image header": riff(riff_chunk(b"EXIF", exif_tiff()) + PIXEL),
    "frame header too short": riff(vp8x(0x02) + riff_chunk(b"ANMF", b"\x00" * 8)),
    "frame without a picture": riff(vp8x(0x02) + riff_chunk(b"ANMF", b"\x00" * 16)),
    "frame subchunk past the frame": riff(
        vp8x(0x02) + riff_chunk(b"ANMF", b"\x00" * 16 + b"VP8L\xff\x00\x00\x00")
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_WEBP))
def test_malformed_webp_gets_no_copy(name: str) -> None:
    assert strip_webp(MALFORMED_WEBP[name]) is None


@pytest.mark.parametrize("mime_type", sorted(PHOTOS))
def test_every_truncation_is_handled(mime_type: str) -> None:
    """Cut anywhere before the end of the image: no copy. Cut in the junk after it: a copy."""
    photo: Fixture = PHOTOS[mime_type]()
    for length in range(len(photo.data)):
        copy = strip_metadata(photo.data[:length], mime_type)
        assert copy is None or copy == photo.clean, length


@pytest.mark.parametrize("mime_type", sorted(PHOTOS))
def test_random_and_corrupted_bytes_never_raise(mime_type: str) -> None:
    rng = random.Random(20261127)
    photo = PHOTOS[mime_type]().data
    signature = photo[:12] if mime_type == "image/webp" else photo[:8]
    for _ in range(300):
        noise = rng.randbytes(rng.randrange(0, 400))
        assert strip_metadata(noise, mime_type) is None
        strip_metadata(signature + noise, mime_type)
        flipped = bytearray(photo)
        for _ in range(rng.randrange(1, 4)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        copy = strip_metadata(bytes(flipped), mime_type)
        assert copy is None or len(copy) <= len(flipped)


# At receipt: the original as it came, the copy beside it.


def test_store_keeps_the_original_and_writes_the_copy_beside_it(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, max_bytes=1_000_000)
    photo = jpeg_photo()

    stored = store.store(Upload(photo.data))

    assert stored.sha256 == hashlib.sha256(photo.data).hexdigest()
    assert (tmp_path / stored.path).read_bytes() == photo.data
    assert stored.clean_path is not None
    assert Path(stored.clean_path).parent == Path(stored.path).parent
    assert (tmp_path / stored.clean_path).read_bytes() == photo.clean
    assert store.store(Upload(photo.data)) == stored, "the same file again changes nothing"


def test_store_keeps_a_fetched_gif_without_a_copy(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, max_bytes=1_000_000)
    data = b"GIF89a\x01\x00\x01\x00\x00"
    stored = store.store(Upload(data))
    assert stored.clean_path is None
    assert (tmp_path / stored.path).read_bytes() == data
    assert sorted(p.name for p in (tmp_path / stored.path).parent.iterdir()) == [
        Path(stored.path).name
    ]


BROKEN_PICTURES = {
    "JPEG signature and zeros": b"\xff\xd8\xff\xe0" + b"\x00" * 64,
    "truncated JPEG": jpeg_photo().data[:300],
    "PNG without IEND": png_photo().clean[:-12],
    "WebP cut short": webp_photo().data[:20],
}


@pytest.mark.parametrize("name", sorted(BROKEN_PICTURES))
@pytest.mark.parametrize("posted", [True, False], ids=["posted", "fetched"])
def test_store_refuses_a_picture_that_does_not_walk_whole(
    tmp_path: Path, name: str, posted: bool
) -> None:
    store = MediaStore(tmp_path, max_bytes=1_000_000)
    with pytest.raises(RejectedFile, match="not a whole"):
        store.store(Upload(BROKEN_PICTURES[name], posted=posted))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "data", [b"GIF89a\x01\x00\x01\x00\x00", b"%PDF-1.7\n", b"OggS\x00\x02" + b"\x00" * 32]
)
def test_a_posted_file_must_be_a_jpeg_png_or_webp(tmp_path: Path, data: bytes) -> None:
    store = MediaStore(tmp_path, max_bytes=1_000_000)
    with pytest.raises(RejectedFile, match="unsupported"):
        store.store(Upload(data, posted=True))
    assert list(tmp_path.iterdir()) == []
