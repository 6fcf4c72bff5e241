"""The first-steps checklist: each step ticks only when the shop's data shows it done."""

import io
from datetime import date

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.audit import audit
from core.models import ShopSettings
from core.shop import shop_settings_save
from integrations.services import connector_create
from onsite.models import Site
from staff.selectors import onboarding_steps
from support.models import BusinessCalendar, Holiday
from surveys.models import Invitation, Survey

pytestmark = pytest.mark.django_db


def done() -> dict[str, bool]:
    return {step.key: step.is_done for step in onboarding_steps()}


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#1f5fbf").save(buffer, "PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def test_a_fresh_install_has_every_step_to_do(manager):
    assert done() == {
        "shop": False,
        "sender": False,
        "calendar": False,
        "team": False,  # the manager alone
        "survey": False,
        "widget": False,
        "test": False,
    }


def test_connecting_the_shop_ticks_its_step(manager):
    connector_create(platform="shopify", shop_url="https://tienda.example.com", secret="shpss_x")
    assert done()["shop"] is True


def test_the_sender_step_needs_the_address_and_the_logo(manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    shop_settings_save(ShopSettings(sender_email="hola@tienda.example"))
    assert done()["sender"] is False
    row = ShopSettings.objects.get()
    row.logo = png()
    shop_settings_save(row)
    assert done()["sender"] is True


def test_the_calendar_step_ticks_when_a_person_changes_the_calendar_or_its_holidays(manager):
    calendar = BusinessCalendar.objects.get(is_default=True)
    # the calendar the install ships is not the shop's own yet
    assert done()["calendar"] is False
    audit("admin.change", calendar)  # outside a request: the system, not a person
    assert done()["calendar"] is False
    holiday = Holiday.objects.create(calendar=calendar, date=date(2026, 12, 26), name="San Esteban")
    LogEntry.objects.log_action(
        user_id=manager.pk,
        content_type_id=ContentType.objects.get_for_model(Holiday).pk,
        object_id=holiday.pk,
        object_repr=str(holiday),
        action_flag=CHANGE,
    )
    assert done()["calendar"] is True


def test_the_team_step_ticks_with_a_second_staff_member(manager, agent):
    assert done()["team"] is True


def test_a_customer_account_is_not_a_team_member(manager, django_user_model):
    django_user_model.objects.create_user("shopper", password="x")
    assert done()["team"] is False


def test_the_survey_step_ticks_when_a_person_edits_the_survey(manager):
    survey = Survey.objects.get(slug="post-purchase")
    assert done()["survey"] is False
    audit("survey.update", survey, actor=manager)
    assert done()["survey"] is True


def test_rewording_a_question_in_the_survey_editor_ticks_the_survey_step(as_manager, manager):
    question = Survey.objects.get(slug="post-purchase").questions.get(code="nps")
    url = reverse("survey-editor:question-edit", args=[question.survey_id, question.pk])

    response = as_manager.post(
        url,
        {
            "kind": "nps",
            "prompt_es": "¿Nos recomendarías?",
            "prompt_en": "Would you recommend us?",
            "is_required": "on",
        },
    )

    assert response.status_code == 302
    assert done()["survey"] is True


def test_inviting_a_colleague_ticks_the_team_step_before_they_accept(manager):
    from accounts.services import invitation_create

    invitation = invitation_create(
        email="luis@tienda.example", role="agent", team=None, language="es", invited_by=manager
    )
    assert done()["team"] is True

    invitation.revoked_at = invitation.created_at
    invitation.save()
    assert done()["team"] is False


def test_the_team_and_survey_steps_lead_to_the_staff_pages_not_the_admin(manager):
    steps = {step.key: step for step in onboarding_steps()}
    survey = Survey.objects.get(slug="post-purchase")
    assert steps["survey"].url == reverse("survey-editor:edit", args=[survey.pk])
    assert steps["team"].url == reverse("accounts:staff")


def test_the_widget_step_ticks_when_the_widget_is_heard_from_the_shops_domain(client, manager):
    site = Site.objects.create(name="Tienda", domains="tienda.example.com")
    url = reverse("onsite:intercepts", args=[site.public_key])

    client.get(url, HTTP_ORIGIN="https://otra.example.net")  # another domain: refused, not seen
    client.get(url)  # no Origin (a same-site read): nothing proves the snippet is on the shop
    assert done()["widget"] is False

    client.get(url, HTTP_ORIGIN="https://tienda.example.com")

    site.refresh_from_db()
    assert site.last_seen_origin == "https://tienda.example.com"
    steps = {step.key: step for step in onboarding_steps()}
    assert steps["widget"].is_done is True
    assert "https://tienda.example.com" in steps["widget"].detail


def test_the_onboarding_page_shows_the_snippet_with_a_copy_button(as_manager):
    site = Site.objects.create(name="Tienda", domains="tienda.example.com")
    html = as_manager.get(reverse("staff:onboarding"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-site="{site.public_key}"' in html
    assert f'data-copy="snippet-{site.pk}"' in html
    assert "Not seen yet on tienda.example.com" in html


def test_the_widget_step_on_the_home_leads_a_manager_to_the_snippet_not_the_admin(as_manager, manager):
    site = Site.objects.create(name="Tienda", domains="tienda.example.com")
    home = as_manager.get(reverse("staff:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    start = as_manager.get(_href(home, 'id="onboarding-teaser"'), HTTP_ACCEPT_LANGUAGE="en")
    link = _href(start.content.decode(), 'id="step-widget"')

    response = as_manager.get(link, HTTP_ACCEPT_LANGUAGE="en")

    assert not manager.is_superuser
    assert link == reverse("staff:onboarding") + "#widget" and not link.startswith("/admin/")
    assert response.status_code == 200
    widget = response.content.decode().split('id="widget"', 1)[1].split("</section>", 1)[0]
    assert f'data-site="{site.public_key}"' in widget and f'data-copy="snippet-{site.pk}"' in widget


def _href(html: str, marker: str) -> str:
    """The first link after `marker` in the page."""
    return html.split(marker, 1)[1].split('href="', 1)[1].split('"', 1)[0]


def test_sending_the_test_survey_emails_the_manager_and_ticks_its_step(as_manager, manager):
    response = as_manager.post(reverse("staff:test-survey"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["marta@tienda.example"]
    invitation = Invitation.objects.get(customer__email="marta@tienda.example")
    assert invitation.url in mail.outbox[0].body
    assert done()["test"] is True


def test_without_an_email_address_no_test_survey_is_sent(as_manager, manager):
    manager.email = ""
    manager.save()
    response = as_manager.post(reverse("staff:test-survey"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Your account has no email address." in response.content.decode()
    assert mail.outbox == []
    assert done()["test"] is False


def test_the_page_shows_progress_and_a_link_for_each_step(as_manager, agent):
    connector_create(platform="shopify", shop_url="https://tienda.example.com", secret="shpss_x")
    html = as_manager.get(reverse("staff:onboarding")).content.decode()
    assert '<progress class="onboarding-progress" max="7" value="2"' in html
    for key in ("shop", "sender", "calendar", "team", "survey", "widget", "test"):
        step = html[html.index(f'id="step-{key}"') :]
        assert "<a href=" in step[:600]
    assert 'id="step-shop" data-done="true"' in html
    assert 'id="step-survey" data-done="false"' in html
