import uuid
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    PRESTASHOP = "prestashop", "PrestaShop"


def said_text(sentences) -> str:
    """[msgid, parameters] pairs, each marked with gettext_noop where it is written, in the active language."""
    from django.utils.translation import gettext

    return " ".join(gettext(msgid) % params if params else gettext(msgid) for msgid, params in sentences)


class Connector(models.Model):
    """A shop whose orders reach Voz on their own: by signed webhooks (Shopify, WooCommerce) or by
    polling its API (PrestaShop, which has no order webhooks).

    The secret (a webhook signing secret, or PrestaShop's Webservice key) is stored encrypted with a
    key derived from SECRET_KEY (integrations.secrets) and only its last characters are ever shown.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("public ID"))
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    shop_url = models.URLField(_("shop URL"), max_length=300)
    secret_encrypted = models.TextField(editable=False, verbose_name=_("encrypted secret"))
    secret_hint = models.CharField(max_length=8, editable=False, blank=True, verbose_name=_("secret hint"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The last time orders came in (a webhook processed, a poll run) and what went wrong with it.
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    # what went wrong, as a code the page words in the reader's language, and its detail
    last_error_code = models.CharField(max_length=20, blank=True, verbose_name=_("last error code"))
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    # The result of the last Test connection.
    last_test_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last tested at"))
    last_test_ok = models.BooleanField(null=True, verbose_name=_("last test passed"))
    # what it found, as [msgid, parameters] sentences the page words in the reader's language
    last_test_said = models.JSONField(default=list, blank=True, verbose_name=_("last test message"))
    # PrestaShop: date_upd (shop time) of the newest order already read.
    cursor = models.CharField(max_length=32, blank=True, verbose_name=_("cursor"))

    class Meta:
        verbose_name = _("shop connector")
        verbose_name_plural = _("shop connectors")
        ordering = ["platform", "shop_url"]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} · {self.shop_url}"

    def last_error_display(self) -> str:
        """The last error in words for the page ("error 401: check the key"), in the reader's language."""
        from django.utils.translation import gettext

        detail = self.last_error
        messages = {
            "auth": gettext("error %(detail)s: check the key"),
            "http": gettext("error %(detail)s from the shop"),
            "unreachable": gettext("the shop cannot be reached (%(detail)s)"),
            "signature": gettext("a webhook was refused: wrong signature, check the secret"),
            "order": gettext("an order was refused: %(detail)s"),
            "secret": gettext("the stored secret cannot be read: enter it again"),
        }
        template = messages.get(self.last_error_code)
        return template % {"detail": detail} if template else detail

    def last_test_display(self) -> str:
        """The last test's findings in the reader's language (one staff member ran it, anyone reads it)."""
        return said_text(self.last_test_said)

    @property
    def uses_webhooks(self) -> bool:
        return self.platform != Platform.PRESTASHOP

    @property
    def id_prefix(self) -> str:
        """What the external ids of this shop's orders and customers start with: two shops on one
        platform number their orders alike, so the connector is part of the id."""
        return f"{self.platform}-{self.pk}-"


class ConnectorOrder(models.Model):
    """An order as the platform last described it: its state there, for the connector page, and
    what makes a replayed, late or out-of-order delivery harmless."""

    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, related_name="orders", verbose_name=_("connector")
    )
    platform_order_id = models.CharField(max_length=64, verbose_name=_("shop order ID"))
    order = models.ForeignKey(
        "customers.Order",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="connector_orders",
        verbose_name=_("order"),
    )
    platform_status = models.CharField(max_length=40, blank=True, verbose_name=_("shop status"))
    # the platform's own modification time of the version stored: an older one arriving later is skipped
    platform_updated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("updated in the shop at"))
    has_email = models.BooleanField(default=True, verbose_name=_("has an email"))
    refund_ids = models.JSONField(default=list, blank=True, verbose_name=_("refund IDs"))
    refunded_total = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0"), verbose_name=_("refunded total")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("shop order")
        verbose_name_plural = _("shop orders")
        constraints = [
            models.UniqueConstraint(fields=["connector", "platform_order_id"], name="connector_order_once"),
        ]

    def __str__(self) -> str:
        return f"{self.connector_id}:{self.platform_order_id}"


class WebhookDelivery(models.Model):
    """A verified webhook, kept until processed: the request is answered at once and a worker
    does the work, so a burst of a thousand orders waits in the queue instead of timing out."""

    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("connector")
    )
    # the platform's id of the delivery (retries repeat it); empty when it sends none
    delivery_id = models.CharField(max_length=100, blank=True, verbose_name=_("delivery ID"))
    topic = models.CharField(max_length=60, verbose_name=_("topic"))
    # emptied once processed: it holds the customer's personal data
    payload = models.JSONField(null=True, blank=True, verbose_name=_("payload"))
    received_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("received at"))
    processed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("processed at"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    error = models.CharField(max_length=500, blank=True, verbose_name=_("error"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "delivery_id"],
                condition=~models.Q(delivery_id=""),
                name="webhook_delivery_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["received_at"], condition=models.Q(processed_at__isnull=True), name="webhook_delivery_waiting"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.delivery_id or self.pk}"


class PrivacyRequest(models.Model):
    """A platform's mandatory privacy request (Shopify's customers/data_request, customers/redact,
    shop/redact). Recorded here; the privacy layer, above this one, carries it out
    (privacy/shop_requests.py) and writes back what it did."""

    class Kind(models.TextChoices):
        DATA_REQUEST = "data_request", _("Customer data request")
        CUSTOMER_REDACT = "customer_redact", _("Customer erasure")
        SHOP_REDACT = "shop_redact", _("Shop erasure")

    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, related_name="privacy_requests", verbose_name=_("connector")
    )
    kind = models.CharField(_("request"), max_length=20, choices=Kind.choices)
    platform_customer_id = models.CharField(max_length=64, blank=True, verbose_name=_("shop customer ID"))
    email = models.CharField(max_length=254, blank=True, verbose_name=_("email"))
    platform_order_ids = models.JSONField(default=list, blank=True, verbose_name=_("shop order IDs"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    # the customer's data, for the shop owner to hand over (data requests only)
    export = models.JSONField(null=True, blank=True, verbose_name=_("export"))

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.received_at:%Y-%m-%d})"
