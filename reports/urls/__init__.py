"""The reports pages (login required), mounted at /rapports/; `open_data`: the public files."""

from django.urls import path

from reports.views import accounting, aid, documents, journal, observatory

app_name = "reports"
urlpatterns = [
    path("", aid.report_index, name="index"),
    path("aides/", aid.aid_list, name="aid-list"),
    path("aides/csv/", aid.aid_csv, name="aid-csv"),
    path("titres/<int:owner_pk>/csv/", accounting.accounting_csv, name="accounting-csv"),
    path("subventions/nouvelle/", aid.cash_subsidy_create, name="cash-subsidy-create"),
    path("subventions/<int:pk>/supprimer/", aid.cash_subsidy_delete, name="cash-subsidy-delete"),
    path("annexe/<str:insee>/<int:year>/", aid.annex_detail, name="annex"),
    path("annexe/<str:insee>/<int:year>/csv/", aid.annex_csv, name="annex-csv"),
    path("annexe/<str:insee>/<int:year>/pdf/", aid.annex_pdf, name="annex-pdf"),
    path("documents/<int:pk>/", documents.document_detail, name="document"),
    path("documents/<int:pk>/fichier/", documents.document_file, name="document-file"),
    path("attestation/<int:pk>/<int:year>/", aid.certificate_pdf, name="certificate"),
    path("attestation/<int:pk>/<int:year>/csv/", aid.certificate_csv, name="certificate-csv"),
    path("journal/", journal.journal, name="journal"),
    path("observatoire/", observatory.observatory_territory, name="observatory"),
    path(
        "observatoire/commune/<str:insee>/",
        observatory.observatory_commune,
        name="observatory-commune",
    ),
    path("observatoire/heures/", observatory.occupancy_rows, name="occupancy-rows"),
]
