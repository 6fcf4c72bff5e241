"""Each dashboard asks the database a fixed number of questions, however much the shop holds: a
view that grew a query per row would pass every other test and fall over at a real shop's size."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.analytics.test_analytics import answered, mention_topic
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

# The questions each page asks on a warm read, counted on today's code (session, user, the bell's
# unread count and the navigation included, and since staff accounts the session check of
# two-factor sign-in). A change that adds one must say so here.
# Satisfaction: one more for the survey response funnel (one aggregate over the invitations); three
# fewer since the summary reads every score of a window in one query.
PAGES = {
    "/dashboards/satisfaction/": 21,
    "/dashboards/satisfaction/?period=month&language=es": 21,
    "/dashboards/satisfaction/?segment=champions": 21,
    "/dashboards/satisfaction/?product=SKU-00001": 21,
    "/dashboards/satisfaction/?topic=delivery": 21,
    "/dashboards/topics/": 19,
    "/dashboards/sources/": 12,
    "/dashboards/service/": 16,
    "/dashboards/retention/": 12,  # + the defection reasons, which say what is controllable
    "/dashboards/competitors/": 16,
}


def shop_with(customers: int) -> None:
    now = timezone.now()
    for n in range(customers):
        when = now - timedelta(days=3 + 11 * n)
        answered(n % 11, 1 + n % 5, when)
        mention_topic("delivery", ("negative", "neutral", "positive")[n % 3], when)
        OrderFactory(placed_at=when)


def queries_per_page(client) -> dict[str, int]:
    counts = {}
    for path in PAGES:
        client.get(path)  # the first read brings the rollups up to date
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, path
        counts[path] = len(queries)
    return counts


def test_each_dashboard_asks_as_many_queries_for_a_big_shop_as_for_a_small_one(client, django_user_model):
    user = django_user_model.objects.create_user(username="boss", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_dashboards"))
    client.force_login(user)
    shop_with(3)
    small = queries_per_page(client)
    shop_with(30)
    big = queries_per_page(client)
    assert big == small
    assert {path: min(count, PAGES[path]) for path, count in big.items()} == big
