"""The win-back rule (issue 21): who it picks, that it runs twice harmlessly, and the managers' page."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from core.roles import AGENTS, MANAGERS
from customers.models import MarketingConsent
from support.models import Case, CaseMessage, WinBackEmail, WinBackTemplate
from support.winback import winback_email_send, winback_rule_candidates, winback_rule_run
from surveys.services import response_submit
from tests.factories import CustomerFactory, FeedbackItemFactory, InvitationFactory, OrderFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def customer_who(*, nps: int, bought_days_ago: int, consent: bool = True, name: str = "", **fields):
    customer = CustomerFactory(
        name=name,
        marketing_consent=MarketingConsent.GRANTED if consent else MarketingConsent.UNKNOWN,
        **fields,
    )
    order = OrderFactory(customer=customer, placed_at=NOW - timedelta(days=bought_days_ago))
    invitation = InvitationFactory(customer=customer, order=order, created_at=NOW - timedelta(days=bought_days_ago))
    questions = {q.code: q.pk for q in invitation.survey.questions.all()}
    response_submit(
        invitation=invitation,
        answers={questions["nps"]: nps, questions["delivery_csat"]: 2},
        language="es",
        now=NOW - timedelta(days=bought_days_ago - 3),
    )
    return customer


def test_the_rule_picks_detractors_nobody_answered_who_stopped_buying_and_consented():
    picked = customer_who(nps=2, bought_days_ago=90, name="Elegida Uno")
    customer_who(nps=9, bought_days_ago=90)  # a promoter
    customer_who(nps=6, bought_days_ago=20)  # bought recently
    customer_who(nps=3, bought_days_ago=90, consent=False)  # no consent
    customer_who(nps=3, bought_days_ago=90, unsubscribed_at=NOW)  # unsubscribed
    answered = customer_who(nps=1, bought_days_ago=90)
    case = Case.objects.create(subject="Tarde", customer=answered)
    CaseMessage.objects.create(case=case, kind=CaseMessage.Kind.REPLY, text="Lo sentimos", created_at=NOW)
    noted = customer_who(nps=0, bought_days_ago=90, name="Solo Nota")  # an internal note is no answer
    noted_case = Case.objects.create(subject="Roto", customer=noted)
    CaseMessage.objects.create(case=noted_case, kind=CaseMessage.Kind.NOTE, text="mirar", created_at=NOW)

    assert {c.pk for c in winback_rule_candidates(now=NOW)} == {picked.pk, noted.pk}


def test_the_rule_sends_the_personalised_template_once_however_often_it_runs(django_capture_on_commit_callbacks):
    customer = customer_who(nps=2, bought_days_ago=90, name="Marta López", preferred_language="es")
    case = Case.objects.create(subject="Tarde", customer=customer)

    with django_capture_on_commit_callbacks(execute=True):
        assert winback_rule_run(now=NOW) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert winback_rule_run(now=NOW) == 0
        assert winback_rule_run(now=NOW + timedelta(days=40)) == 0  # after the cooldown too: one per answer

    email = WinBackEmail.objects.get()
    assert email.is_automatic and email.case == case and email.emailed_at is not None
    (message,) = mail.outbox
    assert message.to == [customer.email] and "Marta" in message.subject
    assert message.from_email == "Tienda Demo <hola@tienda.example>"
    assert "List-Unsubscribe" in message.extra_headers and "darte de baja" in message.body


def test_a_new_detractor_answer_after_a_win_back_earns_a_new_one_after_the_cooldown():
    customer = customer_who(nps=2, bought_days_ago=90)
    winback_rule_run(now=NOW)
    later = NOW + timedelta(days=45)
    order = OrderFactory(customer=customer, placed_at=NOW - timedelta(days=80))
    invitation = InvitationFactory(customer=customer, order=order, created_at=NOW + timedelta(days=1))
    questions = {q.code: q.pk for q in invitation.survey.questions.all()}
    response_submit(
        invitation=invitation,
        answers={questions["nps"]: 1, questions["delivery_csat"]: 1},
        language="es",
        now=NOW + timedelta(days=2),
    )

    assert winback_rule_run(now=later) == 1
    assert WinBackEmail.objects.filter(customer=customer).count() == 2


def test_the_rule_is_off_with_zero_days(settings):
    settings.WINBACK_RULE_INACTIVE_DAYS = 0
    customer_who(nps=2, bought_days_ago=400)

    assert winback_rule_run(now=NOW) == 0


def test_the_nightly_task_is_scheduled_and_runs_the_rule(settings):
    from celery.schedules import crontab

    from support.tasks import winback_rule_run as task

    entry = settings.CELERY_BEAT_SCHEDULE["support.winback_rule_run"]
    assert entry["task"] == "support.tasks.winback_rule_run" and isinstance(entry["schedule"], crontab)
    customer_who(nps=2, bought_days_ago=90)
    assert task.delay().get() == 1


def _manager_client(client, django_user_model, group=MANAGERS):
    user = django_user_model.objects.create_user(username=f"u-{group}", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


def test_the_win_back_page_shows_each_email_its_reply_and_repurchase_with_totals(client, django_user_model):
    sent_at = NOW - timedelta(days=100)
    replied_on_case = customer_who(nps=2, bought_days_ago=200, name="Caso Respondido")
    case = Case.objects.create(subject="Tarde", customer=replied_on_case)
    wrote_again = customer_who(nps=2, bought_days_ago=200, name="Nueva Opinión")
    bought = customer_who(nps=2, bought_days_ago=200, name="Compró Otra")
    silent = customer_who(nps=2, bought_days_ago=200, name="Sin Noticias")
    for customer in (replied_on_case, wrote_again, bought, silent):
        WinBackEmail.objects.create(
            customer=customer,
            case=case if customer == replied_on_case else None,
            language="es",
            subject=f"Hola {customer.name}",
            body="…",
            created_at=sent_at,
            emailed_at=sent_at,
            is_automatic=True,
        )
    CaseMessage.objects.create(
        case=case, kind=CaseMessage.Kind.CUSTOMER, text="Gracias", created_at=sent_at + timedelta(days=1)
    )
    FeedbackItemFactory(customer=wrote_again)  # created now, after the send
    OrderFactory(customer=bought, placed_at=sent_at + timedelta(days=30))
    OrderFactory(customer=silent, placed_at=sent_at + timedelta(days=95))  # too late to count

    page = _manager_client(client, django_user_model).get("/support/winback/")

    assert page.status_code == 200
    totals = page.context["totals"]
    assert (totals["sent"], totals["replied"], totals["bought"], totals["decided"]) == (4, 2, 1, 4)
    html = page.content.decode()
    assert "Sí, en el caso" in html and "Sí, con una nueva opinión" in html
    assert "50 % de los enviados" in html and "25 % de 4" in html
    rows = {row.customer.name: row for row in page.context["page"].object_list}
    assert rows["Compró Otra"].bought and not rows["Sin Noticias"].bought
    assert rows["Caso Respondido"].replied_on_case and rows["Nueva Opinión"].new_feedback


def test_managers_edit_the_template_on_the_page_and_bad_placeholders_are_refused(client, django_user_model):
    manager = _manager_client(client, django_user_model)
    template = WinBackTemplate.objects.get(is_active=True)
    data = {
        "subject_es": "{name}, te echamos de menos",
        "body_es": "Hola {name}: sentimos lo de {topic}. — {shop}",
        "subject_en": "{name}, we miss you",
        "body_en": "Hi {name}: sorry about {topic}. — {shop}",
    }

    assert manager.post("/support/winback/", data).status_code == 302
    template.refresh_from_db()
    assert template.subject_es == "{name}, te echamos de menos"

    bad = manager.post("/support/winback/", {**data, "body_en": "Hi {nombre} {"})
    assert bad.status_code == 400
    template.refresh_from_db()
    assert template.body_en == "Hi {name}: sorry about {topic}. — {shop}"


def test_agents_may_not_open_the_win_back_page(client, django_user_model):
    assert _manager_client(client, django_user_model, AGENTS).get("/support/winback/").status_code == 403


def test_a_win_back_is_not_sent_if_the_customer_unsubscribed_after_it_was_written():
    customer = customer_who(nps=2, bought_days_ago=90)
    winback_rule_run(now=NOW)
    email = WinBackEmail.objects.get()
    mail.outbox.clear()
    email.emailed_at = None
    email.save()
    customer.unsubscribed_at = timezone.now()
    customer.save()

    assert winback_email_send(email_id=email.pk) is False
    email.refresh_from_db()
    assert email.not_sent_reason == "unsubscribed" and mail.outbox == []


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_default_win_back_reads_in_whole_paragraphs_on_a_phone(language):
    """The HTML part keeps the template's line breaks: a line broken inside a sentence shows on a
    narrow screen as a sentence cut in two."""
    from support.winback import winback_send

    customer = CustomerFactory(name="Lucía", preferred_language=language, marketing_consent=MarketingConsent.GRANTED)

    winback_email_send(email_id=winback_send(customer=customer).pk)

    (email,) = mail.outbox
    html = email.alternatives[0][0]
    assert "<br>" not in html
    assert html.count("<p>") >= 5  # greeting, three paragraphs, signature
