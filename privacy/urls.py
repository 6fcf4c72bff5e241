from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("<int:pk>/export.json", views.customer_export, name="customer-export"),
]
