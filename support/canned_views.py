"""The managers' page for canned replies: the saved answers agents insert in a case's reply box."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from support.canned import PLACEHOLDERS, canned_reply_delete, canned_reply_save
from support.forms import CannedReplyForm
from support.models import CannedReply


def _page(request, form: CannedReplyForm, reply: CannedReply | None, status: int = 200):
    context = {
        "nav": "inbox",
        "replies": CannedReply.objects.all(),
        "form": form,
        "reply": reply,
        "placeholders": ["{" + name + "}" for name in PLACEHOLDERS],
    }
    return render(request, "support/canned_replies.html", context, status=status)


@login_required
@permission_required("support.change_cannedreply", raise_exception=True)
def canned_replies(request):
    """Every saved answer, and a form for a new one."""
    if request.method == "POST":
        if not request.user.has_perm("support.add_cannedreply"):
            raise PermissionDenied
        form = CannedReplyForm(request.POST)
        if form.is_valid():
            reply = canned_reply_save(form=form)
            messages.success(request, gettext("Saved answer “%(title)s” added.") % {"title": reply.title})
            return redirect("support:canned-replies")
        return _page(request, form, None, status=400)
    language = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    return _page(request, CannedReplyForm(initial={"is_active": True, "language": language}), None)


@login_required
@permission_required("support.change_cannedreply", raise_exception=True)
def canned_reply_edit(request, pk: int):
    reply = get_object_or_404(CannedReply, pk=pk)
    if request.method == "POST":
        form = CannedReplyForm(request.POST, instance=reply)
        if form.is_valid():
            reply = canned_reply_save(form=form)
            messages.success(request, gettext("Saved answer “%(title)s” saved.") % {"title": reply.title})
            return redirect("support:canned-replies")
        return _page(request, form, reply, status=400)
    return _page(request, CannedReplyForm(instance=reply), reply)


@login_required
@permission_required("support.delete_cannedreply", raise_exception=True)
@require_POST
def canned_reply_remove(request, pk: int):
    reply = get_object_or_404(CannedReply, pk=pk)
    canned_reply_delete(reply_id=reply.pk)
    messages.success(request, gettext("Saved answer “%(title)s” deleted.") % {"title": reply.title})
    return redirect("support:canned-replies")
