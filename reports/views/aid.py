"""Aid reports for the finance department, the budget annex of a commune and the valuation
certificate of a structure. Every object is fetched through a permission queryset (404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import organisations_of
from core.collation import french
from core.exports import table_response
from core.forms import form_add_service_errors
from reports import exports, selectors, services
from reports.forms import CashSubsidyForm, YearForm
from reports.models import FIRST_YEAR, LAST_YEAR
from reports.selectors import occupancy as observatory
from spaces.models import Commune


def _year_from_query(request: HttpRequest) -> tuple[YearForm, int]:
    """The year asked for in ?annee=, the current one by default (or when invalid)."""
    current = timezone.localdate().year
    if "annee" not in request.GET:
        return YearForm(initial={"annee": current}), current
    form = YearForm(request.GET)
    return form, form.cleaned_data["annee"] if form.is_valid() else current


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404


def _grantors_or_404(request: HttpRequest):
    grantors = selectors.aid_grantors_for(request.user)
    if not grantors.exists():
        raise Http404
    return grantors


@login_required
@require_GET
def report_index(request: HttpRequest) -> HttpResponse:
    """What the user may report on: aid, budget annexes, valuation certificates."""
    form, year = _year_from_query(request)
    own = organisations_of(request.user).values("pk")
    context = {
        "year_form": form,
        "year": year,
        "has_aid": selectors.aid_grantors_for(request.user).exists(),
        "communes": selectors.communes_reportable_by(request.user).order_by(french("name")),
        "own_structures": selectors.structures_certifiable_by(request.user)
        .filter(pk__in=own)
        .order_by("name"),
        # The territory's people open the territory's dashboard (every commune's from there).
        "observatory": observatory.observatory_is_visible_to(request.user),
        "observable_communes": []
        if observatory.observatory_is_visible_to(request.user)
        else observatory.communes_observable_by(request.user).order_by(french("name")),
    }
    return render(request, "reports/index.html", context)


@login_required
@require_GET
def aid_list(request: HttpRequest) -> HttpResponse:
    """Yearly aid (in kind and in cash) per structure and granting body, with the 23,000 € flag."""
    grantors = _grantors_or_404(request)
    form, year = _year_from_query(request)
    rows = selectors.yearly_aid(year=year, grantors=grantors)
    context = {
        "year_form": form,
        "year": year,
        "rows": rows,
        "subsidies": selectors.cash_subsidies_in_year(year=year, grantors=grantors),
        "communes": selectors.communes_reportable_by(request.user).order_by(french("name")),
    }
    return render(request, "reports/aid_list.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def aid_csv(request: HttpRequest) -> HttpResponse:
    grantors = _grantors_or_404(request)
    form, year = _year_from_query(request)
    if form.errors:  # a file of another year than asked for would mislead: say why instead
        errors = "; ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    return table_response(request.GET, *exports.aid_csv_table(year=year, grantors=grantors))


@login_required
@require_http_methods(["GET", "POST"])
def cash_subsidy_create(request: HttpRequest) -> HttpResponse:
    grantors = _grantors_or_404(request)
    _form, year = _year_from_query(request)
    form = CashSubsidyForm(request.POST or None, grantors=grantors, initial={"year": year})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            subsidy = services.cash_subsidy_create(
                actor=request.user,
                structure=data["structure"],
                granted_by=data["granted_by"],
                year=data["year"],
                amount_cents=form.amount_cents,
                label=data["label"],
                decision_reference=data["decision_reference"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The subsidy to %(structure)s was recorded.")
                % {"structure": subsidy.structure.name},
            )
            return redirect(f"{reverse('reports:aid-list')}?annee={subsidy.year}")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "reports/cash_subsidy_form.html", {"form": form}, status=status)


@login_required
@require_POST
def cash_subsidy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subsidy = get_object_or_404(selectors.cash_subsidies_editable_by(request.user), pk=pk)
    year = subsidy.year
    services.cash_subsidy_delete(actor=request.user, subsidy=subsidy)
    messages.success(request, _("The subsidy was removed."))
    return redirect(f"{reverse('reports:aid-list')}?annee={year}")


def _annex_for(request: HttpRequest, insee: str, year: int) -> selectors.BudgetAnnex:
    _check_year(year)
    commune: Commune = get_object_or_404(
        selectors.communes_reportable_by(request.user).select_related("organisation"),
        insee_code=insee,
    )
    return selectors.budget_annex(commune=commune, year=year)


@login_required
@require_GET
def annex_detail(request: HttpRequest, insee: str, year: int) -> HttpResponse:
    """The budget annex of in-kind support (CGCT L2313-1) of a commune for a year."""
    annex = _annex_for(request, insee, year)
    return render(request, "reports/annex.html", {"annex": annex})


@login_required
@require_GET
def annex_csv(request: HttpRequest, insee: str, year: int) -> HttpResponse:
    annex = _annex_for(request, insee, year)
    return table_response(request.GET, *exports.annex_csv_table(annex))


@login_required
@require_POST
def annex_pdf(request: HttpRequest, insee: str, year: int) -> HttpResponse:
    """Ask for the annex as a PDF: rendered by a job (its size grows with the territory), then
    offered on the document's page (reports/views/documents.py)."""
    _check_year(year)
    commune = get_object_or_404(selectors.communes_reportable_by(request.user), insee_code=insee)
    document = services.annex_document_request(actor=request.user, commune=commune, year=year)
    return redirect("reports:document", pk=document.pk)


@login_required
@require_GET
def certificate_pdf(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """The yearly valuation certificate of a structure (contributions in kind, accounts 86/87)."""
    _check_year(year)
    structure = get_object_or_404(selectors.structures_certifiable_by(request.user), pk=pk)
    pdf = exports.certificate_pdf(structure=structure, year=year)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = exports.certificate_filename(structure=structure, year=year)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
@require_GET
def certificate_csv(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """The same certificate as a CSV, one line per agreement and booking valued."""
    _check_year(year)
    structure = get_object_or_404(selectors.structures_certifiable_by(request.user), pk=pk)
    return table_response(
        request.GET, *exports.certificate_csv_table(structure=structure, year=year)
    )
