"""The journal of changes, for the intercommunality (404 for anyone else)."""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.selectors import user_is_territory_admin
from core.forms import AccessibleForm
from reports.selectors import KINDS, journal_page


class JournalFilterForm(AccessibleForm):
    type = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("Every change")), *((code, kind.label) for code, kind in KINDS.items())],
    )


@require_GET
def journal(request: HttpRequest) -> HttpResponse:
    """Who changed what and when: field edits (old → new) and decisions on calls.

    404 for anyone but the intercommunality, the anonymous included (nothing to sign in for)."""
    if not user_is_territory_admin(request.user):
        raise Http404
    form = JournalFilterForm(request.GET)
    kind = form.cleaned_data["type"] if form.is_valid() else ""
    page = journal_page(kind=kind or None, page_number=request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": urlencode({"type": kind}) if kind else "",
    }
    return render(request, "reports/journal.html", context)
