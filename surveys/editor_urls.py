from django.urls import path

from surveys import editor_views

app_name = "survey-editor"

urlpatterns = [
    path("", editor_views.survey_list, name="list"),
    path("new/", editor_views.survey_create, name="create"),
    path("<int:pk>/", editor_views.survey_edit, name="edit"),
    path("<int:pk>/preview/", editor_views.survey_preview, name="preview"),
    path("<int:pk>/questions/", editor_views.question_add, name="question-add"),
    path("<int:pk>/questions/order/", editor_views.questions_order, name="questions-order"),
    path("<int:pk>/questions/<int:question_pk>/", editor_views.question_edit, name="question-edit"),
    path("<int:pk>/questions/<int:question_pk>/remove/", editor_views.question_remove, name="question-remove"),
]
