from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path(
        "organisations/<int:organisation_pk>/webhooks/",
        views.endpoint_list,
        name="endpoint-list",
    ),
    path(
        "organisations/<int:organisation_pk>/webhooks/nouveau/",
        views.endpoint_create,
        name="endpoint-create",
    ),
    path("webhooks/<int:pk>/", views.endpoint_detail, name="endpoint-detail"),
    path("webhooks/<int:pk>/modifier/", views.endpoint_edit, name="endpoint-edit"),
    path("webhooks/<int:pk>/secret/", views.endpoint_rotate, name="endpoint-rotate"),
    path("webhooks/<int:pk>/suspendre/", views.endpoint_pause, name="endpoint-pause"),
    path("webhooks/<int:pk>/reprendre/", views.endpoint_resume, name="endpoint-resume"),
    path("webhooks/<int:pk>/supprimer/", views.endpoint_delete, name="endpoint-delete"),
    path("envois/<int:pk>/rejouer/", views.delivery_replay, name="delivery-replay"),
]
