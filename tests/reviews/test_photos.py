"""Photos customers add to a review: limits, metadata stripped, thumbnails, shown only once the
review is approved, and erased with the customer."""

from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from reviews.models import Review, ReviewPhoto
from reviews.photos import PhotoRefused, photo_prepare
from tests.surveys.test_review_requests import field, invitation, post, url  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

ORIENTATION, MAKE, MODEL, ARTIST, GPS_IFD = 0x0112, 0x010F, 0x0110, 0x013B, 0x8825


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def phone_photo(name="IMG_0001.jpg", *, size=(400, 200), kind="JPEG", colour=(200, 30, 30)) -> SimpleUploadedFile:
    """A photo as a phone writes it: camera, owner, GPS position, and an orientation to apply."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ARTIST] = "Fonecam", "Fonecam X9", "Lucía Pérez"
    exif[ORIENTATION] = 6  # taken holding the phone upright: rotate 90° to show
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (40.0, 25.0, 1.5), 3: "W", 4: (3.0, 42.0, 2.5)})
    out = BytesIO()
    image.save(out, kind, exif=exif.tobytes()) if kind in ("JPEG", "WEBP", "PNG") else image.save(out, kind)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def test_a_photo_is_re_encoded_upright_without_its_metadata_and_gets_a_thumbnail():
    prepared = photo_prepare(phone_photo())

    full = Image.open(BytesIO(prepared.full))
    thumb = Image.open(BytesIO(prepared.thumbnail))
    assert full.format == "JPEG" and (full.width, full.height) == (200, 400)  # turned upright
    assert (prepared.width, prepared.height) == (200, 400)
    assert not full.getexif() and not thumb.getexif()
    assert "icc_profile" not in full.info and "exif" not in full.info
    for leaked in (b"Fonecam", "Lucía".encode(), b"GPS"):
        assert leaked not in prepared.full and leaked not in prepared.thumbnail
    assert thumb.size == (240, 240)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.jpg", b"not a photo at all", content_type="image/jpeg"), "no es una foto"),
        (phone_photo("anim.gif", kind="GIF"), "JPEG, PNG o WebP"),
        (SimpleUploadedFile("empty.png", b"", content_type="image/png"), "no es una foto"),
    ],
)
def test_files_that_are_not_photos_of_an_allowed_type_are_refused(upload, message):
    with pytest.raises(PhotoRefused, match=message):
        photo_prepare(upload)


def test_a_photo_over_the_size_limit_is_refused(settings):
    settings.REVIEW_PHOTO_MAX_BYTES = 1024
    big = phone_photo(size=(1200, 1200))
    assert big.size > 1024
    with pytest.raises(PhotoRefused, match="hasta 0 MB"):
        photo_prepare(big)


def test_png_and_webp_are_taken_too():
    for kind in ("PNG", "WEBP"):
        assert Image.open(BytesIO(photo_prepare(phone_photo(f"x.{kind.lower()}", kind=kind)).full)).format == "JPEG"


def send_review_with_photos(client, invitation, photos):  # noqa: F811
    page = client.get(url(invitation))
    return client.post(
        url(invitation),
        {
            field(invitation, "TAZA-01", "rating"): "5",
            field(invitation, "TAZA-01", "body"): "Mirad qué color.",
            field(invitation, "TAZA-01", "photos"): photos,
            "lang": "es",
            "csrfmiddlewaretoken": str(page.context["csrf_token"]),
        },
    )


def test_photos_sent_with_a_review_wait_for_moderation_and_are_then_shown(invitation, media, settings):  # noqa: F811
    from onsite.models import Site
    from reviews.services import review_moderate

    client = Client(enforce_csrf_checks=True)
    assert 'enctype="multipart/form-data"' in client.get(url(invitation)).content.decode()

    response = send_review_with_photos(client, invitation, [phone_photo(), phone_photo("b.jpg")])

    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.status, review.moderation_reason) == ("pending", "photos to check")  # a person looks first
    photos = list(review.photos.all())
    assert len(photos) == 2 and all(p.image.name.endswith(".jpg") and "IMG_0001" not in p.image.name for p in photos)
    stored = Image.open(Path(media) / photos[0].image.name)
    assert not stored.getexif() and (stored.width, stored.height) == (200, 400)
    photo_url = f"/w/photos/{photos[0].pk}/thumb/"
    assert Client().get(photo_url).status_code == 404  # hidden until approved

    review_moderate(review=review, status="published")
    shown = Client().get(photo_url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert Image.open(BytesIO(b"".join(shown.streaming_content))).size == (240, 240)
    site = Site.objects.create(name="Tienda", domains="tienda.example.com")
    body = Client().get(f"/w/{site.public_key}/products/TAZA-01/reviews/").json()
    assert [p["thumbnail"] for p in body["reviews"][0]["photos"]] == [f"/w/photos/{p.pk}/thumb/" for p in photos]

    review_moderate(review=review, status="rejected", reason="Foto de otra cosa")
    assert Client().get(photo_url).status_code == 404


def test_too_many_or_unreadable_photos_are_refused_on_the_review_page_and_nothing_is_stored(
    invitation,  # noqa: F811
):
    client = Client(enforce_csrf_checks=True)
    too_many = send_review_with_photos(client, invitation, [phone_photo(f"{n}.jpg") for n in range(4)])
    not_photo = send_review_with_photos(
        client, invitation, [SimpleUploadedFile("virus.jpg", b"MZ\x90\x00", content_type="image/jpeg")]
    )

    assert too_many.status_code == 400 and "Añade hasta 3 fotos" in too_many.content.decode()
    assert not_photo.status_code == 400 and "virus.jpg" in not_photo.content.decode()
    assert not Review.objects.exists() and not ReviewPhoto.objects.exists()


def test_erasing_the_customer_erases_their_review_photos(invitation, media, django_capture_on_commit_callbacks):  # noqa: F811
    from privacy.services import customer_erase

    send_review_with_photos(Client(enforce_csrf_checks=True), invitation, [phone_photo()])
    photo = ReviewPhoto.objects.get()
    files = [Path(media) / photo.image.name, Path(media) / photo.thumbnail.name]
    assert all(f.exists() for f in files)

    with django_capture_on_commit_callbacks(execute=True):
        report = customer_erase(customer=invitation.customer, reason="Art. 17")

    assert report.review_photos_erased == 1
    assert not ReviewPhoto.objects.exists() and not any(f.exists() for f in files)
