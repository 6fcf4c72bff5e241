"""Who may open what: every URL in the URLconf × every role, with the status each must get.

A new URL that is not in ACCESS fails `test_every_url_has_its_access_decided`, so nobody can add
a page or an endpoint without deciding who may see it.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import get_resolver
from django.urls.resolvers import URLResolver
from django.utils import timezone
from rest_framework.test import APIClient

from core.roles import AGENTS, MANAGERS

ROLES = ("anonymous", "customer", "agent", "manager", "admin", "token_all", "token_feedback")

# Status per role, in ROLES order. "customer" requests carry the customer's own token where the URL
# takes one and are anonymous otherwise; tokens are sent as Bearer headers.
# 302 = sent to the login page.
PAGE_STAFF = {"anonymous": 302, "customer": 302, "token_all": 302, "token_feedback": 302}
API_DENIED = {"anonymous": 401, "customer": 401}
ACCESS: dict[str, tuple[str, str, dict[str, int]]] = {
    # name: (method, path template, expected statuses)
    # staff to their home, everyone else to the login page (tests/staff/test_shell.py)
    "root": ("GET", "/", dict.fromkeys(ROLES, 302)),
    "staff:home": ("GET", "/home/", {**PAGE_STAFF, "agent": 200, "manager": 200, "admin": 200}),
    # first steps and settings are the managers': they change what customers receive
    "staff:onboarding": ("GET", "/home/start/", {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200}),
    "staff:settings": ("GET", "/home/settings/", {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200}),
    # the manager and the admin have no email address here: refused with a message, back to the page
    "staff:test-survey": (
        "POST",
        "/home/start/test-survey/",
        {**PAGE_STAFF, "agent": 403, "manager": 302, "admin": 302},
    ),
    # public like the survey pages that show it; no logo has been uploaded here
    "shop-logo": ("GET", "/shop/logo/", dict.fromkeys(ROLES, 404)),
    "surveys:answer": ("GET", "/s/{token}/", dict.fromkeys(ROLES, 200)),
    "surveys:thanks": ("GET", "/s/{token}/thanks/", dict.fromkeys(ROLES, 200)),
    "surveys:reviews": ("GET", "/s/{token}/reviews/", dict.fromkeys(ROLES, 200)),
    "surveys:reviews-thanks": ("GET", "/s/{token}/reviews/thanks/", dict.fromkeys(ROLES, 200)),
    "support-followup": ("GET", "/f/{followup}/", dict.fromkeys(ROLES, 200)),
    # the widget is public by design: its script and a sample page; submissions need a registered
    # site's key and Origin (tests/onsite/test_onsite.py), so an unknown key is a 404 for everyone
    "onsite:widget": ("GET", "/w/widget.js", dict.fromkeys(ROLES, 200)),
    "onsite:demo": ("GET", "/w/demo/", dict.fromkeys(ROLES, 200)),
    "onsite:feedback": ("POST", "/w/site_unknown/feedback/", dict.fromkeys(ROLES, 404)),
    "onsite:intercepts": ("GET", "/w/site_unknown/intercepts/", dict.fromkeys(ROLES, 404)),
    "onsite:intercept_offer": ("POST", "/w/site_unknown/intercepts/1/offer/", dict.fromkeys(ROLES, 404)),
    # The survey editor is the managers' (and admins'): agents work answers, not the questions.
    **{
        f"survey-editor:{name}": ("GET", path, {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200})
        for name, path in (
            ("list", "/surveys/"),
            ("create", "/surveys/new/"),
            ("edit", "/surveys/{survey}/"),
            ("preview", "/surveys/{survey}/preview/"),
            ("question-edit", "/surveys/{survey}/questions/{question}/"),
        )
    },
    # posted empty: nothing named, nothing changed
    **{
        f"survey-editor:{name}": ("POST", path, {**PAGE_STAFF, "agent": 403, "manager": 400, "admin": 400})
        for name, path in (
            ("question-add", "/surveys/{survey}/questions/"),
            ("questions-order", "/surveys/{survey}/questions/order/"),
        )
    },
    # an unknown question: the matrix must not remove the survey's
    "survey-editor:question-remove": (
        "POST",
        "/surveys/{survey}/questions/999999/remove/",
        {**PAGE_STAFF, "agent": 403, "manager": 404, "admin": 404},
    ),
    # The staff Reviews page: agents read it, managers and admins moderate and reply
    # (tests/reviews/test_moderation_page.py); posted empty: no review named, no text, nothing changed
    "reviews:list": ("GET", "/reviews/", {**PAGE_STAFF, "agent": 200, "manager": 200, "admin": 200}),
    "reviews:moderate": ("POST", "/reviews/moderate/", {**PAGE_STAFF, "agent": 403, "manager": 400, "admin": 400}),
    "reviews:reply": ("POST", "/reviews/{review}/reply/", {**PAGE_STAFF, "agent": 403, "manager": 400, "admin": 400}),
    # The customer page: everyone who works cases (agents too); linking feedback by hand is theirs
    # as well, erasing is the admins' alone.
    "customers:list": ("GET", "/customers/", {**PAGE_STAFF, "agent": 200, "manager": 200, "admin": 200}),
    "customers:detail": (
        "GET",
        "/customers/{customer}/",
        {**PAGE_STAFF, "agent": 200, "manager": 200, "admin": 200},
    ),
    # posted empty: no feedback named
    "customers:feedback-link": (
        "POST",
        "/customers/{customer}/feedback/link/",
        {**PAGE_STAFF, "agent": 400, "manager": 400, "admin": 400},
    ),
    # an item that is not this customer's
    "customers:feedback-unlink": (
        "POST",
        "/customers/{customer}/feedback/999999/unlink/",
        {**PAGE_STAFF, "agent": 404, "manager": 404, "admin": 404},
    ),
    # posted empty: not confirmed, nobody erased
    "erasure:confirm": (
        "POST",
        "/customers/{customer}/erase/",
        {**PAGE_STAFF, "agent": 403, "manager": 403, "admin": 400},
    ),
    # product reviews on the shop's pages: public reads of published reviews, by the site's key and
    # Origin (tests/onsite/test_storefront.py); a photo is served only while its review is published
    "onsite:reviews-script": ("GET", "/w/reviews.js", dict.fromkeys(ROLES, 200)),
    "onsite:review-photo": ("GET", "/w/photos/999999/thumb/", dict.fromkeys(ROLES, 404)),
    "onsite:product-reviews": ("GET", "/w/site_unknown/products/{sku}/reviews/", dict.fromkeys(ROLES, 404)),
    "onsite:product-reviews-fragment": (
        "GET",
        "/w/site_unknown/products/{sku}/reviews.html",
        dict.fromkeys(ROLES, 404),
    ),
    "onsite:product-reviews-jsonld": (
        "GET",
        "/w/site_unknown/products/{sku}/reviews.jsonld",
        dict.fromkeys(ROLES, 404),
    ),
    "onsite:review-helpful": ("POST", "/w/site_unknown/reviews/{review}/helpful/", dict.fromkeys(ROLES, 404)),
    "feedback:feed": ("GET", "/feedback/", {**PAGE_STAFF, "agent": 200, "manager": 200, "admin": 200}),
    "feedback:feed-export": ("GET", "/feedback/export.csv", {**PAGE_STAFF, "agent": 200, "manager": 200, "admin": 200}),
    "support:inbox": ("GET", "/support/", {**PAGE_STAFF, "agent": 200, "manager": 200, "admin": 200}),
    "support:bulk": ("POST", "/support/bulk/", {**PAGE_STAFF, "agent": 302, "manager": 302, "admin": 302}),
    "support:case": ("GET", "/support/cases/{case}/", {**PAGE_STAFF, "agent": 200, "manager": 200, "admin": 200}),
    "support:case-act": (
        "POST",
        "/support/cases/{case}/note/",
        {**PAGE_STAFF, "agent": 302, "manager": 302, "admin": 302},
    ),
    # Everyone has their own notifications; the delivery log is the managers', and so are the
    # teams' chat webhooks (they change a team). {notification} is the agent's own.
    **{
        f"support:{name}": ("GET", path, {**PAGE_STAFF, "agent": 200, "manager": 200, "admin": 200})
        for name, path in (
            ("notifications", "/support/notifications/"),
            ("notification-bell", "/support/notifications/bell/"),
            ("notification-settings", "/support/notifications/settings/"),
        )
    },
    "support:notifications-read": (
        "POST",
        "/support/notifications/read/",
        {**PAGE_STAFF, "agent": 302, "manager": 302, "admin": 302},
    ),
    "support:notification-open": (
        "POST",
        "/support/notifications/{notification}/open/",
        {**PAGE_STAFF, "agent": 302, "manager": 404, "admin": 404},
    ),
    "support:notification-deliveries": (
        "GET",
        "/support/notifications/deliveries/",
        {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200},
    ),
    "support:notification-retry": (
        "POST",
        "/support/notifications/deliveries/{delivery}/retry/",
        {**PAGE_STAFF, "agent": 403, "manager": 302, "admin": 302},
    ),
    "support:chat-webhooks": (
        "GET",
        "/support/notifications/chat/",
        {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200},
    ),
    "support:chat-webhook-test": (
        "POST",
        "/support/notifications/chat/{webhook}/test/",
        {**PAGE_STAFF, "agent": 403, "manager": 302, "admin": 302},
    ),
    "support:chat-webhook-delete": (
        "POST",
        "/support/notifications/chat/{webhook}/delete/",
        {**PAGE_STAFF, "agent": 403, "manager": 302, "admin": 404},  # the manager has just removed it
    ),
    **{
        f"analytics:{view}": (
            "GET",
            f"/dashboards/{view}/",
            {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200},
        )
        for view in ("satisfaction", "topics", "sources", "service", "retention")
    },
    "analytics:metrics_doc": (
        "GET",
        "/dashboards/metrics/",
        {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200},
    ),
    # saved answers: agents insert them in a case, managers keep them
    **{
        name: ("GET", path, {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200})
        for name, path in (
            ("support:canned-replies", "/support/canned/"),
            ("support:canned-reply", "/support/canned/{canned_reply}/"),
        )
    },
    "support:canned-reply-delete": (
        "POST",
        "/support/canned/{canned_reply}/delete/",
        {**PAGE_STAFF, "agent": 403, "manager": 302, "admin": 404},  # the manager has just deleted it
    ),
    # alert rules and alerts: the managers' (agents have no alert permission at all)
    **{
        name: ("GET", path, {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200})
        for name, path in (
            ("analytics:alerts", "/dashboards/alerts/"),
            ("analytics:alert-rule-new", "/dashboards/alerts/new/"),
            ("analytics:alert-rule", "/dashboards/alerts/{alert_rule}/"),
            ("analytics:alert", "/dashboards/alerts/fired/{alert}/"),
        )
    },
    "analytics:alert-rule-toggle": (
        "POST",
        "/dashboards/alerts/{alert_rule}/toggle/",
        {**PAGE_STAFF, "agent": 403, "manager": 302, "admin": 302},
    ),
    "analytics:alert-rule-delete": (
        "POST",
        "/dashboards/alerts/{alert_rule}/delete/",
        {**PAGE_STAFF, "agent": 403, "manager": 302, "admin": 404},  # the manager has just deleted it
    ),
    "analytics:digest": ("GET", "/dashboards/digest/", {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200}),
    # a signed link in the manager's digest is its own key, like the follow-up question's
    "analytics:digest-unsubscribe": ("GET", "/dashboards/digest/unsubscribe/{digest}/", dict.fromkeys(ROLES, 200)),
    "order-list": (
        "GET",
        "/api/v1/orders/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 403},
    ),
    "order-detail": (
        "GET",
        "/api/v1/orders/{order}/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 403},
    ),
    # an unknown customer: the matrix must not erase anyone
    "brands:comparison": (
        "GET",
        "/dashboards/competitors/",
        {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200},
    ),
    "brands:winback": (
        "POST",
        "/dashboards/competitors/winback/",
        {**PAGE_STAFF, "agent": 400, "manager": 400, "admin": 400},  # no customer named
    ),
    "brand-list": (
        "GET",
        "/api/v1/brands/",
        {**API_DENIED, "agent": 403, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    "metrics-competitors": (
        "GET",
        "/api/v1/metrics/competitors/",
        {**API_DENIED, "agent": 403, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 403},
    ),
    "customer-detail": (
        "GET",
        "/api/v1/customers/nobody/",
        {**API_DENIED, "agent": 404, "manager": 404, "admin": 404, "token_all": 404, "token_feedback": 403},
    ),
    "segment-list": (
        "GET",
        "/api/v1/segments/",
        {**API_DENIED, "agent": 403, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 403},
    ),
    "customer-erase": (
        "POST",
        "/api/v1/customers/nobody/erase/",
        {**API_DENIED, "agent": 403, "manager": 403, "admin": 404, "token_all": 404, "token_feedback": 403},
    ),
    "customer-export": (
        "GET",
        "/api/v1/customers/nobody/export/",
        {**API_DENIED, "agent": 403, "manager": 404, "admin": 404, "token_all": 404, "token_feedback": 403},
    ),
    "privacy:customer-export": (
        "GET",
        "/customers/{customer}/export.json",
        {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200},
    ),
    "feedback-list": (
        "GET",
        "/api/v1/feedback/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    "feedback-export": (
        "GET",
        "/api/v1/feedback/export/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    "feedback-detail": (
        "GET",
        "/api/v1/feedback/{feedback}/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    "store-rating": (
        "GET",
        "/api/v1/ratings/store/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    "review-list": (
        "GET",
        "/api/v1/reviews/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    "review-bulk": (
        "POST",
        "/api/v1/reviews/bulk/",
        {**API_DENIED, "agent": 403, "manager": 403, "admin": 400, "token_all": 400, "token_feedback": 403},
    ),
    "review-detail": (
        "GET",
        "/api/v1/reviews/{review}/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    "review-reply": (
        "POST",
        "/api/v1/reviews/{review}/reply/",
        {**API_DENIED, "agent": 403, "manager": 403, "admin": 400, "token_all": 400, "token_feedback": 403},
    ),
    "product-rating-list": (
        "GET",
        "/api/v1/ratings/products/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    "product-rating-detail": (
        "GET",
        "/api/v1/ratings/products/{sku}/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    # Surveys and answers: agents read answers (they work the comments), not the survey set-up;
    # sending a survey by hand is for the admin and for tokens with surveys:write.
    **{
        name: (
            "GET",
            path,
            {**API_DENIED, "agent": 403, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 403},
        )
        for name, path in (("survey-list", "/api/v1/surveys/"), ("survey-detail", "/api/v1/surveys/post-purchase/"))
    },
    "invitation-list": (
        "POST",
        "/api/v1/invitations/",
        {**API_DENIED, "agent": 403, "manager": 403, "admin": 400, "token_all": 400, "token_feedback": 403},
    ),
    **{
        name: (
            "GET",
            path,
            {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 403},
        )
        for name, path in (
            ("answer-list", "/api/v1/answers/"),
            ("answer-detail", "/api/v1/answers/{answer}/"),
            ("answer-export", "/api/v1/answers/export/"),
        )
    },
    # Connectors authenticate by signature, not by role: an unsigned request is refused for everyone.
    # so do email providers' inbound webhooks (HTTP basic auth)
    "inbound-email": ("POST", "/email/inbound/postmark/", dict.fromkeys(ROLES, 401)),
    # and their delivery reports (bounces, complaints): basic auth, and the provider's signature
    "email-tracking": ("POST", "/anymail/postmark/tracking/", dict.fromkeys(ROLES, 401)),
    # a customer's signed unsubscribe link is its own key; GET only asks (POST unsubscribes)
    "unsubscribe": ("GET", "/u/{unsubscribe}/", dict.fromkeys(ROLES, 200)),
    # the win-back page: managers (they edit its text), not agents
    "support:winback": ("GET", "/support/winback/", {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200}),
    "social-webhook": ("POST", "/api/v1/webhooks/social/{connector}/", dict.fromkeys(ROLES, 401)),
    "shopify-webhook": ("POST", "/api/v1/connectors/shopify/{shopify}/", dict.fromkeys(ROLES, 401)),
    "woocommerce-webhook": ("POST", "/api/v1/connectors/woocommerce/{woocommerce}/", dict.fromkeys(ROLES, 401)),
    # Connect your shop: managers and admins; agents work cases, not the shop's plumbing
    "integrations:connectors": ("GET", "/integrations/", {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200}),
    **{
        f"integrations:{action}": (
            "POST",
            f"/integrations/{{shop_connector}}/{action}/",
            {**PAGE_STAFF, "agent": 403, "manager": 302, "admin": 302},
        )
        for action in ("test", "sync", "edit")
    },
    # an unknown connector: the matrix must not remove the one the other rows use
    "integrations:delete": (
        "POST",
        "/integrations/999999/delete/",
        {**PAGE_STAFF, "agent": 403, "manager": 404, "admin": 404},
    ),
    "integrations:privacy-export": (
        "GET",
        "/integrations/{shop_connector}/privacy/999999/export.json",
        {**PAGE_STAFF, "agent": 403, "manager": 404, "admin": 404},
    ),
    "mention-list": (
        "GET",
        "/api/v1/mentions/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    "mention-bulk": (
        "POST",
        "/api/v1/mentions/bulk/",
        {**API_DENIED, "agent": 403, "manager": 403, "admin": 400, "token_all": 400, "token_feedback": 403},
    ),
    "mention-detail": (
        "GET",
        "/api/v1/mentions/{mention}/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    "message-list": (
        "GET",
        "/api/v1/messages/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    "message-bulk": (
        "POST",
        "/api/v1/messages/bulk/",
        {**API_DENIED, "agent": 403, "manager": 403, "admin": 400, "token_all": 400, "token_feedback": 403},
    ),
    "message-detail": (
        "GET",
        "/api/v1/messages/{message}/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 200},
    ),
    "case-list": (
        "GET",
        "/api/v1/cases/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 403},
    ),
    "case-detail": (
        "GET",
        "/api/v1/cases/{case}/",
        {**API_DENIED, "agent": 200, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 403},
    ),
    "case-customer-messages": (
        "POST",
        "/api/v1/cases/{case}/customer-messages/",
        {**API_DENIED, "agent": 400, "manager": 400, "admin": 400, "token_all": 400, "token_feedback": 403},
    ),
    "case-notes": (
        "POST",
        "/api/v1/cases/{case}/notes/",
        {**API_DENIED, "agent": 400, "manager": 400, "admin": 400, "token_all": 400, "token_feedback": 403},
    ),
    "case-replies": (
        "POST",
        "/api/v1/cases/{case}/replies/",
        {**API_DENIED, "agent": 400, "manager": 400, "admin": 400, "token_all": 400, "token_feedback": 403},
    ),
    **{
        f"metrics-{view}": (
            "GET",
            f"/api/v1/metrics/{view}/",
            {**API_DENIED, "agent": 403, "manager": 200, "admin": 200, "token_all": 200, "token_feedback": 403},
        )
        for view in ("satisfaction", "topics", "sources", "service", "retention")
    },
    # The API's documentation is public, as for any published API; it holds no data.
    "api-schema": ("GET", "/api/schema/", dict.fromkeys(ROLES, 200)),
    "api-docs": ("GET", "/api/docs/", dict.fromkeys(ROLES, 200)),
    "api-redoc": ("GET", "/api/redoc/", dict.fromkeys(ROLES, 200)),
    "set_language": ("POST", "/i18n/setlang/", dict.fromkeys(ROLES, 302)),
    # Staff accounts. The admin's login form sends everyone to the one sign-in page (allauth's).
    "admin-login": ("GET", "/admin/login/", dict.fromkeys(ROLES, 302)),
    # the way in, and the pages a link in an email opens (a forged key gets a page saying so)
    **{
        name: ("GET", path, dict.fromkeys(ROLES, 200))
        for name, path in (
            ("account_inactive", "/accounts/inactive/"),
            ("account_email_verification_sent", "/accounts/confirm-email/"),
            ("account_reset_password", "/accounts/password/reset/"),
            ("account_reset_password_done", "/accounts/password/reset/done/"),
            ("account_confirm_email", "/accounts/confirm-email/forged-key/"),
            ("account_reset_password_from_key", "/accounts/password/reset/key/1-forged-key/"),
            ("account_reset_password_from_key_done", "/accounts/password/reset/key/done/"),
            ("socialaccount_login_cancelled", "/accounts/3rdparty/login/cancelled/"),
            ("accounts:invitation-accept", "/accounts/invitation/{staff_invitation}/"),
        )
    },
    # signed in already: the sign-in page (and the closed sign-up) send staff on
    **{
        name: ("GET", path, {**dict.fromkeys(ROLES, 200), "agent": 302, "manager": 302, "admin": 302})
        for name, path in (("account_login", "/accounts/login/"), ("account_signup", "/accounts/signup/"))
    },
    "socialaccount_login_error": ("GET", "/accounts/3rdparty/login/error/", dict.fromkeys(ROLES, 401)),
    # no provider configured in the tests
    "openid_connect_login": ("GET", "/accounts/oidc/sso/login/", dict.fromkeys(ROLES, 404)),
    "openid_connect_callback": ("GET", "/accounts/oidc/sso/login/callback/", dict.fromkeys(ROLES, 404)),
    # everyone's own account: password, email, two-factor, sessions
    **{
        name: ("GET", path, {**PAGE_STAFF, "agent": 200, "manager": 200, "admin": 200})
        for name, path in (
            ("account_logout", "/accounts/logout/"),
            ("account_reauthenticate", "/accounts/reauthenticate/"),
            ("account_email", "/accounts/email/"),
            ("account_change_password", "/accounts/password/change/"),
            ("mfa_index", "/accounts/2fa/"),
            ("mfa_list_webauthn", "/accounts/2fa/webauthn/"),
            ("socialaccount_connections", "/accounts/3rdparty/"),
            ("usersessions_list", "/accounts/sessions/"),
        )
    },
    # steps that need a flow under way (a sign-in, a fresh password check) send everyone back
    **{
        name: ("GET", path, dict.fromkeys(ROLES, 302))
        for name, path in (
            ("account_request_reauthentication_code", "/accounts/reauthenticate/code/"),
            ("account_confirm_reauthentication_code", "/accounts/reauthenticate/code/confirm/"),
            ("account_set_password", "/accounts/password/set/"),
            ("account_confirm_login_code", "/accounts/login/code/confirm/"),
            ("mfa_authenticate", "/accounts/2fa/authenticate/"),
            ("mfa_reauthenticate", "/accounts/2fa/reauthenticate/"),
            ("mfa_activate_totp", "/accounts/2fa/totp/activate/"),
            ("mfa_generate_recovery_codes", "/accounts/2fa/recovery-codes/generate/"),
            ("mfa_add_webauthn", "/accounts/2fa/webauthn/add/"),
            ("mfa_reauthenticate_webauthn", "/accounts/2fa/webauthn/reauthenticate/"),
            ("mfa_remove_webauthn", "/accounts/2fa/webauthn/keys/999999/remove/"),
            ("mfa_edit_webauthn", "/accounts/2fa/webauthn/keys/999999/edit/"),
            ("socialaccount_signup", "/accounts/3rdparty/signup/"),
        )
    },
    # signs the person out on every device, then to the sign-in page
    "accounts:sign-out-everywhere": ("POST", "/accounts/sign-out-everywhere/", dict.fromkeys(ROLES, 302)),
    # nothing set up yet: no authenticator to remove, no recovery codes to see
    **{
        name: ("GET", path, {**PAGE_STAFF, "agent": 404, "manager": 404, "admin": 404})
        for name, path in (
            ("mfa_deactivate_totp", "/accounts/2fa/totp/deactivate/"),
            ("mfa_view_recovery_codes", "/accounts/2fa/recovery-codes/"),
            ("mfa_download_recovery_codes", "/accounts/2fa/recovery-codes/download/"),
        )
    },
    # managers look after the staff accounts; recovery and single sign-on are the admins'
    "accounts:staff": ("GET", "/staff/accounts/", {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200}),
    "accounts:account": (
        "GET",
        "/staff/accounts/{agent_user}/",
        {**PAGE_STAFF, "agent": 403, "manager": 200, "admin": 200},
    ),
    "accounts:invitation-resend": (
        "POST",
        "/staff/accounts/invitations/{invitation_pk}/resend/",
        {**PAGE_STAFF, "agent": 403, "manager": 302, "admin": 302},
    ),
    "accounts:invitation-revoke": (
        "POST",
        "/staff/accounts/invitations/999999/revoke/",
        {**PAGE_STAFF, "agent": 403, "manager": 404, "admin": 404},
    ),
    # the manager is in no team of the matrix: a manager sets the requirement for their own teams
    "accounts:team-mfa": (
        "POST",
        "/staff/accounts/teams/{team}/mfa/",
        {**PAGE_STAFF, "agent": 403, "manager": 403, "admin": 302},
    ),
    "accounts:sso": ("GET", "/staff/sso/", {**PAGE_STAFF, "agent": 403, "manager": 403, "admin": 200}),
    **{
        f"accounts:{name}": (
            "POST",
            f"/staff/accounts/{{agent_user}}/{name.removeprefix('account-')}/",
            {**PAGE_STAFF, "agent": 403, "manager": 403, "admin": 302},
        )
        for name in ("account-mfa-reset", "account-sign-out")
    },
}


def url_names() -> set[str]:
    def walk(resolver, namespace=None):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if inner != "admin":  # the admin is covered by its own test below
                    yield from walk(pattern, inner)
            else:
                name = pattern.name or "root"
                yield f"{namespace}:{name}" if namespace else name

    return set(walk(get_resolver()))


def test_every_url_has_its_access_decided():
    assert url_names() == set(ACCESS)


@pytest.fixture
def world(db, django_user_model, api_token_for):
    return world_build(django_user_model, api_token_for)


def _staff_user(user_model, username: str, group: str | None = None):
    """A staff account; the demo shop's manager is taken over if the demo was seeded first."""
    user, _created = user_model.objects.get_or_create(username=username, defaults={"is_staff": True})
    user.set_password("x")
    user.save(update_fields=["password"])
    if group is not None:
        user.groups.add(Group.objects.get(name=group))
    return user


