"""Stable URLs of the open-data files (/donnees/…): a data portal harvests them as they are,
so a published URL never changes."""

from django.urls import path

from reports.views import opendata

app_name = "opendata"
urlpatterns = [
    path("", opendata.open_data_index, name="index"),
    path("schemas/<str:name>", opendata.open_data_schema, name="schema"),
    path("<str:slug>", opendata.open_data_file, name="file"),
]
