from django.urls import path
from rest_framework.routers import SimpleRouter

from social.api.views import MentionViewSet, MentionWebhookView

router = SimpleRouter()
router.register("mentions", MentionViewSet, basename="mention")

urlpatterns = [
    path("webhooks/social/<uuid:connector_id>/", MentionWebhookView.as_view(), name="social-webhook"),
    *router.urls,
]
