from django.urls import path

from privacy.api.views import CustomerEraseView, CustomerExportView

urlpatterns = [
    path("customers/<str:external_id>/erase/", CustomerEraseView.as_view(), name="customer-erase"),
    path("customers/<str:external_id>/export/", CustomerExportView.as_view(), name="customer-export"),
]
