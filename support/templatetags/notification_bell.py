from django import template

from support.notify import unread_count

register = template.Library()


@register.inclusion_tag("support/_bell.html", takes_context=True)
def notification_bell(context) -> dict:
    """The bell in the staff header, with the signed-in person's unread count."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"unread": unread_count(user) if user is not None and user.is_authenticated else 0}
