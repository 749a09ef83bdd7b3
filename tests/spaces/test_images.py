import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from spaces.images import PHOTO_MAX_BYTES, photo_reencode
from spaces.models import Photo
from spaces.services import photo_add
from tests.factories import SpaceFactory


def picture_bytes(
    image_format: str, size: tuple[int, int] = (64, 48), exif: Image.Exif | None = None
) -> bytes:
    image = Image.new("RGB", size, (29, 59, 111))
    output = io.BytesIO()
    image.save(output, format=image_format, **({"exif": exif} if exif is not None else {}))
    return output.getvalue()


def upload(content: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def camera_exif() -> Image.Exif:
    """What a phone writes: its make and model, and where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model X 12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (50.0, 19.0, 44.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (3.0, 23.0, 44.0)
    return exif


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header announces width x height, followed by pixel data that cannot decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"these bytes are not zlib data")
        + chunk(b"IEND", b"")
    )


def stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("image_format", "extension"), [("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp")]
)
def test_photo_add_stores_a_re_encoded_image_in_the_same_format(
    site, image_format, extension, commune_staff
):
    content = picture_bytes(image_format)

    photo = photo_add(
        actor=commune_staff, site=site, upload=upload(content), alt_text="Façade côté rue"
    )

    with Image.open(photo.image.path) as stored:
        assert (stored.format, stored.size) == (image_format, (64, 48))
    assert photo.image.name.endswith(extension)


def test_photo_add_strips_the_exif_metadata(site, commune_staff):
    content = picture_bytes("JPEG", exif=camera_exif())
    with Image.open(io.BytesIO(content)) as original:  # the test photo does carry the tags
        assert original.getexif()[ExifTags.Base.Make] == "PhoneMaker"
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    photo = photo_add(
        actor=commune_staff, site=site, upload=upload(content), alt_text="Façade côté rue"
    )

    with Image.open(photo.image.path) as stored:
        assert not stored.getexif()
        assert "exif" not in stored.info
    assert b"PhoneMaker" not in Path(photo.image.path).read_bytes()


def test_photo_add_keeps_the_orientation_given_by_the_exif_tag(site, commune_staff):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # taken with the phone turned: rotate 90°
    content = picture_bytes("JPEG", size=(40, 20), exif=exif)

    photo = photo_add(
        actor=commune_staff, site=site, upload=upload(content), alt_text="Salle vue du fond"
    )

    with Image.open(photo.image.path) as stored:
        assert stored.size == (20, 40)


def test_photo_add_does_not_keep_the_uploaded_file_name(site, commune_staff):
    content = picture_bytes("JPEG")

    photo = photo_add(
        actor=commune_staff,
        site=site,
        upload=upload(content, name="jean-dupont-home.jpg"),
        alt_text="Façade",
    )

    assert "jean-dupont" not in photo.image.name


def test_photo_add_attaches_the_photo_to_a_space_of_the_site(site, space, commune_staff):
    content = picture_bytes("PNG")

    photo = photo_add(
        actor=commune_staff, site=site, space=space, upload=upload(content), alt_text="Salle Usinor"
    )

    assert list(space.photos.all()) == [photo]


def test_photo_add_refuses_a_text_file_named_like_a_jpeg(site, settings, commune_staff):
    text = upload(b"Bonjour, ceci n'est pas une image.\n" * 20, name="photo.jpg")

    with pytest.raises(ValidationError) as error:
        photo_add(actor=commune_staff, site=site, upload=text, alt_text="Façade")

    assert list(error.value.message_dict) == ["image"]
    assert not Photo.objects.exists()
    assert stored_files(settings) == []


def test_photo_add_refuses_an_empty_file(site, commune_staff):
    with pytest.raises(ValidationError) as error:
        photo_add(actor=commune_staff, site=site, upload=upload(b""), alt_text="Façade")

    assert list(error.value.message_dict) == ["image"]


def test_photo_add_refuses_a_file_over_5_mb(site, settings, commune_staff):
    too_big = upload(b"\xff" * (PHOTO_MAX_BYTES + 1))

    with pytest.raises(ValidationError) as error:
        photo_add(actor=commune_staff, site=site, upload=too_big, alt_text="Façade")

    assert list(error.value.message_dict) == ["image"]
    assert not Photo.objects.exists()
    assert stored_files(settings) == []


def test_photo_add_refuses_an_image_over_40_megapixels(site, settings, commune_staff):
    image = Image.new("1", (7000, 6000))  # 42 Mpx in 5 MB of memory, a few kB as PNG
    output = io.BytesIO()
    image.save(output, format="PNG")

    with pytest.raises(ValidationError) as error:
        photo_add(
            actor=commune_staff,
            site=site,
            upload=upload(output.getvalue(), "big.png"),
            alt_text="Façade",
        )

    assert list(error.value.message_dict) == ["image"]
    assert not Photo.objects.exists()
    assert stored_files(settings) == []


def test_photo_reencode_refuses_too_many_pixels_before_decoding_them():
    # Decoding these pixel bytes would fail as "not an image": the header alone must decide.
    header_only = upload(png_header_only(7000, 6000), "bomb.png")

    with pytest.raises(ValidationError) as error:
        photo_reencode(header_only)

    assert error.value.code == "too_many_pixels"


def test_photo_reencode_refuses_a_gif():
    with pytest.raises(ValidationError) as error:
        photo_reencode(upload(picture_bytes("GIF"), "animation.gif"))

    assert error.value.code == "bad_format"


def test_photo_add_refuses_a_gif(site, settings, commune_staff):
    gif = upload(picture_bytes("GIF"), "animation.gif")

    with pytest.raises(ValidationError) as error:
        photo_add(actor=commune_staff, site=site, upload=gif, alt_text="Façade")

    assert list(error.value.message_dict) == ["image"]
    assert not Photo.objects.exists()
    assert stored_files(settings) == []


def test_photo_add_refuses_a_photo_without_description(site, settings, commune_staff):
    content = picture_bytes("JPEG")

    with pytest.raises(ValidationError) as error:
        photo_add(actor=commune_staff, site=site, upload=upload(content), alt_text="   ")

    assert list(error.value.message_dict) == ["alt_text"]
    assert stored_files(settings) == []


def test_photo_add_refuses_a_space_of_another_site(site, other_site, settings, commune_staff):
    elsewhere = SpaceFactory(site=other_site)
    content = picture_bytes("JPEG")

    with pytest.raises(PermissionDenied):
        photo_add(
            actor=commune_staff,
            site=site,
            space=elsewhere,
            upload=upload(content),
            alt_text="Salle",
        )

    assert not Photo.objects.exists()
    assert stored_files(settings) == []
