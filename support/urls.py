from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bulk/", views.bulk, name="bulk"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/<str:action>/", views.case_act, name="case-act"),
]
