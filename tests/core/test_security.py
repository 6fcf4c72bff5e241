"""Security headers, production settings, and customer text never turning into markup."""

import os
import secrets
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from core.roles import MANAGERS

ROOT = Path(__file__).resolve().parents[2]

# What customers (or someone posing as one) might type, in reviews, comments and mentions.
XSS_PAYLOADS = [
    "<script>alert('voz')</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
    "<iframe src=javascript:alert(1)></iframe>",
    "</textarea><script>alert(2)</script>",
    "<a href='javascript:alert(3)'>premio</a>",
]


def manage_with_production_settings(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={
            # the browser tests' fixture lifts Django's async guard in this process; a deployment never does
            **{name: value for name, value in os.environ.items() if name != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "voz.example.com",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_with_the_production_settings():
    # as a shop deploys it: a sender its customers can answer (without one, check warns: W001)
    result = manage_with_production_settings(
        "check", "--deploy", "--fail-level", "WARNING", VOZ_CUSTOMER_EMAIL_FROM="Tienda <hola@tienda.example>"
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_collectstatic_builds_the_production_manifest(tmp_path):
    """Production serves hashed file names from the manifest; a file an asset refers to but that is
    missing (a source map) makes collectstatic fail, and with it every deploy."""
    result = manage_with_production_settings("collectstatic", "--noinput", STATIC_ROOT=str(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/chart.umd.min.js" in manifest and "voz/survey.css" in manifest


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy_and_the_other_headers(client):
    from tests.factories import InvitationFactory

    response = client.get(f"/s/{InvitationFactory().token}/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.fixture
def manager_client(client, django_user_model):
    user = django_user_model.objects.create_user("boss", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_customer_text_is_escaped_on_every_page_that_shows_it(manager_client):
    from feedback.models import FeedbackItem
    from reviews.models import Review
    from sentiment.models import FeedbackTopic, Topic
    from support.services import case_customer_message, case_open_manual
    from tests.factories import CustomerFactory

    customer = CustomerFactory(name=XSS_PAYLOADS[1])
    received = timezone.now() - timedelta(days=1)
    case = case_open_manual(subject=XSS_PAYLOADS[2], customer=customer, text=XSS_PAYLOADS[3])
    case_customer_message(case=case, text=XSS_PAYLOADS[4])
    delivery = Topic.objects.get(slug="delivery")
    for payload in XSS_PAYLOADS:
        review = Review.objects.create(
            source="own_site", external_id=payload[:40], rating=1, title=payload, body=payload, author_name=payload
        )
        item = FeedbackItem.objects.create(
            channel="review",
            review=review,
            text=payload,
            language="es",
            customer=customer,
            case=case,
            received_at=received,
            analysis_status="done",
            sentiment="negative",
        )
        FeedbackTopic.objects.create(feedback=item, topic=delivery, sentiment="negative", score=-1, matches=[payload])
    from analytics import rollups

    rollups.mark_dirty(rollups.Source.FEEDBACK, [received])
    start, end = (date.today() - timedelta(days=7)).isoformat(), date.today().isoformat()
    pages = [
        "/feedback/",
        "/support/",
        f"/support/cases/{case.pk}/",
        f"/dashboards/topics/?start={start}&end={end}",
        "/admin/feedback/feedbackitem/",
        "/admin/reviews/review/",
        f"/admin/support/case/{case.pk}/change/",
    ]

    for page in pages:
        response = manager_client.get(page)
        html = response.content.decode()
        assert response.status_code == 200, page
        for payload in XSS_PAYLOADS:
            assert payload not in html, (page, payload)
        assert "<script>alert" not in html and "onerror=" not in html.replace("onerror=&quot;", ""), page
