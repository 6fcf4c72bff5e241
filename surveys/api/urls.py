from rest_framework.routers import SimpleRouter

from surveys.api.views import AnswerViewSet, InvitationViewSet, SurveyViewSet

router = SimpleRouter()
router.register("surveys", SurveyViewSet, basename="survey")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("answers", AnswerViewSet, basename="answer")

urlpatterns = router.urls
