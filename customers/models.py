from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MarketingConsent(models.TextChoices):
    UNKNOWN = "unknown", _("Not asked")
    GRANTED = "granted", _("Given")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentSource(models.TextChoices):
    SHOP = "shop", _("Imported from the shop")
    SURVEY_PAGE = "survey_page", _("Given on the survey page")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    BOUNCE = "bounce", _("Bounce or spam complaint")


class Customer(models.Model):
    external_id = models.CharField(_("external id"), max_length=100, unique=True)
    email = models.EmailField(_("email"), max_length=254)
    name = models.CharField(_("name"), max_length=200, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="es"
    )
    # What the shop knows and sends about the customer (age band, gender, city, loyalty tier, or any
    # key of its own), as lower-case keys to short strings; segments filter on them.
    attributes = models.JSONField(_("attributes"), default=dict, blank=True, db_default={})
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    erased_at = models.DateTimeField(
        _("personal data erased"),
        null=True,
        blank=True,
        help_text=_("Erased on request; numbers kept, nothing personal."),
    )
    # Saved segments over attributes change members when attributes change; whatever keeps figures
    # per segment compares this with when it computed them.
    attributes_changed_at = models.DateTimeField(
        null=True, blank=True, editable=False, db_index=True, verbose_name=_("attributes changed at")
    )
    # Consent to marketing email (win-back). Its history is the audit trail ("customer.consent").
    marketing_consent = models.CharField(
        _("marketing consent"),
        max_length=10,
        choices=MarketingConsent.choices,
        default=MarketingConsent.UNKNOWN,
        db_default=MarketingConsent.UNKNOWN,
    )
    marketing_consent_source = models.CharField(
        _("consent source"), max_length=20, choices=ConsentSource.choices, blank=True, default="", db_default=""
    )
    marketing_consent_at = models.DateTimeField(_("consent changed at"), null=True, blank=True)
    # Set by the unsubscribe link: no survey, reminder, review request or win-back goes out any more,
    # whatever the consent says; only a new opt-in on the survey page lifts it.
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at"]
        permissions = [
            ("view_personal_data", _("Can see customers' email addresses in exports and the API")),
            ("erase_customer", _("Can erase a customer's personal data")),
        ]
        indexes = [models.Index(Lower("email"), name="customer_email_lower")]

    def __str__(self) -> str:
        return f"{self.name or self.email} ({self.external_id})"


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=300)
    category = models.CharField(_("category"), max_length=200, blank=True, db_index=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} [{self.sku}]"


