from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.files import document_response
from accounts.forms import DocumentForm, InvitationForm, StructureForm
from accounts.models import DocumentKind
from accounts.selectors import (
    documents_visible_to,
    invitation_get_usable,
    invitations_pending_of,
    organisations_erasable_by,
    organisations_manageable_by,
    organisations_visible_to,
    structure_verification_documents_missing,
    structures_awaiting_verification,
    structures_verifiable_by,
    user_is_territory_admin,
)
from core.forms import form_add_service_errors, post_confirmed
from core.middleware import accepts_upload
from core.ratelimit import rate_limited


@login_required
@require_http_methods(["GET", "POST"])
def structure_register(request: HttpRequest) -> HttpResponse:
    form = StructureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            structure = services.structure_register(organisation=form.instance, user=request.user)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Your structure is registered. Add its documents: the intercommunality "
                    "will verify it before it can request space."
                ),
            )
            return redirect("accounts:structure-detail", pk=structure.pk)
    return render(request, "accounts/structure_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET"])
def structure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    structure = get_object_or_404(organisations_visible_to(request.user), pk=pk)
    can_manage = organisations_manageable_by(request.user).filter(pk=pk).exists()
    context = {
        "structure": structure,
        "can_manage": can_manage,
        "can_verify": structures_verifiable_by(request.user).filter(pk=pk).exists(),
        "memberships": structure.memberships.select_related("user").order_by("created_at", "pk"),
        "is_member": structure.memberships.filter(user=request.user).exists(),
        "can_erase": not structure.is_erased
        and organisations_erasable_by(request.user).filter(pk=pk).exists(),
        "documents": structure.documents.select_related("uploaded_by"),
        "invitations": invitations_pending_of(structure) if can_manage else None,
        "document_form": DocumentForm() if can_manage else None,
        "invitation_form": InvitationForm() if can_manage else None,
    }
    return render(request, "accounts/structure_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def structure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    structure = get_object_or_404(organisations_manageable_by(request.user), pk=pk)
    was_verified = structure.is_verified
    form = StructureForm(request.POST or None, instance=structure)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.organisation_update(organisation=form.instance, actor=request.user)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The details were saved."))
            if was_verified and not saved.is_verified:
                messages.warning(
                    request,
                    _(
                        "The structure's identity changed: the intercommunality will verify it "
                        "again. Its bookings stay; new requests and aid wait for that check."
                    ),
                )
            return redirect("accounts:structure-detail", pk=structure.pk)
    return render(request, "accounts/structure_form.html", {"form": form, "structure": structure})


@accepts_upload
@login_required
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    structure = get_object_or_404(organisations_manageable_by(request.user), pk=pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.document_add(
                organisation=structure,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                expires_on=form.cleaned_data["expires_on"],
                actor=request.user,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The document was added."))
            return redirect("accounts:structure-detail", pk=structure.pk)
    return render(
        request, "accounts/document_form.html", {"form": form, "structure": structure}, status=400
    )


@login_required
@require_http_methods(["GET"])
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(documents_visible_to(request.user), pk=pk)
    return document_response(request, document)


@rate_limited("invitation")
@login_required
@require_POST
def invitation_create(request: HttpRequest, pk: int) -> HttpResponse:
    structure = get_object_or_404(organisations_manageable_by(request.user), pk=pk)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_create(
                organisation=structure,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("An invitation was sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("accounts:structure-detail", pk=structure.pk)
    return render(
        request, "accounts/invitation_form.html", {"form": form, "structure": structure}, status=400
    )


@rate_limited("invitation", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_get_usable(token=token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    error = None
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = services.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(
                request,
                _("You are now a member of %(name)s.") % {"name": membership.organisation.name},
            )
            return redirect("accounts:structure-detail", pk=membership.organisation_id)
    return render(
        request, "accounts/invitation_accept.html", {"invitation": invitation, "error": error}
    )


@login_required
@require_http_methods(["GET"])
def structures_to_verify(request: HttpRequest) -> HttpResponse:
    if not user_is_territory_admin(request.user):
        raise Http404
    pending = structures_awaiting_verification().order_by("created_at")
    return render(request, "accounts/structures_to_verify.html", {"structures": pending})


@login_required
@require_http_methods(["GET", "POST"])
def structure_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Show what verification rests on (documents, e-mail, identifiers); verify on confirmation."""
    structure = get_object_or_404(structures_verifiable_by(request.user), pk=pk)
    if post_confirmed(request):
        try:
            verified = services.structure_verify(structure=structure, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounts:structure-verify", pk=structure.pk)
        if verified:
            messages.success(request, _("%(name)s is verified.") % {"name": structure.name})
        return redirect("accounts:structure-detail", pk=structure.pk)
    context = {
        "structure": structure,
        "documents": structure.documents.all(),
        "missing": [
            DocumentKind(kind).label
            for kind in structure_verification_documents_missing(structure=structure)
        ],
    }
    return render(request, "accounts/structure_verify.html", context)
