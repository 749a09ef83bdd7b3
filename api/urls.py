from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api import spaces

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("docs/redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("v1/communes/", spaces.CommuneListApi.as_view(), name="commune-list"),
    path("v1/sites/", spaces.SiteListApi.as_view(), name="site-list"),
    path("v1/sites/<int:pk>/", spaces.SiteDetailApi.as_view(), name="site-detail"),
    path("v1/spaces/", spaces.SpaceListApi.as_view(), name="space-list"),
    path("v1/spaces/<int:pk>/", spaces.SpaceDetailApi.as_view(), name="space-detail"),
]
