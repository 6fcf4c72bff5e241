"""Shop connectors: set up, verify what the shops send, and turn it into orders.

Every order ends in customers.services.order_upsert — the service behind POST /api/v1/orders — so
a connector's orders get the same customer, lines, delivery date and, once the survey's delay has
passed, the same invitation under the same cooldown (surveys.services.invitations_schedule_due).
"""

import base64
import hashlib
import hmac
import logging
import secrets as random_secrets
from dataclasses import replace
from datetime import datetime, timedelta

import httpx
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from core.audit import audit
from core.exceptions import ApplicationError
from core.queueing import enqueue
from customers.services import order_cancel, order_upsert
from integrations import prestashop, shopify, woocommerce
from integrations.mapping import PayloadInvalid, ReceivedOrder
from integrations.models import Connector, ConnectorOrder, Platform, PrivacyRequest, WebhookDelivery, said_text
from integrations.secrets import SecretUnreadable, secret_decrypt, secret_encrypt, secret_hint

logger = logging.getLogger(__name__)

# Registered by privacy.tasks.shop_privacy_request_fulfil: erasure and export live in the privacy
# layer, above this one, which carries the request out and writes back what it did.
PRIVACY_REQUEST = "integrations.privacy_request"

# A delivery still unprocessed after this was probably not queued (broker down): the sweep queues it.
DELIVERY_GRACE = timedelta(minutes=2)
DELIVERY_MAX_ATTEMPTS = 5
# How far back the first PrestaShop poll looks.
FIRST_POLL_DAYS = 30


class ConnectorInvalid(ApplicationError):
    code = "connector_invalid"


# ---------------------------------------------------------------------------------------------
# Setting up
# ---------------------------------------------------------------------------------------------


def connector_secret(connector: Connector) -> str:
    return secret_decrypt(connector.secret_encrypted)


@transaction.atomic
def connector_create(*, platform: str, shop_url: str, secret: str, actor=None) -> Connector:
    secret = secret.strip()
    if not secret:
        raise ConnectorInvalid(gettext("A secret or key is required."))
    connector = Connector.objects.create(
        platform=platform,
        shop_url=shop_url.strip().rstrip("/"),
        secret_encrypted=secret_encrypt(secret),
        secret_hint=secret_hint(secret),
    )
    audit("connector.create", connector, actor=actor, summary=str(connector))
    return connector


@transaction.atomic
def connector_update(*, connector: Connector, shop_url: str, secret: str = "", actor=None) -> Connector:
    """Change the shop URL and, when one is given, the secret (left empty: the stored one stays)."""
    connector.shop_url = shop_url.strip().rstrip("/")
    fields = ["shop_url"]
    if secret.strip():
        connector.secret_encrypted = secret_encrypt(secret.strip())
        connector.secret_hint = secret_hint(secret.strip())
        fields += ["secret_encrypted", "secret_hint"]
    connector.save(update_fields=fields)
    audit("connector.update", connector, actor=actor, details={"secret_changed": "secret_hint" in fields})
    return connector


@transaction.atomic
def connector_delete(*, connector: Connector, actor=None) -> None:
    """Remove the connection; the orders it brought stay, like any order."""
    audit("connector.delete", connector, actor=actor, summary=str(connector))
    connector.delete()


def generate_secret() -> str:
    return random_secrets.token_urlsafe(32)


# ---------------------------------------------------------------------------------------------
# What the shop sends
# ---------------------------------------------------------------------------------------------


def signature_is_valid(*, connector: Connector, body: bytes, signature: str) -> bool:
    """Shopify's X-Shopify-Hmac-Sha256 and WooCommerce's X-WC-Webhook-Signature are both the base64
    HMAC-SHA256 of the raw body with the shared secret; compared in constant time."""
    if not signature:
        return False
    try:
        secret = connector_secret(connector)
    except SecretUnreadable:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode("ascii", "replace"))


def webhook_refused(*, connector: Connector, reason: str, now: datetime | None = None) -> None:
    """Note on the connector page that a webhook was turned away, so a wrong secret shows."""
    Connector.objects.filter(pk=connector.pk).update(
        last_error_code=reason, last_error="", last_error_at=now or timezone.now()
    )


