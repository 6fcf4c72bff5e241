"""The project's URLs plus a personal-data export named as the privacy app names it, so the
customer page's Export button can be seen to appear once that URL exists."""

from django.http import JsonResponse
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

privacy_patterns = (
    [path("customers/<int:pk>/export.json", lambda request, pk: JsonResponse({}), name="customer-export")],
    "privacy",
)

urlpatterns = [path("", include(privacy_patterns)), *project_urlpatterns]
