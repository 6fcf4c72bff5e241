from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.connectors, name="connectors"),
    path("<int:pk>/test/", views.connector_test, name="test"),
    path("<int:pk>/sync/", views.connector_sync, name="sync"),
    path("<int:pk>/edit/", views.connector_edit, name="edit"),
    path("<int:pk>/delete/", views.connector_delete, name="delete"),
    path("<int:pk>/privacy/<int:request_pk>/export.json", views.privacy_export, name="privacy-export"),
]
