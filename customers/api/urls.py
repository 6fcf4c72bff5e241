from django.urls import path
from rest_framework.routers import SimpleRouter

from customers.api.views import CustomerDetailView, CustomerEraseView, OrderViewSet

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="order")

urlpatterns = [
    path("customers/<str:external_id>/", CustomerDetailView.as_view(), name="customer-detail"),
    path("customers/<str:external_id>/erase/", CustomerEraseView.as_view(), name="customer-erase"),
    *router.urls,
]
