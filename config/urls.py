from csp.decorators import csp_exempt
from django.contrib import admin
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from core.api_docs import RedocView, SchemaView, SwaggerView
from core.shop import shop_settings
from customers import views as customers_views
from staff import views as staff_views
from support import inbound_views as support_inbound_views
from support import public_views as support_public_views

admin.site.site_header = "Voz"
admin.site.site_title = "Voz"
# read when a page is drawn, so a name saved on the Settings page shows at once
admin.site.index_title = lazy(lambda: shop_settings().name, str)()

_READ_ONLY = ["get", "head"]

urlpatterns = [
    path("", staff_views.root, name="root"),
    path("home/", include("staff.urls")),
    path("shop/logo/", staff_views.shop_logo, name="shop-logo"),
    # One way in for everyone, with the brute-force limits and two-factor authentication: the
    # admin's own login form would go round both.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="account_login", query_string=True, permanent=False),
        name="admin-login",
    ),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("s/", include("surveys.urls")),
    path("surveys/", include("surveys.editor_urls")),
    path("feedback/", include("sentiment.urls")),
    path("reviews/", include("reviews.urls")),
    path("support/", include("support.urls")),
    path("customers/", include("support.customer_urls")),
    path("customers/", include("privacy.erasure_urls")),
    path("dashboards/competitors/", include("analytics.competitor_urls")),
    path("dashboards/", include("analytics.urls")),
    path("f/<str:token>/", support_public_views.followup, name="support-followup"),
    path("w/", include("onsite.urls")),
    path("email/inbound/<str:provider>/", support_inbound_views.inbound_email_webhook, name="inbound-email"),
    # the customer's one-click unsubscribe (a signed key, no login) and the providers' delivery reports
    path("u/<str:token>/", customers_views.unsubscribe, name="unsubscribe"),
    path("anymail/<str:provider>/tracking/", customers_views.email_tracking_webhook, name="email-tracking"),
    path("integrations/", include("integrations.urls")),
    path("customers/", include("privacy.urls")),
    path("api/v1/", include("customers.api.urls")),
    path("api/v1/", include("privacy.api.urls")),
    path("api/v1/", include("sentiment.api.urls")),
    path("api/v1/", include("reviews.api.urls")),
    path("api/v1/", include("social.api.urls")),
    path("api/v1/", include("support.api.urls")),
    path("api/v1/", include("analytics.api.urls")),
    path("api/v1/", include("brands.api.urls")),
    path("api/v1/", include("feedback.api.urls")),
    path("api/v1/", include("surveys.api.urls")),
    path("api/v1/", include("integrations.api.urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    # The API browsers start themselves with an inline script; they hold no data, so they go
    # without the Content-Security-Policy rather than the whole site allowing inline scripts.
    # Pages to read, so only GET: their HTML renderer has no template for OPTIONS' metadata (a 500).
    path(
        "api/docs/",
        csp_exempt()(SwaggerView.as_view(url_name="api-schema", http_method_names=_READ_ONLY)),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        csp_exempt()(RedocView.as_view(url_name="api-schema", http_method_names=_READ_ONLY)),
        name="api-redoc",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
]
handler500 = "core.middleware.server_error"
