from django.urls import path

from reports import views, views_journal

app_name = "reports"
urlpatterns = [
    path("", views.report_index, name="index"),
    path("aides/", views.aid_list, name="aid-list"),
    path("aides/csv/", views.aid_csv, name="aid-csv"),
    path("titres/<int:owner_pk>/csv/", views.accounting_csv, name="accounting-csv"),
    path("subventions/nouvelle/", views.cash_subsidy_create, name="cash-subsidy-create"),
    path("subventions/<int:pk>/supprimer/", views.cash_subsidy_delete, name="cash-subsidy-delete"),
    path("annexe/<str:insee>/<int:year>/", views.annex_detail, name="annex"),
    path("annexe/<str:insee>/<int:year>/csv/", views.annex_csv, name="annex-csv"),
    path("annexe/<str:insee>/<int:year>/pdf/", views.annex_pdf, name="annex-pdf"),
    path("attestation/<int:pk>/<int:year>/", views.certificate_pdf, name="certificate"),
    path("journal/", views_journal.journal, name="journal"),
]
