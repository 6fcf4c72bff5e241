from django.urls import path

from support import canned_views, notification_views, views

app_name = "support"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bulk/", views.bulk, name="bulk"),
    path("winback/", views.winback_page, name="winback"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/<str:action>/", views.case_act, name="case-act"),
    path("canned/", canned_views.canned_replies, name="canned-replies"),
    path("canned/<int:pk>/", canned_views.canned_reply_edit, name="canned-reply"),
    path("canned/<int:pk>/delete/", canned_views.canned_reply_remove, name="canned-reply-delete"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/bell/", notification_views.bell, name="notification-bell"),
    path("notifications/read/", notification_views.notifications_read_all, name="notifications-read"),
    path("notifications/<int:pk>/open/", notification_views.notification_open, name="notification-open"),
    path("notifications/settings/", notification_views.notification_settings, name="notification-settings"),
    path("notifications/deliveries/", notification_views.delivery_log, name="notification-deliveries"),
    path("notifications/deliveries/<int:pk>/retry/", notification_views.delivery_retry, name="notification-retry"),
    path("notifications/chat/", notification_views.chat_webhooks, name="chat-webhooks"),
    path("notifications/chat/<int:pk>/test/", notification_views.chat_webhook_test, name="chat-webhook-test"),
    path("notifications/chat/<int:pk>/delete/", notification_views.chat_webhook_delete, name="chat-webhook-delete"),
]
