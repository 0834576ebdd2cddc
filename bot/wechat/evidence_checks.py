"""What a stored evidence file must be: images that decode as JPEG, PNG or GIF, re-encoded without metadata;
voice (AMR/Speex/MP3) and video (MP4) checked by signature. Pure byte checks; nothing here touches a disk or a row.

Images are re-encoded with Pillow without EXIF, GPS, maker notes, thumbnails, XMP or ICC data (RELIABILITY 44, 45).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from io import BytesIO

from PIL import Image
from PIL import ImageOps
from PIL import ImageSequence
from PIL import UnidentifiedImageError

from bot.wechat.api import Media

log = logging.getLogger("zhiyong.evidence")


MAX_PIXELS = 40_000_000  # well above any phone photo; refuses decompression bombs before decoding


MAX_VOICE_BYTES = 2 * 1024 * 1024


IMAGE_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "GIF": ("image/gif", "gif")}


IMAGE_KINDS = ("image", "photo", "picture")


# The extensions this module writes (a leftover file with any other is not one of ours).
EXT_TYPES = {ext: ctype for ctype, ext in IMAGE_FORMATS.values()} | {
    "amr": "audio/amr",
    "spx": "audio/speex",
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
}


class Refused(Exception):
    """The content is not what it claims to be (or too large): never stored."""


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    ext: str


def strip_image(data: bytes) -> CleanFile:
    """Decode, check and re-encode an image without any metadata; EXIF orientation is applied first.

    :raises Refused: not a JPEG/PNG/GIF, damaged, or absurdly large.
    """
    try:
        with Image.open(BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise Refused(f"image too large ({width}x{height})")
            probe.verify()
        image = Image.open(BytesIO(data))
        image.load()
    except Refused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Refused(f"not a readable image ({type(exc).__name__})") from None
    if fmt not in IMAGE_FORMATS:
        raise Refused(f"unsupported image format {fmt}")
    content_type, ext = IMAGE_FORMATS[fmt]
    out = BytesIO()
    with image:
        if fmt == "JPEG":
            # Orientation lives in EXIF; apply it to the pixels before the tag goes, or the photo turns sideways.
            clean = ImageOps.exif_transpose(image)
            clean.info = {}
            clean.save(out, "JPEG", quality=95)
        elif fmt == "PNG":
            clean = image.copy()
            clean.info = {}
            clean.save(out, "PNG")
        else:
            frames = []
            for frame in ImageSequence.Iterator(image):
                copy = frame.copy()
                copy.info = {k: v for k, v in frame.info.items() if k in ("duration", "transparency")}
                frames.append(copy)
            frames[0].save(out, "GIF", save_all=len(frames) > 1, append_images=frames[1:], loop=0)
    result = out.getvalue()
    with Image.open(BytesIO(result)) as check:
        # Belt and braces: if a Pillow upgrade ever starts copying metadata, refuse rather than store it.
        if check.getexif() or {"exif", "xmp", "icc_profile", "comment"} & set(check.info):
            raise Refused("metadata survived stripping")
    return CleanFile(result, content_type, ext)


def _voice(data: bytes) -> CleanFile:
    if len(data) > MAX_VOICE_BYTES:
        raise Refused("voice larger than 2 MB")
    if data.startswith(b"#!AMR"):
        return CleanFile(data, "audio/amr", "amr")
    if data.startswith(b"OggS") or data.startswith(b"Speex"):
        return CleanFile(data, "audio/speex", "spx")
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return CleanFile(data, "audio/mpeg", "mp3")
    raise Refused("not an AMR, Speex or MP3 voice file")


def _video(data: bytes) -> CleanFile:
    if data[4:8] == b"ftyp":
        return CleanFile(data, "video/mp4", "mp4")
    raise Refused("not an MP4 video")


def check_content(kind: str, media: Media) -> CleanFile:
    """What gets stored for an evidence row of `kind`, decided by the bytes rather than what they claim.

    :raises Refused: the content does not match the kind.
    """
    if kind in IMAGE_KINDS:
        return strip_image(media.content)
    if kind == "voice":
        return _voice(media.content)
    if kind in ("video", "shortvideo"):
        return _video(media.content)
    if media.content_type.startswith("image/"):
        return strip_image(media.content)
    raise Refused(f"unsupported evidence kind {kind!r}")
