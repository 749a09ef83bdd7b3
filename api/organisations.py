"""Organisations, their members, invitations and supporting documents (issue 14): what the
structure pages do (accounts/views/structures.py, members.py), through the same services
(`accounts.services`) and the same permission querysets (`accounts.selectors`).

Who sees what: an organisation, its members and its documents, its members and the
intercommunality (others get 404); its details, roles, invitations and documents are changed
by its administrators and the intercommunality: its other members get 403 (they see it, the
decision is not theirs). A document's file is downloaded only through the site's protected view
(`download_url`, a signed-in session), never from the API.

`/api/v1/me/` already lists the caller's organisations with their role; this list is the same
organisations with their details (and, for the intercommunality, every organisation, as its
pages show any structure).
"""

from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.exceptions import DecisionNotAllowed
from accounts.forms import StructureForm
from accounts.models import (
    INVITATION_VALIDITY,
    DocumentKind,
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationDocument,
    User,
)
from accounts.selectors import (
    documents_visible_to,
    invitations_manageable_by,
    invitations_pending_of,
    memberships_visible_to,
    organisations_manageable_by,
    organisations_visible_to,
)
from api.fields import SingleLineField
from api.pagination import PaginatedListMixin
from api.throttles import WindowRateThrottle
from core.validators import validate_single_line

FORBIDDEN = OpenApiResponse(
    {"$ref": "#/components/schemas/Error"},
    description="Not signed in, the CSRF token is missing, or the caller is a member of the "
    "organisation but not one of its administrators: the decision is not theirs.",
)


class InvitationRateThrottle(WindowRateThrottle):
    """Invitations sent (POST), per account: the same budget as the structure page's
    (`RATE_LIMITS["invitation"]`), each one sends an e-mail to an address typed by the caller."""

    scope = "invitation"
    methods = ("POST",)

    def rate(self) -> str | None:
        return settings.RATE_LIMITS["invitation"]

    def ident(self, request: Request) -> str | None:
        return f"user:{request.user.pk}" if request.user.is_authenticated else None


def _managed(user: User, pk: int) -> Organisation:
    """The organisation `pk` if the user manages it; 403 for its other members (they see it),
    404 for everyone else. Checked before the body is read; the services check again."""
    organisation = get_object_or_404(organisations_visible_to(user), pk=pk)
    if not organisations_manageable_by(user).filter(pk=pk).exists():
        raise DecisionNotAllowed(_("You are not allowed to do this."))
    return organisation


# --- Organisations -------------------------------------------------------------------------------


class OrganisationOutputSerializer(serializers.ModelSerializer):
    verified_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the intercommunality verified the structure; null: not "
        "(or no longer) verified: it may not request space yet.",
    )
    erased_at = serializers.DateTimeField(
        allow_null=True, help_text="When its personal data were erased on request."
    )

    class Meta:
        model = Organisation
        fields = [
            "id",
            "kind",
            "name",
            "siren",
            *(name for name in StructureForm.Meta.fields if name != "name"),
            "verified_at",
            "erased_at",
            "created_at",
        ]


class OrganisationInputSerializer(serializers.ModelSerializer):
    """A structure's details as its form writes them; the service normalises the identifiers
    (spaces, dots and dashes dropped), checks them (SIRET: 14 digits and the Luhn key; RNA: W
    and 9 digits) and refuses one already registered."""

    # Room for the spaces people type ("123 456 789 00012"): checked once normalised.
    siret = SingleLineField(max_length=20, required=False, allow_blank=True)
    rna = SingleLineField(max_length=20, required=False, allow_blank=True)

    class Meta:
        model = Organisation
        fields = StructureForm.Meta.fields
        ref_name = "OrganisationInput"
        validators: list = []  # the unique identifiers: the service's check, on the field


def _organisation_fill(organisation: Organisation, values: dict) -> Organisation:
    for name, value in values.items():
        setattr(organisation, name, value)
    return organisation


def _organisation_output(user: User, pk: int) -> dict:
    return OrganisationOutputSerializer(organisations_visible_to(user).get(pk=pk)).data


