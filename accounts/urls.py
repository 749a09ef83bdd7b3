from django.contrib.auth.views import LogoutView
from django.urls import path

from accounts.views import account, auth, erasure, members, structures, tokens

app_name = "accounts"
urlpatterns = [
    path("login/", auth.SignInView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("inscription/", auth.signup, name="signup"),
    path("inscription/verifiez/", auth.signup_sent, name="signup-sent"),
    path("inscription/renvoyer/", auth.confirmation_resend, name="confirmation-resend"),
    path("inscription/confirmer/<str:token>/", auth.signup_confirm, name="signup-confirm"),
    path("mot-de-passe/oublie/", auth.PasswordResetRequestView.as_view(), name="password-reset"),
    path(
        "mot-de-passe/oublie/envoye/",
        auth.PasswordResetSentView.as_view(),
        name="password-reset-done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth.PasswordResetSetView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        auth.PasswordResetDoneView.as_view(),
        name="password-reset-complete",
    ),
    path("mot-de-passe/modifier/", auth.PasswordUpdateView.as_view(), name="password-change"),
    path("adresse/modifier/", auth.email_change, name="email-change"),
    path("adresse/confirmer/<str:token>/", auth.email_change_confirm, name="email-change-confirm"),
    path("profil/", account.profile, name="profile"),
    path("profil/jetons/", tokens.api_tokens, name="api-tokens"),
    path("profil/jetons/<int:pk>/revoquer/", tokens.api_token_revoke_view, name="api-token-revoke"),
    path("profil/supprimer/", erasure.account_erase, name="account-erase"),
    path("notifications/", account.notification_list, name="notifications"),
    path(
        "notifications/<int:pk>/ouvrir/",
        account.notification_open,
        name="notification-open",
    ),
    path("notifications/tout-lu/", account.notifications_read_all, name="notifications-read"),
    path(
        "notifications/desabonnement/<str:token>/",
        account.unsubscribe,
        name="unsubscribe",
    ),
    path("structures/nouvelle/", structures.structure_register, name="structure-register"),
    path("structures/a-verifier/", structures.structures_to_verify, name="structures-to-verify"),
    path("structures/<int:pk>/", structures.structure_detail, name="structure-detail"),
    path("structures/<int:pk>/modifier/", structures.structure_edit, name="structure-edit"),
    path("structures/<int:pk>/verifier/", structures.structure_verify, name="structure-verify"),
    path("structures/<int:pk>/documents/", structures.document_upload, name="document-upload"),
    path(
        "structures/<int:pk>/invitations/", structures.invitation_create, name="invitation-create"
    ),
    path(
        "structures/<int:pk>/membres/<int:membership_pk>/role/",
        members.membership_role,
        name="membership-role",
    ),
    path(
        "structures/<int:pk>/membres/<int:membership_pk>/retirer/",
        members.membership_remove,
        name="membership-remove",
    ),
    path("structures/<int:pk>/quitter/", members.structure_leave, name="structure-leave"),
    path("structures/<int:pk>/effacer/", members.structure_erase, name="structure-erase"),
    path("documents/<int:pk>/", structures.document_download, name="document-download"),
    path("invitations/<str:token>/", structures.invitation_accept, name="invitation-accept"),
]