def world_build(django_user_model, api_token_for) -> dict:
    """One row of everything the URLs name, and a user per role; also the one-language test's, on top of the demo."""
    from analytics.digests import unsubscribe_token
    from analytics.models import AlertEpisode, AlertRule
    from core.models import Scope
    from customers.emailing import unsubscribe_token as customer_unsubscribe_token
    from feedback.services import MessageData, messages_upsert
    from reviews.models import Review
    from social.models import Mention
    from social.services import connector_create
    from support.models import CannedReply, ChatWebhook, Notification, Team
    from support.notifications import followup_token
    from support.services import case_open_manual
    from surveys.services import response_submit
    from tests.factories import FeedbackItemFactory, InvitationFactory, OrderItemFactory

    ours, theirs = Team.objects.create(name="Ours", slug="ours"), Team.objects.create(name="Theirs", slug="theirs")
    agent = _staff_user(django_user_model, "agent", AGENTS)
    ours.members.add(agent)
    manager = _staff_user(django_user_model, "manager", MANAGERS)
    admin = django_user_model.objects.create_superuser("admin", password="x")
    invitation = InvitationFactory(language="es")
    OrderItemFactory(order=invitation.order)
    case = case_open_manual(subject="Llegó roto", team=ours, text="Llegó roto")
    other_case = case_open_manual(subject="Otro equipo", team=theirs, text="Otro")
    review = Review.objects.create(
        source="own_site",
        external_id="r1",
        rating=2,
        body="Mal",
        status="published",
        product=invitation.order.items.first().product,
    )
    mention = Mention.objects.create(
        platform="x",
        external_id="m1",
        text="hola",
        author_handle="@a",
        posted_at=timezone.now() - timedelta(hours=1),
    )
    connector, _secret = connector_create(name="X", platform="x")
    (inbound,) = messages_upsert(items=[MessageData(channel="chat", external_id="c1", text="Hola")])
    answered = InvitationFactory()
    questions = {q.code: q.pk for q in answered.survey.questions.all()}
    answer = response_submit(
        invitation=answered, answers={questions["nps"]: 9, questions["delivery_csat"]: 4}, language="es"
    )
    notification = Notification.objects.get(recipient=agent, case=case)
    # nothing listens on port 9: a test message fails at once, and the page says so
    webhook = ChatWebhook.objects.create(team=ours, name="#ours", url="http://127.0.0.1:9/hook")
    from integrations.services import connector_create as shop_connector_create

    # nothing listens on port 9: testing the connection fails at once, without leaving the machine
    shop = shop_connector_create(platform="shopify", shop_url="http://127.0.0.1:9", secret="shpss_matrix_secret")
    woo = shop_connector_create(platform="woocommerce", shop_url="http://127.0.0.1:9", secret="woo_matrix_secret")
    from accounts.services import invitation_create, invitation_token

    staff_invitation = invitation_create(
        email="new@voz.example", role="agent", team=ours, language="es", invited_by=manager
    )
    return {
        "users": {"agent": agent, "manager": manager, "admin": admin},
        "tokens": {
            "token_all": api_token_for(*Scope.values),
            "token_feedback": api_token_for("feedback:read"),
        },
        "ids": {
            "token": invitation.token,
            "survey": invitation.survey_id,
            "question": invitation.survey.questions.first().pk,
            "followup": followup_token(case),
            "digest": unsubscribe_token(manager, "weekly"),
            "unsubscribe": customer_unsubscribe_token(
                customer=invitation.customer, address=invitation.customer.email, language="es"
            ),
            "case": case.pk,
            "other_case": other_case.pk,
            "order": invitation.order.external_id,
            "feedback": FeedbackItemFactory().pk,
            "review": review.pk,
            "sku": invitation.order.items.first().product.sku,
            "mention": mention.pk,
            "connector": connector.public_id,
            "answer": answer.pk,
            "message": inbound.obj.pk,
            "notification": notification.pk,
            "delivery": notification.deliveries.get().pk,  # failed: the agent has no email address
            "webhook": webhook.pk,
            "canned_reply": CannedReply.objects.create(title="x", language="es", text="Hola").pk,
            # the default rules come from a migration, which a transactional test's flush empties
            "alert_rule": AlertRule.objects.get_or_create(
                kind="negative_spike", defaults={"name": "x", "threshold": 0}
            )[0].pk,
            "alert": AlertEpisode.objects.create(
                rule=AlertRule.objects.get_or_create(kind="nps_below", defaults={"name": "y", "threshold": 0})[0],
                started_at=timezone.now(),
                value=-40,
            ).pk,
            "shop_connector": shop.pk,
            "shopify": shop.public_id,
            "woocommerce": woo.public_id,
            "customer": invitation.customer.pk,
            "staff_invitation": invitation_token(staff_invitation),
            "invitation_pk": staff_invitation.pk,
            "agent_user": agent.pk,
            "team": ours.pk,
        },
    }


