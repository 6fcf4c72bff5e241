from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.devices import device_class
from core.exceptions import ApplicationError
from core.visits import traffic_source
from customers.models import Customer
from customers.selectors import customer_match
from feedback.models import FeedbackItem
from feedback.services import feedback_items_upsert
from onsite.models import Intercept, Site, WebFeedback
from surveys.models import Invitation

# An intercept link is for now, not for the inbox: a visitor who closes the tab is not coming back.
INTERCEPT_LINK_LIFETIME = timedelta(hours=24)


# A page view is not worth a write each: "seen" is refreshed at most this often per site and origin.
SEEN_REFRESH = timedelta(minutes=10)


def site_seen(*, site: Site, origin: str, now: datetime | None = None) -> bool:
    """Record that the widget ran on a page of `origin` (already checked as one of the site's
    domains). Returns whether anything was written."""
    now = now or timezone.now()
    origin = origin[:200]
    if site.last_seen_origin == origin and site.last_seen_at and now - site.last_seen_at < SEEN_REFRESH:
        return False
    Site.objects.filter(pk=site.pk).update(last_seen_at=now, last_seen_origin=origin)
    site.last_seen_at, site.last_seen_origin = now, origin
    return True


@dataclass(frozen=True)
class WebFeedbackData:
    rating: int | None
    comment: str
    email: str
    page_url: str
    referrer: str
    browser_language: str
    language: str  # the page's language, "es" or "en"
    country: str = ""


@transaction.atomic
def web_feedback_submit(*, site: Site, data: WebFeedbackData, user_agent: str = "") -> WebFeedback:
    """Store what a visitor sent; a comment becomes a feedback item (channel "web") analysed like any other."""
    feedback = WebFeedback.objects.create(
        site=site,
        rating=data.rating,
        comment=data.comment,
        email=data.email,
        page_url=data.page_url,
        referrer=data.referrer,
        device=device_class(user_agent),
        browser_language=data.browser_language,
        country=data.country,
    )
    if data.comment:
        # the visitor may leave an email or write an order number: then we know who they are
        match = customer_match(email=data.email, text=data.comment)
        feedback_items_upsert(
            link="web_feedback",
            items=[
                FeedbackItem(
                    channel=FeedbackItem.Channel.WEB,
                    customer_id=match.customer_id if match else None,
                    order_id=match.order_id if match else None,
                    text=data.comment,
                    language=data.language,
                    web_feedback=feedback,
                    received_at=feedback.created_at,
                    source=traffic_source(data.page_url, data.referrer),
                    page_url=data.page_url,
                    device=feedback.device,
                    country=data.country,
                )
            ],
        )
    return feedback


# ---------------------------------------------------------------------------------------------
# Intercept surveys
# ---------------------------------------------------------------------------------------------


class CustomerSignatureInvalid(ApplicationError):
    status_code = 400
    code = "customer_signature_invalid"


@dataclass(frozen=True)
class InterceptVisit:
    visitor_id: str
    page_url: str
    referrer: str
    language: str
    country: str = ""
    customer_external_id: str = ""
    customer_signature: str = ""


@dataclass(frozen=True)
class InterceptOffer:
    invitation: Invitation | None
    reason: str  # "offered", "page", "sample", "cooldown"


def _serialise_visitor(site: Site, visitor_id: str) -> None:
    """Two offers for one visitor at the same moment (two tabs) must not both pass the cooldown:
    the second waits for the first's commit (PostgreSQL; SQLite serialises writers anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"voz-intercept:{site.pk}:{visitor_id}"])


def intercepts_for_site(site: Site) -> list[Intercept]:
    return list(site.intercepts.filter(is_active=True, survey__is_active=True).order_by("pk"))


def _visitor_asked_since(site: Site, visitor_id: str, since: datetime) -> bool:
    return Invitation.objects.filter(visitor_id=visitor_id, intercept__site=site, created_at__gt=since).exists()


def _customer_asked_since(customer: Customer, since: datetime) -> bool:
    # any invitation, by email or on the site: one cooldown for both ways of asking
    return customer.invitations.filter(created_at__gt=since).exists()


@transaction.atomic
def intercept_offer(*, intercept: Intercept, visit: InterceptVisit, now: datetime | None = None) -> InterceptOffer:
    """Decide whether this visitor is asked now and, if so, create their single-use survey link.

    The widget applies the page and trigger rules itself; they are checked again here because a
    request can come from anywhere. A known customer (the shop signed their id) is not asked while
    in the email invitations' cooldown, and being asked here starts that cooldown too.
    """
    now = now or timezone.now()
    site = intercept.site
    _serialise_visitor(site, visit.visitor_id)
    customer = None
    if visit.customer_external_id:
        if not site.verifies_customer(visit.customer_external_id, visit.customer_signature):
            raise CustomerSignatureInvalid("The customer id's signature does not match this website's secret.")
        customer = Customer.objects.select_for_update().filter(external_id=visit.customer_external_id).first()
    if not intercept.matches_page(visit.page_url):
        return InterceptOffer(None, "page")
    if not intercept.samples(visit.visitor_id):
        return InterceptOffer(None, "sample")
    if _visitor_asked_since(site, visit.visitor_id, now - timedelta(days=intercept.cooldown_days)):
        return InterceptOffer(None, "cooldown")
    if customer is not None:
        days = max(intercept.cooldown_days, settings.SURVEY_CUSTOMER_COOLDOWN_DAYS)
        if _customer_asked_since(customer, now - timedelta(days=days)):
            return InterceptOffer(None, "cooldown")
    invitation = Invitation.objects.create(
        survey=intercept.survey,
        customer=customer,
        intercept=intercept,
        visitor_id=visit.visitor_id,
        page_url=visit.page_url,
        referrer=visit.referrer,
        country=visit.country,
        language=visit.language,
        status=Invitation.Status.SENT,  # shown to the visitor: the web's "sent"
        created_at=now,
        sent_at=now,
        expires_at=now + INTERCEPT_LINK_LIFETIME,
    )
    return InterceptOffer(invitation, "offered")
