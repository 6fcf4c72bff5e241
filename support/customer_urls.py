from django.urls import path

from support import customer_views

app_name = "customers"

urlpatterns = [
    path("", customer_views.customer_list, name="list"),
    path("<int:pk>/", customer_views.customer_detail, name="detail"),
    path("<int:pk>/feedback/link/", customer_views.feedback_link, name="feedback-link"),
    path("<int:pk>/feedback/<int:item_pk>/unlink/", customer_views.feedback_unlink, name="feedback-unlink"),
]
