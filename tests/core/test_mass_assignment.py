"""No mass assignment (OWASP API3): clients write only the fields an input serializer declares."""

import importlib
import inspect
from pathlib import Path

import pytest
from rest_framework import serializers
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parents[2]


def project_serializers() -> list[type]:
    found = []
    for path in ROOT.glob("*/api/serializers.py"):
        module = importlib.import_module(f"{path.parent.parent.name}.api.serializers")
        found += [
            cls
            for _name, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, serializers.BaseSerializer) and cls.__module__ == module.__name__
        ]
    return found


def test_model_serializers_only_ever_read():
    """Every serializer built on a model is for output: all its fields are read-only, so none can
    be used to write a model field a client chose. Writes go through plain input serializers and
    the services."""
    model_serializers = [cls for cls in project_serializers() if issubclass(cls, serializers.ModelSerializer)]
    assert len(model_serializers) >= 6
    for cls in model_serializers:
        assert getattr(cls.Meta, "fields", None) not in (None, "__all__"), cls
        assert not hasattr(cls.Meta, "exclude"), cls
        writable = [name for name, field in cls().fields.items() if not field.read_only]
        assert writable == [], f"{cls.__name__} can write {writable}"


@pytest.fixture
def writer(api_token_for):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('feedback:write', 'cases:write')}")
    return client


@pytest.mark.django_db
def test_extra_fields_cannot_skip_review_moderation_or_claim_a_verified_purchase(writer):
    from reviews.models import Review

    response = writer.post(
        "/api/v1/reviews/",
        {
            "external_id": "r-mass",
            "rating": 5,
            "body": "Compra barato en http://spam.example",
            # not writable: a client must not publish, verify or place its own review
            "id": 999_999,
            "status": "published",
            "is_verified_buyer": True,
            "moderation_reason": "",
            "customer": "VIP-1",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    review = Review.objects.get(external_id="r-mass")
    assert review.pk != 999_999
    assert review.status == Review.Status.PENDING  # held by the link rule
    assert review.is_verified_buyer is False and review.customer_id is None


@pytest.mark.django_db
def test_extra_fields_cannot_rewrite_a_case_clock_or_a_feedback_text(writer):
    from support.models import Case
    from support.services import case_open_manual
    from tests.factories import FeedbackItemFactory

    case = case_open_manual(subject="Pedido roto", text="Llegó roto")
    changed = writer.patch(
        f"/api/v1/cases/{case.pk}/",
        {
            "priority": "high",
            "first_response_at": "2020-01-01T00:00:00Z",
            "opened_at": "2020-01-01T00:00:00Z",
            "sla_due_at": "2099-01-01T00:00:00Z",
            "subject": "otro",
        },
        format="json",
    )
    assert changed.status_code == 200, changed.content
    case_after = Case.objects.get(pk=case.pk)
    assert case_after.priority == "high"
    assert (case_after.first_response_at, case_after.opened_at, case_after.subject) == (
        None,
        case.opened_at,
        "Pedido roto",
    )

    item = FeedbackItemFactory(text="Texto original", sentiment="negative", analysis_status="done")
    corrected = writer.patch(
        f"/api/v1/feedback/{item.pk}/",
        {"sentiment_gold": "positive", "text": "reescrito", "sentiment": "positive", "customer": None},
        format="json",
    )
    assert corrected.status_code == 200, corrected.content
    item.refresh_from_db()
    assert (item.sentiment_gold, item.text, item.sentiment) == ("positive", "Texto original", "negative")