def payload_check(*, connector: Connector, topic: str, payload) -> None:
    """Read the payload as the worker will, so a malformed one is refused (400) before it is queued."""
    try:
        received = _read(connector, topic, payload)
    except PayloadInvalid:
        raise
    except (TypeError, KeyError, AttributeError, ArithmeticError) as error:
        raise PayloadInvalid(f"Not an order Voz can read ({type(error).__name__}).") from error
    if isinstance(received, ReceivedOrder) and received.data.total < 0:
        raise PayloadInvalid("The order total cannot be negative.")


def topic_is_known(connector: Connector, topic: str) -> bool:
    if connector.platform == Platform.SHOPIFY:
        return topic in (*shopify.ORDER_TOPICS, shopify.REFUND_TOPIC, *shopify.PRIVACY_TOPICS)
    return topic in woocommerce.ORDER_TOPICS


def delivery_receive(*, connector: Connector, topic: str, delivery_id: str, payload) -> bool:
    """Keep a verified delivery and queue its processing; False when this delivery id was seen before.

    A platform sends a delivery again when it got no answer; if the first copy is still waiting
    (its hand-over to the workers was lost), the new one queues it again rather than nothing.
    """
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                connector=connector, topic=topic, delivery_id=delivery_id[:100], payload=payload
            )
            transaction.on_commit(lambda: _enqueue_processing(delivery.pk))
    except IntegrityError:
        waiting = WebhookDelivery.objects.filter(
            connector=connector, delivery_id=delivery_id[:100], processed_at__isnull=True
        ).values_list("pk", flat=True)
        for waiting_id in waiting:
            _enqueue_processing(waiting_id)
        return False
    return True


def _enqueue_processing(delivery_id: int) -> None:
    from integrations.tasks import delivery_process

    enqueue(delivery_process, delivery_id)


def _read(connector: Connector, topic: str, payload):
    if connector.platform == Platform.SHOPIFY:
        if topic == shopify.REFUND_TOPIC:
            return shopify.refund_read(payload)
        if topic in shopify.PRIVACY_TOPICS:
            return shopify.privacy_request_read(topic, payload)
        return shopify.order_read(payload, prefix=connector.id_prefix)
    return woocommerce.order_read(payload, prefix=connector.id_prefix)


