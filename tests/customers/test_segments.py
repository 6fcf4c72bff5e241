"""Customer attributes sent by the shop (API, CSV) and saved segments over attributes and RFM,
usable wherever a segment filter is."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from analytics import selectors
from customers.importing import ShopCSV, dataset_import
from customers.models import Customer, SavedSegment
from customers.resources import CustomerResource
from surveys.services import response_submit
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")


def client_with(api_token_for, *scopes: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for(*scopes)}")
    return client


def test_the_shop_sets_and_removes_attributes_over_the_api(api_token_for):
    customer = CustomerFactory(external_id="C-1", attributes={"city": "Sevilla", "gender": "f"})
    writer = client_with(api_token_for, "orders:write", "orders:read", "personal_data:read")

    response = writer.patch(
        "/api/v1/customers/C-1/",
        {"attributes": {"City": "Madrid", "Loyalty Tier": "vip", "age_band": 35, "gender": None}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    expected = {"city": "Madrid", "loyalty_tier": "vip", "age_band": "35"}
    assert response.json()["attributes"] == expected
    customer.refresh_from_db()
    assert customer.attributes == expected
    # attributes are personal data: a token without that scope does not see them
    reader = client_with(api_token_for, "orders:read")
    assert reader.get("/api/v1/customers/C-1/").json()["attributes"] is None
    assert reader.patch("/api/v1/customers/C-1/", {"attributes": {"city": "x"}}, format="json").status_code == 403


@pytest.mark.parametrize(
    "attributes",
    [{"1st": "x"}, {"city": "x" * 201}, {"city": {"nested": 1}}, ["city"], {f"k{n}": "v" for n in range(31)}],
)
def test_bad_attributes_are_refused_and_change_nothing(api_token_for, attributes):
    CustomerFactory(external_id="C-1", attributes={"city": "Sevilla"})
    writer = client_with(api_token_for, "orders:write")

    response = writer.patch("/api/v1/customers/C-1/", {"attributes": attributes}, format="json")

    assert response.status_code == 400 and response.json()["type"] == "validation_error"
    assert Customer.objects.get().attributes == {"city": "Sevilla"}


def test_orders_carry_the_customers_attributes(api_client):
    body = {
        "external_id": "O-1",
        "customer": {"external_id": "C-9", "email": "ana@example.com", "attributes": {"city": "Bilbao"}},
        "placed_at": "2026-03-01T10:00:00Z",
        "total": "20.00",
        "items": [{"sku": "TAZA"}],
    }
    assert api_client.post("/api/v1/orders/", body, format="json").status_code == 201
    assert Customer.objects.get(external_id="C-9").attributes == {"city": "Bilbao"}


def test_a_csv_completes_profiles_without_wiping_what_it_leaves_empty():
    CustomerFactory(external_id="C-1", email="old@example.com", attributes={"city": "Sevilla", "gender": "f"})
    CustomerFactory(external_id="C-2", attributes={"city": "Vigo"})
    csv_text = (
        "external_id;email;name;city;loyalty_tier;Age Band\n"
        "C-1;;;Madrid;vip;35-44\n"  # email kept, gender kept, city changed
        "C-2;;;Vigo;;\n"  # nothing new
        "C-3;nuevo@example.com;Nuevo;Cádiz;gold;\n"  # created
        "C-4;;;Lugo;;\n"  # new without email: rejected
        "C-5;no-es-un-email;;;;\n"
    )

    report = dataset_import(CustomerResource(), ShopCSV().create_dataset(csv_text))

    assert [report.counts[outcome] for outcome in ("created", "updated", "unchanged")] == [1, 1, 1]
    assert report.rejected == 2
    assert Customer.objects.get(external_id="C-1").attributes == {
        "city": "Madrid",
        "gender": "f",
        "loyalty_tier": "vip",
        "age_band": "35-44",
    }
    assert Customer.objects.get(external_id="C-1").email == "old@example.com"
    assert Customer.objects.get(external_id="C-3").attributes == {"city": "Cádiz", "loyalty_tier": "gold"}
    assert [(issue.line, issue.column) for issue in report.issues] == [(5, "email"), (6, "email")]


def test_the_import_command_shows_progress_and_a_report(tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_text("external_id,email,city\nC-1,a@example.com,Madrid\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()

    call_command("import_customers", str(path), stdout=out, stderr=err)

    assert "Customers created: 1" in out.getvalue() and "Customers" in err.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text("email,city\na@example.com,Madrid\n", encoding="utf-8")
    with pytest.raises(Exception, match="external_id"):
        call_command("import_customers", str(bad), stdout=io.StringIO(), stderr=io.StringIO())


def buyer(external_id: str, *, last_order_days_ago: int, orders: int = 1, total: str = "50", **attributes) -> Customer:
    customer = CustomerFactory(external_id=external_id, attributes=attributes)
    now = timezone.now()
    for n in range(orders):
        placed = now - timedelta(days=last_order_days_ago + 30 * n)
        OrderFactory(customer=customer, placed_at=placed, delivered_at=placed, total=Decimal(total))
    return customer


def test_saved_segments_evaluate_attributes_recency_frequency_and_money_at_their_boundaries():
    vip_madrid = buyer("vip-mad", last_order_days_ago=10, orders=3, total="100", city="Madrid", loyalty_tier="VIP")
    buyer("vip-bcn", last_order_days_ago=10, orders=3, total="100", city="Barcelona", loyalty_tier="vip")
    buyer("std-mad", last_order_days_ago=10, city="madrid", loyalty_tier="standard")
    lapsed_exactly = buyer("lapsed-180", last_order_days_ago=180)
    buyer("recent-179", last_order_days_ago=179)
    never = CustomerFactory(external_id="never-bought")
    segments = {
        "vip": SavedSegment.objects.create(
            name="VIP Madrid", slug="vip-madrid", attributes={"city": "madrid", "loyalty_tier": "vip"}
        ),
        "lapsed": SavedSegment.objects.create(name="Sin comprar 6 meses", slug="lapsed-6m", recency_min_days=180),
        "big": SavedSegment.objects.create(name="Big spenders", slug="big", frequency_min=3, monetary_min=300),
        "just_under": SavedSegment.objects.create(name="Under 300", slug="under", monetary_max=Decimal("299.99")),
        "no_orders": SavedSegment.objects.create(name="No orders", slug="no-orders", frequency_max=0),
    }

    def members(key):
        return set(segments[key].customers().values_list("external_id", flat=True))

    assert members("vip") == {vip_madrid.external_id}  # case does not matter; both attributes must match
    assert members("lapsed") == {lapsed_exactly.external_id}  # 180 days is in, 179 is not
    assert members("big") == {"vip-mad", "vip-bcn"}  # 3 orders × 100 = 300, the minimum itself counts
    assert "vip-mad" not in members("just_under") and "std-mad" in members("just_under")
    assert members("no_orders") == {never.external_id}


def test_a_saved_segment_can_combine_rfm_segments(db):
    from customers.segments import segments_refresh

    for n in range(10):
        buyer(f"c{n}", last_order_days_ago=5 + 40 * n, orders=1 + (9 - n) // 2)
    segments_refresh()
    champions = SavedSegment.objects.create(name="Top", slug="top", rfm_segments=["champions"])

    from customers.models import CustomerRfm

    expected = set(CustomerRfm.objects.filter(segment="champions").values_list("customer__external_id", flat=True))
    assert expected and set(champions.customers().values_list("external_id", flat=True)) == expected


def answered_by(customer, nps: int, when: datetime) -> None:
    invitation = InvitationFactory(order=OrderFactory(customer=customer), language="es")
    questions = {q.code: q.pk for q in invitation.survey.questions.all()}
    response_submit(
        invitation=invitation, answers={questions["nps"]: nps, questions["delivery_csat"]: 3}, language="es", now=when
    )


def test_a_saved_segment_narrows_the_dashboards_the_feed_and_the_api(client, api_token_for, django_user_model):
    from django.contrib.auth.models import Group

    from core.roles import MANAGERS
    from feedback.models import FeedbackItem

    madrid = CustomerFactory(external_id="m", attributes={"city": "Madrid"})
    elsewhere = CustomerFactory(external_id="b", attributes={"city": "Bilbao"})
    when = datetime(2026, 3, 3, 12, tzinfo=MADRID)
    answered_by(madrid, 10, when)
    answered_by(elsewhere, 2, when)
    FeedbackItem.objects.create(channel="review", text="Genial", customer=madrid, received_at=when)
    FeedbackItem.objects.create(channel="review", text="Fatal", customer=elsewhere, received_at=when)
    SavedSegment.objects.create(name="Madrid", slug="madrid", attributes={"city": "Madrid"})
    window = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}

    assert selectors.nps_for(selectors.Filters(**window)).score == 0
    assert selectors.nps_for(selectors.Filters(**window, segment="madrid")).score == 100

    manager = django_user_model.objects.create_user(username="g", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(manager)
    params = {"start": "2026-03-01", "end": "2026-03-31", "segment": "madrid"}
    page = client.get("/dashboards/satisfaction/", params)
    assert page.status_code == 200 and 'value="madrid" selected' in page.content.decode()
    assert client.get("/dashboards/retention/", {"segment": "madrid"}).status_code == 200
    assert client.get("/dashboards/service/", params).status_code == 200
    assert client.get("/dashboards/satisfaction/", {**params, "segment": "nowhere"}).status_code == 400
    feed = client.get("/feedback/", {"segment": "madrid"}).content.decode()
    assert "Genial" in feed and "Fatal" not in feed

    reader = client_with(api_token_for, "metrics:read")
    body = reader.get("/api/v1/metrics/satisfaction/", params).json()
    assert body["summary"]["nps"] == 100 and body["summary"]["nps_respondents"] == 1
    segments = {row["slug"]: row for row in reader.get("/api/v1/segments/").json()}
    assert segments["madrid"] == {"slug": "madrid", "name": "Madrid", "kind": "saved", "customers": 1}
    assert segments["champions"]["kind"] == "rfm"
    feed_api = client_with(api_token_for, "feedback:read").get("/api/v1/feedback/", {"segment": "madrid"}).json()
    assert [item["text"] for item in feed_api["results"]] == ["Genial"]


def test_a_segment_slug_cannot_shadow_an_rfm_segment():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        SavedSegment(name="x", slug="champions").full_clean()


def test_erasure_forgets_the_customers_attributes():
    from privacy.services import customer_erase

    customer = CustomerFactory(attributes={"city": "Madrid", "gender": "m"})
    customer_erase(customer=customer, reason="request")
    customer.refresh_from_db()
    assert customer.attributes == {}


def test_the_inbox_narrows_to_a_saved_segment(client, django_user_model):
    from django.contrib.auth.models import Group

    from core.roles import MANAGERS
    from support.models import Case

    madrid = CustomerFactory(attributes={"city": "Madrid"})
    elsewhere = CustomerFactory(attributes={"city": "Bilbao"})
    Case.objects.create(subject="Caso de Madrid", customer=madrid)
    Case.objects.create(subject="Caso de Bilbao", customer=elsewhere)
    SavedSegment.objects.create(name="Madrid", slug="madrid", attributes={"city": "Madrid"})
    manager = django_user_model.objects.create_user(username="g", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(manager)

    page = client.get("/support/", {"segment": "madrid"}).content.decode()

    assert "Caso de Madrid" in page and "Caso de Bilbao" not in page
    assert '<option value="madrid" selected>Madrid</option>' in page


def test_a_customer_file_that_is_not_utf8_imports_nothing(tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_bytes("external_id,email,city\nC-1,a@example.com,Madrid\nC-2,b@example.com,C\xe1diz\n".encode("latin-1"))

    with pytest.raises(Exception, match="not UTF-8"):
        call_command("import_customers", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not Customer.objects.exists()


GROUPS = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]


def _shop_with_tied_customers(customers: list[tuple[str, int]], now: datetime) -> None:
    """Ten customers in three groups of identical purchases (3, 3 and 4 customers): the first
    bought once 90 days ago, the second twice 75 days ago, the third three times 60 days ago, 40 €
    an order. With five quintiles of two customers, every group straddles a boundary."""
    from customers.models import Order

    Order.objects.all().delete()
    Customer.objects.all().delete()
    for email, group in customers:
        customer = CustomerFactory(email=email)
        for n in range(group + 1):
            OrderFactory(customer=customer, placed_at=now - timedelta(days=90 - 15 * group, hours=n), total=40)


def test_customers_with_equal_purchases_get_equal_scores_whatever_the_order_they_were_stored_in():
    from customers.segments import rfm_scores

    now = datetime(2026, 6, 1, 12, tzinfo=MADRID)
    emails = [f"c{n}@example.com" for n in range(10)]

    customers = list(zip(emails, GROUPS, strict=True))

    _shop_with_tied_customers(customers, now)
    first = {c.email: rfm_scores(now=now)[c.pk] for c in Customer.objects.all()}
    _shop_with_tied_customers(list(reversed(customers)), now)
    second = {c.email: rfm_scores(now=now)[c.pk] for c in Customer.objects.all()}

    # the same purchases give the same scores and segment, whichever customer was stored first
    assert first == second
    for email, group in zip(emails, GROUPS, strict=True):
        assert first[email] == first[emails[GROUPS.index(group)]], (email, first)
    # a tie shares its mid-rank (0-based): 0–2 → 1 → score 1; 3–5 → 4 → score 3; 6–9 → 7.5 → score 4
    assert [first[emails[GROUPS.index(group)]]["f"] for group in range(3)] == [1, 3, 4]


def test_a_tie_across_a_quintile_boundary_gets_one_score_from_its_mid_rank():
    from customers.segments import _quintile_scores

    # ten customers; 1, 2 and 3 share a value that spans ranks 1–3 (0-based 0–2, mid 1 → score 1)
    # and 5–8 share one spanning ranks 5–8 (0-based 4–7, mid 5.5 → score 1 + ⌊27.5 / 10⌋ = 3)
    values = {1: 1, 2: 1, 3: 1, 4: 2, 5: 3, 6: 3, 7: 3, 8: 3, 9: 4, 10: 5}

    scores = _quintile_scores(values)
    reversed_ids = _quintile_scores({11 - key: value for key, value in values.items()})

    assert [scores[k] for k in range(1, 11)] == [1, 1, 1, 2, 3, 3, 3, 3, 5, 5]
    assert sorted(reversed_ids.values()) == sorted(scores.values())
    assert _quintile_scores(values, higher_is_better=False)[10] == 1
