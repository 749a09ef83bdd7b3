from django.urls import path

from seasons.views import manage

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
]
