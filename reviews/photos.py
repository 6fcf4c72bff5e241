"""Customers' review photos: checked, re-encoded without metadata, and given a thumbnail.

The file is judged by what Pillow reads in it, never by its name or the browser's content type.
Re-encoding drops every EXIF, XMP and ICC block a phone writes (GPS position, device, owner's
name) after the orientation it records has been applied, so the photo still stands upright.
"""

from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
FULL_SIZE = 1600  # longest side kept, px
THUMBNAIL_SIZE = 240  # square, px
MAX_PIXELS = 40_000_000  # past this a small file can still be a decompression bomb


class PhotoRefused(ValueError):
    """A file that is not taken: the message is for the customer."""


@dataclass(frozen=True)
class PreparedPhoto:
    full: bytes
    thumbnail: bytes
    width: int
    height: int


def photo_prepare(upload) -> PreparedPhoto:
    from django.utils.translation import gettext

    max_bytes = settings.REVIEW_PHOTO_MAX_BYTES
    if upload.size > max_bytes:
        raise PhotoRefused(gettext("Each photo may be up to %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)})
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            kind = probe.format
            if kind not in ALLOWED_FORMATS:
                raise PhotoRefused(gettext("Send the photo as JPEG, PNG or WebP."))
            if probe.width * probe.height > MAX_PIXELS:
                raise PhotoRefused(gettext("This photo is too large."))
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = upright.convert("RGB")
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise PhotoRefused(gettext("This file is not a photo we can read.")) from error
    full = rgb.copy()
    full.thumbnail((FULL_SIZE, FULL_SIZE))
    thumbnail = ImageOps.fit(rgb, (THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    return PreparedPhoto(full=_jpeg(full), thumbnail=_jpeg(thumbnail), width=full.width, height=full.height)


def _jpeg(image: Image.Image) -> bytes:
    out = BytesIO()
    # no exif=, no icc_profile=: Pillow writes none of the original's metadata
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()