class OrganisationListApi(PaginatedListMixin, APIView):
    """GET: the caller's organisations (every organisation for the intercommunality), by name.
    POST: register an ESS structure (anyone signed in, as the "Register a structure" page); the
    caller becomes its administrator; the intercommunality verifies it before it may request
    space."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrganisationOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        organisations = organisations_visible_to(request.user).order_by("name", "pk")
        return self.paginated_response(organisations, OrganisationOutputSerializer)

    @extend_schema(
        request=OrganisationInputSerializer, responses={201: OrganisationOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = OrganisationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        structure = services.structure_register(
            organisation=_organisation_fill(Organisation(), data.validated_data),
            user=request.user,
        )
        # Serialised as saved: a token scoped to another organisation does not see it.
        return Response(
            OrganisationOutputSerializer(structure).data, status=status.HTTP_201_CREATED
        )


class OrganisationDetailApi(APIView):
    """GET: an organisation (its members, the intercommunality). PATCH: change the fields sent
    (its administrators and the intercommunality). A verified structure whose identity changes
    (name, identifiers, legal form, ESS family, SIAE kind, ESUS approval) goes back to
    verification: `verified_at` becomes null."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrganisationOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        organisation = get_object_or_404(organisations_visible_to(request.user), pk=pk)
        return Response(OrganisationOutputSerializer(organisation).data)

    @extend_schema(
        request=OrganisationInputSerializer(partial=True),
        responses={200: OrganisationOutputSerializer, 403: FORBIDDEN},
    )
    def patch(self, request: Request, pk: int) -> Response:
        organisation = _managed(request.user, pk)
        data = OrganisationInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.organisation_update(
            organisation=_organisation_fill(organisation, data.validated_data),
            actor=request.user,
        )
        return Response(_organisation_output(request.user, pk))


# --- Members ----------------------------------------------------------------------------------


class MembershipOutputSerializer(serializers.ModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id")
    user = serializers.IntegerField(source="user_id")
    name = serializers.SerializerMethodField(help_text="Full name, or e-mail address without one.")

    class Meta:
        model = Membership
        fields = ["id", "organisation", "user", "name", "role", "created_at"]

    def get_name(self, membership: Membership) -> str:
        return membership.user.get_full_name() or membership.user.email


class MembershipInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=MembershipRole.choices)

    class Meta:
        ref_name = "MembershipInput"


def _memberships(user: User) -> QuerySet[Membership]:
    return memberships_visible_to(user).select_related("user")


