"""Privacy: erasing a customer on request keeps every number; emails only for those allowed; an audit trail."""

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import timezone
from rest_framework.test import APIClient

from analytics import selectors
from bench import naive as oracle
from core.models import AuditEvent
from core.roles import AGENTS, MANAGERS
from customers.models import Customer
from demo.seed import seed_demo
from feedback.models import FeedbackItem
from reviews.models import Review
from sentiment.models import FeedbackTopic
from support.models import Case, CaseMessage
from surveys.models import Answer, Invitation

TODAY = date(2025, 3, 14)


@pytest.fixture
def shop(db):
    seed_demo(customers=40, orders=150, today=TODAY)
    return timezone.make_aware(datetime.combine(TODAY, time.min))


def api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def customer_with_the_most_to_erase() -> Customer:
    return (
        Customer.objects.annotate(
            comments=Count("survey_responses__answers", filter=~Q(survey_responses__answers__text=""), distinct=True),
            case_count=Count("cases", distinct=True),
            review_count=Count("reviews", distinct=True),
        )
        .filter(comments__gt=0, case_count__gt=0)
        .order_by("-review_count", "-comments", "pk")
        .first()
    )


def dashboard_numbers(now) -> tuple:
    window = selectors.Filters(start=TODAY - timedelta(days=200), end=TODAY, period="week")
    return (
        selectors.satisfaction_series(window),
        oracle.satisfaction_series_naive(window),
        selectors.topic_series(window),
        oracle.service_levels_naive(window, now=now)["by"],
        oracle.retention_naive(now=now),
    )


@pytest.mark.django_db(transaction=True)
def test_erasing_a_customer_over_the_api_removes_what_identifies_them_and_keeps_every_number(shop, api_token_for):
    from sentiment.services import feedback_analyse_batch

    now = shop
    customer = customer_with_the_most_to_erase()
    email, external_id = customer.email, customer.external_id
    comments = list(Answer.objects.filter(response__customer=customer).exclude(text="").values_list("text", flat=True))
    items = list(FeedbackItem.objects.filter(customer=customer).values_list("pk", "sentiment"))
    survey_links = [invitation.token for invitation in Invitation.objects.filter(customer=customer)]
    assert comments and items and survey_links
    before = dashboard_numbers(now)

    response = api(api_token_for("personal_data:erase")).post(
        f"/api/v1/customers/{external_id}/erase/", {"reason": "Solicitud RGPD 42"}, format="json"
    )

    assert response.status_code == 200, response.content
    report = response.json()
    assert report["customer"] == f"erased-{customer.pk}"
    assert report["feedback_erased"] >= len(items) and report["answers_erased"] == len(comments)
    customer.refresh_from_db()
    assert (customer.email, customer.name, customer.erased_at is not None) == (
        f"erased-{customer.pk}@erased.invalid",
        "",
        True,
    )
    # nothing they wrote or that names them is left
    for comment in comments:
        assert not FeedbackItem.objects.filter(text__contains=comment).exists()
        assert not Answer.objects.filter(text=comment).exists()
    assert not Review.objects.filter(Q(author_email__iexact=email) | Q(customer=customer) & ~Q(body="")).exists()
    assert not CaseMessage.objects.filter(case__customer=customer).exclude(text="").exists()
    cases = list(Case.objects.filter(customer=customer))
    assert cases and all(case.subject == f"#{case.pk}" for case in cases) and report["cases_erased"] == len(cases)
    assert report["invitations_revoked"] == len(survey_links)
    assert not FeedbackTopic.objects.filter(feedback__customer=customer).exclude(matches=[]).exists()
    for token in survey_links:
        assert APIClient().get(f"/s/{token}/").status_code == 404
    # every dashboard number is the same
    assert dashboard_numbers(now) == before
    # a forced re-analysis cannot turn the blank text into new labels
    assert feedback_analyse_batch(ids=[pk for pk, _label in items], force=True) == 0
    assert list(FeedbackItem.objects.filter(customer=customer).values_list("pk", "sentiment")) == items
    event = AuditEvent.objects.get(action="customer.erase")
    assert event.actor_label.startswith("API: ") and event.summary == "Solicitud RGPD 42"
    assert event.target_id == str(customer.pk) and event.details["feedback_erased"] == report["feedback_erased"]


