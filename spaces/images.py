"""Photo uploads: JPEG, PNG or WebP only, at most 5 MB and 40 megapixels, re-encoded.

Re-encoding drops EXIF (GPS position, camera serial…) and anything hidden after the image data.
"""

import io
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
_FORMATS = {"JPEG": ("JPEG", "jpg"), "PNG": ("PNG", "png"), "WEBP": ("WEBP", "webp")}


def photo_reencode(upload: UploadedFile) -> ContentFile:
    """Return a clean copy of the image. Raises ValidationError with a message for the user."""
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("The photo is larger than 5 MB."), code="too_large")
    upload.seek(0)
    try:
        image = Image.open(upload)
        # The header gives the size before any pixel is decoded: refuse bombs early.
        width, height = image.size
        if width * height > PHOTO_MAX_PIXELS:
            raise ValidationError(
                _("The photo has more than 40 megapixels."), code="too_many_pixels"
            )
        if image.format not in _FORMATS:
            raise ValidationError(
                _("Only JPEG, PNG or WebP photos are accepted."), code="bad_format"
            )
        image_format, extension = _FORMATS[image.format]
        image.load()
        image = ImageOps.exif_transpose(image)  # keep the orientation the EXIF tag gave
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ValidationError(
            _("This file is not a readable image (JPEG, PNG or WebP)."), code="not_image"
        ) from exc
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    output = io.BytesIO()
    options = {"quality": 85, "optimize": True} if image_format in ("JPEG", "WEBP") else {}
    image.save(output, format=image_format, **options)
    return ContentFile(output.getvalue(), name=f"{secrets.token_hex(12)}.{extension}")
