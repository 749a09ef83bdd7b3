from django.urls import path

app_name = "calls"
urlpatterns: list = []  # pages arrive with the calls views
