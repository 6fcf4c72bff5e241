from django.urls import path

from privacy import erasure_views

app_name = "erasure"

urlpatterns = [
    path("<int:pk>/erase/", erasure_views.customer_erase_confirm, name="confirm"),
]