def client_for(role: str, world) -> APIClient:
    client = APIClient()
    if role in world["users"]:
        client.force_login(world["users"][role])
    if role in world["tokens"]:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['tokens'][role]}")
    return client


@pytest.mark.django_db
def test_every_role_gets_the_expected_status_on_every_url(world, settings):
    # every role POSTs to each public /w/ endpoint from one address: more than the per-minute limit
    # a visitor gets (tested in tests/onsite), which would answer 429 before the access check
    settings.VOZ_RATE_LIMITS = [rule for rule in settings.VOZ_RATE_LIMITS if rule[0] != "widget"]
    wrong = []
    for name, (method, template, expected) in ACCESS.items():
        path = template.format(**world["ids"])
        for role in ROLES:
            client = client_for(role, world)
            response = client.get(path) if method == "GET" else client.post(path, {}, format="json")
            if response.status_code != expected[role]:
                wrong.append(f"{name} {role}: {response.status_code} (expected {expected[role]})")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_an_agent_cannot_reach_another_teams_case_by_its_id(world):
    agent = client_for("agent", world)
    other = world["ids"]["other_case"]

    assert agent.get(f"/support/cases/{other}/").status_code == 404
    assert agent.get(f"/api/v1/cases/{other}/").status_code == 404
    assert agent.post(f"/api/v1/cases/{other}/notes/", {"text": "x"}, format="json").status_code == 404
    assert client_for("manager", world).get(f"/api/v1/cases/{other}/").status_code == 200


