"""The staff side of notifications: the bell, one's own list and preferences, and for managers the
delivery log and the teams' chat webhooks. Everyone sees only their own notifications."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from support import chat, notify
from support.models import ChatWebhook, Notification, NotificationDelivery
from support.notification_forms import ChatWebhookForm, PreferencesForm


def _reader(request) -> tuple[str, str]:
    return (translation.get_language() or settings.LANGUAGE_CODE)[:2], notify.profile_for(request.user).time_zone


@login_required
def notification_list(request):
    found = (
        Notification.objects.filter(recipient=request.user, show_in_app=True)
        .select_related("case")
        .prefetch_related("deliveries")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(found, 30).get_page(request.GET.get("page"))
    unread = notify.unread_count(request.user)
    language, zone = _reader(request)
    rows = [
        {"notification": item, "message": notify.message_for(item, language=language, zone=zone)}
        for item in page.object_list
    ]
    return render(
        request,
        "support/notifications.html",
        {"nav": "notifications", "tab": "list", "rows": rows, "page": page, "unread": unread},
    )


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark one's own notification read and go to what it is about."""
    item = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notify.notifications_mark_read(user=request.user, ids=[item.pk])
    if item.case_id:
        return redirect("support:case", pk=item.case_id)
    if item.data.get("url", "").startswith("/"):
        return redirect(item.data["url"])
    return redirect("support:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    count = notify.notifications_mark_read(user=request.user)
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": count})
    return redirect("support:notifications")


@login_required
def bell(request):
    """The bell's count, polled by every staff page."""
    if settings.NOTIFY_JOBS_FROM_WEB and cache.add("support:notify-jobs-from-web", 1, timeout=60):
        notify.jobs_catch_up()
    return render(request, "support/_bell.html", {"unread": notify.unread_count(request.user)})


@login_required
def notification_settings(request):
    profile = notify.profile_for(request.user)
    form = PreferencesForm(request.POST or None, user=request.user, initial=PreferencesForm.initial_for(profile))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            notify.preferences_save(
                user=request.user,
                choices=form.choices(),
                language=data["language"],
                time_zone=data["time_zone"],
                quiet_from=data["quiet_from"],
                quiet_until=data["quiet_until"],
            )
            messages.success(request, _("Your notification settings are saved."))
            return redirect("support:notification-settings")
        status = 400
    return render(
        request,
        "support/notification_settings.html",
        {"nav": "notifications", "tab": "settings", "form": form, "rows": form.bound_rows()},
        status=status,
    )


DELIVERY_FILTERS = ("failed", "pending", "sent")


@login_required
@permission_required("support.view_notificationdelivery", raise_exception=True)
def delivery_log(request):
    status = request.GET.get("status", "")
    status = status if status in DELIVERY_FILTERS else ""
    found = NotificationDelivery.objects.select_related(
        "notification__recipient", "notification__case", "webhook__team"
    )
    if status:
        found = found.filter(status=status)
    page = Paginator(found.order_by("-created_at", "-pk"), 50).get_page(request.GET.get("page"))
    language, zone = _reader(request)
    rows = [
        {"delivery": d, "message": notify.message_for(d.notification, language=language, zone=zone)}
        for d in page.object_list
    ]
    counts = {key: NotificationDelivery.objects.filter(status=key).count() for key in DELIVERY_FILTERS}
    return render(
        request,
        "support/notification_deliveries.html",
        {"nav": "notifications", "tab": "log", "rows": rows, "page": page, "status": status, "counts": counts},
    )


@login_required
@permission_required("support.view_notificationdelivery", raise_exception=True)
@require_POST
def delivery_retry(request, pk: int):
    delivery = get_object_or_404(NotificationDelivery, pk=pk)
    if delivery.status == NotificationDelivery.Status.FAILED:
        notify.delivery_retry(delivery=delivery)
        messages.success(request, _("Sending again."))
    else:
        messages.info(request, _("This one has not failed; there is nothing to retry."))
    return redirect("support:notification-deliveries")


@login_required
@permission_required("support.change_team", raise_exception=True)
def chat_webhooks(request):
    form = ChatWebhookForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            webhook = form.save()
            messages.success(request, _("Chat webhook “%(name)s” added.") % {"name": webhook.name})
            return redirect("support:chat-webhooks")
        status = 400
    return render(
        request,
        "support/chat_webhooks.html",
        {
            "nav": "notifications",
            "tab": "chat",
            "form": form,
            "webhooks": ChatWebhook.objects.select_related("team"),
        },
        status=status,
    )


@login_required
@permission_required("support.change_team", raise_exception=True)
@require_POST
def chat_webhook_test(request, pk: int):
    webhook = get_object_or_404(ChatWebhook.objects.select_related("team"), pk=pk)
    try:
        chat.test_message_send(webhook)
    except chat.ChatError as error:
        messages.error(
            request,
            _("The test message to “%(name)s” did not arrive: %(error)s") % {"name": webhook.name, "error": error},
        )
    else:
        messages.success(request, _("Test message sent to “%(name)s”.") % {"name": webhook.name})
    return redirect("support:chat-webhooks")


@login_required
@permission_required("support.change_team", raise_exception=True)
@require_POST
def chat_webhook_delete(request, pk: int):
    webhook = get_object_or_404(ChatWebhook, pk=pk)
    webhook.delete()
    messages.success(request, _("Chat webhook “%(name)s” removed.") % {"name": webhook.name})
    return redirect("support:chat-webhooks")
