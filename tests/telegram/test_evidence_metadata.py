"""Evidence images of every accepted format are stored without EXIF (GPS position,
camera) or text metadata (tests/telegram/test_units.py covers JPEG; this adds PNG and
WebP, and checks the file on disk)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from bot.telegram import media
from bot.telegram.media import store

GPS_IFD = 0x8825


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0110] = "SecretCam 3000"  # camera model
    exif[0x9003] = "2025:06:14 15:30:00"  # when it was taken
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    return exif


def image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    extra = {}
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "GPS 48.8579 2.2945, Jean Dupont")
        extra["pnginfo"] = text
    image.save(out, fmt, exif=exif_with_gps(), **extra)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the sample really carries GPS
        assert GPS_IFD in check.getexif()
    return data


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_stored_image_has_no_metadata(tmp_path: Path, fmt: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # sanitize() sets Pillow's global limit; another test may have left a tiny one
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", media.MAX_PIXELS)
    stored = store(image_bytes(fmt), tmp_path)
    path = tmp_path / stored.stored_name
    raw = path.read_bytes()
    assert b"SecretCam" not in raw and b"Jean Dupont" not in raw
    with Image.open(path) as image:
        assert image.format == fmt
        assert dict(image.getexif()) == {}
        assert GPS_IFD not in image.getexif()
        assert not {"exif", "Comment", "xmp"} & set(image.info)
        assert image.size == (64, 48)
