from rest_framework.routers import SimpleRouter

from feedback.api.views import MessageViewSet

router = SimpleRouter()
router.register("messages", MessageViewSet, basename="message")

urlpatterns = router.urls
