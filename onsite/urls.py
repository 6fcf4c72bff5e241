from django.urls import path

from onsite import views

app_name = "onsite"

urlpatterns = [
    path("widget.js", views.widget_script, name="widget"),
    path("demo/", views.demo_shop_page, name="demo"),
    path("<str:public_key>/feedback/", views.feedback_submit, name="feedback"),
]
