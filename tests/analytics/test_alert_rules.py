"""Alert rules a manager can use: the defaults a fresh install has, rules narrowed to a topic,
channel, product, segment or brand, the cooldown between alerts, each alert's evidence, and the
staff pages that edit them (who may, what they refuse)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from analytics import alerts
from analytics.models import AlertEpisode, AlertRule
from core.roles import AGENTS, MANAGERS
from feedback.models import FeedbackItem
from sentiment.models import FeedbackTopic, Topic
from tests.analytics.test_alerts import NOW, quiet_history
from tests.factories import CustomerFactory, FeedbackItemFactory, OrderFactory, OrderItemFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_default_rules():
    AlertRule.objects.all().delete()


@pytest.fixture
def manager(client, django_user_model):
    user = django_user_model.objects.create_user(username="marta", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(user)
    return user


@pytest.fixture
def agent(django_user_model):
    user = django_user_model.objects.create_user(username="ana", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=AGENTS))
    return user


def spike(**fields) -> AlertRule:
    return AlertRule.objects.create(**{"name": "Pico", "kind": "negative_spike", "sigma": 3, **fields})


def complaints(count: int, *, when=None, **fields) -> list[FeedbackItem]:
    when = when or NOW - timedelta(hours=1)
    return [
        FeedbackItem.objects.create(
            **{"channel": "social", "text": f"Fatal {n}", "sentiment": "negative", "received_at": when, **fields}
        )
        for n in range(count)
    ]


def about(items: list[FeedbackItem], slug: str) -> None:
    topic = Topic.objects.get(slug=slug)
    FeedbackTopic.objects.bulk_create(
        FeedbackTopic(feedback=item, topic=topic, sentiment="negative", score=-0.8, matches=[]) for item in items
    )


# ---------------------------------------------------------------------------------------
# The defaults of a fresh install
# ---------------------------------------------------------------------------------------
def test_a_fresh_install_has_the_three_default_rules_switched_on():
    rules = {rule.kind: rule for rule in AlertRule.objects.all()}

    assert set(rules) == {"negative_spike", "nps_below", "sla_breach_rate"}
    assert all(rule.is_active and rule.cooldown_hours == 24 for rule in rules.values())
    # a spike on any topic: every topic watched on its own, not the shop's total
    assert rules["negative_spike"].each_topic and rules["negative_spike"].topic is None
    assert (rules["nps_below"].threshold, rules["nps_below"].min_volume) == (0, 30)
    assert (rules["sla_breach_rate"].threshold, rules["sla_breach_rate"].min_volume) == (10, 20)
    assert rules["nps_below"].name == "NPS semanal por debajo de 0"  # named in the shop's language


def test_the_default_rules_are_named_in_each_readers_language(client, manager):
    english = client.get("/dashboards/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    spanish = client.get("/dashboards/alerts/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert ">Weekly NPS below 0</a>" in english and "NPS semanal por debajo de 0" not in english
    assert "Negative spike on any topic" in english
    assert ">NPS semanal por debajo de 0</a>" in spanish and "Weekly NPS below 0" not in spanish


def test_a_default_rule_saved_unchanged_stays_translated_and_a_renamed_one_keeps_its_name(client, manager):
    rule = AlertRule.objects.get(kind="nps_below")
    fields = {"kind": "nps_below", "threshold": "0", "min_volume": "30", "cooldown_hours": "24", "is_active": "on"}
    form = client.get(f"/dashboards/alerts/{rule.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="Weekly NPS below 0"' in form

    client.post(f"/dashboards/alerts/{rule.pk}/", {**fields, "name": "Weekly NPS below 0"}, HTTP_ACCEPT_LANGUAGE="en")
    spanish = client.get("/dashboards/alerts/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "NPS semanal por debajo de 0" in spanish

    client.post(f"/dashboards/alerts/{rule.pk}/", {**fields, "name": "NPS de la semana"}, HTTP_ACCEPT_LANGUAGE="en")
    english = client.get("/dashboards/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">NPS de la semana</a>" in english and ">Weekly NPS below 0</a>" not in english


def test_the_default_spike_rule_fires_for_one_topic_that_the_total_would_hide(client, manager):
    quiet_history(NOW)
    for day in range(1, 29):
        complaints(6, when=NOW - timedelta(days=day, hours=2))  # six complaints a day, about nothing in particular
    about(complaints(6, when=NOW - timedelta(days=1, hours=2)), "price")
    delivery = complaints(7)  # today: seven, all about delivery
    about(delivery, "delivery")
    rule = AlertRule.objects.get(kind="negative_spike")

    assert alerts.rule_value(AlertRule(kind="negative_spike", sigma=3), now=NOW) == (7.0, False)  # the total
    assert alerts.alerts_check(now=NOW) == 1
    episode = rule.episodes.get()
    assert set(episode.feedback.all()) == set(delivery)
    # its page says which topic spiked
    page = client.get(f"/dashboards/alerts/fired/{episode.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert page.count('<span class="topic negative">Entrega</span>') == 7


# ---------------------------------------------------------------------------------------
# Scopes
# ---------------------------------------------------------------------------------------
def test_a_topic_rule_counts_only_negative_mentions_of_its_topic(no_default_rules):
    quiet_history(NOW)
    delivery = spike(topic=Topic.objects.get(slug="delivery"))
    price = spike(name="Precio", topic=Topic.objects.get(slug="price"))
    about(complaints(6), "delivery")

    alerts.alerts_check(now=NOW)

    assert delivery.episodes.count() == 1 and price.episodes.count() == 0


def test_a_channel_rule_counts_only_its_channel(no_default_rules):
    quiet_history(NOW, channel="email")
    quiet_history(NOW, channel="social")
    email = spike(name="Correo", channel="email")
    social = spike(name="Redes", channel="social")
    complaints(6, channel="email")

    alerts.alerts_check(now=NOW)

    assert email.episodes.count() == 1 and social.episodes.count() == 0


def test_a_product_rule_counts_the_feedback_about_that_product(no_default_rules):
    quiet_history(NOW)
    mug, plate = ProductFactory(sku="TAZA-01"), ProductFactory(sku="PLATO-01")
    order = OrderFactory()
    OrderItemFactory(order=order, product=mug)
    mug_rule, plate_rule = spike(name="Taza", product="TAZA-01"), spike(name="Plato", product="PLATO-01")
    about_mug = complaints(6, order=order)
    complaints(3)  # about no product

    alerts.alerts_check(now=NOW)

    assert plate_rule.episodes.count() == 0 and plate.sku == "PLATO-01"
    assert set(mug_rule.episodes.get().feedback.all()) == set(about_mug)


def test_a_segment_rule_counts_its_customers_rfm_or_saved(no_default_rules):
    from customers.models import CustomerRfm, SavedSegment, SegmentMembership, SegmentRun

    quiet_history(NOW)
    vip = CustomerFactory(attributes={"tier": "vip"})
    other = CustomerFactory()
    SegmentRun.objects.create(computed_at=timezone.now(), customers=2, changed=0)
    CustomerRfm.objects.create(customer=vip, recency=5, frequency=5, monetary=5, segment="champions")
    CustomerRfm.objects.create(customer=other, recency=1, frequency=1, monetary=1, segment="hibernating")
    # in their segments since long before the complaints (a rule counts each in the segment of its time)
    for customer, segment in ((vip, "champions"), (other, "hibernating")):
        SegmentMembership.objects.create(customer=customer, segment=segment, since=NOW - timedelta(days=400))
    SavedSegment.objects.create(name="VIP", slug="vip", attributes={"tier": "vip"})
    champions, hibernating = spike(name="Campeones", segment="champions"), spike(name="Dormidos", segment="hibernating")
    saved = spike(name="VIP", segment="vip")
    complaints(6, customer=vip)
    complaints(2, customer=other)

    alerts.alerts_check(now=NOW)

    assert (champions.episodes.count(), saved.episodes.count(), hibernating.episodes.count()) == (1, 1, 0)


def test_a_brand_rule_watches_a_competitor_and_the_shops_rules_ignore_it(no_default_rules):
    from brands.models import Brand

    rival = Brand.objects.create(name="Rival Hogar", slug="rival")
    quiet_history(NOW)
    FeedbackItem.objects.bulk_create(
        FeedbackItem(
            channel="social", text="ok", sentiment="positive", received_at=NOW - timedelta(days=d), brand=rival
        )
        for d in range(1, 30)
    )
    ours, theirs = spike(name="Nosotros"), spike(name="Rival", brand=rival)
    complaints(6, brand=rival)

    alerts.alerts_check(now=NOW)

    assert (ours.episodes.count(), theirs.episodes.count()) == (0, 1)
    assert alerts.alert_fired_data(theirs.episodes.get())["brand"] == "rival"


def test_an_nps_rule_can_be_narrowed_to_a_product(no_default_rules):
    from surveys.services import response_submit
    from tests.factories import InvitationFactory

    mug, plate = ProductFactory(sku="TAZA-01"), ProductFactory(sku="PLATO-01")
    for n in range(24):
        product = mug if n < 12 else plate
        invitation = InvitationFactory(language="es")
        OrderItemFactory(order=invitation.order, product=product)
        questions = {q.code: q.pk for q in invitation.survey.questions.all()}
        # the mug: eleven detractors and one promoter (NPS -83); the plate: twelve promoters
        score = 1 if n < 11 else 10
        answers = {questions["nps"]: score, questions["delivery_csat"]: 3}
        response_submit(invitation=invitation, answers=answers, language="es", now=NOW - timedelta(days=1))
    mug_rule = AlertRule.objects.create(name="NPS taza", kind="nps_below", threshold=0, product="TAZA-01")
    plate_rule = AlertRule.objects.create(name="NPS plato", kind="nps_below", threshold=0, product="PLATO-01")
    shop = AlertRule.objects.create(name="NPS tienda", kind="nps_below", threshold=0)

    alerts.alerts_check(now=NOW)

    assert (mug_rule.episodes.count(), plate_rule.episodes.count(), shop.episodes.count()) == (1, 0, 0)
    assert mug_rule.episodes.get().value == pytest.approx(-83.3, abs=0.1)


def late_cases(count: int, *, channel: str, opened) -> list:
    from support.services import cases_open_for_feedback

    items = [
        FeedbackItemFactory(
            channel=channel,
            sentiment="negative",
            sentiment_score=-0.95,
            sentiment_confidence=0.95,
            analysis_status="done",
            received_at=opened,
        )
        for _ in range(count)
    ]
    return cases_open_for_feedback(ids=[item.pk for item in items], now=opened)


def test_an_sla_rule_fires_on_the_share_of_targets_missed_in_its_channel(no_default_rules):
    opened = NOW - timedelta(days=3)
    missed = late_cases(12, channel="email", opened=opened)  # nobody answered: every first response late
    late_cases(1, channel="survey", opened=opened)
    email = AlertRule.objects.create(name="SLA correo", kind="sla_breach_rate", threshold=10, channel="email")
    chat = AlertRule.objects.create(name="SLA chat", kind="sla_breach_rate", threshold=10, channel="chat")

    alerts.alerts_check(now=NOW)

    episode = email.episodes.get()
    assert episode.value == 100 and chat.episodes.count() == 0
    assert set(episode.cases.all()) == set(missed)


# ---------------------------------------------------------------------------------------
# Cooldown
# ---------------------------------------------------------------------------------------
def test_after_an_alert_the_rule_is_silent_for_its_cooldown_then_alerts_again(no_default_rules):
    quiet_history(NOW)
    rule = spike(cooldown_hours=6, emails="jefa@shop.example")
    complaints(6)

    fired = alerts.alerts_check(now=NOW)
    # the problem goes away and comes back within the cooldown: no second alert
    AlertEpisode.objects.filter(rule=rule).update(ended_at=NOW + timedelta(hours=1))
    during = [alerts.alerts_check(now=NOW + timedelta(hours=h)) for h in (2, 4, 5)]
    after = alerts.alerts_check(now=NOW + timedelta(hours=6, minutes=1))
    later = alerts.alerts_check(now=NOW + timedelta(hours=7))

    assert (fired, during, after, later) == (1, [0, 0, 0], 1, 0)
    assert [m.subject for m in mail.outbox] == ["[Voz] Pico: 6,0", "[Voz] Pico: 6,0"]
    first, second = rule.episodes.order_by("started_at")
    assert second.started_at == NOW + timedelta(hours=6, minutes=1) and second.ended_at is None


def test_a_problem_that_lasts_past_the_cooldown_is_announced_again(no_default_rules):
    quiet_history(NOW)
    rule = spike(cooldown_hours=2)
    complaints(6)

    counts = [alerts.alerts_check(now=NOW + timedelta(minutes=m)) for m in (0, 60, 119, 121)]

    assert counts == [1, 0, 0, 1]
    first, second = rule.episodes.order_by("started_at")
    assert first.ended_at == NOW + timedelta(minutes=121) and second.ended_at is None


# ---------------------------------------------------------------------------------------
# Delivery: a failed webhook is retried, an email never sent twice
# ---------------------------------------------------------------------------------------
def test_a_failing_webhook_is_retried_without_emailing_the_rules_addresses_again(no_default_rules, receiver):
    url, received = receiver
    quiet_history(NOW)
    rule = spike(emails="jefa@shop.example", webhook_url="http://127.0.0.1:9/down", webhook_secret="k")
    complaints(6)

    first = alerts.alerts_check(now=NOW)
    second = alerts.alerts_check(now=NOW + timedelta(minutes=5))
    AlertRule.objects.filter(pk=rule.pk).update(webhook_url=url)
    third = alerts.alerts_check(now=NOW + timedelta(minutes=10))

    assert (first, second, third) == (0, 0, 1)
    assert [m.to for m in mail.outbox] == [["jefa@shop.example"]]
    assert len(received) == 1


def test_a_managers_chat_that_is_down_is_retried_and_their_alert_email_goes_once(no_default_rules, django_user_model):
    from support import notify
    from support.models import ChatWebhook, NotificationDelivery, Team
    from tests.chat_receiver import ChatReceiver

    marta = django_user_model.objects.create_user(username="marta", email="marta@shop.example", is_staff=True)
    marta.groups.add(Group.objects.get(name=MANAGERS))
    team = Team.objects.get(slug="atencion-al-cliente")
    team.members.add(marta)
    quiet_history(NOW)
    spike()
    complaints(6)
    with ChatReceiver() as chat:
        ChatWebhook.objects.create(team=team, name="#jefes", url=chat.url())
        chat.status = 503
        alerts.alerts_check(now=NOW)
        # the outbox runs on the real clock (the notifications are written now)
        sent_at = timezone.now()
        notify.deliveries_send_due(now=sent_at)
        chat.status = 200
        alerts.alerts_check(now=NOW + timedelta(minutes=5))
        notify.deliveries_send_due(now=sent_at + timedelta(minutes=5))
        notify.deliveries_send_due(now=sent_at + timedelta(minutes=30))

        deliveries = dict(NotificationDelivery.objects.values_list("channel", "status"))
        assert (deliveries["email"], deliveries["chat"]) == ("sent", "sent")
        assert len(chat.posts) == 2  # the failed post and its retry
        assert [m.to for m in mail.outbox] == [["marta@shop.example"]]
        episode = AlertEpisode.objects.get()
        assert f"/dashboards/alerts/fired/{episode.pk}/" in chat.posts[-1]["json"]["attachments"][0]["title_link"]


# ---------------------------------------------------------------------------------------
# The evidence page
# ---------------------------------------------------------------------------------------
def test_an_alerts_page_lists_the_items_behind_it_with_links_to_their_case_and_the_feed(
    no_default_rules, client, manager
):
    from support.services import cases_open_for_feedback

    quiet_history(NOW)
    rule = spike(channel="social")
    behind = complaints(5)
    behind.append(
        FeedbackItemFactory(
            channel="social",
            text="La caja llegó rota y nadie contesta",
            sentiment="negative",
            sentiment_score=-0.95,
            sentiment_confidence=0.95,
            analysis_status="done",
            received_at=NOW - timedelta(hours=2),
        )
    )
    (case,) = cases_open_for_feedback(ids=[behind[-1].pk], now=NOW - timedelta(hours=2))
    complaints(4, channel="email", text="Otro canal")  # not in the rule's scope
    complaints(2, when=NOW - timedelta(days=2), text="De anteayer")  # before the window

    alerts.alerts_check(now=NOW)
    episode = rule.episodes.get()
    page = client.get(f"/dashboards/alerts/fired/{episode.pk}/", HTTP_ACCEPT_LANGUAGE="es")
    html = page.content.decode()

    assert page.status_code == 200
    assert set(episode.feedback.all()) == set(behind) and episode.evidence_total == 6
    assert "La caja llegó rota y nadie contesta" in html and "Otro canal" not in html and "De anteayer" not in html
    assert f'href="/support/cases/{case.pk}/"' in html
    for item in behind:
        assert f'href="/feedback/?item={item.pk}&amp;brand=all"' in html
    assert "Canal: Redes sociales" in html and "Evidencias" in html
    # the feed's link shows that one item
    feed = client.get("/feedback/", {"item": behind[1].pk, "brand": "all"}).content.decode()
    assert "Fatal 1" in feed and "Fatal 2" not in feed


def test_the_evidence_of_an_nps_alert_is_the_comments_of_the_weeks_detractors(no_default_rules):
    from surveys.services import response_submit
    from tests.factories import InvitationFactory

    for n in range(10):
        invitation = InvitationFactory(language="es")
        questions = {q.code: q for q in invitation.survey.questions.all()}
        answers = {
            questions["nps"].pk: 2 if n < 8 else 10,
            questions["reason"].pk: f"Comentario {n}",
            questions["delivery_csat"].pk: 3,
        }
        response_submit(invitation=invitation, answers=answers, language="es", now=NOW - timedelta(days=1))
    rule = AlertRule.objects.create(name="NPS", kind="nps_below", threshold=20)

    alerts.alerts_check(now=NOW)

    texts = set(rule.episodes.get().feedback.values_list("text", flat=True))
    assert texts == {f"Comentario {n}" for n in range(8)}


# ---------------------------------------------------------------------------------------
# The staff pages
# ---------------------------------------------------------------------------------------
def test_a_manager_creates_edits_switches_off_and_deletes_a_rule(client, manager):
    from sentiment.models import Topic

    topic = Topic.objects.get(slug="delivery")
    created = client.post(
        "/dashboards/alerts/new/",
        {
            "name": "Entregas en redes",
            "kind": "negative_spike",
            "sigma": "2.5",
            "min_volume": "4",
            "min_baseline_days": "10",
            "cooldown_hours": "12",
            "topic": topic.pk,
            "channel": "social",
            "emails": "jefa@shop.example\n",
            "is_active": "on",
        },
    )
    rule = AlertRule.objects.get(name="Entregas en redes")
    edited = client.post(
        f"/dashboards/alerts/{rule.pk}/",
        {"name": "NPS taza", "kind": "nps_below", "threshold": "-10", "min_volume": "20", "cooldown_hours": "48"},
    )
    rule.refresh_from_db()
    listing = client.get("/dashboards/alerts/").content.decode()
    toggled = client.post(f"/dashboards/alerts/{rule.pk}/toggle/", HTTP_HX_REQUEST="true")

    assert created.status_code == 302 and edited.status_code == 302
    assert (rule.kind, rule.threshold, rule.cooldown_hours, rule.is_active) == ("nps_below", -10, 48, False)
    # the spike's own settings stay as they were, for when it is a spike rule again
    assert (rule.sigma, rule.min_baseline_days, rule.topic, rule.channel) == (2.5, 10, None, "")
    assert "NPS taza" in listing
    assert toggled.status_code == 200 and f'id="alert-rule-{rule.pk}"' in toggled.content.decode()
    assert AlertRule.objects.get(pk=rule.pk).is_active
    assert client.get(f"/dashboards/alerts/{rule.pk}/delete/").status_code == 200
    assert client.post(f"/dashboards/alerts/{rule.pk}/delete/").status_code == 302
    assert not AlertRule.objects.filter(pk=rule.pk).exists()


def test_the_rule_form_refuses_what_does_not_suit_the_signal_and_changes_nothing(client, manager):
    before = list(AlertRule.objects.values_list("pk", "name"))
    refused = [
        client.post("/dashboards/alerts/new/", data)
        for data in (
            # an NPS rule cannot be narrowed by channel; a threshold out of its range
            {
                "name": "x",
                "kind": "nps_below",
                "threshold": "0",
                "min_volume": "5",
                "cooldown_hours": "24",
                "channel": "social",
            },
            {"name": "x", "kind": "csat_below", "threshold": "120", "min_volume": "5", "cooldown_hours": "24"},
            {
                "name": "x",
                "kind": "negative_spike",
                "sigma": "3",
                "min_volume": "5",
                "min_baseline_days": "14",
                "cooldown_hours": "0",
            },
            {
                "name": "x",
                "kind": "negative_spike",
                "sigma": "3",
                "min_volume": "5",
                "min_baseline_days": "14",
                "cooldown_hours": "24",
                "product": "NO-EXISTE",
                "emails": "not an address",
            },
            {"name": "x", "kind": "bogus"},
        )
    ]

    assert [r.status_code for r in refused] == [400] * 5
    assert "Esta señal no se puede acotar por canal." in refused[0].content.decode()
    assert "Ningún producto tiene este SKU." in refused[3].content.decode()
    assert list(AlertRule.objects.values_list("pk", "name")) == before


def test_choosing_a_signal_shows_only_the_fields_that_suit_it(client, manager):
    spike_form = client.get("/dashboards/alerts/new/", {"kind": "negative_spike"}, HTTP_HX_REQUEST="true")
    sla_form = client.get("/dashboards/alerts/new/", {"kind": "sla_breach_rate"}, HTTP_HX_REQUEST="true")

    assert 'name="sigma"' in spike_form.content.decode() and 'name="brand"' in spike_form.content.decode()
    html = sla_form.content.decode()
    assert 'name="threshold" value="10"' in html and 'name="sigma"' not in html and 'name="brand"' not in html
    assert "<html" not in html  # only the form, for htmx to swap


def test_the_builder_explains_each_field_in_both_languages(client, manager):
    spanish = client.get("/dashboards/alerts/new/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    client.cookies["django_language"] = "en"
    english = client.get("/dashboards/alerts/new/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Enfriamiento (horas)" in spanish and "Tras una alerta, la regla calla" in spanish
    assert "Cooldown (hours)" in english and "After an alert the rule stays silent" in english
    assert 'href="/dashboards/alerts/"' in spanish  # the staff navigation links to it


def test_agents_cannot_see_or_change_rules_and_anonymous_people_are_sent_to_log_in(client, agent):
    rule = AlertRule.objects.first()
    urls = ["/dashboards/alerts/", "/dashboards/alerts/new/", f"/dashboards/alerts/{rule.pk}/"]
    posts = [
        f"/dashboards/alerts/{rule.pk}/toggle/",
        f"/dashboards/alerts/{rule.pk}/delete/",
        "/dashboards/alerts/new/",
    ]

    anonymous = [client.get(url).status_code for url in urls]
    client.force_login(agent)
    agent_gets = [client.get(url).status_code for url in urls]
    agent_posts = [client.post(url, {"name": "x", "kind": "nps_below"}).status_code for url in posts]
    navigation = client.get("/support/").content.decode()

    assert anonymous == [302, 302, 302]
    assert agent_gets == [403, 403, 403] and agent_posts == [403, 403, 403]
    assert AlertRule.objects.get(pk=rule.pk).is_active and AlertRule.objects.count() == 3
    assert 'href="/dashboards/alerts/"' not in navigation


def test_the_bell_opens_the_alerts_page(no_default_rules, client, manager):
    from support.models import Notification

    quiet_history(NOW)
    spike()
    complaints(6)
    alerts.alerts_check(now=NOW)
    episode = AlertEpisode.objects.get()
    (notification,) = Notification.objects.filter(recipient=manager, event="alert")

    opened = client.post(f"/support/notifications/{notification.pk}/open/")

    assert opened.status_code == 302 and opened["Location"] == f"/dashboards/alerts/fired/{episode.pk}/"
