"""The project's URLs without the personal-data export, as in a version without the privacy pages:
the customer page must then show no Export button."""

from django.urls import URLResolver

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    pattern
    for pattern in project_urlpatterns
    if not (isinstance(pattern, URLResolver) and pattern.namespace == "privacy")
]
handler500 = "core.middleware.server_error"
