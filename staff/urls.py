from django.urls import path

from staff import views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.onboarding, name="onboarding"),
    path("start/test-survey/", views.test_survey_send, name="test-survey"),
    path("settings/", views.shop_settings_edit, name="settings"),
]
