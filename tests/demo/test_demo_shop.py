"""The demo shop as `make run` seeds it, checked once seeded: one seeding serves every test here."""

import itertools
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.exceptions import ApplicationError
from customers.models import Customer, Order, Product
from demo.seed import CATALOGUE, IMPROVE_CHOICE_FOR_TOPIC, seed_demo
from feedback.models import FeedbackItem
from reviews.models import Review
from social.models import Mention
from surveys.models import Answer, Invitation, Question, Response
from tests.conftest import shared_by_the_module
from tests.demo.test_seed_demo import MIXED_TEXTS, SMALL, TODAY, _cutoff, _first_sentence

demo = shared_by_the_module(lambda: seed_demo(seed=7, **SMALL))
pytestmark = pytest.mark.django_db


def test_seed_creates_the_requested_shop(demo):
    assert Customer.objects.count() == demo.customers == 40
    assert Order.objects.count() == demo.orders == 150
    assert Product.objects.count() == demo.products == len(CATALOGUE) == 60
    assert set(Product.objects.values_list("category", flat=True)) == {
        "Moda",
        "Calzado",
        "Hogar",
        "Electrónica",
        "Belleza",
        "Deportes",
    }
    assert demo.customers_by_language["es"] > demo.customers_by_language["en"] > 0
    assert all(
        email.endswith(("@example.com", "@example.org")) for email in Customer.objects.values_list("email", flat=True)
    )
    orders_per_customer = Counter(Order.objects.values_list("customer_id", flat=True))
    assert 1 in orders_per_customer.values()
    assert max(orders_per_customer.values()) >= 3


def test_orders_are_plausible(demo):
    cutoff = _cutoff(TODAY)
    for order in Order.objects.prefetch_related("items"):
        items = list(order.items.all())
        assert 1 <= len(items) <= 4
        assert order.total == sum(item.unit_price * item.quantity for item in items)
        assert order.currency == "EUR"
        assert cutoff - timedelta(days=366) <= order.placed_at < cutoff
        if order.delivered_at is not None:
            days = (timezone.localdate(order.delivered_at) - timezone.localdate(order.placed_at)).days
            assert 1 <= days <= 6
            assert order.delivered_at < cutoff
    settled = Order.objects.filter(placed_at__lt=cutoff - timedelta(days=7))
    assert settled.filter(delivered_at__isnull=False).count() / settled.count() >= 0.88


def test_invitations_follow_the_survey_rules(demo):
    cutoff = _cutoff(TODAY)
    by_customer = defaultdict(list)
    for invitation in Invitation.objects.select_related("order", "survey").order_by("created_at"):
        assert invitation.created_at >= invitation.order.delivered_at + invitation.survey.invitation_delay
        assert invitation.created_at < cutoff
        assert invitation.expires_at == invitation.created_at + invitation.survey.invitation_lifetime
        assert invitation.language == invitation.customer.preferred_language
        if invitation.status == Invitation.Status.ANSWERED:
            assert invitation.created_at < invitation.answered_at < invitation.expires_at
        if invitation.status == Invitation.Status.EXPIRED:
            assert invitation.expires_at <= cutoff
        if invitation.status in (Invitation.Status.SENT, Invitation.Status.OPENED):
            assert invitation.expires_at > cutoff
        by_customer[invitation.customer_id].append(invitation.created_at)
    cooldown = timedelta(days=settings.SURVEY_CUSTOMER_COOLDOWN_DAYS)
    for moments in by_customer.values():
        assert all(later - earlier >= cooldown for earlier, later in itertools.pairwise(moments))


def test_about_forty_percent_of_invitations_are_answered(demo):
    invitations = Invitation.objects.count()
    answered = Invitation.objects.filter(status=Invitation.Status.ANSWERED).count()
    assert invitations > 0
    assert 0.35 <= answered / invitations <= 0.45
    assert Response.objects.count() == answered == demo.responses
    assert Response.objects.filter(submitted_at__gte=_cutoff(TODAY)).count() == 0


