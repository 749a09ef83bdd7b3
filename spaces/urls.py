from django.urls import path

from spaces import import_views, views, widget_views

app_name = "spaces"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<int:pk>/", views.space_detail, name="space-detail"),
    path("sites/<int:pk>/", views.site_detail, name="site-detail"),
    path("gestion/sites/nouveau/", views.site_create, name="site-create"),
    path("gestion/sites/<int:pk>/", views.site_edit, name="site-edit"),
    path("gestion/sites/<int:pk>/gestionnaires/", views.site_manage, name="site-manage"),
    path("gestion/equipements/", views.amenity_list, name="amenity-list"),
    path("gestion/inventaire/import/", import_views.inventory_import, name="inventory-import"),
    path(
        "gestion/inventaire/import/confirmer/",
        import_views.inventory_import_confirm,
        name="inventory-import-confirm",
    ),
    path(
        "gestion/inventaire/modele.<str:fmt>",
        import_views.inventory_template,
        name="inventory-template",
    ),
    path(
        "gestion/inventaire/export.<str:fmt>",
        import_views.inventory_export,
        name="inventory-export",
    ),
    path(
        "gestion/sites/<int:pk>/gestionnaires/ajouter/",
        views.site_manager_add,
        name="site-manager-add",
    ),
    path(
        "gestion/gestionnaires/<int:pk>/delegation/",
        views.site_manager_delegation,
        name="site-manager-delegation",
    ),
    path(
        "gestion/gestionnaires/<int:pk>/retirer/",
        views.site_manager_remove,
        name="site-manager-remove",
    ),
    path(
        "gestion/sites/<int:pk>/exploitant/",
        views.site_managing_organisation,
        name="site-managing-organisation",
    ),
    path("gestion/sites/<int:pk>/photos/", views.site_photos, name="site-photos"),
    path("gestion/sites/<int:site_pk>/espaces/nouveau/", views.space_create, name="space-create"),
    path("gestion/espaces/<int:pk>/", views.space_edit, name="space-edit"),
    path(
        "gestion/espaces/<int:pk>/horaires/",
        views.space_opening_hours,
        name="space-opening-hours",
    ),
    path("gestion/photos/<int:pk>/supprimer/", views.photo_delete, name="photo-delete"),
    path("gestion/integration/<int:pk>/", widget_views.widget_manage, name="widget-manage"),
    path(
        "gestion/integration/sites-web/<int:pk>/retirer/",
        widget_views.widget_origin_remove,
        name="widget-origin-remove",
    ),
]