class OrganisationMemberListApi(PaginatedListMixin, APIView):
    """GET: the members of an organisation, oldest first (its members, the intercommunality)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MembershipOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        organisation = get_object_or_404(organisations_visible_to(request.user), pk=pk)
        memberships = (
            Membership.objects.filter(organisation=organisation)
            .select_related("user")
            .order_by("created_at", "pk")
        )
        return self.paginated_response(memberships, MembershipOutputSerializer)


class MembershipDetailApi(APIView):
    """PATCH: make a member an administrator, or an administrator a member (the member is told).
    DELETE: remove a member (told by e-mail); an administrator removing themselves leaves. Both
    for the organisation's administrators and the intercommunality; the last administrator of
    an organisation that has other members can be neither demoted nor removed (400)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=MembershipInputSerializer,
        responses={200: MembershipOutputSerializer, 403: FORBIDDEN},
    )
    def patch(self, request: Request, pk: int) -> Response:
        membership = get_object_or_404(_memberships(request.user), pk=pk)
        _managed(request.user, membership.organisation_id)
        data = MembershipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.membership_role_set(
            membership=membership, role=data.validated_data["role"], actor=request.user
        )
        return Response(MembershipOutputSerializer(_memberships(request.user).get(pk=pk)).data)

    @extend_schema(responses={204: None, 403: FORBIDDEN})
    def delete(self, request: Request, pk: int) -> Response:
        membership = get_object_or_404(_memberships(request.user), pk=pk)
        _managed(request.user, membership.organisation_id)
        services.membership_remove(membership=membership, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Invitations ------------------------------------------------------------------------------


class InvitationOutputSerializer(serializers.ModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id")
    invited_by = serializers.IntegerField(source="invited_by_id")
    expires_at = serializers.SerializerMethodField(help_text="The link works until then.")
    usable = serializers.SerializerMethodField(help_text="False once expired.")

    class Meta:
        model = Invitation
        fields = [
            "id",
            "organisation",
            "email",
            "role",
            "invited_by",
            "created_at",
            "expires_at",
            "usable",
        ]

    def get_expires_at(self, invitation: Invitation) -> str:
        return serializers.DateTimeField().to_representation(
            invitation.created_at + INVITATION_VALIDITY
        )

    def get_usable(self, invitation: Invitation) -> bool:
        return invitation.is_usable()


class InvitationInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, validators=[validate_single_line])
    role = serializers.ChoiceField(choices=MembershipRole.choices, default=MembershipRole.MEMBER)

    class Meta:
        ref_name = "InvitationInput"


class OrganisationInvitationListApi(PaginatedListMixin, APIView):
    """GET: the invitations not accepted yet, newest first (expired ones too: `usable`). POST:
    invite someone by e-mail (the e-mail leaves once saved; at most RATE_LIMITS["invitation"]
    an hour per account, shared with the page). Both for the organisation's administrators and
    the intercommunality."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [*APIView.throttle_classes, InvitationRateThrottle]

    @extend_schema(responses={200: InvitationOutputSerializer(many=True), 403: FORBIDDEN})
    def get(self, request: Request, pk: int) -> Response:
        organisation = _managed(request.user, pk)
        return self.paginated_response(
            invitations_pending_of(organisation), InvitationOutputSerializer
        )

    @extend_schema(
        request=InvitationInputSerializer,
        responses={201: InvitationOutputSerializer, 403: FORBIDDEN},
    )
    def post(self, request: Request, pk: int) -> Response:
        organisation = _managed(request.user, pk)
        data = InvitationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            organisation=organisation,
            email=data.validated_data["email"],
            role=data.validated_data["role"],
            invited_by=request.user,
        )
        return Response(InvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailApi(APIView):
    """DELETE: revoke an invitation not accepted yet (its link stops working)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        invitation = get_object_or_404(
            invitations_manageable_by(request.user).select_related("organisation"), pk=pk
        )
        services.invitation_revoke(invitation=invitation, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Documents --------------------------------------------------------------------------------


class OrganisationDocumentOutputSerializer(serializers.ModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id")
    name = serializers.SerializerMethodField(
        help_text="The file's name, its real type's extension."
    )
    is_expired = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(
        help_text="The site's protected download (a signed-in browser session; not an API "
        "token): the file is never served by the API."
    )

    class Meta:
        model = OrganisationDocument
        fields = [
            "id",
            "organisation",
            "kind",
            "name",
            "expires_on",
            "is_expired",
            "uploaded_at",
            "download_url",
        ]

    def get_name(self, document: OrganisationDocument) -> str:
        return document.file.name.rsplit("/", 1)[-1]

    def get_is_expired(self, document: OrganisationDocument) -> bool:
        return document.is_expired()

    def get_download_url(self, document: OrganisationDocument) -> str:
        return reverse("accounts:document-download", args=[document.pk])


class DocumentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField(help_text="PDF, JPEG or PNG, 10 MB at most.")
    expires_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Required for an insurance certificate and an ESUS approval.",
    )

    class Meta:
        ref_name = "DocumentInput"


class OrganisationDocumentListApi(PaginatedListMixin, APIView):
    """GET: an organisation's supporting documents (its members, the intercommunality). POST
    (multipart/form-data): add one (its administrators, the intercommunality): the content must
    be what it claims, a readable PDF, JPEG or PNG of 10 MB at most, without web content."""

    permission_classes = [IsAuthenticated]

    def get_parsers(self) -> list:
        if self.request is not None and self.request.method == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    @extend_schema(responses=OrganisationDocumentOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        organisation = get_object_or_404(organisations_visible_to(request.user), pk=pk)
        documents = OrganisationDocument.objects.filter(organisation=organisation).order_by(
            "kind", "-uploaded_at", "-pk"
        )
        return self.paginated_response(documents, OrganisationDocumentOutputSerializer)

    @extend_schema(
        request=DocumentInputSerializer,
        responses={201: OrganisationDocumentOutputSerializer, 403: FORBIDDEN},
    )
    def post(self, request: Request, pk: int) -> Response:
        organisation = _managed(request.user, pk)
        data = DocumentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        document = services.document_add(
            organisation=organisation,
            kind=values["kind"],
            upload=values["file"],
            expires_on=values["expires_on"],
            actor=request.user,
        )
        return Response(
            OrganisationDocumentOutputSerializer(document).data, status=status.HTTP_201_CREATED
        )


class DocumentDetailApi(APIView):
    """DELETE: remove a supporting document (the organisation's administrators, the
    intercommunality; its other members get 403). Its file goes once that is committed."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None, 403: FORBIDDEN})
    def delete(self, request: Request, pk: int) -> Response:
        document = get_object_or_404(documents_visible_to(request.user), pk=pk)
        services.document_delete(document=document, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
