from django.contrib import admin

from brands.models import Brand


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_own", "is_active"]
    list_filter = ["is_own", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "handles", "keywords_es", "keywords_en"]
