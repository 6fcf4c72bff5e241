from django.utils.translation import gettext as _
from rest_framework import serializers

from brands.models import Brand


class BrandSlugField(serializers.SlugField):
    """The `brand` of an incoming review or mention: empty, or the slug of an active brand.

    The active slugs are read once per serializer instance: the bulk endpoints validate a whole
    batch with one instance, so a batch of 1,000 items naming brands costs one query, not 1,000.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 60)
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        super().__init__(**kwargs)
        self._active_slugs: set[str] | None = None

    def to_internal_value(self, data) -> str:
        value = super().to_internal_value(data)
        if value:
            if self._active_slugs is None:
                self._active_slugs = set(Brand.objects.filter(is_active=True).values_list("slug", flat=True))
            if value not in self._active_slugs:
                raise serializers.ValidationError(
                    _("Unknown brand “%(brand)s”: see GET /api/v1/brands/.") % {"brand": value}
                )
        return value
