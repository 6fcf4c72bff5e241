from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from core.personal_data import may_see_personal_data
from customers.admin import CustomerAdmin
from customers.models import Customer
from privacy.services import customer_erase


class ErasableCustomerAdmin(CustomerAdmin):
    """The customers' admin with the erase action: erasure reaches into every app, so customers cannot offer it."""

    actions = ["erase_personal_data"]
    # with the button that downloads the customer's data (privacy:customer-export)
    change_form_template = "admin/customers/customer/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_export_personal_data": may_see_personal_data(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_erase_permission(self, request) -> bool:
        return request.user.has_perm("customers.erase_customer")

    @admin.action(description=_("Erase personal data (on the customer's request)"), permissions=["erase"])
    def erase_personal_data(self, request, queryset):
        """Asks for confirmation first, like deleting: erasure cannot be undone."""
        pending = queryset.filter(erased_at__isnull=True)
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/customers/customer/erase_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Erase personal data?"),
                    "customers": pending,
                    "queryset": queryset,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                    "opts": self.model._meta,
                },
            )
        reason = request.POST.get("reason", "")[:500]
        erased = 0
        for customer in pending:
            customer_erase(customer=customer, reason=reason, actor=request.user)
            erased += 1
        self.message_user(
            request,
            _("Personal data of %(count)d customer(s) erased; their orders and scores were kept.") % {"count": erased},
            messages.SUCCESS,
        )
        return None


admin.site.unregister(Customer)
admin.site.register(Customer, ErasableCustomerAdmin)
