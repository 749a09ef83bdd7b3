from django.contrib.auth.views import LogoutView
from django.urls import path

from accounts.views import account, erasure, members, structures

app_name = "accounts"
urlpatterns = [
    path("login/", structures.SignInView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("inscription/", structures.signup, name="signup"),
    path("profil/", account.profile, name="profile"),
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
