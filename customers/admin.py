from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.results import RowResult

from customers.importing import EXPORT_FORMATS, IMPORT_FORMATS
from customers.models import Customer, Order, OrderItem, Product
from customers.resources import CustomerResource, OrderResource


def admin_link(obj, label: str | None = None) -> str:
    if obj is None:
        return "—"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or str(obj))


def admin_changelist_link(model_label: str, label: str, **filters) -> str:
    """A link to another app's changelist, named by URL ("surveys_invitation") so that the
    customers app need not import the apps above it."""
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    url = reverse(f"admin:{model_label}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, query, label)


class FileImportExportMixin(ImportExportMixin):
    """Import (CSV, XLSX) and export in the admin, through the resources the import commands use.

    The preview lists the rows to be stored and those rejected, with their errors; confirming
    imports the rows that passed, as the commands do: a rejected row does not stop the others.
    """

    import_formats = IMPORT_FORMATS
    export_formats = EXPORT_FORMATS
    import_template_name = "admin/import_export/import_with_rejections.html"

    def has_import_permission(self, request) -> bool:
        # An import creates rows as well as changing them.
        return super().has_import_permission(request) and self.has_add_permission(request)

    def has_export_permission(self, request) -> bool:
        # Every export holds customers' email addresses.
        return super().has_export_permission(request) and request.user.has_perm("customers.view_personal_data")

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = response.context_data
        result = context.get("result")
        # The library offers to confirm only a flawless file; ours imports the valid rows of any file.
        if result is not None and "confirm_form" not in context and not result.has_errors() and result.valid_rows():
            context["confirm_form"] = self.create_confirm_form(request, import_form=context["form"])
        return response

    def add_success_message(self, result, request) -> None:
        counts = result.counts
        messages.success(
            request,
            gettext(
                "Import finished: %(created)d created, %(updated)d updated, %(unchanged)d unchanged; "
                "%(rejected)d rows rejected."
            )
            % {
                "created": counts["created"],
                "updated": counts["updated"],
                "unchanged": counts["unchanged"],
                "rejected": len(result.invalid_rows),
            },
        )

    def generate_log_entries(self, result, request) -> None:
        # Rows of one order share it: each stored object is logged once.
        for import_type, action_flag in ((RowResult.IMPORT_TYPE_NEW, ADDITION), (RowResult.IMPORT_TYPE_UPDATE, CHANGE)):
            stored = list(
                {row.instance.pk: row.instance for row in result.rows if row.import_type == import_type}.values()
            )
            if stored:
                LogEntry.objects.log_actions(
                    request.user.pk,
                    stored,
                    action_flag,
                    change_message=gettext("Imported from a file."),
                    single_object=len(stored) == 1,
                )


class OrderInline(admin.TabularInline):
    model = Order
    fields = ["external_id", "placed_at", "delivered_at", "total", "currency"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False
    ordering = ["-placed_at"]


@admin.register(Customer)
class CustomerAdmin(FileImportExportMixin, admin.ModelAdmin):
    resource_classes = [CustomerResource]
    list_display = ["external_id", "name", "email", "preferred_language", "order_count", "created_at", "erased_at"]
    list_filter = [
        "preferred_language",
        "marketing_consent",
        "created_at",
        ("unsubscribed_at", admin.EmptyFieldListFilter),
        ("erased_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["external_id", "email", "name"]
    # consent changes only as the customer or the shop states it (customers.emailing), audited there
    readonly_fields = [
        "created_at",
        "erased_at",
        "marketing_consent",
        "marketing_consent_source",
        "marketing_consent_at",
        "unsubscribed_at",
        "related_links",
    ]
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
            admin_changelist_link("surveys_invitation", _("invitations"), customer__id__exact=customer.pk),
            admin_changelist_link("surveys_response", _("survey responses"), customer__id__exact=customer.pk),
            admin_changelist_link("feedback_feedbackitem", _("feedback"), customer__id__exact=customer.pk),
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
class OrderAdmin(FileImportExportMixin, admin.ModelAdmin):
    list_display = ["external_id", "customer_link", "placed_at", "delivered_at", "total", "currency"]
    list_filter = [("delivered_at", admin.EmptyFieldListFilter), "placed_at", "currency"]
    search_fields = ["external_id", "customer__email", "customer__external_id", "customer__name"]
    date_hierarchy = "placed_at"
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["created_at", "updated_at", "related_links"]
    inlines = [OrderItemInline]
    resource_classes = [OrderResource]

    @admin.display(description=_("customer"), ordering="customer__name")
    def customer_link(self, order: Order) -> str:
        return admin_link(order.customer)

    @admin.display(description=_("related"))
    def related_links(self, order: Order) -> str:
        return format_html(
            "{} · {} · {}",
            admin_changelist_link("surveys_invitation", _("invitations"), order__id__exact=order.pk),
            admin_changelist_link("surveys_response", _("survey responses"), order__id__exact=order.pk),
            admin_changelist_link("feedback_feedbackitem", _("feedback"), order__id__exact=order.pk),
        )
