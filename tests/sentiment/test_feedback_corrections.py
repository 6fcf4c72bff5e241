"""Staff correct a label (admin action or API); the correction is a gold label for training."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.test import APIClient

from feedback.models import FeedbackItem
from sentiment import selectors, services
from tests.factories import FeedbackItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_agent(django_user_model):
    user = django_user_model.objects.create_user(username="agent", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="feedback", codename__in=["view_feedbackitem", "change_feedbackitem"]
        )
    )
    return user


@pytest.fixture
def agent_api(support_agent):
    client = APIClient()
    client.force_authenticate(support_agent)
    return client


def test_the_api_lists_feedback_with_sentiment_and_topics(agent_api, django_assert_max_num_queries):
    items = [FeedbackItemFactory(text="El pedido llegó tarde.") for _ in range(3)]
    services.feedback_analyse_batch(ids=[item.pk for item in items])

    with django_assert_max_num_queries(6):
        response = agent_api.get("/api/v1/feedback/")

    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first["sentiment"]["label"] == "negative"
    assert first["topics"][0]["slug"] == "delivery"
    assert first["topics"][0]["matches"]
    assert first["model_version"]


def test_an_agent_corrects_a_label_through_the_api(agent_api, support_agent):
    item = FeedbackItemFactory(text="Bueno, llegó.")
    services.feedback_analyse_batch(ids=[item.pk])

    response = agent_api.patch(f"/api/v1/feedback/{item.pk}/", {"sentiment_gold": "negative"}, format="json")

    assert response.status_code == 200
    assert response.json()["effective_sentiment"] == "negative"
    item.refresh_from_db()
    assert (item.sentiment_gold, item.sentiment_corrected_by) == ("negative", support_agent)
    assert [(label.item_id, label.label, label.source) for label in selectors.shop_labels()] == [
        (item.pk, "negative", "correction")
    ]


def test_an_unknown_label_is_refused_and_changes_nothing(agent_api):
    item = FeedbackItemFactory()

    response = agent_api.patch(f"/api/v1/feedback/{item.pk}/", {"sentiment_gold": "furious"}, format="json")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert "sentiment_gold" in response.json()["errors"]
    item.refresh_from_db()
    assert item.sentiment_gold == ""


def test_reading_needs_permission_and_correcting_needs_change_permission(django_user_model):
    item = FeedbackItemFactory()
    viewer = django_user_model.objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_feedbackitem"))
    client = APIClient()

    assert client.get("/api/v1/feedback/").status_code in (401, 403)
    client.force_authenticate(viewer)
    assert client.get("/api/v1/feedback/").status_code == 200
    assert (
        client.patch(f"/api/v1/feedback/{item.pk}/", {"sentiment_gold": "positive"}, format="json").status_code == 403
    )
    item.refresh_from_db()
    assert item.sentiment_gold == ""


def test_admin_action_corrects_labels_in_bulk(admin_client, admin_user):
    items = [FeedbackItemFactory() for _ in range(2)]

    response = admin_client.post(
        reverse("admin:feedback_feedbackitem_changelist"),
        {"action": "correct_sentiment_positive", "_selected_action": [item.pk for item in items]},
        follow=True,
    )

    assert response.status_code == 200
    assert set(FeedbackItem.objects.values_list("sentiment_gold", flat=True)) == {"positive"}
    assert FeedbackItem.objects.filter(sentiment_corrected_by=admin_user).count() == 2


def test_admin_feedback_list_shows_and_filters_by_sentiment_and_topic(admin_client):
    item = FeedbackItemFactory(text="Me cobraron dos veces con la tarjeta.")
    other = FeedbackItemFactory(text="Las zapatillas son comodísimas.")
    services.feedback_analyse_batch(ids=[item.pk, other.pk])
    url = reverse("admin:feedback_feedbackitem_changelist")

    page = admin_client.get(url).content.decode()
    filtered = admin_client.get(url, {"topics__id__exact": item.topics.get(slug="payment").pk}).content.decode()

    assert "payment (neg)" in page
    assert "cobraron" in filtered and "zapatillas" not in filtered


def test_shop_ratings_label_survey_comments_for_free():
    from tests.sentiment.test_feedback_analysis import submit_comment

    promoter = submit_comment("Todo genial, repetiré.", nps=10)
    submit_comment("Bien, sin más.", nps=7)
    detractor = submit_comment("Nunca más.", nps=2)
    corrected = submit_comment("Vaya sorpresa.", nps=9)
    FeedbackItem.objects.filter(pk=corrected.pk).update(sentiment_gold="negative")

    labels = {label.item_id: label.label for label in selectors.shop_labels()}

    # a passive's 7 says nothing clear about the tone of the comment: it is left out
    assert labels == {promoter.pk: "positive", detractor.pk: "negative", corrected.pk: "negative"}
    assert [selectors.stars_label(n) for n in (1, 2, 3, 4, 5)] == ["negative"] * 2 + [None] + ["positive"] * 2
