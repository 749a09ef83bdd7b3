"""Documents API: invoices and credit notes, the aid reports of the finance department, the
budget annex of a commune and the valuation certificate of a structure, as the pages give them.

Files are answered as they are (a PDF, a CSV) by the same functions as the pages
(payments.services.documents, reports.exports); errors are JSON like everywhere in the API,
whatever the request's `Accept`. The budget annex as a PDF is rendered by a job: POST asks for
it (202 with the document and its status URL), GET on the document says whether it is ready,
and its `file` URL gives the PDF once it is (docs/api.md, "Documents").
"""

import re

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import PaginatedListMixin
from core.exports import XLSX_MEDIA_TYPE, table_response
from core.storage import stored_file_response
from payments.models import Invoice
from payments.selectors import invoices_visible_to
from payments.services import documents as invoice_documents
from reports import exports
from reports import selectors as report_selectors
from reports import services as report_services
from reports.models import FIRST_YEAR, LAST_YEAR, DocumentStatus, GeneratedDocument
from spaces.models import Commune

PDF = {(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")}
CSV = {
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="UTF-8 with a byte-order mark, `;` as separator, amounts in euros with a dot.",
    )
}
TABLE = {
    **CSV,
    (200, XLSX_MEDIA_TYPE): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="With `format=xlsx`: the same rows as an XLSX workbook, codes as text cells.",
    ),
}


