import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bulk import UpsertViewSet
from core.filters import IsoDateTimeFilter
from core.models import ApiClient
from reviews import selectors, services
from reviews.api.serializers import (
    RatingSerializer,
    ReplyInputSerializer,
    ReviewInputSerializer,
    ReviewOutputSerializer,
)
from reviews.models import Review


class ReviewFilter(django_filters.FilterSet):
    product_sku = django_filters.CharFilter(field_name="product__sku")
    store_only = django_filters.BooleanFilter(field_name="product", lookup_expr="isnull", label=_("Store reviews only"))
    rating = django_filters.MultipleChoiceFilter(choices=[(n, n) for n in range(1, 6)])
    status = django_filters.MultipleChoiceFilter(choices=Review.Status.choices)
    is_verified_buyer = django_filters.BooleanFilter()
    source = django_filters.CharFilter()
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Review
        fields: list[str] = []


class ReviewViewSet(UpsertViewSet):
    model = Review
    key = _("(source, external id)")
    newest_first_by = "created_at"
    serializer_class = ReviewOutputSerializer
    input_serializer_class = ReviewInputSerializer
    filterset_class = ReviewFilter

    def get_queryset(self):
        return Review.objects.select_related("product", "order", "customer", "reply")

    def upsert(self, items):
        return services.reviews_upsert(items=items)

    @extend_schema(
        request=ReplyInputSerializer,
        responses=ReviewOutputSerializer,
        summary=_("Publish or edit the shop's public reply (emailed to the reviewer once)"),
    )
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        review = self.get_object()
        serializer = ReplyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        author = None if isinstance(request.auth, ApiClient) else request.user
        services.review_reply(review=review, text=serializer.validated_data["text"], author=author)
        return Response(ReviewOutputSerializer(self.get_queryset().get(pk=review.pk)).data)


@extend_schema(description=_("Rating aggregates per product, best Bayesian-smoothed mean first."))
class ProductRatingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = RatingSerializer
    required_scopes = {"GET": "feedback:read"}
    staff_permissions = {"GET": "reviews.view_review"}
    lookup_field = "sku"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.product_ratings()

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([selectors.rating_row_as_dict(row) for row in page])

    @extend_schema(responses={200: RatingSerializer, 404: OpenApiResponse(description=_("No published reviews"))})
    def retrieve(self, request, sku=None):
        row = self.get_queryset().filter(sku=sku).first()
        if row is None:
            return Response(
                {"type": "not_found", "detail": "No published reviews for this product.", "errors": {}},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(selectors.rating_row_as_dict(row))


class StoreRatingView(APIView):
    required_scopes = {"GET": "feedback:read"}
    staff_permissions = {"GET": "reviews.view_review"}

    @extend_schema(responses=RatingSerializer, summary=_("Rating aggregate of the store (reviews without a product)"))
    def get(self, request):
        return Response(selectors.rating_row_as_dict(selectors.store_rating()))
