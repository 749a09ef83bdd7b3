from django.urls import path

from seasons.views import apply, manage

app_name = "seasons"
urlpatterns: list = [
    path("", manage.campaign_list, name="campaign-list"),
    path("nouvelle/", manage.campaign_create, name="campaign-create"),
    path("<int:pk>/", manage.campaign_detail, name="campaign-detail"),
    path("<int:pk>/regles/", manage.campaign_edit, name="campaign-edit"),
    path("<int:pk>/ouvrir/", manage.campaign_open, name="campaign-open"),
    path("<int:pk>/cloturer/", manage.campaign_close, name="campaign-close"),
    path("<int:pk>/calculer/", manage.plan_compute, name="plan-compute"),
    path("<int:pk>/plan/", manage.plan_view, name="plan"),
    path("<int:pk>/arbitrage/", manage.board_view, name="board"),
    path("<int:pk>/arbitrage/deplacer/", manage.assignment_move, name="assignment-move"),
    path("<int:pk>/arbitrage/echanger/", manage.assignments_swap, name="assignments-swap"),
    path("<int:pk>/decision/", manage.campaign_decide, name="campaign-decide"),
    path("<int:pk>/publier/", manage.campaign_publish, name="campaign-publish"),
    # A structure's pages (seasons/views/apply.py).
    path("demandes/", apply.season_list, name="apply-list"),
    path("demandes/<int:pk>/", apply.campaign_structures, name="apply-structures"),
    path(
        "demandes/<int:pk>/structures/<int:structure_pk>/",
        apply.campaign_page,
        name="apply-campaign",
    ),
    path(
        "demandes/<int:pk>/structures/<int:structure_pk>/nouveau-voeu/",
        apply.wish_create,
        name="wish-create",
    ),
    path(
        "demandes/<int:pk>/structures/<int:structure_pk>/renouveler/",
        apply.wishes_renew,
        name="wishes-renew",
    ),
    path("demandes/<int:pk>/concurrence/", apply.wish_competition, name="wish-competition"),
    path("voeux/<int:pk>/", apply.wish_detail, name="wish-detail"),
    path("voeux/<int:pk>/retirer/", apply.wish_withdraw, name="wish-withdraw"),
    path("demandes/<int:pk>/creneaux/", apply.my_slots, name="my-slots"),
    path("creneaux/<int:pk>/rendre/", apply.slot_give_back, name="slot-give-back"),
]
