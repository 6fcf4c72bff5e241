"""Erasing a customer's personal data from their page, after a confirmation that says what goes
and what stays. Only those who may erase (the admins) see the button or reach the page."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from customers.models import Customer
from privacy.services import CustomerAlreadyErased, customer_erase


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (kept in the audit log)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand this cannot be undone."),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("customers.erase_customer", raise_exception=True)
def customer_erase_confirm(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    if customer.erased_at is not None:
        messages.info(request, _("This customer's personal data was already erased."))
        return redirect("customers:detail", pk=customer.pk)
    form = ErasureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            report = customer_erase(customer=customer, reason=form.cleaned_data["reason"], actor=request.user)
        except CustomerAlreadyErased:
            messages.info(request, _("This customer's personal data was already erased."))
        else:
            messages.success(
                request,
                _("Personal data erased: %(feedback)s feedback items, %(answers)s answers, %(orders)s orders kept.")
                % {
                    "feedback": report.feedback_erased,
                    "answers": report.answers_erased,
                    "orders": report.orders_kept,
                },
            )
        return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "privacy/erase_confirm.html",
        {"nav": "customers", "customer": customer, "form": form},
        status=400 if form.errors else 200,
    )
