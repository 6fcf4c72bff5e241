"""The staff Reviews page: the reviews waiting for a person, filtered; managers publish, reject with a
reason (one or many) and reply in public; agents read; bad input changes nothing."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.models import AuditEvent
from core.roles import AGENTS, MANAGERS
from reviews.models import Review, ReviewReply
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

URL = "/reviews/"


def staff(django_user_model, username: str, group: str, language: str = "en") -> Client:
    user = django_user_model.objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def manager(django_user_model):
    return staff(django_user_model, "manager", MANAGERS)


@pytest.fixture
def agent(django_user_model):
    return staff(django_user_model, "agent", AGENTS)


_counter = iter(range(1, 10_000))


def make_review(**fields) -> Review:
    n = next(_counter)
    values = {
        "source": "own_site",
        "external_id": f"r{n}",
        "rating": 4,
        "title": f"Title {n}",
        "body": "Muy buen producto",
        "author_name": "Ana García López",
        "language": "es",
        **fields,
    }
    return Review.objects.create(**values)


def listed(response) -> list[str]:
    return [row["review"].title for row in response.context["rows"]]


def test_the_list_shows_the_reviews_to_moderate_newest_first_with_counts_per_status(manager):
    now = timezone.now()
    make_review(title="Older", created_at=now - timedelta(days=2))
    make_review(title="Newer", created_at=now - timedelta(days=1), is_verified_buyer=True)
    make_review(title="Shown", status=Review.Status.PUBLISHED)
    make_review(title="Refused", status=Review.Status.REJECTED, moderation_reason="Spam link")

    response = manager.get(URL)

    assert response.status_code == 200
    assert listed(response) == ["Newer", "Older"]
    tabs = {key: count for key, _label, count, _current in response.context["tabs"]}
    assert tabs == {"pending": 2, "published": 1, "rejected": 1, "all": 4}
    html = response.content.decode()
    assert 'lang="es"' in html and "Ana L." in html and "García López" not in html
    assert "Verified buyer" in html
    assert listed(manager.get(URL, {"status": "rejected"})) == ["Refused"]
    assert "Spam link" in manager.get(URL, {"status": "rejected"}).content.decode()
    assert len(listed(manager.get(URL, {"status": "all"}))) == 4


def test_the_filters_narrow_the_list_by_rating_buyer_product_and_text(manager):
    chair = ProductFactory(name="Silla")
    make_review(title="One star", rating=1)
    make_review(title="Bought it", is_verified_buyer=True)
    make_review(title="About the chair", product=chair)
    make_review(title="Arrived broken", body="La caja llegó rota")

    assert listed(manager.get(URL, {"rating": "1"})) == ["One star"]
    assert listed(manager.get(URL, {"verified": "yes"})) == ["Bought it"]
    assert listed(manager.get(URL, {"product": chair.pk})) == ["About the chair"]
    assert listed(manager.get(URL, {"q": "rota"})) == ["Arrived broken"]
    # the counts follow the other filters
    tabs = {key: count for key, _label, count, _current in manager.get(URL, {"rating": "1"}).context["tabs"]}
    assert tabs["pending"] == 1


@pytest.mark.parametrize(
    "params", [{"status": "deleted"}, {"rating": "9"}, {"verified": "maybe"}, {"product": "999999"}, {"product": "x"}]
)
def test_an_unknown_filter_is_a_400(manager, params):
    make_review()

    response = manager.get(URL, params)

    assert response.status_code == 400


def test_a_manager_publishes_one_review_and_comes_back_to_the_same_filters(manager):
    review = make_review(rating=5)
    back = f"{URL}?status=pending&rating=5"

    response = manager.post(f"{URL}moderate/", {"reviews": review.pk, "action": "publish", "next": back})

    assert response.status_code == 302 and response.url == back
    review.refresh_from_db()
    assert review.status == Review.Status.PUBLISHED and review.moderated_by == manager.user
    assert AuditEvent.objects.filter(action="review.moderate", target_id=str(review.pk)).exists()
    assert "1 review published." in manager.get(response.url).content.decode()


def test_rejecting_needs_a_reason_and_keeps_it(manager):
    review = make_review()

    refused = manager.post(f"{URL}moderate/", {"reviews": review.pk, "action": "reject", "reason": ""})
    review.refresh_from_db()
    assert refused.status_code == 400 and review.status == Review.Status.PENDING
    assert "Say why the review is rejected." in refused.content.decode()

    done = manager.post(f"{URL}moderate/", {"reviews": review.pk, "action": "reject", "reason": "Insults"})
    review.refresh_from_db()
    assert done.status_code == 302
    assert review.status == Review.Status.REJECTED and review.moderation_reason == "Insults"


def test_the_ticked_reviews_are_published_together_and_the_others_stay(manager):
    first, second, untouched = make_review(), make_review(), make_review()

    response = manager.post(f"{URL}moderate/", {"reviews": [first.pk, second.pk], "action": "publish"})

    assert response.status_code == 302
    statuses = dict(Review.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "published", second.pk: "published", untouched.pk: "pending"}
    assert "2 reviews published." in manager.get(response.url).content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "publish"},
        {"reviews": "999999", "action": "publish"},
        {"reviews": "abc", "action": "publish"},
        {"reviews": "{review}", "action": "delete"},
    ],
)
def test_a_bad_moderation_request_is_a_400_and_changes_nothing(manager, data):
    review = make_review()
    data = {key: value.format(review=review.pk) for key, value in data.items()}

    response = manager.post(f"{URL}moderate/", data)

    assert response.status_code == 400
    review.refresh_from_db()
    assert review.status == Review.Status.PENDING


def test_a_public_reply_is_saved_shown_and_emailed_to_the_reviewer(manager, django_capture_on_commit_callbacks):
    review = make_review(author_email="ana@example.com", status=Review.Status.PUBLISHED)

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"{URL}{review.pk}/reply/", {"text": "¡Gracias, Ana!", "next": f"{URL}?status=all"})

    assert response.status_code == 302 and response.url == f"{URL}?status=all"
    assert ReviewReply.objects.get(review=review).text == "¡Gracias, Ana!"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.com"]
    page = manager.get(response.url).content.decode()
    assert "¡Gracias, Ana!" in page and "Your reply is public." in page


def test_an_empty_reply_is_a_400_and_saves_nothing(manager):
    review = make_review()

    response = manager.post(f"{URL}{review.pk}/reply/", {"text": "   "})

    assert response.status_code == 400
    assert "Write the reply first." in response.content.decode()
    assert not ReviewReply.objects.exists()
    assert manager.post(f"{URL}999999/reply/", {"text": "Hola"}).status_code == 404


def test_an_agent_reads_the_list_but_may_not_moderate_or_reply(agent):
    review = make_review()

    page = agent.get(URL)
    assert page.status_code == 200 and listed(page) == [review.title]
    assert 'action="/reviews/moderate/"' not in page.content.decode()
    assert agent.post(f"{URL}moderate/", {"reviews": review.pk, "action": "publish"}).status_code == 403
    assert agent.post(f"{URL}{review.pk}/reply/", {"text": "Hola"}).status_code == 403
    review.refresh_from_db()
    assert review.status == Review.Status.PENDING and not ReviewReply.objects.exists()


def test_staff_without_the_review_permission_get_403_and_anonymous_people_the_login_page(django_user_model):
    bare = django_user_model.objects.create_user("bare", password="x", is_staff=True)
    client = Client()
    client.force_login(bare)

    assert client.get(URL).status_code == 403
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and "/login/" in anonymous.url


def test_the_navigation_shows_the_reviews_section(manager):
    html = manager.get("/home/").content.decode()

    assert f'href="{URL}"' in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("es", ["Por moderar", "Publicar", "Rechazar", "Compra verificada", "Responder en público"]),
        ("en", ["To moderate", "Publish", "Reject", "Verified buyer", "Reply in public"]),
    ],
)
def test_the_page_speaks_the_staff_member_s_language(django_user_model, language, words):
    client = staff(django_user_model, "manager", MANAGERS, language=language)
    make_review(is_verified_buyer=True)

    html = client.get(URL).content.decode()

    for word in words:
        assert word in html


def test_the_list_reads_a_fixed_number_of_queries_however_many_rows(manager, django_assert_max_num_queries):
    chair = ProductFactory(name="Silla")
    for n in range(20):
        review = make_review(product=chair)
        if n % 2:
            ReviewReply.objects.create(review=review, text="Gracias")

    with django_assert_max_num_queries(12):
        response = manager.get(URL)

    assert len(response.context["rows"]) == 20


def test_a_refused_action_shows_the_list_again_with_links_back_to_the_list(manager):
    make_review(rating=2)

    response = manager.post(f"{URL}moderate/", {"action": "publish", "next": f"{URL}?status=pending&rating=2"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose at least one review." in html
    assert len(response.context["rows"]) == 1
    assert 'href="/reviews/?status=all&amp;rating=2"' in html
    assert 'name="next" value="/reviews/?status=pending&amp;rating=2"' in html
