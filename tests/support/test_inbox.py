"""The triage inbox and the case page: views, filters, bulk moves, timeline, and who may see what."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from sentiment.models import Topic
from support import services
from support.models import Case, Team
from tests.factories import CustomerFactory, FeedbackItemFactory, OrderFactory

pytestmark = pytest.mark.django_db


def complaint(customer=None, text="Llegó roto", **fields):
    item = FeedbackItemFactory(
        customer=customer or CustomerFactory(),
        text=text,
        sentiment="negative",
        sentiment_score=-0.9,
        sentiment_confidence=0.95,
        analysis_status="done",
        **fields,
    )
    (case,) = services.cases_open_for_feedback(ids=[item.pk])
    return case, item


@pytest.fixture
def agent(django_user_model):
    user = django_user_model.objects.create_user(username="agent", password="x", is_staff=True, email="a@shop.example")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_case", "change_case"]))
    Team.objects.get(slug="atencion-al-cliente").members.add(user)
    return user


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def test_the_inbox_lists_open_cases_with_the_soonest_due_first_and_counts_each_view(agent_client, agent):
    later, _ = complaint(text="Caso tranquilo")
    sooner, _ = complaint(text="Caso urgente")
    Case.objects.filter(pk=later.pk).update(sla_due_at=timezone.now() + timedelta(days=2), sla_warning_at=None)
    Case.objects.filter(pk=sooner.pk).update(sla_due_at=timezone.now() - timedelta(hours=1))

    page = agent_client.get("/support/")
    html = page.content.decode()
    breached = agent_client.get("/support/", {"view": "breached"}).content.decode()

    assert page.status_code == 200
    assert html.index("Caso urgente") < html.index("Caso tranquilo")
    assert page.context["counts"]["breached"] == 1 and page.context["counts"]["open"] == 2
    assert "Caso urgente" in breached and "Caso tranquilo" not in breached


def test_bulk_assign_to_me_and_resolve(agent_client, agent):
    first, _ = complaint()
    second, _ = complaint()

    agent_client.post("/support/bulk/", {"cases": [first.pk, second.pk], "action": "assign_me"})
    mine = agent_client.get("/support/", {"view": "mine"})
    agent_client.post("/support/bulk/", {"cases": [first.pk], "action": "resolved"})

    assert {row["case"].pk for row in mine.context["rows"]} == {first.pk, second.pk}
    assert Case.objects.get(pk=first.pk).status == "resolved"
    assert Case.objects.get(pk=first.pk).events.filter(kind="assigned", actor=agent).exists()


def test_after_a_bulk_move_the_agent_goes_back_to_the_inbox_view_they_were_on_and_never_to_another_site(agent_client):
    case, _ = complaint()

    back = agent_client.post(
        "/support/bulk/", {"cases": [case.pk], "action": "assign_me", "next": "/support/?view=mine"}
    )
    elsewhere = agent_client.post(
        "/support/bulk/", {"cases": [case.pk], "action": "unassign", "next": "//evil.example/"}
    )
    nonsense = agent_client.post("/support/bulk/", {"cases": [case.pk], "action": "assign_me", "next": "-1"})
    invalid = agent_client.post("/support/bulk/", {"action": "explode", "next": "https://evil.example/"})

    assert back.status_code == 302 and back["Location"] == "/support/?view=mine"
    assert elsewhere.status_code == 302 and elsewhere["Location"] == "/support/"
    assert nonsense.status_code == 302 and nonsense["Location"] == "/support/"
    assert invalid.status_code == 302 and invalid["Location"] == "/support/"
    assert Case.objects.get(pk=case.pk).assignee is not None  # the nonsense "next" did not stop the move


def test_the_case_page_shows_the_customers_timeline_with_the_words_behind_each_topic(agent_client):
    customer = CustomerFactory()
    OrderFactory(customer=customer, external_id="ORD-77")
    case, item = complaint(customer=customer)
    item.topic_mentions.create(
        topic=Topic.objects.get(slug="product_quality"), sentiment="negative", score=-0.9, matches=["roto"]
    )

    html = agent_client.get(f"/support/cases/{case.pk}/").content.decode()

    assert "ORD-77" in html and "Llegó roto" in html and "«roto»" in html
    assert "puntos" in html  # the priority explanation, in Spanish


def test_a_reply_is_a_response_and_a_note_is_not(agent_client):
    case, _ = complaint()

    agent_client.post(f"/support/cases/{case.pk}/note/", {"note-text": "Mirar con almacén"})
    case.refresh_from_db()
    assert case.first_response_at is None
    agent_client.post(f"/support/cases/{case.pk}/reply/", {"reply-text": "Te mandamos otro"})
    case.refresh_from_db()
    assert case.first_response_at is not None and case.status == "open"
    assert list(case.messages.values_list("kind", flat=True)) == ["note", "reply"]


def test_an_agent_of_another_team_cannot_see_or_touch_the_case(client, django_user_model):
    case, _ = complaint()
    outsider = django_user_model.objects.create_user(username="other", password="x", is_staff=True)
    outsider.user_permissions.add(*Permission.objects.filter(codename__in=["view_case", "change_case"]))
    Team.objects.create(name="Mayoristas", slug="mayoristas").members.add(outsider)
    client.force_login(outsider)

    assert client.get(f"/support/cases/{case.pk}/").status_code == 404
    assert client.post(f"/support/cases/{case.pk}/reply/", {"reply-text": "hola"}).status_code == 404
    assert client.get("/support/").context["rows"] == []
    client.post("/support/bulk/", {"cases": [case.pk], "action": "closed"})
    assert Case.objects.get(pk=case.pk).status == "new"


def test_a_manager_sees_every_team_and_strangers_see_nothing(client, django_user_model):
    case, _ = complaint()
    manager = django_user_model.objects.create_user(username="boss", password="x", is_staff=True)
    manager.user_permissions.add(*Permission.objects.filter(codename__in=["view_case", "view_all_cases"]))
    stranger = django_user_model.objects.create_user(username="nobody", password="x")

    client.force_login(manager)
    assert client.get(f"/support/cases/{case.pk}/").status_code == 200
    client.force_login(stranger)
    assert client.get("/support/").status_code == 403
    client.logout()
    assert client.get("/support/").status_code == 302
