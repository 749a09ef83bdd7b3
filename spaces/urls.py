from django.urls import path

from spaces import views

app_name = "spaces"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<int:pk>/", views.space_detail, name="space-detail"),
    path("sites/<int:pk>/", views.site_detail, name="site-detail"),
    path("gestion/sites/nouveau/", views.site_create, name="site-create"),
    path("gestion/sites/<int:pk>/", views.site_edit, name="site-edit"),
    path("gestion/sites/<int:pk>/photos/", views.site_photos, name="site-photos"),
    path("gestion/sites/<int:site_pk>/espaces/nouveau/", views.space_create, name="space-create"),
    path("gestion/espaces/<int:pk>/", views.space_edit, name="space-edit"),
    path(
        "gestion/espaces/<int:pk>/horaires/",
        views.space_opening_hours,
        name="space-opening-hours",
    ),
    path("gestion/photos/<int:pk>/supprimer/", views.photo_delete, name="photo-delete"),
]
