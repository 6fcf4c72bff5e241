import hashlib
import itertools
from datetime import date, datetime, time
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from customers.models import Customer, Order, OrderItem, Product
from demo.seed import seed_demo
from feedback.models import FeedbackItem
from reviews.models import Review
from sentiment.ml.shop_comments import COMMENTS, LANGUAGES, MIXED, POLARITIES, TOPICS
from social.models import Mention
from surveys.models import Answer, Invitation

TODAY = date(2025, 3, 14)
SMALL = {"customers": 40, "orders": 150, "today": TODAY}

# sentence -> (language, topic, polarity), to check what the demo wrote against the score it gave
SENTENCES = {sentence: key for key, sentences in COMMENTS.items() for sentence in sentences}
MIXED_TEXTS = {comment.text: comment for comment in MIXED}


def _first_sentence(text: str) -> tuple[str, str, str] | None:
    """The bank entry a demo text starts with (a reason may join two sentences)."""
    for sentence, key in SENTENCES.items():
        if text.startswith(sentence):
            return key
    return None


def _cutoff(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _fingerprint() -> str:
    rows = [
        *Customer.objects.order_by("external_id").values_list(
            "external_id", "email", "name", "preferred_language", "created_at"
        ),
        *Product.objects.order_by("sku").values_list("sku", "name", "category"),
        *Order.objects.order_by("external_id").values_list(
            "external_id", "customer__external_id", "placed_at", "delivered_at", "total", "currency", "created_at"
        ),
        *OrderItem.objects.order_by("order__external_id", "product__sku").values_list(
            "order__external_id", "product__sku", "quantity", "unit_price"
        ),
        *Invitation.objects.order_by("public_id").values_list(
            "public_id",
            "order__external_id",
            "language",
            "status",
            "created_at",
            "expires_at",
            "sent_at",
            "opened_at",
            "reminded_at",
            "answered_at",
        ),
        *Answer.objects.order_by("response__invitation__public_id", "question__code").values_list(
            "response__invitation__public_id",
            "response__submitted_at",
            "response__language",
            "question__code",
            "number",
            "text",
            "choices",
        ),
        *FeedbackItem.objects.order_by(
            "survey_answer__response__invitation__public_id", "survey_answer__question__code", "text", "received_at"
        ).values_list("text", "language", "received_at", "order__external_id"),
        *Review.objects.order_by("source", "external_id").values_list(
            "source", "external_id", "rating", "body", "product__sku", "is_verified_buyer", "status", "created_at"
        ),
        *Mention.objects.order_by("platform", "external_id").values_list(
            "platform", "external_id", "author_handle", "author_followers", "text", "posted_at"
        ),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _delete_shop() -> None:
    # Orders take their invitations, responses, answers and feedback items with them.
    from support.models import Case

    Case.objects.all().delete()
    Review.objects.all().delete()
    Mention.objects.all().delete()
    Order.objects.all().delete()
    Customer.objects.all().delete()
    Product.objects.all().delete()


def test_comment_bank_has_six_sentences_for_every_language_topic_and_polarity():
    for key in itertools.product(LANGUAGES, TOPICS, POLARITIES):
        sentences = COMMENTS[key]
        assert len(set(sentences)) >= 6, key
        assert len(set(sentences)) == len(sentences), f"repeated sentence in {key}"
    assert sum(len(sentences) for sentences in COMMENTS.values()) >= 360
    assert len(SENTENCES) == sum(len(sentences) for sentences in COMMENTS.values()), "a sentence is in two places"


def test_mixed_comments_name_real_topics_and_both_sides():
    assert {comment.language for comment in MIXED} == set(LANGUAGES)
    for comment in MIXED:
        assert set(comment.aspects) <= set(TOPICS)
        assert set(comment.aspects.values()) == {"positive", "negative"}


@pytest.mark.django_db
def test_live_survey_links_are_left_for_the_demo():
    seed_demo(seed=7, customers=40, orders=150)

    live = Invitation.objects.filter(status=Invitation.Status.SENT, expires_at__gt=timezone.now())
    assert live.count() >= 5


@pytest.mark.django_db
def test_same_seed_and_day_give_the_same_shop():
    seed_demo(seed=7, **SMALL)
    first = _fingerprint()
    _delete_shop()

    seed_demo(seed=7, **SMALL)

    assert _fingerprint() == first
    _delete_shop()
    seed_demo(seed=8, **SMALL)
    assert _fingerprint() != first


@pytest.mark.django_db
def test_command_prints_a_summary_with_live_links_and_if_empty_then_does_nothing():
    out = StringIO()
    call_command("seed_demo", "--customers=40", "--orders=150", "--today=2025-03-14", stdout=out)

    links = [line.strip() for line in out.getvalue().splitlines() if line.startswith("  http")]
    assert 1 <= len(links) <= 5
    assert all(link.startswith(settings.VOZ_PUBLIC_BASE_URL + "/s/") for link in links)
    assert "Customers       40" in out.getvalue()
    orders = Order.objects.count()

    again = StringIO()
    call_command("seed_demo", "--if-empty", stdout=again)
    assert again.getvalue() == ""
    assert Order.objects.count() == orders

    with pytest.raises(CommandError):
        call_command("seed_demo", "--customers=40", "--orders=150", stdout=StringIO())


@pytest.mark.django_db
def test_command_rejects_a_malformed_day():
    with pytest.raises(CommandError):
        call_command("seed_demo", "--today=14/03/2025", stdout=StringIO())
    assert not Customer.objects.exists()
