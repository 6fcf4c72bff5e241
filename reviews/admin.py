from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.admin import FileImportExportMixin, admin_link
from reviews import services
from reviews.models import ModerationRule, Review, ReviewPhoto, ReviewReply
from reviews.resources import ReviewResource


def can_moderate(request) -> bool:
    return request.user.has_perm("reviews.moderate_review")


class ReviewReplyInline(admin.StackedInline):
    model = ReviewReply
    fields = ["text", "author", "created_at", "emailed_at"]
    readonly_fields = ["author", "created_at", "emailed_at"]
    extra = 0
    max_num = 1
    verbose_name_plural = _("public reply (emailed to the reviewer once)")

    # replying is moderation: the managers' and the agents given it, whoever may edit reviews
    def has_add_permission(self, request, obj=None) -> bool:
        return can_moderate(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return can_moderate(request)

    def get_extra(self, request, obj=None, **kwargs) -> int:
        # the reply box is open on a review without one, for whoever may reply
        return int(can_moderate(request) and obj is not None and not hasattr(obj, "reply"))


class ReviewPhotoInline(admin.TabularInline):
    """The photos a moderator checks before publishing (they are public only while it is)."""

    model = ReviewPhoto
    fields = ["preview", "width", "height", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False  # a review with a bad photo is rejected whole, with its reason

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("photo"))
    def preview(self, photo: ReviewPhoto) -> str:
        url = reverse("onsite:review-photo", args=[photo.pk, "thumb"])
        full = reverse("onsite:review-photo", args=[photo.pk, "full"])
        return format_html('<a href="{}" target="_blank"><img src="{}" width="120" height="120" alt=""></a>', full, url)


class ModerationActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason (required to reject; the reviewer may be told it)"), max_length=200, required=False
    )


def _moderate_action(status: str, description):
    def action(modeladmin, request, queryset):
        reason = request.POST.get("reason", "").strip()[:200]
        if status == Review.Status.REJECTED and not reason:
            modeladmin.message_user(
                request, _("Write the reason for rejecting, then run the action again."), messages.ERROR
            )
            return
        for review in queryset:
            services.review_moderate(review=review, status=status, reason=reason or _("by staff"), user=request.user)
        count = queryset.count()
        modeladmin.message_user(
            request, ngettext("%(count)d review updated.", "%(count)d reviews updated.", count) % {"count": count}
        )

    action.__name__ = f"mark_{status}"
    return admin.action(description=description, permissions=["moderate"])(action)


@admin.register(Review)
class ReviewAdmin(FileImportExportMixin, admin.ModelAdmin):
    resource_classes = [ReviewResource]
    list_display = [
        "created_at",
        "stars",
        "short_text",
        "product",
        "source",
        "author_name",
        "is_verified_buyer",
        "status",
        "moderation_reason",
        "has_reply",
    ]
    list_filter = ["status", "rating", "is_verified_buyer", "source", "language", "created_at"]
    search_fields = ["title", "body", "author_name", "author_email", "external_id", "product__sku", "product__name"]
    list_select_related = ["product", "reply"]
    date_hierarchy = "created_at"
    raw_id_fields = ["product", "customer", "order"]
    readonly_fields = ["is_verified_buyer", "moderated_by", "received_at", "updated_at", "customer_link", "order_link"]
    exclude = ["author_key", "text_fingerprint"]
    inlines = [ReviewPhotoInline, ReviewReplyInline]
    action_form = ModerationActionForm
    actions = [
        _moderate_action(Review.Status.PUBLISHED, _("Publish the selected reviews")),
        _moderate_action(Review.Status.REJECTED, _("Reject the selected reviews")),
        _moderate_action(Review.Status.PENDING, _("Hold the selected reviews for moderation")),
    ]

    def has_moderate_permission(self, request) -> bool:
        return can_moderate(request)

    def has_change_permission(self, request, obj=None) -> bool:
        # a moderator opens a review to reply to it; only who may edit reviews changes their fields
        return super().has_change_permission(request, obj) or can_moderate(request)

    def get_readonly_fields(self, request, obj=None):
        if request.user.has_perm("reviews.change_review"):
            return self.readonly_fields
        return [field.name for field in Review._meta.fields if field.name not in self.exclude] + [
            "customer_link",
            "order_link",
        ]

    @admin.display(description=_("rating"), ordering="rating")
    def stars(self, review: Review) -> str:
        return "★" * review.rating + "☆" * (5 - review.rating)

    @admin.display(description=_("text"))
    def short_text(self, review: Review) -> str:
        text = review.text
        return text if len(text) <= 80 else text[:77] + "…"

    @admin.display(description=_("reply"), boolean=True)
    def has_reply(self, review: Review) -> bool:
        return hasattr(review, "reply")

    @admin.display(description=_("customer"))
    def customer_link(self, review: Review) -> str:
        return admin_link(review.customer)

    @admin.display(description=_("order"))
    def order_link(self, review: Review) -> str:
        return admin_link(review.order)

    def save_formset(self, request, form, formset, change):
        # A reply written here goes through the service, which emails it to the reviewer once.
        if formset.model is ReviewReply:
            for reply_form in formset.forms:
                if reply_form.has_changed() and reply_form.cleaned_data.get("text"):
                    services.review_reply(
                        review=form.instance, text=reply_form.cleaned_data["text"], author=request.user
                    )
            return
        super().save_formset(request, form, formset, change)


@admin.register(ModerationRule)
class ModerationRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "action", "is_active"]
    list_editable = ["action", "is_active"]

    def has_add_permission(self, request) -> bool:
        return ModerationRule.objects.count() < len(ModerationRule.Kind.choices)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        messages.info(request, _("New reviews are checked with this rule from now on."))
