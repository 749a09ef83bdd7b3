"""Public addresses of the aid's open data (no login), mounted at /donnees/subventions/."""

from django.urls import path

from reports.views import open_data

app_name = "subsidies"
urlpatterns = [
    # Harvested by data portals: keep this address stable.
    path("<str:siren>/<int:year>.csv", open_data.subsidies_csv, name="scdl-csv"),
]
