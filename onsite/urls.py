from django.urls import path

from onsite import storefront, views

app_name = "onsite"

urlpatterns = [
    path("widget.js", views.widget_script, name="widget"),
    path("reviews.js", storefront.reviews_script, name="reviews-script"),
    path("demo/", views.demo_shop_page, name="demo"),
    path("photos/<int:photo_id>/<str:size>/", storefront.review_photo, name="review-photo"),
    path("<str:public_key>/feedback/", views.feedback_submit, name="feedback"),
    path("<str:public_key>/intercepts/", views.intercept_rules, name="intercepts"),
    path("<str:public_key>/intercepts/<int:intercept_id>/offer/", views.intercept_offer, name="intercept_offer"),
    path("<str:public_key>/products/<str:sku>/reviews/", storefront.product_reviews, name="product-reviews"),
    path(
        "<str:public_key>/products/<str:sku>/reviews.html",
        storefront.product_reviews_fragment,
        name="product-reviews-fragment",
    ),
    path(
        "<str:public_key>/products/<str:sku>/reviews.jsonld",
        storefront.product_reviews_jsonld,
        name="product-reviews-jsonld",
    ),
    path("<str:public_key>/reviews/<int:review_id>/helpful/", storefront.review_helpful, name="review-helpful"),
]
