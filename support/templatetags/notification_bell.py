from django import template
from django.conf import settings

from support.notify import unread_count

register = template.Library()


@register.inclusion_tag("support/_bell.html", takes_context=True)
def notification_bell(context) -> dict:
    """The bell in the staff header, with the signed-in person's unread count."""
    request = context.get("request")
    user = getattr(request, "user", None)
    # Without a broker the first poll runs the periodic jobs, so it comes at once rather than in 30 s.
    return {
        "unread": unread_count(user) if user is not None and user.is_authenticated else 0,
        "poll_now": settings.NOTIFY_JOBS_FROM_WEB,
    }
