from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("<str:token>/", views.survey_answer, name="answer"),
    path("<str:token>/thanks/", views.survey_thanks, name="thanks"),
    path("<str:token>/reviews/", views.product_reviews, name="reviews"),
    path("<str:token>/reviews/thanks/", views.product_reviews_thanks, name="reviews-thanks"),
]
