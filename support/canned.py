"""Canned replies filled in for one case: the agent gets a text to adapt, not a template to edit."""

from django.conf import settings
from django.db import transaction

from support.models import CannedReply, Case

# what a reply may say in braces, filled in for each case
PLACEHOLDERS = ("customer_name", "order_number")
# how a reply greets a customer whose name the shop does not know
NAMELESS = {"es": "cliente", "en": "there"}


class _KeepUnknown(dict):
    """A placeholder the shop misspelt stays visible in the text, for the agent to fix, instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def case_order_number(case: Case) -> str:
    """The order the complaint was about, or else the customer's latest one."""
    item = case.feedback_items.filter(order__isnull=False).select_related("order").order_by("-received_at").first()
    if item is not None:
        return item.order.external_id
    if case.customer_id:
        latest = case.customer.orders.order_by("-placed_at").values_list("external_id", flat=True).first()
        return latest or ""
    return ""


def canned_replies_for(case: Case) -> list[dict]:
    """Every reply in use, filled in for this case: the customer's language first."""
    customer = case.customer if case.customer_id and not case.customer.erased_at else None
    language = customer.preferred_language if customer else settings.LANGUAGE_CODE
    order_number = case_order_number(case)
    replies = sorted(CannedReply.objects.filter(is_active=True), key=lambda r: (r.language != language, r.title))
    filled = []
    for reply in replies:
        name = (customer.name if customer else "") or NAMELESS.get(reply.language, "")
        values = _KeepUnknown(customer_name=name, order_number=order_number)
        try:
            text = reply.text.format_map(values)
        except (ValueError, IndexError, AttributeError):  # a stray brace or {0}: show the text as written
            text = reply.text
        filled.append({"reply": reply, "text": text})
    return filled


@transaction.atomic
def canned_reply_save(*, form) -> CannedReply:
    """Create or change a reply from a valid CannedReplyForm; cases read it afresh on their next page."""
    return form.save()


@transaction.atomic
def canned_reply_delete(*, reply_id: int) -> None:
    CannedReply.objects.filter(pk=reply_id).delete()
