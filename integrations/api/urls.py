from django.urls import path

from integrations.api.views import ShopifyWebhookView, WooCommerceWebhookView

urlpatterns = [
    path("connectors/shopify/<uuid:connector_id>/", ShopifyWebhookView.as_view(), name="shopify-webhook"),
    path("connectors/woocommerce/<uuid:connector_id>/", WooCommerceWebhookView.as_view(), name="woocommerce-webhook"),
]