@pytest.mark.django_db
def test_erasure_over_the_api_refuses_bad_requests_and_changes_nothing(api_token_for):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(email="ana@example.com")
    eraser, reader = api(api_token_for("personal_data:erase")), api(api_token_for("orders:read", "feedback:read"))
    path = f"/api/v1/customers/{customer.external_id}/erase/"

    assert reader.post(path, {}, format="json").status_code == 403
    assert eraser.post("/api/v1/customers/nobody/erase/", {}, format="json").status_code == 404
    too_long = eraser.post(path, {"reason": "x" * 501}, format="json")
    assert too_long.status_code == 400 and "reason" in too_long.json()["errors"]
    customer.refresh_from_db()
    assert customer.email == "ana@example.com" and customer.erased_at is None
    assert eraser.post(path, {}, format="json").status_code == 200
    again = eraser.post(f"/api/v1/customers/erased-{customer.pk}/erase/", {}, format="json")
    assert again.status_code == 409 and again.json()["type"] == "customer_already_erased"


@pytest.mark.django_db
def test_the_erase_command_erases_every_record_with_the_email_and_has_a_dry_run(capsys):
    from tests.factories import CustomerFactory

    first, second = CustomerFactory(email="Luis@Example.com"), CustomerFactory(email="luis@example.com")
    bystander = CustomerFactory(email="eva@example.com")

    call_command("erase_customer", "--email", "luis@example.com", "--dry-run")
    assert Customer.objects.filter(erased_at__isnull=False).count() == 0

    call_command("erase_customer", "--email", "LUIS@example.com", "--reason", "ticket 7")

    assert set(Customer.objects.filter(erased_at__isnull=False).values_list("pk", flat=True)) == {first.pk, second.pk}
    bystander.refresh_from_db()
    assert bystander.email == "eva@example.com"
    assert "Erased customer" in capsys.readouterr().out
    assert set(AuditEvent.objects.filter(action="customer.erase").values_list("actor_label", flat=True)) == {
        "command erase_customer"
    }
    with pytest.raises(CommandError):
        call_command("erase_customer", "--email", "luis@example.com")


@pytest.mark.django_db
def test_the_admin_action_asks_first_and_only_admins_have_it(client, django_user_model):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(email="marta@example.com")
    admin = django_user_model.objects.create_superuser("root", password="x")
    manager = django_user_model.objects.create_user("boss", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    action = {"action": "erase_personal_data", "_selected_action": [customer.pk]}

    client.force_login(manager)
    assert "erase_personal_data" not in client.get("/admin/customers/customer/").content.decode()
    client.post("/admin/customers/customer/", {**action, "confirmed": "yes"})
    customer.refresh_from_db()
    assert customer.erased_at is None

    client.force_login(admin)
    confirm = client.post("/admin/customers/customer/", action)
    assert confirm.status_code == 200 and "marta@example.com" in confirm.content.decode()
    customer.refresh_from_db()
    assert customer.erased_at is None  # asked, not done yet
    done = client.post("/admin/customers/customer/", {**action, "confirmed": "yes", "reason": "por teléfono"})
    assert done.status_code == 302
    customer.refresh_from_db()
    assert customer.erased_at is not None and customer.email.endswith("@erased.invalid")
    assert AuditEvent.objects.get(action="customer.erase").actor == admin


def _csv_header(response) -> list[str]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return next(csv.reader(io.StringIO(body)))


@pytest.mark.django_db
def test_exports_and_the_api_show_emails_only_to_those_allowed(client, django_user_model, api_token_for):
    from tests.factories import FeedbackItemFactory, InvitationFactory

    invitation = InvitationFactory()
    FeedbackItemFactory(customer=invitation.customer, order=invitation.order)
    agent = django_user_model.objects.create_user("agent", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))
    manager = django_user_model.objects.create_user("boss", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))

    client.force_login(agent)
    assert "email" not in _csv_header(client.get("/feedback/export.csv"))
    client.force_login(manager)
    assert _csv_header(client.get("/feedback/export.csv"))[-1] == "email"
    assert "email" not in _csv_header(api(api_token_for("feedback:read")).get("/api/v1/feedback/export/"))
    personal = api(api_token_for("feedback:read", "personal_data:read")).get("/api/v1/feedback/export/")
    body = b"".join(personal.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].endswith(",email") and invitation.customer.email in body

    order_path = f"/api/v1/orders/{invitation.order.external_id}/"
    assert api(api_token_for("orders:read")).get(order_path).json()["customer"]["email"] is None
    allowed = api(api_token_for("orders:read", "personal_data:read")).get(order_path).json()
    assert allowed["customer"]["email"] == invitation.customer.email
    exports = AuditEvent.objects.filter(action="export.feedback_csv")
    assert exports.count() == 4 and exports.filter(details__with_personal_data=True).count() == 2