@pytest.mark.django_db
def test_a_customer_token_opens_only_its_own_survey(world):
    client = APIClient()
    forged = world["ids"]["token"][:-2] + ("AA" if not world["ids"]["token"].endswith("AA") else "BB")

    assert client.get(f"/s/{forged}/").status_code == 404
    assert client.get(f"/f/{world['ids']['followup']}x/").status_code in (400, 404)


@pytest.mark.django_db
def test_the_admin_follows_the_roles(world):
    """Agents read the feed and cases in the admin; only managers edit topics, SLA policies and alert rules."""
    anonymous, agent, manager = APIClient(), client_for("agent", world), client_for("manager", world)
    settings_pages = (
        "/admin/sentiment/topic/add/",
        "/admin/support/slapolicy/add/",
        "/admin/analytics/alertrule/add/",
        "/admin/onsite/site/add/",
        "/admin/onsite/intercept/add/",
        "/admin/customers/savedsegment/add/",
    )

    assert anonymous.get("/admin/").status_code == 302
    assert agent.get("/admin/").status_code == 200
    assert agent.get("/admin/feedback/feedbackitem/").status_code == 200
    assert [agent.get(page).status_code for page in settings_pages] == [403] * 6
    assert [manager.get(page).status_code for page in settings_pages] == [200] * 6
    assert manager.get("/admin/auth/user/").status_code == 403  # people and tokens are for admins
    assert manager.get("/admin/core/auditevent/").status_code == 200  # managers read the audit log
    assert agent.get("/admin/core/auditevent/").status_code == 403
    assert client_for("admin", world).get("/admin/auth/user/").status_code == 200
