from django.contrib.auth.views import LogoutView
from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("inscription/", views.signup, name="signup"),
    path("structures/nouvelle/", views.structure_register, name="structure-register"),
    path("structures/a-verifier/", views.structures_to_verify, name="structures-to-verify"),
    path("structures/<int:pk>/", views.structure_detail, name="structure-detail"),
    path("structures/<int:pk>/modifier/", views.structure_edit, name="structure-edit"),
    path("structures/<int:pk>/verifier/", views.structure_verify, name="structure-verify"),
    path("structures/<int:pk>/documents/", views.document_upload, name="document-upload"),
    path("structures/<int:pk>/invitations/", views.invitation_create, name="invitation-create"),
    path("documents/<int:pk>/", views.document_download, name="document-download"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
]