def delivery_process(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Turn a stored delivery into orders (or a privacy request) once; False if already done.

    A refusal by the order service (an order moving to another customer, say) is recorded on the
    delivery and the connector page, not retried: sending it again would be refused again.
    """
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            # the delivery only: every delivery of a shop joins the same connector row, so locking
            # it too would make the other workers skip their own deliveries as taken
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("connector")
            .filter(pk=delivery_id, processed_at__isnull=True)
            .first()
        )
        if delivery is None:
            return False
        connector = delivery.connector
        try:
            with transaction.atomic():
                _apply(connector, _read(connector, delivery.topic, delivery.payload))
            error_code, error = "", ""
        except PayloadInvalid as exc:
            error_code, error = "order", str(exc)
        except ApplicationError as exc:
            error_code, error = "order", exc.message
        delivery.attempts += 1
        delivery.processed_at = now
        delivery.payload = None
        delivery.error = error[:500]
        delivery.save(update_fields=["attempts", "processed_at", "payload", "error"])
        connector_note_sync(connector=connector, now=now, error_code=error_code, error=error)
    return True


def _apply(connector: Connector, received) -> None:
    if isinstance(received, ReceivedOrder):
        order_receive(connector=connector, received=received)
    elif isinstance(received, shopify.ReceivedRefund):
        refund_receive(connector=connector, refund=received)
    else:
        privacy_request_record(connector=connector, received=received)


def connector_note_sync(*, connector: Connector, now: datetime, error_code: str = "", error: str = "") -> None:
    fields = {"last_sync_at": now, "last_error_code": error_code, "last_error": error[:500]}
    if error_code:
        fields["last_error_at"] = now
    Connector.objects.filter(pk=connector.pk).update(**fields)


def order_receive(*, connector: Connector, received: ReceivedOrder) -> ConnectorOrder:
    """Store the order through the orders service, unless a newer version of it is already stored."""
    link, _created = ConnectorOrder.objects.get_or_create(
        connector=connector, platform_order_id=received.platform_order_id
    )
    link = ConnectorOrder.objects.select_for_update().get(pk=link.pk)  # one version of an order at a time
    if (
        link.order_id is not None
        and link.platform_updated_at is not None
        and received.platform_updated_at is not None
        and received.platform_updated_at < link.platform_updated_at
    ):
        return link  # an older version, delivered late: what is stored is newer
    data = received.data
    if data.cancelled_at is None and link.refunded_total > 0 and link.refunded_total >= data.total:
        data = replace(data, cancelled_at=data.placed_at)  # refunded in full before we heard of the order
    order, _ = order_upsert(data=data)
    link.order = order
    link.platform_status = received.platform_status
    link.platform_updated_at = received.platform_updated_at or link.platform_updated_at
    link.has_email = received.has_email
    link.save()
    return link


def refund_receive(*, connector: Connector, refund: shopify.ReceivedRefund) -> ConnectorOrder:
    """Add a refund to its order once; refunds adding up to the order's total cancel it."""
    link, _created = ConnectorOrder.objects.get_or_create(
        connector=connector, platform_order_id=refund.platform_order_id
    )
    link = ConnectorOrder.objects.select_for_update(of=("self",)).select_related("order").get(pk=link.pk)
    if refund.refund_id in link.refund_ids:
        return link
    link.refund_ids = [*link.refund_ids, refund.refund_id]
    link.refunded_total += refund.amount
    link.save(update_fields=["refund_ids", "refunded_total", "updated_at"])
    if link.order is not None and link.refunded_total >= link.order.total:
        order_cancel(external_id=link.order.external_id, at=refund.created_at)
        ConnectorOrder.objects.filter(pk=link.pk).update(platform_status="refunded")
    return link


def privacy_request_record(*, connector: Connector, received: shopify.ReceivedPrivacyRequest) -> PrivacyRequest:
    request = PrivacyRequest.objects.create(
        connector=connector,
        kind=received.kind,
        platform_customer_id=received.platform_customer_id,
        email=received.email,
        platform_order_ids=received.platform_order_ids,
    )
    transaction.on_commit(lambda: enqueue(PRIVACY_REQUEST, request.pk))
    return request


def deliveries_requeue(*, now: datetime | None = None) -> list[int]:
    """Queue again the deliveries whose hand-over to the workers did not get through."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(
            processed_at__isnull=True, received_at__lte=now - DELIVERY_GRACE, attempts__lt=DELIVERY_MAX_ATTEMPTS
        ).values_list("pk", flat=True)[:1000]
    )
    for delivery_id in ids:
        _enqueue_processing(delivery_id)
    return ids


# ---------------------------------------------------------------------------------------------
# PrestaShop: polling
# ---------------------------------------------------------------------------------------------


def _shop_time(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def prestashop_sync(*, connector_id: int, now: datetime | None = None, client_class=prestashop.Client) -> int:
    """Read the orders changed since the cursor; returns how many were stored.

    A failure (the shop down, a wrong key) is written on the connector page and the cursor stays,
    so the next run asks again for everything it missed.
    """
    now = now or timezone.now()
    connector = Connector.objects.filter(pk=connector_id, platform=Platform.PRESTASHOP, is_active=True).first()
    if connector is None:
        return 0
    since = connector.cursor or _shop_time(now - timedelta(days=FIRST_POLL_DAYS))
    until = _shop_time(now)
    stored, refused = 0, []
    try:
        client = client_class(connector.shop_url, connector_secret(connector))
    except SecretUnreadable as error:
        connector_note_sync(connector=connector, now=now, error_code="secret", error=str(error))
        return 0
    try:
        currencies = client.table("currencies", "id,iso_code")
        languages = client.table("languages", "id,iso_code")
        offset, cursor = 0, connector.cursor
        while True:
            page = client.orders_changed(since=since, until=until, offset=offset)
            customer_ids = {str(row.get("id_customer")) for row in page if str(row.get("id_customer", "")).isdigit()}
            customers = client.by_id("customers", customer_ids, "id,email,firstname,lastname,id_lang")
            for row in page:
                try:
                    received = prestashop.order_read(
                        row,
                        prefix=connector.id_prefix,
                        customers=customers,
                        currencies=currencies,
                        languages=languages,
                    )
                    with transaction.atomic():
                        order_receive(connector=connector, received=received)
                    stored += 1
                except (PayloadInvalid, ApplicationError) as error:
                    refused.append(f"{row.get('id')}: {getattr(error, 'message', error)}")
                updated = str(row.get("date_upd") or "")
                if updated > cursor and len(updated) == 19:
                    cursor = updated
            Connector.objects.filter(pk=connector.pk).update(cursor=cursor)
            if len(page) < prestashop.PAGE_SIZE:
                break
            offset += prestashop.PAGE_SIZE
    except prestashop.ShopUnreachable as error:
        code = "auth" if error.status in (401, 403) else ("http" if error.status else "unreachable")
        connector_note_sync(connector=connector, now=now, error_code=code, error=_error_detail(error))
        logger.warning("PrestaShop sync of connector %s failed: %s", connector.pk, error)
        return stored
    finally:
        client.close()
    if refused:
        connector_note_sync(connector=connector, now=now, error_code="order", error="; ".join(refused))
    else:
        connector_note_sync(connector=connector, now=now)
    return stored


def _error_detail(error: prestashop.ShopUnreachable) -> str:
    return str(error.status) if error.status else str(error)


def prestashop_connectors_due() -> list[int]:
    return list(Connector.objects.filter(platform=Platform.PRESTASHOP, is_active=True).values_list("pk", flat=True))


# ---------------------------------------------------------------------------------------------
# Test connection
# ---------------------------------------------------------------------------------------------

TEST_TIMEOUT = httpx.Timeout(8.0, connect=4.0)


def connector_test(*, connector: Connector, now: datetime | None = None) -> tuple[bool, str]:
    """Check what can be checked from here, and say plainly what to do about the rest."""
    now = now or timezone.now()
    try:
        secret = connector_secret(connector)
    except SecretUnreadable:
        ok, said = False, [(gettext_noop("The stored secret cannot be read (SECRET_KEY changed): enter it again."), {})]
    else:
        if connector.platform == Platform.PRESTASHOP:
            ok, said = _test_prestashop(connector, secret)
        else:
            ok, said = _test_webhooks(connector)
    Connector.objects.filter(pk=connector.pk).update(last_test_at=now, last_test_ok=ok, last_test_said=said)
    return ok, said_text(said)


Said = list[tuple[str, dict]]  # sentences as (msgid, parameters): stored, and worded for each reader


def _test_prestashop(connector: Connector, secret: str) -> tuple[bool, Said]:
    client = prestashop.Client(connector.shop_url, secret, retry_pause=0.2)
    try:
        client.get("orders", {"limit": "1"})
    except prestashop.ShopUnreachable as error:
        if error.status in (401, 403):
            refused = gettext_noop("Error %(status)s: the shop refused the key. Check the Webservice key.")
            return False, [(refused, {"status": error.status})]
        if error.status == 404:
            return False, [(gettext_noop("Error 404: no Webservice at this address. Enable it in PrestaShop."), {})]
        if error.status:
            return False, [(gettext_noop("Error %(status)s from the shop."), {"status": error.status})]
        return False, [(gettext_noop("The shop cannot be reached: %(detail)s"), {"detail": str(error)[:200]})]
    finally:
        client.close()
    return True, [(gettext_noop("Connected: the key can read orders."), {})]


def _test_webhooks(connector: Connector) -> tuple[bool, Said]:
    try:
        response = httpx.get(connector.shop_url, timeout=TEST_TIMEOUT, follow_redirects=True)
        reachable = (gettext_noop("The shop answers (HTTP %(status)s)."), {"status": response.status_code})
    except httpx.HTTPError as error:
        return False, [(gettext_noop("The shop cannot be reached: %(detail)s"), {"detail": type(error).__name__})]
    connector.refresh_from_db(fields=["last_error_code", "last_sync_at"])
    if connector.last_error_code == "signature":
        refused = gettext_noop("The last webhook was refused: wrong signature. Copy the secret from the shop again.")
        return False, [reachable, (refused, {})]
    if connector.last_sync_at is None:
        waiting = gettext_noop(
            "No webhook has arrived yet: add the webhook URLs below in the shop, signed with this secret."
        )
        return True, [reachable, (waiting, {})]
    last = timezone.localtime(connector.last_sync_at).strftime("%H:%M")
    return True, [reachable, (gettext_noop("Signed webhooks arrive (last at %(time)s)."), {"time": last})]
