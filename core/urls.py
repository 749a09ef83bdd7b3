from django.urls import path

from core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
]
