"""The managers' Settings page: what it accepts, what it refuses, and where its values show."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.models import AuditEvent, ShopSettings
from core.shop import contrast_ratio, shop_settings
from surveys.models import Survey
from surveys.services import invitation_send
from tests.factories import CustomerFactory, InvitationFactory

pytestmark = pytest.mark.django_db

VALID = {
    "shop_name": "Zapatería Lola",
    "sender_name": "Lola",
    "sender_email": "hola@zapaterialola.example",
    "reply_to_email": "ayuda@zapaterialola.example",
    "default_language": "en",
    "survey_delay_days": "4",
    "survey_reminder_days": "0",
    "survey_cooldown_days": "60",
    "brand_colour": "#7a1f5c",
    "brand_text_colour": "#ffffff",
    "retention_months": "36",
}


def image(fmt: str = "PNG", name: str = "logo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#7a1f5c").save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_wcag_contrast_ratios():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48
    assert contrast_ratio("#1f5fbf", "#ffffff") > 4.5


def test_a_manager_saves_the_settings_and_the_survey_timing_follows(as_manager, manager):
    response = as_manager.post(reverse("staff:settings"), VALID)

    assert response.status_code == 302
    shop = shop_settings()
    assert shop.name == "Zapatería Lola"
    assert shop.from_email == "Lola <hola@zapaterialola.example>"
    assert shop.survey_cooldown_days == 60
    survey = Survey.objects.get(slug="post-purchase")
    assert survey.invitation_delay == timedelta(days=4)
    assert survey.reminder_after is None  # 0: no reminder
    assert AuditEvent.objects.filter(action="shop_settings.update", actor=manager).exists()


def test_text_without_enough_contrast_on_the_brand_colour_is_refused(as_manager):
    response = as_manager.post(
        reverse("staff:settings"),
        {**VALID, "brand_colour": "#ffd54f", "brand_text_colour": "#ffffff"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "at least 4.5:1" in html and "1.4:1" in html
    assert not ShopSettings.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("survey_delay_days", "tres"),
        ("survey_delay_days", "-1"),
        ("survey_cooldown_days", "100000"),
        ("sender_email", "no es un correo"),
        ("brand_colour", "red"),
        ("brand_colour", "#12345"),
        ("default_language", "fr"),
        ("retention_months", "0"),
        ("time_zone", "Mars/Olympus_Mons"),
    ],
)
def test_bad_input_gets_form_errors_and_changes_nothing(as_manager, field, value):
    response = as_manager.post(reverse("staff:settings"), {**VALID, field: value})

    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not ShopSettings.objects.exists()
    assert Survey.objects.get(slug="post-purchase").invitation_delay == timedelta(days=2)


def test_a_logo_is_uploaded_and_served_publicly(as_manager, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = as_manager.post(reverse("staff:settings"), {**VALID, "logo": image()})
    assert response.status_code == 302

    as_manager.logout()
    logo = client.get(reverse("shop-logo"))
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"


def test_the_logo_shows_as_a_picture_with_a_box_to_remove_it(as_manager, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    as_manager.post(reverse("staff:settings"), {**VALID, "logo": image()})

    html = as_manager.get(reverse("staff:settings"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="logo-preview"' in html and "Remove the logo" in html
    assert ">shop/logo" not in html  # the storage path (shop/logo_x1y2.png) means nothing to a person

    response = as_manager.post(reverse("staff:settings"), {**VALID, "logo-clear": "on"})
    assert response.status_code == 302
    assert not ShopSettings.objects.get().logo
    assert client.get(reverse("shop-logo")).status_code == 404


def test_a_file_that_is_not_an_image_is_refused_as_a_logo(as_manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)></svg>")
    response = as_manager.post(reverse("staff:settings"), {**VALID, "logo": fake})
    assert response.status_code == 400
    assert not ShopSettings.objects.exists()


def test_the_shop_name_and_colours_appear_on_the_survey_page(as_manager, client):
    as_manager.post(reverse("staff:settings"), VALID)
    as_manager.logout()
    invitation = InvitationFactory()

    html = client.get(reverse("surveys:answer", args=[invitation.token])).content.decode()

    assert "Zapatería Lola" in html
    assert "--brand: #7a1f5c" in html


def test_the_invitation_email_comes_from_the_shop_with_its_name(as_manager):
    as_manager.post(reverse("staff:settings"), VALID)
    invitation = InvitationFactory(status="pending", sent_at=None)

    assert invitation_send(invitation_id=invitation.pk) is True

    (email,) = mail.outbox
    assert email.from_email == "Lola <hola@zapaterialola.example>"
    assert "Zapatería Lola" in email.subject
    assert "Zapatería Lola" in email.body


def test_the_default_language_is_used_for_customers_whose_language_is_unknown(as_manager):
    from surveys.services import invitation_language

    as_manager.post(reverse("staff:settings"), VALID)
    assert invitation_language(CustomerFactory(preferred_language="")) == "en"


def test_empty_fields_keep_the_environments_values(as_manager, settings):
    settings.VOZ_SHOP_NAME = "Tienda del entorno"
    settings.VOZ_CUSTOMER_EMAIL_FROM = "Tienda del entorno <hola@entorno.example>"
    response = as_manager.post(
        reverse("staff:settings"), {**VALID, "shop_name": "", "sender_name": "", "sender_email": ""}
    )
    assert response.status_code == 302
    shop = shop_settings()
    assert shop.name == "Tienda del entorno"
    assert shop.sender_email == "hola@entorno.example"


def test_the_region_select_names_its_empty_choice_in_the_readers_language(as_manager):
    for language, empty in (("es", "Sin indicar"), ("en", "Not set")):
        page = as_manager.get(reverse("staff:settings"), headers={"accept-language": language}).content.decode()
        region = page.split('name="region"', 1)[1].split("</select>", 1)[0]
        assert f'<option value="" selected>{empty}</option>' in region and "---" not in region, language
