from django.urls import path

from onsite import views

app_name = "onsite"

urlpatterns = [
    path("widget.js", views.widget_script, name="widget"),
    path("demo/", views.demo_shop_page, name="demo"),
    path("<str:public_key>/feedback/", views.feedback_submit, name="feedback"),
    path("<str:public_key>/intercepts/", views.intercept_rules, name="intercepts"),
    path("<str:public_key>/intercepts/<int:intercept_id>/offer/", views.intercept_offer, name="intercept_offer"),
]
