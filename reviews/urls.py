from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("", views.review_list, name="list"),
    path("moderate/", views.review_moderate, name="moderate"),
    path("<int:pk>/reply/", views.review_reply, name="reply"),
]
