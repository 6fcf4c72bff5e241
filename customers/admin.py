from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Order, OrderItem, Product


def admin_link(obj, label: str | None = None) -> str:
    if obj is None:
        return "—"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or str(obj))


def admin_changelist_link(model: str, label: str, **filters) -> str:
    """A link to the admin list of `model` ("app_label.model_name"): pages of the apps above customers
    are reached by their URL names, so customers imports none of them."""
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    url = reverse(f"admin:{model.replace('.', '_')}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, query, label)


class OrderInline(admin.TabularInline):
    model = Order
    fields = ["external_id", "placed_at", "delivered_at", "total", "currency"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False
    ordering = ["-placed_at"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "email", "preferred_language", "order_count", "created_at", "erased_at"]
    list_filter = ["preferred_language", "created_at", ("erased_at", admin.EmptyFieldListFilter)]
    search_fields = ["external_id", "email", "name"]
    readonly_fields = ["created_at", "erased_at", "related_links"]
    inlines = [OrderInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_order_count=Count("orders"))

    @admin.display(description=_("orders"), ordering="_order_count")
    def order_count(self, customer: Customer) -> int:
        return customer._order_count

    @admin.display(description=_("related"))
    def related_links(self, customer: Customer) -> str:
        return format_html(
            "{} · {} · {}",
            admin_changelist_link("surveys.invitation", _("invitations"), customer__id__exact=customer.pk),
            admin_changelist_link("surveys.response", _("survey responses"), customer__id__exact=customer.pk),
            admin_changelist_link("feedback.feedbackitem", _("feedback"), customer__id__exact=customer.pk),
        )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category"]
    list_filter = ["category"]
    search_fields = ["sku", "name"]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["external_id", "customer_link", "placed_at", "delivered_at", "total", "currency"]
    list_filter = [("delivered_at", admin.EmptyFieldListFilter), "placed_at", "currency"]
    search_fields = ["external_id", "customer__email", "customer__external_id", "customer__name"]
    date_hierarchy = "placed_at"
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["created_at", "updated_at", "related_links"]
    inlines = [OrderItemInline]

    @admin.display(description=_("customer"), ordering="customer__name")
    def customer_link(self, order: Order) -> str:
        return admin_link(order.customer)

    @admin.display(description=_("related"))
    def related_links(self, order: Order) -> str:
        return format_html(
            "{} · {} · {}",
            admin_changelist_link("surveys.invitation", _("invitations"), order__id__exact=order.pk),
            admin_changelist_link("surveys.response", _("survey responses"), order__id__exact=order.pk),
            admin_changelist_link("feedback.feedbackitem", _("feedback"), order__id__exact=order.pk),
        )
