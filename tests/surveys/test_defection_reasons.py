"""The defection survey's reasons: managers edit them (es/en labels, within our control or not), the
survey offers what they set, and the retention dashboard splits answers by it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from core.roles import AGENTS, MANAGERS
from surveys.models import DefectionReason, Question

pytestmark = pytest.mark.django_db


def offered() -> list[tuple[str, str, str]]:
    question = Question.objects.get(survey__slug="lapsed-customers", code="defection_reason")
    return [(c.value, c.label_es, c.label_en) for c in question.choices.order_by("position")]


def staff(client, django_user_model, group: str):
    user = django_user_model.objects.create_user(username=group, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


def test_the_defaults_are_the_six_reasons_and_the_survey_offers_them():
    reasons = list(DefectionReason.objects.values_list("value", "controllable"))

    assert reasons == [
        ("poor_service", True),
        ("price", True),
        ("moved_away", False),
        ("not_needed", False),
        ("better_offer", True),
        ("other", False),
    ]
    assert [value for value, _es, _en in offered()] == [value for value, _c in reasons]
    assert offered()[0][1:] == ("Mal servicio o mala experiencia", "Bad service or a bad experience")


def test_a_manager_edits_adds_and_withdraws_reasons_in_the_admin_and_the_survey_follows(
    client, django_user_model, django_capture_on_commit_callbacks
):
    manager = staff(client, django_user_model, MANAGERS)
    price = DefectionReason.objects.get(value="price")

    with django_capture_on_commit_callbacks(execute=True):
        changed = manager.post(
            f"/admin/surveys/defectionreason/{price.pk}/change/",
            {
                "value": "price",
                "label_es": "Los precios subieron",
                "label_en": "Prices went up",
                "controllable": "on",
                "position": "2",
                "is_active": "on",
            },
        )
        added = manager.post(
            "/admin/surveys/defectionreason/add/",
            {
                "value": "slow_delivery",
                "label_es": "Entregas lentas",
                "label_en": "Slow deliveries",
                "controllable": "on",
                "position": "3",
                "is_active": "on",
            },
        )
        other = DefectionReason.objects.get(value="other")
        withdrawn = manager.post(
            f"/admin/surveys/defectionreason/{other.pk}/change/",
            {"value": "other", "label_es": other.label_es, "label_en": other.label_en, "position": "9"},
        )

    assert (changed.status_code, added.status_code, withdrawn.status_code) == (302, 302, 302)
    choices = {value: (es, en) for value, es, en in offered()}
    assert choices["price"] == ("Los precios subieron", "Prices went up")
    assert choices["slow_delivery"] == ("Entregas lentas", "Slow deliveries")
    assert "other" not in choices


def test_agents_cannot_edit_the_reasons(client, django_user_model):
    agent = staff(client, django_user_model, AGENTS)

    assert agent.get("/admin/surveys/defectionreason/add/").status_code == 403


def test_the_dashboard_counts_a_reason_as_controllable_as_the_manager_set_it():
    from analytics import selectors
    from surveys.models import Invitation, Survey
    from surveys.services import lapsed_customers_invite, response_submit
    from tests.factories import CustomerFactory, OrderFactory

    now = timezone.now()
    for _ in range(2):
        OrderFactory(customer=CustomerFactory(), placed_at=now - timedelta(days=200))
    lapsed_customers_invite(now=now)
    survey = Survey.objects.get(slug="lapsed-customers")
    question = survey.questions.get(code="defection_reason")
    for invitation, reason in zip(Invitation.objects.filter(survey=survey), ("moved_away", "price"), strict=True):
        response_submit(invitation=invitation, answers={question.pk: reason}, language="es", now=now)
    assert selectors.defection_reasons()["controllable_share"] == 50

    DefectionReason.objects.filter(value="moved_away").update(controllable=True)  # e.g. "we no longer ship there"

    assert selectors.defection_reasons()["controllable_share"] == 100
