from django.urls import path
from rest_framework.routers import SimpleRouter

from customers.api.views import CustomerDetailView, OrderViewSet

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="order")

urlpatterns = [
    path("customers/<str:external_id>/", CustomerDetailView.as_view(), name="customer-detail"),
    *router.urls,
]