class FileNegotiation(BaseContentNegotiation):
    """A file's view answers its file, or an error in JSON: the first renderer (JSON), whatever
    `Accept` asks (`Accept: application/pdf` is no reason for a 406)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class FileApi(APIView):
    permission_classes = [IsAuthenticated]
    content_negotiation_class = FileNegotiation


def _attachment(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class YearSerializer(serializers.Serializer):
    year = serializers.IntegerField(
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        help_text="The financial year; default: the current one.",
    )

    class Meta:
        ref_name = "ReportYear"


class TableQuerySerializer(YearSerializer):
    format = serializers.ChoiceField(
        choices=["csv", "xlsx"],
        required=False,
        help_text="`csv` (the default) or `xlsx`: the same rows; any other value gives 404.",
    )

    class Meta:
        ref_name = "ReportTableQuery"


def _year(data) -> int:
    params = YearSerializer(data=data)
    params.is_valid(raise_exception=True)
    return params.validated_data.get("year", timezone.localdate().year)


# --- Invoices and credit notes ---


class InvoiceOutputSerializer(serializers.ModelSerializer):
    payment = serializers.IntegerField(source="payment_id")
    corrects = serializers.IntegerField(
        source="corrects_id", allow_null=True, help_text="A credit note: the invoice it corrects."
    )
    pdf = serializers.SerializerMethodField(help_text="The document as a PDF (French).")

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "kind",
            "payment",
            "corrects",
            "issuer_name",
            "debtor_name",
            "description",
            "amount_cents",
            "vat_status",
            "vat_rate_basis_points",
            "issued_at",
            "paid_at",
            "pdf",
        ]

    def get_pdf(self, invoice: Invoice) -> str:
        return reverse("api:invoice-pdf", args=[invoice.pk])


class InvoiceListApi(PaginatedListMixin, APIView):
    """The invoices and credit notes of the payments the user sees (the payer's members, the
    collector's staff, the intercommunality), newest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=InvoiceOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        invoices = invoices_visible_to(request.user).order_by("-issued_at", "-pk")
        return self.paginated_response(invoices, InvoiceOutputSerializer)


class InvoicePdfApi(FileApi):
    """The invoice or credit note as a PDF (PDF/UA, in French), as its page gives it."""

    @extend_schema(responses=PDF)
    def get(self, request: Request, pk: int) -> HttpResponse:
        invoice = get_object_or_404(
            invoices_visible_to(request.user).select_related("payment", "corrects", "refund"),
            pk=pk,
        )
        return _attachment(
            invoice_documents.invoice_pdf(invoice),
            filename=invoice_documents.invoice_filename(invoice),
            content_type="application/pdf",
        )


# --- Aid reports ---


class AidCsvApi(FileApi):
    """The yearly aid (in kind and in cash) per structure and granting body, as a CSV: for the
    staff of a public body (its own aid) and the intercommunality (all); others get 404."""

    answers_not_found = True  # to who may not read it (api/schema.py)

    @extend_schema(parameters=[TableQuerySerializer], responses=TABLE)
    def get(self, request: Request) -> HttpResponse:
        grantors = report_selectors.aid_grantors_for(request.user)
        if not grantors.exists():
            raise NotFound
        year = _year(request.query_params)
        return table_response(
            request.query_params, *exports.aid_csv_table(year=year, grantors=grantors)
        )


# A commune's INSEE code (2A/2B: Corsica); anything else names no commune (a NUL byte would
# not even reach PostgreSQL).
INSEE_CODE = re.compile(r"[0-9][0-9AB][0-9]{3}")


def _reportable_commune(user, insee: str) -> Commune:
    if not INSEE_CODE.fullmatch(insee):
        raise NotFound
    return get_object_or_404(
        report_selectors.communes_reportable_by(user).select_related("organisation"),
        insee_code=insee,
    )


class AnnexCsvApi(FileApi):
    """The budget annex of in-kind support (CGCT L2313-1) of a commune for a year, as a CSV:
    for its staff and the intercommunality; others get 404."""

    @extend_schema(parameters=[TableQuerySerializer], responses=TABLE)
    def get(self, request: Request, insee: str) -> HttpResponse:
        commune = _reportable_commune(request.user, insee)
        annex = report_selectors.budget_annex(commune=commune, year=_year(request.query_params))
        return table_response(request.query_params, *exports.annex_csv_table(annex))


class CertificatePdfApi(FileApi):
    """The yearly valuation certificate of a structure (contributions in kind, accounts 86/87),
    as a PDF: for its members, the owners and managers of its agreements, the
    intercommunality; others get 404."""

    @extend_schema(parameters=[YearSerializer], responses=PDF)
    def get(self, request: Request, pk: int) -> HttpResponse:
        structure = get_object_or_404(
            report_selectors.structures_certifiable_by(request.user), pk=pk
        )
        year = _year(request.query_params)
        return _attachment(
            exports.certificate_pdf(structure=structure, year=year),
            filename=exports.certificate_filename(structure=structure, year=year),
            content_type="application/pdf",
        )


# --- Documents rendered by a job ---


class GeneratedDocumentOutputSerializer(serializers.ModelSerializer):
    commune = serializers.CharField(source="commune_id", help_text="Its INSEE code.")
    url = serializers.SerializerMethodField(help_text="This document: ask again for its status.")
    file = serializers.SerializerMethodField(
        help_text="The PDF, once `status` is `ready` (null before, or when it failed)."
    )

    class Meta:
        model = GeneratedDocument
        fields = [
            "id",
            "kind",
            "commune",
            "year",
            "status",
            "error",
            "created_at",
            "finished_at",
            "url",
            "file",
        ]

    def get_url(self, document: GeneratedDocument) -> str:
        return reverse("api:document-detail", args=[document.pk])

    def get_file(self, document: GeneratedDocument) -> str | None:
        if document.status != DocumentStatus.READY:
            return None
        return reverse("api:document-file", args=[document.pk])


class AnnexPdfApi(APIView):
    """Ask for the budget annex of a commune as a PDF, rendered by a job (202 with the
    document; follow its `url`). The same request still being prepared, or ready a few minutes
    ago, answers that document. For the commune's staff and the intercommunality; others get
    404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=YearSerializer, responses={202: GeneratedDocumentOutputSerializer})
    def post(self, request: Request, insee: str) -> Response:
        commune = _reportable_commune(request.user, insee)
        year = _year(request.data)
        document = report_services.annex_document_request(
            actor=request.user, commune=commune, year=year
        )
        document.refresh_from_db()  # rendered already when no broker runs the jobs
        response = Response(
            GeneratedDocumentOutputSerializer(document).data, status=status.HTTP_202_ACCEPTED
        )
        response["Location"] = request.build_absolute_uri(
            reverse("api:document-detail", args=[document.pk])
        )
        return response


class DocumentDetailApi(APIView):
    """A document the user asked for: being prepared, ready (with its `file` URL) or failed.
    Its requester only, while still entitled to its subject; others get 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=GeneratedDocumentOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        document = get_object_or_404(report_selectors.documents_visible_to(request.user), pk=pk)
        return Response(GeneratedDocumentOutputSerializer(document).data)


class DocumentFileApi(FileApi):
    """The document's file, once ready (404 before, as for others)."""

    @extend_schema(responses=PDF)
    def get(self, request: Request, pk: int) -> HttpResponse:
        document = get_object_or_404(
            report_selectors.documents_visible_to(request.user),
            pk=pk,
            status=DocumentStatus.READY,
        )
        response = stored_file_response(
            request, document.file, filename=document.filename, content_type="application/pdf"
        )
        response.headers["Cache-Control"] = "private, no-store"
        return response
