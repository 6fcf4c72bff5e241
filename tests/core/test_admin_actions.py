"""Every bulk action of every model in the admin, run by every staff role on a real selection.

No action may answer 5xx; an action the role lacks the permission for is refused with 403 (the
admin site refuses a hand-made POST of a hidden action); read-only staff can run none of them.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client, RequestFactory

from core.roles import AGENTS, VIEWERS
from tests.core.test_permission_matrix import world  # noqa: F401  (a fixture: rows in most tables)

STAFF_ROLES = ("agent", "moderating_agent", "manager", "view_only", "admin")


@pytest.fixture
def staff(world, django_user_model):  # noqa: F811
    def member(name: str, group: str):
        user = django_user_model.objects.create_user(name, password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        return user

    moderating_agent = member("moderating_agent", AGENTS)
    moderating_agent.user_permissions.add(Permission.objects.get(codename="moderate_review"))
    return {
        "agent": world["users"]["agent"],
        "moderating_agent": moderating_agent,
        "manager": world["users"]["manager"],
        "view_only": member("view_only", VIEWERS),
        "admin": world["users"]["admin"],
    }


def _a_row(model, depth: int = 0):
    """Some row of `model`, made with the least each required field takes when there is none yet
    (every model registered later gets one too, with no change to this test)."""
    import uuid
    from datetime import timedelta

    from django.db import models
    from django.utils import timezone

    existing = model._default_manager.first()
    if existing is not None or depth > 3:
        return existing
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.null or field.has_default() or getattr(field, "auto_now_add", False):
            continue
        if getattr(field, "auto_now", False) or field.db_default is not models.NOT_PROVIDED:
            continue
        if field.choices:
            value = field.choices[0][0]
        elif isinstance(field, models.ForeignKey):
            value = _a_row(field.related_model, depth + 1)
        elif isinstance(field, models.EmailField):
            value = "row@example.com"
        elif isinstance(field, models.URLField):
            value = "http://127.0.0.1:9/"
        elif isinstance(field, models.CharField | models.TextField | models.SlugField):
            value = f"{field.name}-{uuid.uuid4().hex[:6]}"[: field.max_length or 40]
        elif isinstance(field, models.DateTimeField):
            value = timezone.now()
        elif isinstance(field, models.DateField):
            value = timezone.localdate()
        elif isinstance(field, models.DurationField):
            value = timedelta(hours=1)
        elif isinstance(field, models.UUIDField):
            value = uuid.uuid4()
        elif isinstance(field, models.JSONField):
            value = {}
        elif isinstance(field, models.BooleanField):
            value = False
        elif isinstance(field, models.IntegerField | models.FloatField | models.DecimalField):
            value = 1
        elif isinstance(field, models.GenericIPAddressField):
            value = "127.0.0.1"
        else:
            raise AssertionError(f"{model._meta.label}.{field.name}: teach _a_row this field type")
        values[field.name] = value
    if model._meta.label == "django_celery_beat.PeriodicTask":  # its clean() wants a schedule
        from django_celery_beat.models import IntervalSchedule

        values["interval"] = _a_row(IntervalSchedule, depth + 1)
    return model._default_manager.create(**values)


def _allowed(model_admin, user, action) -> bool:
    request = RequestFactory().post("/")
    request.user = user
    if not model_admin.has_view_or_change_permission(request):
        return False
    return all(getattr(model_admin, f"has_{p}_permission")(request) for p in getattr(action, "allowed_permissions", ()))


@pytest.mark.django_db
def test_every_admin_action_answers_every_role_without_a_server_error(staff):
    wrong, ran, without_rows = [], 0, []
    for model, model_admin in admin.site._registry.items():
        _a_row(model)
        selection = list(model._default_manager.values_list("pk", flat=True)[:2])
        request = RequestFactory().get("/")
        request.user = staff["admin"]
        actions = model_admin.get_actions(request)
        if actions and not selection:
            without_rows.append(model._meta.label)
            continue
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for name, (func, _name, _description) in actions.items():
            if not getattr(func, "allowed_permissions", None):
                wrong.append(f"{model._meta.label}.{name}: declares no allowed_permissions")
            # the admin last: its run may change what the others would see (a rotated secret)
            for role in ("view_only", "agent", "moderating_agent", "manager", "admin"):
                client = Client()
                client.force_login(staff[role])
                response = client.post(
                    url, {"action": name, "index": 0, "_selected_action": selection, "reason": "Spam"}
                )
                ran += 1
                expected_refusal = not _allowed(model_admin, staff[role], func)
                if response.status_code >= 500:
                    wrong.append(f"{model._meta.label}.{name} as {role}: {response.status_code}")
                elif expected_refusal and response.status_code != 403:
                    wrong.append(f"{model._meta.label}.{name} as {role}: {response.status_code}, expected 403")
                elif not expected_refusal and response.status_code == 403:
                    wrong.append(f"{model._meta.label}.{name} as {role}: refused, though allowed")
                if role == "view_only" and response.status_code != 403:
                    wrong.append(f"{model._meta.label}.{name} ran for read-only staff")
    assert not without_rows, f"no rows to select in {without_rows}"
    assert not wrong, "\n".join(wrong)
    assert ran >= 5 * 20  # every model's delete plus the project's own actions


def _moderate(user, reviews, action: str, reason: str = ""):
    client = Client()
    client.force_login(user)
    return client.post(
        "/admin/reviews/review/",
        {"action": action, "index": 0, "_selected_action": [r.pk for r in reviews], "reason": reason},
        follow=True,
    )


@pytest.mark.django_db
def test_moderation_is_for_managers_and_agents_given_it_never_for_read_only_staff(staff):
    from core.models import AuditEvent
    from reviews.models import Review

    pending = [
        Review.objects.create(source="own_site", external_id=f"p{n}", rating=4, body="Bien", status="pending")
        for n in range(3)
    ]

    # the bulk publish that used to answer 500 (a lazy translation in the audit log's JSON)
    response = _moderate(staff["manager"], pending, "mark_published")
    assert response.status_code == 200
    assert set(Review.objects.filter(pk__in=[r.pk for r in pending]).values_list("status", flat=True)) == {"published"}
    event = AuditEvent.objects.filter(action="review.moderate").latest("pk")
    assert event.actor == staff["manager"] and event.details == {"status": "published", "reason": "por el equipo"}

    # rejecting needs a reason, and the reason is kept
    assert _moderate(staff["moderating_agent"], pending[:1], "mark_rejected").status_code == 200
    assert Review.objects.get(pk=pending[0].pk).status == "published"
    _moderate(staff["moderating_agent"], pending[:1], "mark_rejected", reason="Habla de otro producto")
    rejected = Review.objects.get(pk=pending[0].pk)
    assert (rejected.status, rejected.moderation_reason) == ("rejected", "Habla de otro producto")

    # an agent without the permission, and read-only staff, are refused and nothing changes
    for role in ("agent", "view_only"):
        assert _moderate(staff[role], pending[1:], "mark_rejected", reason="x").status_code == 403
    assert Review.objects.get(pk=pending[1].pk).status == "published"

    # replying is moderation too: the reply form is there for a moderator, not for read-only staff
    for role, can_reply in (("manager", True), ("moderating_agent", True), ("view_only", False), ("agent", False)):
        client = Client()
        client.force_login(staff[role])
        page = client.get(f"/admin/reviews/review/{pending[1].pk}/change/")
        assert page.status_code == 200
        assert ('name="reply-0-text"' in page.content.decode()) is can_reply, role
