"""The shops' mandatory privacy requests (Shopify's customers/data_request, customers/redact and
shop/redact), carried out with Voz's own export and erasure.

The connector (integrations, a lower layer) records each request and hands it over by name
(integrations.services.PRIVACY_REQUEST); this module, which owns erasure, does the work and writes
back what it did, shown on the Connect-your-shop page.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from integrations.models import PrivacyRequest
from integrations.selectors import privacy_request_customers
from privacy.services import customer_data_export, customer_erase

PENDING_GRACE = timedelta(minutes=5)


def shop_privacy_request_fulfil(*, request_id: int) -> bool:
    """Carry out one request once; False when it is gone or already done."""
    with transaction.atomic():
        request = (
            PrivacyRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("connector")
            .filter(pk=request_id, completed_at__isnull=True)
            .first()
        )
        if request is None:
            return False
        customers = list(privacy_request_customers(request))
        reason = f"{request.connector.get_platform_display()} {request.get_kind_display()} #{request.pk}"
        if request.kind == PrivacyRequest.Kind.DATA_REQUEST:
            request.export = {
                "request": {"platform": request.connector.platform, "received_at": request.received_at.isoformat()},
                "customers": [customer_data_export(customer=customer, reason=reason) for customer in customers],
            }
            request.outcome = f"Export ready: {len(customers)} customer(s)."
        else:
            erased = 0
            for customer in customers:
                if customer.erased_at is None:
                    customer_erase(customer=customer, reason=reason)
                    erased += 1
            request.outcome = f"Erased {erased} customer(s)."
            if request.kind == PrivacyRequest.Kind.SHOP_REDACT:
                # the shop uninstalled the app: nothing more is to come from it
                request.connector.is_active = False
                request.connector.save(update_fields=["is_active"])
                request.outcome += " Connector deactivated."
        # the request itself keeps nothing personal once done
        request.email = request.platform_customer_id = ""
        request.platform_order_ids = []
        request.completed_at = timezone.now()
        request.save(
            update_fields=["export", "outcome", "email", "platform_customer_id", "platform_order_ids", "completed_at"]
        )
    return True


def shop_privacy_requests_pending(*, now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        PrivacyRequest.objects.filter(completed_at__isnull=True, received_at__lte=now - PENDING_GRACE).values_list(
            "pk", flat=True
        )[:200]
    )
