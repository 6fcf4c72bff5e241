from django.urls import path
from rest_framework.routers import SimpleRouter

from reviews.api.views import ProductRatingViewSet, ReviewViewSet, StoreRatingView

router = SimpleRouter()
router.register("reviews", ReviewViewSet, basename="review")
router.register("ratings/products", ProductRatingViewSet, basename="product-rating")

urlpatterns = [path("ratings/store/", StoreRatingView.as_view(), name="store-rating"), *router.urls]
