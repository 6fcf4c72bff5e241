from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Order, Product


class Review(models.Model):
    """A product or store review, from the shop's own site or a marketplace.

    (source, external_id) identifies it, so sending it again updates it. Whether the author
    bought the product is computed from the shop's orders, never taken from the sender.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending moderation")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    source = models.CharField(_("source"), max_length=60, help_text=_("own_site, or the marketplace's name"))
    external_id = models.CharField(_("external id"), max_length=120)
    # a competitor's (None: the shop's own); counted only on the comparison page
    brand = models.ForeignKey(
        "brands.Brand",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("brand"),
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("product"),
        help_text=_("Empty for a review of the store."),
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    author_name = models.CharField(_("author"), max_length=120, blank=True)
    author_email = models.EmailField(_("author email"), blank=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews", verbose_name=_("customer")
    )
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews", verbose_name=_("order")
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    is_verified_buyer = models.BooleanField(_("verified buyer"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    moderation_reason = models.CharField(_("moderation reason"), max_length=200, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    # kept beside the votes so "most helpful" sorts a product's reviews without counting them
    helpful_count = models.PositiveIntegerField(_("found helpful"), default=0, editable=False)
    # Lower-cased author identity and normalised text, for the duplicate-text rule.
    author_key = models.CharField(max_length=254, blank=True, editable=False, verbose_name=_("author key"))
    text_fingerprint = models.CharField(max_length=40, blank=True, editable=False, verbose_name=_("text fingerprint"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now, db_index=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at", "-pk"]
        # publish, reject with a reason, reply: managers', and agents' who are given it
        permissions = [("moderate_review", _("Can moderate reviews (publish, reject, reply)"))]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="review_once_per_source"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]
        indexes = [
            models.Index(fields=["author_key", "text_fingerprint"], name="review_duplicate_lookup"),
            models.Index(fields=["product", "status"], name="review_product_status"),
            models.Index(Lower("author_email"), name="review_author_email_lower"),
        ]

    def __str__(self) -> str:
        return f"{'★' * self.rating} {self.title or self.body[:40]} ({self.source})"

    @property
    def text(self) -> str:
        return "\n".join(part for part in (self.title.strip(), self.body.strip()) if part)


class ReviewReply(models.Model):
    """The shop's public answer to a review, shown with it and emailed to the reviewer."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="reply", verbose_name=_("review"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    text = models.TextField(_("reply"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    # why the reviewer was not emailed (unsubscribed, bounced: customers.emailing), so nobody retries
    email_refused = models.CharField(_("not emailed because"), max_length=40, blank=True, default="")

    class Meta:
        verbose_name = _("public reply")
        verbose_name_plural = _("public replies")

    def __str__(self) -> str:
        return self.text[:60]


class ReviewHelpfulVote(models.Model):
    """A shopper found a review helpful. No cookie and no account: the voter is a keyed hash of
    their address and the day, so one address counts once per review per day and nothing in the
    table tells who voted (the key cannot be reversed without the server's secret)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="helpful_votes", verbose_name=_("review"))
    voter_key = models.CharField(max_length=64, verbose_name=_("voter key"))
    day = models.DateField(verbose_name=_("day"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("helpful vote")
        verbose_name_plural = _("helpful votes")
        constraints = [models.UniqueConstraint(fields=["review", "voter_key"], name="helpful_vote_once_per_voter")]
        indexes = [models.Index(fields=["voter_key", "day"], name="helpful_vote_voter_day")]

    def __str__(self) -> str:
        return f"+1 review {self.review_id}"


class ReviewPhoto(models.Model):
    """A photo the customer added to a review: re-encoded without its EXIF (place, device) and
    shown only while the review is published, with a thumbnail for the list."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="photos", verbose_name=_("review"))
    image = models.ImageField(_("photo"), upload_to="reviews/photos/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="reviews/thumbs/%Y/%m/")
    width = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("width"))
    height = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("height"))
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("review photo")
        verbose_name_plural = _("review photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.review_id}: {self.image.name}"


class ModerationRule(models.Model):
    """An automatic check every incoming review goes through; staff tune them in the admin."""

    class Kind(models.TextChoices):
        LINKS = "links", _("Contains a link")
        PROFANITY = "profanity", _("Contains a listed word")
        ALL_CAPS = "all_caps", _("Written in capitals")
        DUPLICATE = "duplicate", _("Same text as another review by the same author")

    class Action(models.TextChoices):
        HOLD = "pending", _("Hold for moderation")
        REJECT = "rejected", _("Reject")

    kind = models.CharField(_("check"), max_length=20, choices=Kind.choices, unique=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    words_es = models.TextField(_("words (Spanish)"), blank=True, help_text=_("One word or phrase per line."))
    words_en = models.TextField(_("words (English)"), blank=True, help_text=_("One word or phrase per line."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("moderation rule")
        verbose_name_plural = _("moderation rules")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.get_action_display()}"

    def words(self, language: str) -> list[str]:
        raw = {"es": self.words_es, "en": self.words_en}.get(language, f"{self.words_es}\n{self.words_en}")
        return [line.strip().lower() for line in raw.splitlines() if line.strip()]
