"""The webhooks Shopify and WooCommerce call: verified, checked, queued, answered at once.

A request is authenticated by its HMAC signature, never by a token: a wrong or missing one gets 401
and nothing is stored. A body that is not an order gets 400 naming the problem. A good delivery is
kept and queued for a worker (integrations.tasks.delivery_process), so a burst of a thousand orders
is answered in milliseconds each and worked through in order; a delivery id seen before is
answered 200 and stored again nowhere.
"""

import json
import re

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations import services
from integrations.mapping import PayloadInvalid
from integrations.models import Connector, Platform

WOOCOMMERCE_PING = re.compile(rb"^webhook_id=\d{1,20}$")

AcceptedSerializer = inline_serializer(
    "ShopWebhookAccepted",
    {
        "status": serializers.ChoiceField(choices=["queued", "duplicate", "ignored", "pong"]),
    },
)


def _error(kind: str, detail: str, code: int) -> Response:
    return Response({"type": kind, "detail": detail, "errors": {}}, status=code)


class ShopWebhookView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    platform: str = ""
    signature_header = ""
    topic_header = ""
    delivery_header = ""

    def post(self, request, connector_id):
        connector = get_object_or_404(Connector, public_id=connector_id, platform=self.platform, is_active=True)
        body = request.body  # the exact bytes that were signed, before any parsing
        if self.platform == Platform.WOOCOMMERCE and WOOCOMMERCE_PING.match(body.strip()):
            # WooCommerce checks a new webhook's URL with this form-encoded ping; it carries no order
            return Response({"status": "pong"})
        if not services.signature_is_valid(
            connector=connector, body=body, signature=request.headers.get(self.signature_header, "")
        ):
            services.webhook_refused(connector=connector, reason="signature")
            return _error("invalid_signature", "Missing or wrong signature.", status.HTTP_401_UNAUTHORIZED)
        topic = request.headers.get(self.topic_header, "").strip()
        if not services.topic_is_known(connector, topic):
            return Response({"status": "ignored"})
        try:
            payload = json.loads(body)
            services.payload_check(connector=connector, topic=topic, payload=payload)
        except (ValueError, RecursionError) as error:
            detail = str(error) if isinstance(error, PayloadInvalid) else "The body is not valid JSON."
            return _error("invalid_payload", detail, status.HTTP_400_BAD_REQUEST)
        is_new = services.delivery_receive(
            connector=connector,
            topic=topic,
            delivery_id=request.headers.get(self.delivery_header, "").strip(),
            payload=payload,
        )
        return Response({"status": "queued" if is_new else "duplicate"})


_RESPONSES = {
    200: OpenApiResponse(AcceptedSerializer, description=_("Queued (or seen before, or a topic Voz does not use)")),
    400: OpenApiResponse(description=_("Not JSON, or not an order Voz can read; the detail says why")),
    401: OpenApiResponse(description=_("Missing or wrong signature; nothing stored")),
    404: OpenApiResponse(description=_("No active connector with this id")),
}


def _documented(*, body: str, summary: str):
    """The endpoint's OpenAPI entry, with the headers the view reads named as its platform names them."""

    def decorate(view: type[ShopWebhookView]) -> type[ShopWebhookView]:
        headers = [
            OpenApiParameter(view.signature_header, str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(view.topic_header, str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(view.delivery_header, str, OpenApiParameter.HEADER),
        ]
        return extend_schema_view(
            post=extend_schema(
                request={"application/json": {"type": "object", "description": body}},
                responses=_RESPONSES,
                parameters=headers,
                summary=summary,
                auth=[],
            )
        )(view)

    return decorate


@_documented(
    body=_("A Shopify Order, Refund or privacy payload"),
    summary=_("Shopify webhooks: orders/create, paid, fulfilled, cancelled, refunds/create and privacy"),
)
class ShopifyWebhookView(ShopWebhookView):
    platform = Platform.SHOPIFY
    signature_header = "X-Shopify-Hmac-Sha256"
    topic_header = "X-Shopify-Topic"
    delivery_header = "X-Shopify-Webhook-Id"


@_documented(
    body=_("A WooCommerce order (REST API v3)"),
    summary=_("WooCommerce webhooks: order.created, order.updated (and the creation ping)"),
)
class WooCommerceWebhookView(ShopWebhookView):
    platform = Platform.WOOCOMMERCE
    signature_header = "X-WC-Webhook-Signature"
    topic_header = "X-WC-Webhook-Topic"
    delivery_header = "X-WC-Webhook-Delivery-ID"
