import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from core.redirects import redirect_back
from customers.segments import segment_choices
from feedback.models import FeedbackItem, Sentiment
from sentiment.models import Topic
from support import selectors, services
from support.canned import canned_replies_for
from support.forms import BulkForm, CaseUpdateForm, MessageForm, WinBackTemplateForm
from support.models import Case, CaseMessage, Priority, Team, WinBackTemplate

VIEW_LABELS = {
    "open": gettext_lazy("All open"),
    "mine": gettext_lazy("Mine"),
    "unassigned": gettext_lazy("Unassigned"),
    "at_risk": gettext_lazy("About to breach"),
    "breached": gettext_lazy("Breached"),
}


_SLUG = re.compile(r"^[-a-z0-9_]{1,60}$")


def _inbox_filters(params) -> dict[str, str]:
    """Only values that can match something: anything else (typos, injected bytes) is ignored."""
    allowed = {
        "channel": set(FeedbackItem.Channel.values),
        "priority": set(Priority.values),
        "sentiment": set(Sentiment.values),
    }
    filters = {}
    for key in ("team", "channel", "priority", "topic", "sentiment", "segment"):
        value = params.get(key, "")
        valid = value in allowed[key] if key in allowed else bool(_SLUG.match(value))
        filters[key] = value if valid else ""
    return filters


@login_required
@permission_required("support.view_case", raise_exception=True)
def inbox(request):
    view = request.GET.get("view", "open")
    view = view if view in selectors.INBOX_VIEWS else "open"
    filters = _inbox_filters(request.GET)
    cases = selectors.inbox(user=request.user, view=view, **filters)
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    dues = selectors.sla_due_of(list(page.object_list), now=now)
    rows = [
        {
            "case": case,
            "breached": bool(case.sla_due_at and case.sla_due_at <= now),
            "at_risk": bool(case.sla_warning_at and case.sla_warning_at <= now < (case.sla_due_at or now)),
            "due": dues.get(case.pk),
        }
        for case in page.object_list
    ]
    return render(
        request,
        "support/inbox.html",
        {
            "nav": "inbox",
            "view": view,
            "views": [(key, label) for key, label in VIEW_LABELS.items()],
            "counts": selectors.inbox_counts(user=request.user, now=now),
            "filters": filters,
            "rows": rows,
            "page": page,
            "teams": Team.objects.all(),
            "channels": FeedbackItem.Channel.choices,
            "priorities": Priority.choices,
            "topics": Topic.objects.filter(is_active=True),
            "sentiments": Sentiment.choices,
            "segments": [choice for choice in segment_choices() if choice[0]],  # the groups
            "bulk_actions": BulkForm.ACTIONS,
            "now": now,
        },
    )


