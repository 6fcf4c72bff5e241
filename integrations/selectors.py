from datetime import timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer
from integrations.models import Connector, ConnectorOrder, PrivacyRequest, WebhookDelivery


def _count(queryset) -> Subquery:
    return Subquery(
        queryset.filter(connector=OuterRef("pk")).order_by().values("connector").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )


def connectors_with_counts() -> QuerySet[Connector]:
    # one subquery per figure: joining orders and deliveries together would multiply their rows
    linked = ConnectorOrder.objects.filter(order__isnull=False)
    return Connector.objects.annotate(
        order_count=Coalesce(_count(linked), 0),
        without_email=Coalesce(_count(linked.filter(has_email=False)), 0),
        waiting=Coalesce(_count(WebhookDelivery.objects.filter(processed_at__isnull=True)), 0),
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
