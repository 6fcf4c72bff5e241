from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from customers.models import Customer
from integrations.models import Connector, PrivacyRequest, WebhookDelivery


def connectors_with_counts() -> QuerySet[Connector]:
    return Connector.objects.annotate(
        order_count=Count("orders", filter=Q(orders__order__isnull=False), distinct=True),
        without_email=Count("orders", filter=Q(orders__order__isnull=False, orders__has_email=False), distinct=True),
        waiting=Count("deliveries", filter=Q(deliveries__processed_at__isnull=True), distinct=True),
    )


def deliveries_refused_recently(connector: Connector, *, days: int = 7, limit: int = 5) -> list[WebhookDelivery]:
    since = timezone.now() - timedelta(days=days)
    return list(connector.deliveries.filter(received_at__gte=since).exclude(error="").order_by("-received_at")[:limit])


def privacy_requests_recent(connector: Connector, *, limit: int = 10) -> list[PrivacyRequest]:
    return list(connector.privacy_requests.order_by("-received_at")[:limit])


def privacy_request_customers(request: PrivacyRequest) -> QuerySet[Customer]:
    """The customers a platform's privacy request is about, among those its shop sent us."""
    connector = request.connector
    from_this_shop = Q(orders__connector_orders__connector=connector)
    if request.kind == PrivacyRequest.Kind.SHOP_REDACT:
        match = from_this_shop
    else:
        match = Q(pk__in=[])
        if request.platform_customer_id:
            match |= Q(external_id=f"{connector.id_prefix}c{request.platform_customer_id}")
        if request.email:
            match |= from_this_shop & Q(email__iexact=request.email)
        if request.platform_order_ids:
            match |= from_this_shop & Q(orders__connector_orders__platform_order_id__in=request.platform_order_ids)
    return Customer.objects.filter(match).distinct()