def test_every_open_text_answer_has_a_feedback_item(demo):
    open_text = Answer.objects.filter(question__kind=Question.Kind.OPEN_TEXT).exclude(text="")
    assert open_text.exists()
    assert not open_text.filter(feedback_item__isnull=True).exists()
    assert FeedbackItem.objects.filter(channel="survey").count() == open_text.count()
    assert demo.feedback_items == open_text.count() + demo.reviews + demo.mentions


def test_comments_are_in_the_language_of_the_response(demo):
    items = list(FeedbackItem.objects.filter(channel="survey").select_related("survey_answer__response"))
    assert {item.language for item in items} == {"es", "en"}
    for item in items:
        assert item.language == item.survey_answer.response.language
        mixed = MIXED_TEXTS.get(item.text)
        language = mixed.language if mixed else _first_sentence(item.text)[0]
        assert language == item.language, item.text


def test_scores_agree_with_what_customers_wrote(demo):
    assert demo.promoters and demo.passives and demo.detractors
    answers_by_response = defaultdict(dict)
    for answer in Answer.objects.select_related("question"):
        answers_by_response[answer.response_id][answer.question.code] = answer
    for answers in answers_by_response.values():
        nps = answers["nps"].number
        expected = "positive" if nps >= 9 else "negative" if nps <= 6 else "neutral"
        if "improve" in answers:
            assert nps <= 6  # the survey asks only detractors what to improve
        reason = answers.get("reason")
        if reason is None:
            continue
        if reason.text in MIXED_TEXTS:
            assert expected == "neutral", reason.text
            continue
        _language, topic, polarity = _first_sentence(reason.text)
        assert polarity == expected, (nps, reason.text)
        if "improve" in answers:
            assert IMPROVE_CHOICE_FOR_TOPIC[topic] in answers["improve"].choices
        if topic == "delivery" and polarity == "negative":
            assert answers["delivery_csat"].number <= 2
        if topic == "delivery" and polarity == "positive":
            assert answers["delivery_csat"].number >= 4


def test_most_customers_say_how_easy_the_order_was_and_detractors_found_it_harder(demo):
    effort = {answer.response_id: answer.number for answer in Answer.objects.filter(question__kind=Question.Kind.CES)}
    nps = dict(Answer.objects.filter(question__code="nps").values_list("response_id", "number"))
    assert 0.7 <= len(effort) / len(nps) <= 0.9
    assert set(effort.values()) <= set(range(1, 8))
    mean = lambda numbers: sum(numbers) / len(numbers)  # noqa: E731
    promoters = [effort[r] for r in effort if nps[r] >= 9]
    detractors = [effort[r] for r in effort if nps[r] <= 6]
    assert mean(detractors) + 1 < mean(promoters)


def test_seeding_a_shop_that_has_customers_is_refused(demo):
    with pytest.raises(ApplicationError):
        seed_demo(seed=7, **SMALL)
    assert Customer.objects.count() == 40


def test_the_demo_has_verified_reviews_replies_and_loud_mentions(demo):
    from reviews.models import ReviewReply

    own = Review.objects.filter(source="own_site")
    delivered = Order.objects.filter(delivered_at__isnull=False).count()
    assert own.count() >= delivered * 0.1 and own.filter(is_verified_buyer=True).count() == own.count()
    assert not Review.objects.filter(source="amazon", is_verified_buyer=True).exists()
    assert set(Review.objects.values_list("rating", flat=True)) == {1, 2, 3, 4, 5}
    assert ReviewReply.objects.exists()
    assert Mention.objects.count() == demo.mentions >= 100
    assert Mention.objects.filter(author_followers__gte=10_000).exists()
    assert FeedbackItem.objects.filter(channel="review").count() == demo.reviews
    assert FeedbackItem.objects.filter(channel="social").count() == demo.mentions
    assert not Review.objects.filter(created_at__gte=_cutoff(TODAY)).exists()