@pytest.mark.django_db
def test_staff_actions_land_in_the_audit_log_with_who_did_them(client, django_user_model):
    from sentiment.models import Topic
    from support.models import Team
    from support.services import case_open_manual

    team = Team.objects.create(name="Madrid", slug="madrid")
    agent = django_user_model.objects.create_user("lucia", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))
    team.members.add(agent)
    from tests.factories import CustomerFactory

    # a customer with an address: the reply is emailed, so it is a reply (not a draft to post by hand)
    case = case_open_manual(subject="Pedido roto", team=team, text="Llegó roto", customer=CustomerFactory())
    assert not AuditEvent.objects.exists()  # the system opening a case is in the case's history, not here

    client.force_login(agent)
    client.post(
        f"/support/cases/{case.pk}/update/",
        {"status": "open", "priority": case.priority, "assignee": agent.pk, "team": team.pk},
    )
    client.post(f"/support/cases/{case.pk}/reply/", {"reply-text": "Lo sentimos, le enviamos otro."})

    trail = list(AuditEvent.objects.order_by("at", "pk").values_list("actor_label", "action", "target_id"))
    assert ("lucia", "case.assigned", str(case.pk)) in trail
    assert ("lucia", "case.replied", str(case.pk)) in trail
    assert all(event.ip_address == "127.0.0.1" for event in AuditEvent.objects.all())

    admin = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(admin)
    from sentiment.services import topics_seed_default

    topics_seed_default()
    topic = Topic.objects.get(slug="delivery")
    page = client.get(f"/admin/sentiment/topic/{topic.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None and not isinstance(value, list)}
    data.update({"name_en": "Shipping", "is_active": "on"})
    client.post(f"/admin/sentiment/topic/{topic.pk}/change/", data)
    topic.refresh_from_db()
    assert topic.name_en == "Shipping"
    assert AuditEvent.objects.filter(action="admin.change", actor=admin, target_id=str(topic.pk)).exists()
    # the trail cannot be edited from the admin
    event = AuditEvent.objects.first()
    assert client.post(f"/admin/core/auditevent/{event.pk}/delete/").status_code == 403


@pytest.mark.django_db
def test_behind_the_shops_proxy_the_audit_log_records_the_staff_members_address(client, django_user_model, settings):
    from support.models import Team

    settings.VOZ_TRUSTED_PROXIES = 1
    client.force_login(django_user_model.objects.create_superuser("admin", password="x"))

    client.post(
        "/admin/support/team/add/",
        {
            "name": "Devoluciones",
            "slug": "devoluciones",
            # the team's chat channels, an inline with none filled in
            "chat_webhooks-TOTAL_FORMS": "0",
            "chat_webhooks-INITIAL_FORMS": "0",
        },
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.9",  # a made-up hop, then the proxy's
    )

    assert Team.objects.filter(slug="devoluciones").exists()
    assert AuditEvent.objects.filter(action="admin.add").values_list("ip_address", flat=True).get() == "203.0.113.9"
