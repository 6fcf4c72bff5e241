from rest_framework.routers import SimpleRouter

from sentiment.api.views import FeedbackItemViewSet

router = SimpleRouter()
router.register("feedback", FeedbackItemViewSet, basename="feedback")

urlpatterns = router.urls
