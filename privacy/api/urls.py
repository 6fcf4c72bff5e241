from django.urls import path

from privacy.api.views import CustomerEraseView

urlpatterns = [
    path("customers/<str:external_id>/erase/", CustomerEraseView.as_view(), name="customer-erase"),
]