class Order(models.Model):
    external_id = models.CharField(_("external id"), max_length=100, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer"))
    placed_at = models.DateTimeField(_("placed at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    total = models.DecimalField(
        _("total"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    shipping_country = models.CharField(
        _("shipping country"),
        max_length=2,
        blank=True,
        default="",
        db_default="",  # orders loaded with plain SQL (imports, benchmarks) need not name it
        help_text=_("ISO 3166 code of the delivery address."),
    )
    # Cancelled, or refunded in full: nobody is asked about it any more.
    cancelled_at = models.DateTimeField(
        _("cancelled at"), null=True, blank=True, help_text=_("Cancelled or fully refunded: no survey is sent.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at"]
        indexes = [
            models.Index(fields=["delivered_at"], name="order_delivered_at"),
            # a full rollup rebuild finds the days with orders by probing it (analytics.rollups)
            models.Index(fields=["placed_at"], name="order_placed_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=models.Q(delivered_at__isnull=True) | models.Q(delivered_at__gte=models.F("placed_at")),
                name="order_delivered_after_placed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} · {self.total} {self.currency}"

    @property
    def is_delivered(self) -> bool:
        return self.delivered_at is not None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("order"))
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_items", verbose_name=_("product")
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="order_item_product_once"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product.sku}"


class CustomerRfm(models.Model):
    """A customer's recency, frequency and monetary scores (1–5, by quintile) and RFM segment.

    Recomputed from all orders by a nightly task rather than per request: at a million orders the
    computation takes seconds, and a segment filter must not change while a manager reads a page.
    """

    class Segment(models.TextChoices):
        CHAMPIONS = "champions", _("Champions")
        LOYAL = "loyal", _("Loyal")
        NEW = "new", _("New")
        AT_RISK = "at_risk", _("At risk")
        HIBERNATING = "hibernating", _("Hibernating")

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="rfm", verbose_name=_("customer")
    )
    recency = models.PositiveSmallIntegerField(verbose_name=_("recency"))
    frequency = models.PositiveSmallIntegerField(verbose_name=_("frequency"))
    monetary = models.PositiveSmallIntegerField(verbose_name=_("monetary"))
    segment = models.CharField(max_length=20, choices=Segment.choices, db_index=True, verbose_name=_("segment"))

    class Meta:
        verbose_name = _("customer RFM segment")
        verbose_name_plural = _("customer RFM segments")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.segment} (R{self.recency} F{self.frequency} M{self.monetary})"


class SegmentRun(models.Model):
    """When the RFM segments were last computed and how many customers changed segment."""

    computed_at = models.DateTimeField(verbose_name=_("computed at"))
    customers = models.PositiveIntegerField(verbose_name=_("customers"))
    changed = models.PositiveIntegerField(verbose_name=_("changed"))

    class Meta:
        verbose_name = _("segment run")
        verbose_name_plural = _("segment runs")

    def __str__(self) -> str:
        return f"segments @ {self.computed_at:%Y-%m-%d %H:%M}: {self.changed}/{self.customers} changed"


class SegmentMembership(models.Model):
    """A customer's RFM segment over a span of time, from `since` until `until` (open: still in it).

    What a customer said or did counts in the segment they were in when it happened, so a nightly
    run that moves a customer closes one span and opens the next, and nothing counted before
    changes. A customer's first span starts at their first purchase (RFM scores need purchases);
    for the history before the first run ever, that first segment stands in.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="segment_memberships", verbose_name=_("customer")
    )
    segment = models.CharField(max_length=20, choices=CustomerRfm.Segment.choices, verbose_name=_("segment"))
    since = models.DateTimeField(verbose_name=_("since"))
    until = models.DateTimeField(null=True, blank=True, verbose_name=_("until"))

    class Meta:
        verbose_name = _("segment membership")
        verbose_name_plural = _("segment memberships")
        default_permissions = ()
        indexes = [models.Index(fields=["customer", "since"], name="segment_membership_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(until__isnull=True), name="one_open_segment_membership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.segment} {self.since:%Y-%m-%d} – {self.until or ''}"


class SegmentChange(models.Model):
    """A customer who entered, left or changed RFM segment in a run, and from when that counts.

    Figures kept per segment elsewhere (the dashboards' rollups) read these rows on their own time
    and delete the runs they have taken into account, as with the change log of core.changes.
    """

    run = models.ForeignKey(SegmentRun, on_delete=models.CASCADE, related_name="+", verbose_name=_("segment run"))
    # not a foreign key: a customer deleted since still has rows counted under their old segment
    customer_id = models.BigIntegerField(verbose_name=_("customer ID"))
    # what the customer did from this moment on counts in another segment (or none); before it,
    # nothing changed. The run's time for a move; the first purchase for a customer entering.
    since = models.DateTimeField(null=True, verbose_name=_("since"))

    class Meta:
        verbose_name = _("segment change")
        verbose_name_plural = _("segment changes")
        default_permissions = ()

    def __str__(self) -> str:
        return f"customer {self.customer_id} @ run {self.run_id}"


def validate_not_rfm_code(slug: str) -> None:
    if slug in CustomerRfm.Segment.values:
        raise ValidationError(_("This slug is taken by an RFM segment."))


class SavedSegment(models.Model):
    """A named filter over customers — their attributes, RFM segment and recency, frequency and
    money spent — usable wherever the dashboards, the feed and the API take a segment."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("slug"),
        max_length=40,
        unique=True,
        validators=[validate_not_rfm_code],
        help_text=_("What the filters and the API use, e.g. vip-madrid."),
    )
    description = models.TextField(_("description"), blank=True)
    rfm_segments = models.JSONField(
        _("RFM segments"), default=list, blank=True, help_text=_("Any of these; none: any segment.")
    )
    attributes = models.JSONField(
        _("attributes"), default=dict, blank=True, help_text=_("All of these must match (case does not matter).")
    )
    recency_min_days = models.PositiveIntegerField(
        _("last order at least (days ago)"), null=True, blank=True, help_text=_("e.g. 180 for lapsed customers")
    )
    recency_max_days = models.PositiveIntegerField(_("last order at most (days ago)"), null=True, blank=True)
    frequency_min = models.PositiveIntegerField(_("orders at least"), null=True, blank=True)
    frequency_max = models.PositiveIntegerField(_("orders at most"), null=True, blank=True)
    monetary_min = models.DecimalField(_("spent at least"), max_digits=12, decimal_places=2, null=True, blank=True)
    monetary_max = models.DecimalField(_("spent at most"), max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        for low, high in (
            ("recency_min_days", "recency_max_days"),
            ("frequency_min", "frequency_max"),
            ("monetary_min", "monetary_max"),
        ):
            if (
                getattr(self, low) is not None
                and getattr(self, high) is not None
                and getattr(self, low) > getattr(self, high)
            ):
                raise ValidationError({high: _("Must not be less than the minimum.")})
        unknown = set(self.rfm_segments or []) - set(CustomerRfm.Segment.values)
        if unknown:
            raise ValidationError({"rfm_segments": _("Unknown RFM segments: %s") % ", ".join(sorted(unknown))})

    def customers(self, *, now=None):
        """The customers in the segment now, as a queryset of Customer."""
        now = now or timezone.now()
        customers = Customer.objects.all()
        for key, value in (self.attributes or {}).items():
            customers = customers.filter(**{f"attributes__{key}__iexact": str(value)})
        if self.rfm_segments:
            customers = customers.filter(rfm__segment__in=self.rfm_segments)
        bounds = {}
        if self.recency_min_days is not None:
            bounds["last_order__lte"] = now - timedelta(days=self.recency_min_days)
        if self.recency_max_days is not None:
            bounds["last_order__gte"] = now - timedelta(days=self.recency_max_days)
        if self.frequency_min is not None:
            bounds["order_count__gte"] = self.frequency_min
        if self.frequency_max is not None:
            bounds["order_count__lte"] = self.frequency_max
        if self.monetary_min is not None:
            bounds["spent__gte"] = self.monetary_min
        if self.monetary_max is not None:
            bounds["spent__lte"] = self.monetary_max
        if bounds:
            customers = customers.annotate(
                last_order=models.Max("orders__placed_at"),
                order_count=models.Count("orders"),
                spent=models.Sum("orders__total"),
            ).filter(**bounds)
        return customers


class EmailSuppression(models.Model):
    """An address no customer email may go to: unsubscribed, hard-bounced or reported as spam.

    Keyed by a keyed hash of the normalised address (customers.emailing.address_hash), not by the
    address: the row survives the customer's erasure without keeping who they were, and an address
    imported again later is still recognised and left alone.
    """

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")

    address_hash = models.CharField(_("address (keyed hash)"), max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    provider = models.CharField(_("reported by"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("email suppression")
        verbose_name_plural = _("email suppressions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.address_hash[:12]}… {self.reason}"


class OutboundEmail(models.Model):
    """A customer email as sent, kept so a soft bounce can be sent again as it was and a provider's
    report (bounce, complaint, delivery) finds what it is about. Bodies are blanked on erasure."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        SOFT_BOUNCED = "soft_bounced", _("Soft bounce, to retry")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Spam complaint")
        FAILED = "failed", _("Given up")

    kind = models.CharField(_("kind"), max_length=30)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound_emails",
        verbose_name=_("customer"),
    )
    address_hash = models.CharField(max_length=64, db_index=True, verbose_name=_("address hash"))
    to_email = models.CharField(_("to"), max_length=254)
    from_email = models.CharField(_("from"), max_length=254)
    reply_to = models.CharField(_("reply to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(blank=True, verbose_name=_("text body"))
    body_html = models.TextField(blank=True, verbose_name=_("HTML body"))
    headers = models.JSONField(default=dict, blank=True, verbose_name=_("headers"))
    message_id = models.CharField(max_length=255, blank=True, db_index=True, verbose_name=_("message ID"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SENT)
    attempts = models.PositiveSmallIntegerField(default=1, verbose_name=_("attempts"))
    retry_at = models.DateTimeField(null=True, blank=True, db_index=True, verbose_name=_("retry at"))
    last_event = models.CharField(max_length=300, blank=True, verbose_name=_("last event"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("customer email")
        verbose_name_plural = _("customer emails")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.status}"