def test_a_small_demo_shop_hears_less_about_its_competitors_but_every_chart_has_some(demo):
    from brands.models import Brand

    # 150 orders is a tenth of the default shop: the chatter about each rival shrinks to its floor
    # (the default shop's 200 mentions and 40 reviews per rival took most of a small seed's time)
    for rival in Brand.objects.filter(is_own=False):
        mentions = Mention.objects.filter(brand=rival)
        assert mentions.count() == 40
        assert Review.objects.filter(brand=rival).count() == 10
        assert mentions.values("platform").distinct().count() >= 3


def test_the_demo_inbox_has_cases_in_every_sla_state(demo):
    from django.utils import timezone

    from support.models import Case

    now = timezone.now()
    open_cases = Case.objects.filter(status__in=Case.OPEN_STATUSES)
    assert open_cases.filter(sla_due_at__lte=now).exists(), "breached"
    assert open_cases.filter(sla_warning_at__lte=now, sla_due_at__gt=now).exists(), "about to breach"
    assert open_cases.filter(sla_warning_at__gt=now).exists(), "running"
    assert open_cases.filter(status="pending_customer").exists(), "paused"
    assert Case.objects.filter(status="closed").exists()


def test_the_planner_knows_what_the_seeded_shop_holds(demo):
    # Statistics of a table never analysed are missing, and PostgreSQL then plans for a tiny table.
    # pg_statistic is transactional, so no earlier test's seeding can leave its statistics behind.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, attname, most_common_vals::text::text[] FROM pg_stats"
            " WHERE (tablename, attname) IN (('customers_customer', 'preferred_language'),"
            " ('feedback_feedbackitem', 'channel'))"
        )
        common_values = {(table, column): set(values) for table, column, values in cursor.fetchall()}

    assert common_values == {
        ("customers_customer", "preferred_language"): {"es", "en"},
        ("feedback_feedbackitem", "channel"): {"survey", "review", "social"},
    }


def test_a_breach_in_the_demo_reaches_the_agents_bell_email_and_the_team_chat(demo, client, settings):
    """`make run` runs without a broker, so the bell's poll runs the SLA check and the outbox."""
    from django.core import mail

    from support.models import Case, ChatWebhook, Notification, Team
    from tests.chat_receiver import ChatReceiver

    settings.NOTIFY_JOBS_FROM_WEB = True
    breached = Case.objects.filter(status__in=Case.OPEN_STATUSES, sla_due_at__lte=timezone.now())
    assert breached.exists() and not breached.filter(assignee__username__isnull=True).exists()
    with ChatReceiver() as chat:
        ChatWebhook.objects.create(team=Team.objects.get(slug="atencion-al-cliente"), name="#demo", url=chat.url())
        assert client.login(username="agente", password="agente")

        bell = client.get("/support/notifications/bell/")
        page = client.get("/support/notifications/").content.decode()

    breaches = Notification.objects.filter(event="sla_breach", recipient__username="agente")
    assert set(breaches.values_list("case_id", flat=True)) == set(breached.values_list("pk", flat=True))
    unread = Notification.objects.filter(recipient__username="agente", read_at__isnull=True).count()
    assert f'<span class="bell-count">{unread}</span>' in bell.content.decode()
    case = breaches.first().case
    assert f"El caso #{case.pk} ha incumplido su objetivo" in page
    # one email per breached target to the agent (Spanish) and to the team's manager (English)
    to_agent = [m for m in mail.outbox if m.to == ["agente@voz.localhost"] and "ha incumplido" in m.subject]
    to_manager = [m for m in mail.outbox if m.to == ["manager@voz.localhost"] and "breached its" in m.subject]
    assert len(to_agent) == len(to_manager) == breaches.count()
    # and one post per breached target to the team's channel, in the shop's language
    posted = [post["json"]["text"] for post in chat.posts if "ha incumplido" in post["json"]["text"]]
    assert len(posted) == breaches.count()
    assert any(text.startswith(f"El caso #{case.pk} ha incumplido") for text in posted)