@login_required
@permission_required("support.change_case", raise_exception=True)
@require_POST
def bulk(request):
    form = BulkForm(request.POST, visible=selectors.cases_visible_to(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose some cases and an action."))
        return redirect_back(request, request.POST.get("next"), "support:inbox")
    action = form.cleaned_data["action"]
    done = 0
    for case in form.cleaned_data["cases"]:
        try:
            if action == "assign_me":
                services.case_assign(case=case, assignee=request.user, actor=request.user)
            elif action == "unassign":
                services.case_assign(case=case, assignee=None, actor=request.user)
            else:
                services.case_set_status(case=case, status=action, actor=request.user)
            done += 1
        except ApplicationError as error:
            messages.warning(request, f"#{case.pk}: {error.message}")
    messages.success(request, _("%(count)d cases updated.") % {"count": done})
    return redirect_back(request, request.POST.get("next"), "support:inbox")


@login_required
@permission_required("support.view_case", raise_exception=True)
def case_detail(request, pk: int):
    case = get_object_or_404(selectors.cases_visible_to(request.user).prefetch_related("pauses"), pk=pk)
    return render(
        request,
        "support/case.html",
        {
            "nav": "inbox",
            "case": case,
            "states": services.case_sla_states(case),
            "sla_due": selectors.sla_due_of([case]).get(case.pk),
            "timeline": selectors.case_timeline(case),
            "update_form": CaseUpdateForm(
                initial={"status": case.status, "priority": case.priority, "team": case.team, "assignee": case.assignee}
            ),
            "reply_form": MessageForm(prefix="reply"),
            "note_form": MessageForm(prefix="note"),
            "canned_replies": canned_replies_for(case),
            "replies_by_email": services.case_reply_goes_by_email(case),
            "social_post": selectors.case_social_post(case),
            **_winback_context(case),
        },
    )


class WinBackForm(forms.Form):
    topic = forms.ModelChoiceField(queryset=Topic.objects.none(), required=False, label=gettext_lazy("About"))

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        complained = Topic.objects.filter(mentions__feedback__case=case, mentions__sentiment="negative").distinct()
        self.fields["topic"].queryset = complained if complained.exists() else Topic.objects.filter(is_active=True)
        self.fields["topic"].initial = complained.first()
        self.fields["topic"].empty_label = gettext_lazy("Their order")
        language = (translation.get_language() or "es")[:2]
        self.fields["topic"].label_from_instance = lambda topic: topic.name(language)


def _winback_context(case: Case) -> dict:
    from support.winback import WinBackRefused, winback_compose

    if case.customer is None or case.customer.erased_at is not None:
        return {}
    form = WinBackForm(case=case)
    try:
        preview = winback_compose(customer=case.customer, topic=form.fields["topic"].initial)
    except WinBackRefused:
        return {}
    return {"winback_form": form, "winback_preview": preview}


@login_required
@permission_required("support.change_case", raise_exception=True)
@require_POST
def case_act(request, pk: int, action: str):
    case = get_object_or_404(selectors.cases_visible_to(request.user), pk=pk)
    try:
        if action in ("reply", "note"):
            form = MessageForm(request.POST, prefix=action)
            if not form.is_valid():
                messages.error(request, _("Write something first."))
                return redirect("support:case", pk=pk)
            handler = services.case_reply if action == "reply" else services.case_note
            message = handler(case=case, text=form.cleaned_data["text"], author=request.user)
            if action == "note":
                messages.success(request, _("Note added."))
            elif message.needs_manual_post:
                messages.warning(
                    request,
                    _(
                        "Reply drafted, not posted: copy it, post it yourself where the customer wrote, "
                        "then press “I posted it”. Until then the first-response clock keeps running."
                    ),
                )
            else:
                messages.success(request, _("Reply sent to the customer."))
        elif action == "posted":
            message_id = request.POST.get("message", "")
            draft = get_object_or_404(
                case.messages, pk=int(message_id) if message_id.isdigit() else 0, kind=CaseMessage.Kind.REPLY
            )
            services.case_reply_confirm_posted(message=draft, actor=request.user)
            messages.success(request, _("Marked as posted: it counts as the response from now."))
        elif action == "update":
            form = CaseUpdateForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Some values are not valid."))
                return redirect("support:case", pk=pk)
            data = form.cleaned_data
            if data["status"] != case.status:
                case = services.case_set_status(case=case, status=data["status"], actor=request.user)
            if data["priority"] != case.priority:
                case = services.case_set_priority(case=case, priority=data["priority"], actor=request.user)
            if data["assignee"] != case.assignee or data["team"] != case.team:
                services.case_assign(case=case, assignee=data["assignee"], team=data["team"], actor=request.user)
            messages.success(request, _("Case updated."))
        elif action == "winback" and case.customer is not None:
            from support.winback import winback_send

            form = WinBackForm(request.POST, case=case)
            if not form.is_valid():
                messages.error(request, _("Choose a topic from the list."))
                return redirect("support:case", pk=pk)
            winback_send(customer=case.customer, topic=form.cleaned_data["topic"], case=case, actor=request.user)
            messages.success(request, _("Win-back email on its way to the customer."))
        else:
            return redirect("support:case", pk=pk)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("support:case", pk=pk)


@login_required
@permission_required("support.change_winbacktemplate", raise_exception=True)
def winback_page(request):
    """Managers: every win-back email, whether it brought a reply or an order, and the text itself."""
    from support.winback import winback_template_update

    template = WinBackTemplate.objects.filter(is_active=True).first() or WinBackTemplate(is_active=True)
    form = WinBackTemplateForm(request.POST or None, instance=template)
    if request.method == "POST":
        if form.is_valid():
            if template.pk is None:
                form.save()
            else:
                winback_template_update(template=template, data=form.cleaned_data, actor=request.user)
            messages.success(request, _("Win-back text saved."))
            return redirect("support:winback")
        messages.error(request, _("Some values are not valid."))
    page = Paginator(selectors.winback_results(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "support/winback.html",
        {
            "nav": "winback",
            "page": page,
            "totals": selectors.winback_totals(),
            "form": form,
            "inactive_days": settings.WINBACK_RULE_INACTIVE_DAYS,
        },
        status=400 if form.errors else 200,
    )
