from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from brands.models import Brand


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["slug", "name", "is_own", "is_active"]
        read_only_fields = fields


@extend_schema(description=_("The brands a review or a mention can name in its `brand` field."))
class BrandListView(APIView):
    required_scopes = {"GET": "feedback:read"}
    staff_permissions = {"GET": "brands.view_brand"}

    @extend_schema(responses=BrandSerializer(many=True), summary=_("The shop's brand and its competitors"))
    def get(self, request):
        return Response(BrandSerializer(Brand.objects.all(), many=True).data)
