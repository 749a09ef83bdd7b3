"""Pages of the applicants (members of an ESS structure) and the page of an application, which
the call's managers and reviewers read too."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.files import document_response
from bookings.exceptions import InvalidTransition
from calls import selectors, services
from calls.forms import AcceptForm, ApplicationForm, ApplicationStartForm, ReasonForm, RefuseForm
from calls.models import Application, ApplicationStatus, CallLot, Preference
from calls.views.comments import comments_context
from core.forms import form_add_service_errors, post_confirmed
from spaces.models import SpaceKind


@login_required
@require_http_methods(["GET", "POST"])
def application_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a draft application for one of the user's ESS structures."""
    call = get_object_or_404(selectors.calls_visible_to(request.user), pk=pk)
    structures = selectors.structures_able_to_apply(request.user)
    if not structures.exists():
        return render(request, "calls/cannot_apply.html", {"call": call}, status=403)
    if not selectors.call_accepts_applications(call):
        messages.error(request, _("This call is not open for applications."))
        return redirect(call.get_absolute_url())
    form = ApplicationStartForm(request.POST or None, structures=structures)
    if request.method == "POST" and form.is_valid():
        structure = form.cleaned_data["structure"]
        existing = (
            selectors.applications_of_applicant(request.user)
            .filter(call=call, structure=structure)
            .exclude(status=ApplicationStatus.WITHDRAWN)
            .first()
        )
        if existing is not None:
            messages.info(request, _("Your structure has already applied to this call."))
            return redirect(existing.get_absolute_url())
        try:
            application = services.application_start(
                call=call, structure=structure, actor=request.user
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Your draft application is open: fill it in."))
            return redirect("calls:application-edit", pk=application.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "calls/application_start.html", {"call": call, "form": form}, status=status
    )


@login_required
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    """The applications of the user's structures."""
    applications = (
        selectors.applications_of_applicant(request.user)
        .select_related("call", "structure", "allocated_lot__space")
        .order_by("-created_at", "-pk")
    )
    return render(request, "calls/application_list.html", {"applications": applications})


def _detail_queryset(request: HttpRequest):
    return selectors.applications_visible_to(request.user).select_related(
        "call", "structure", "submitted_by", "allocated_lot__space__site", "allocation"
    )


def summary_context(request: HttpRequest, application: Application) -> dict:
    """What the application's summary shows beyond the row: labels, downloadable documents."""
    kind = application.needed_kind
    return {
        "needed_kind_label": SpaceKind(kind).label if kind in SpaceKind.values else kind,
        "downloadable": set(
            selectors.application_documents_visible_to(
                request.user, application_pk=application.pk
            ).values_list("pk", flat=True)
        ),
    }


@login_required
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        _detail_queryset(request).prefetch_related(
            Prefetch(
                "preferences",
                queryset=Preference.objects.select_related("lot__space__site__commune"),
            ),
            "documents",
        ),
        pk=pk,
    )
    user = request.user
    is_applicant = selectors.applications_of_applicant(user).filter(pk=pk).exists()
    can_decide = selectors.applications_decidable_by(user).filter(pk=pk).exists()
    submitted = application.status == ApplicationStatus.SUBMITTED
    first_choice = next(iter(application.preferences.all()), None)
    assignment = selectors.reviewer_assignment_get(call=application.call, user=user)
    # Both sides, and only they, talk once it was sent (calls.permissions.application_comment_side).
    has_conversation = application.submitted_at is not None and (is_applicant or can_decide)
    context = {
        "application": application,
        "call": application.call,
        "is_applicant": is_applicant,
        "is_draft": application.status == ApplicationStatus.DRAFT,
        "missing": selectors.application_missing_items(application)
        if is_applicant and application.status == ApplicationStatus.DRAFT
        else None,
        "accepting": selectors.call_accepts_applications(application.call),
        "can_withdraw": is_applicant
        and application.status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED),
        "withdraw_form": ReasonForm(),
        "can_decide": can_decide,
        "accept_form": AcceptForm(
            lots=CallLot.objects.filter(call=application.call),
            initial={"lot": first_choice.lot_id if first_choice else None},
        )
        if can_decide and submitted
        else None,
        "refuse_form": RefuseForm() if can_decide and submitted else None,
        "can_offer": can_decide
        and application.status == ApplicationStatus.ACCEPTED
        and application.allocation_id is None,
        "can_score": assignment is not None and assignment.may_score and submitted,
        **summary_context(request, application),
        "scores": selectors.application_scores(application) if can_decide else None,
        "log": application.log.select_related("actor") if is_applicant or can_decide else None,
        "has_conversation": has_conversation,
        **(comments_context(application) if has_conversation else {}),
    }
    return render(request, "calls/application_detail.html", context)


@login_required
@require_GET
def application_document(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    """A document attached to the application, for its readers (404 for anyone else)."""
    document = get_object_or_404(
        selectors.application_documents_visible_to(request.user, application_pk=pk),
        pk=document_pk,
    )
    return document_response(request, document)


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        selectors.applications_of_applicant(request.user).select_related("call", "structure"),
        pk=pk,
    )
    if application.status != ApplicationStatus.DRAFT:
        messages.error(request, _("A submitted application can no longer change."))
        return redirect(application.get_absolute_url())
    form = ApplicationForm(
        request.POST or None,
        application=application,
        lots=CallLot.objects.filter(call=application.call).order_by("position", "pk"),
        documents=selectors.documents_attachable_to(application),
        needs_republican_commitment=selectors.needs_republican_commitment(application.structure),
    )
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            services.application_update(
                application=application,
                actor=request.user,
                project=values["project"],
                needed_surface_m2=values["needed_surface_m2"],
                needed_kind=values["needed_kind"],
                wanted_start=values["wanted_start"],
                duration_months=values["duration_months"],
                lots_ranked=values["lots_ranked"],
                documents=list(values["documents"]),
                republican_commitment_signatory=values["signatory"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Your draft is saved."))
            return redirect(application.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "calls/application_form.html",
        {
            "application": application,
            "call": application.call,
            "form": form,
            "required_documents": selectors.document_labels(application.call.required_documents),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the application as it will be sent, and that it can no longer change; send it on
    confirmation."""
    application = get_object_or_404(
        selectors.applications_of_applicant(request.user).select_related("call", "structure"),
        pk=pk,
    )
    if not post_confirmed(request):
        if application.status != ApplicationStatus.DRAFT:
            return redirect(application.get_absolute_url())
        context = {
            "application": application,
            "call": application.call,
            "missing": selectors.application_missing_items(application),
            "accepting": selectors.call_accepts_applications(application.call),
            **summary_context(request, application),
        }
        return render(request, "calls/application_submit.html", context)
    try:
        changed = services.application_submit(application=application, actor=request.user)
    except ValidationError as exc:
        messages.error(
            request,
            _("Your application cannot be sent yet: %(missing)s")
            % {"missing": " ".join(exc.messages)},
        )
    except InvalidTransition as exc:
        messages.error(request, exc.message())
    else:
        if changed:
            messages.success(
                request, _("Your application is sent. You will be told of the decision by e-mail.")
            )
    return redirect(application.get_absolute_url())


@login_required
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(selectors.applications_of_applicant(request.user), pk=pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        changed = services.application_withdraw(
            application=application, actor=request.user, reason=reason
        )
    except InvalidTransition as exc:
        messages.error(request, exc.message())
    else:
        if changed:
            messages.success(request, _("Your application is withdrawn."))
    return redirect(application.get_absolute_url())
