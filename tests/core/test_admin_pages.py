"""Every model in the admin opens for an administrator: its list (searched, and with garbage in the
search and filters), its add form and the change form of a real row — so a bad `list_display`,
`search_fields` or `readonly_fields` shows up here, not in front of a shop's staff."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.core.test_permission_matrix import client_for, world  # noqa: F401 (world is a fixture)

pytestmark = pytest.mark.django_db


def test_every_admin_page_opens_for_an_administrator(world):  # noqa: F811
    from tests.factories import FeedbackItemFactory, InvitationFactory

    InvitationFactory()
    FeedbackItemFactory(text="Llegó tarde")
    client = client_for("admin", world)
    client.raise_request_exception = False
    failures = []
    opened_a_row = 0
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        for query in ({}, {"q": "entrega"}, {"q": "\x00' OR 1=1"}, {"o": "99", "p": "-3", "no_such_filter": "x"}):
            status = client.get(changelist, query).status_code
            if status not in (200, 302):  # the admin answers unknown filters by redirecting with ?e=1
                failures.append(f"{changelist} {query}: {status}")
        if model_admin.has_add_permission(type("R", (), {"user": world["users"]["admin"]})()):
            add = reverse("admin:{}_{}_add".format(*info))
            if (status := client.get(add).status_code) != 200:
                failures.append(f"{add}: {status}")
        row = model._default_manager.first()
        if row is not None:
            change = reverse("admin:{}_{}_change".format(*info), args=[row.pk])
            if (status := client.get(change).status_code) != 200:
                failures.append(f"{change}: {status}")
            opened_a_row += 1
    assert not failures, "\n".join(failures)
    assert opened_a_row >= 20  # 22 of the 37 models have a row in this world, so their change forms were opened
