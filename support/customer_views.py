"""The customer page: everything one customer told the shop, on every channel, with their cases,
orders, NPS history and segment, and the staff's search to find them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.personal_data import may_see_personal_data
from customers.models import Customer
from customers.selectors import customers_search
from feedback.models import FeedbackItem
from feedback.services import HAND_LINKED_CHANNELS, FeedbackLinkRefused, feedback_item_customer_set
from support import customer_selectors as selectors

ORDERS_PER_PAGE = 10
FEEDBACK_PER_PAGE = 20


def _export_url(customer: Customer) -> str:
    """The personal-data download (privacy.urls); no button where that app is not installed."""
    try:
        return reverse("privacy:customer-export", kwargs={"pk": customer.pk})
    except NoReverseMatch:
        return ""


@require_GET
@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request):
    query = request.GET.get("q", "")[:200]
    page = Paginator(customers_search(query), 25).get_page(request.GET.get("page"))
    return render(request, "support/customers.html", {"nav": "customers", "query": query, "page": page})


@require_GET
@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request, pk: int):
    return _customer_page(request, get_object_or_404(Customer, pk=pk))


def _customer_page(request, customer: Customer, *, status: int = 200):
    orders = Paginator(selectors.customer_orders(customer), ORDERS_PER_PAGE).get_page(request.GET.get("orders"))
    feedback = Paginator(selectors.customer_feedback(customer), FEEDBACK_PER_PAGE).get_page(request.GET.get("feedback"))
    may_link = request.user.has_perm("feedback.change_feedbackitem") and customer.erased_at is None
    return render(
        request,
        "support/customer.html",
        {
            "nav": "customers",
            "customer": customer,
            "orders": orders,
            "feedback": feedback,
            "cases": selectors.customer_cases(customer, user=request.user)[:50],
            "nps_history": selectors.customer_nps_history(customer),
            "rfm": selectors.customer_rfm(customer),
            "consent": selectors.customer_consent_fields(customer),
            "suggestions": selectors.customer_link_suggestions(customer) if may_link else [],
            "may_link": may_link,
            "hand_linked_channels": {channel.value for channel in HAND_LINKED_CHANNELS},
            # the export holds personal data: only for those who may see it (privacy.views says so too)
            "export_url": _export_url(customer) if may_see_personal_data(request) else "",
            "may_erase": request.user.has_perm("customers.erase_customer") and customer.erased_at is None,
        },
        status=status,
    )


def _back_to(customer: Customer) -> str:
    return reverse("customers:detail", kwargs={"pk": customer.pk}) + "#feedback"


@require_POST
@login_required
@permission_required("feedback.change_feedbackitem", raise_exception=True)
def feedback_link(request, pk: int):
    """Link a piece of feedback, by its number, to this customer."""
    customer = get_object_or_404(Customer, pk=pk)
    number = request.POST.get("item", "").strip().lstrip("#")
    if not number.isdigit():
        return _refused(request, customer, _("Give the number of a piece of feedback."))
    item = get_object_or_404(FeedbackItem, pk=int(number))
    try:
        feedback_item_customer_set(item=item, customer=customer, actor=request.user)
    except FeedbackLinkRefused as refused:
        return _refused(request, customer, refused.message)
    messages.success(request, _("Feedback #%(number)s linked to this customer.") % {"number": item.pk})
    return redirect(_back_to(customer))


@require_POST
@login_required
@permission_required("feedback.change_feedbackitem", raise_exception=True)
def feedback_unlink(request, pk: int, item_pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    item = get_object_or_404(FeedbackItem, pk=item_pk, customer=customer)
    try:
        feedback_item_customer_set(item=item, customer=None, actor=request.user)
    except FeedbackLinkRefused as refused:
        return _refused(request, customer, refused.message)
    messages.success(request, _("Feedback #%(number)s is no longer linked to this customer.") % {"number": item.pk})
    return redirect(_back_to(customer))


def _refused(request, customer: Customer, message: str):
    """The customer page again, with why, as a 400: nothing was changed."""
    messages.error(request, message)
    return _customer_page(request, customer, status=400)
