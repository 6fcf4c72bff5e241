from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/invitation/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("accounts/sign-out-everywhere/", views.sign_out_everywhere, name="sign-out-everywhere"),
    path("staff/accounts/", views.staff, name="staff"),
    path("staff/accounts/<int:pk>/", views.account, name="account"),
    path("staff/accounts/<int:pk>/mfa-reset/", views.account_mfa_reset, name="account-mfa-reset"),
    path("staff/accounts/<int:pk>/sign-out/", views.account_sign_out, name="account-sign-out"),
    path("staff/accounts/invitations/<int:pk>/resend/", views.invitation_resend, name="invitation-resend"),
    path("staff/accounts/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("staff/accounts/teams/<int:pk>/mfa/", views.team_mfa, name="team-mfa"),
    path("staff/sso/", views.sso_settings, name="sso"),
]
