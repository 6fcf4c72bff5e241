"""The admin stays the superusers' back office: its plumbing is hidden from managers."""

import pytest
from django.contrib.auth.models import Group

from core.roles import MANAGERS

pytestmark = pytest.mark.django_db

INTERNALS = (
    "/admin/django_celery_beat/periodictask/",
    "/admin/django_celery_beat/crontabschedule/",
    "/admin/sentiment/sentimentmodel/",
    "/admin/auth/group/",
    "/admin/socialaccount/socialapp/",
    "/admin/socialaccount/socialtoken/",
    "/admin/mfa/authenticator/",
)


@pytest.fixture
def manager_with_every_permission(django_user_model):
    """Even a manager given every permission by hand does not see the plumbing."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("jefa", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=MANAGERS))
    user.user_permissions.add(*Permission.objects.all())
    return user


def test_internals_are_for_superusers_only(client, manager_with_every_permission, django_user_model):
    client.force_login(manager_with_every_permission)
    assert [client.get(url).status_code for url in INTERNALS] == [403] * len(INTERNALS)
    index = client.get("/admin/").content.decode()
    assert "django_celery_beat" not in index
    assert "/admin/support/businesscalendar/" in index  # the settings managers keep

    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    assert [client.get(url).status_code for url in INTERNALS] == [200] * len(INTERNALS)


def test_the_admin_index_lists_the_daily_work_first_and_the_plumbing_last(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    labels = [app["app_label"] for app in client.get("/admin/").context["app_list"]]
    assert labels[0] == "support"
    assert labels.index("surveys") < labels.index("core") < labels.index("auth") < labels.index("django_celery_beat")


def test_allauths_sessions_are_not_in_the_admin_for_anyone(client, manager_with_every_permission, django_user_model):
    """Its fields are not translatable upstream (accounts/admin.py): each person sees their sessions at
    /accounts/sessions/, and an administrator signs a colleague out from the Staff page."""
    root = django_user_model.objects.create_superuser("root", password="x")
    for user in (manager_with_every_permission, root):
        client.force_login(user)
        labels = [app["app_label"] for app in client.get("/admin/").context["app_list"]]
        assert "usersessions" not in labels
        assert client.get("/admin/usersessions/usersession/").status_code == 404
    assert client.get("/accounts/sessions/").status_code == 200
