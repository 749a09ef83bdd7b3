"""`GET /api/v1/me/`: who the caller is and what they may do (issue 14), so that an
integrator's program can check its token and pick an organisation without trial and error.

Built from `values()` rows in a fixed number of queries whatever the number of organisations
or sites (docs/architecture.md, "The API's hot paths"); the serializers are the schema's
declaration, which schemathesis checks the answers against (tests/api/test_schemathesis.py).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiTokenScope, MembershipRole, OrganisationKind, User
from accounts.selectors import (
    memberships_of,
    organisations_allowed_to_book_for,
    user_is_territory_admin,
)
from accounts.services.tokens import ApiTokenIdentity
from spaces.selectors import sites_manageable_by


class MeOrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=MembershipRole.choices)
    can_book = serializers.BooleanField(
        help_text="May request space for this organisation (a structure once verified)."
    )


class MeTokenSerializer(serializers.Serializer):
    name = serializers.CharField()
    scope = serializers.ChoiceField(choices=ApiTokenScope.choices)
    organisation = serializers.IntegerField(
        allow_null=True, help_text="The one organisation it acts for; null: all of the user's."
    )
    service = serializers.BooleanField(help_text="The intercommunality's service token.")
    expires_at = serializers.DateTimeField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    organisations = MeOrganisationSerializer(many=True)
    can_book = serializers.BooleanField(
        help_text="May request space for at least one organisation."
    )
    is_territory_admin = serializers.BooleanField(
        help_text="One of the intercommunality's people: steers the whole territory."
    )
    manages_all_sites = serializers.BooleanField()
    managed_site_ids = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The sites the user manages (empty when `manages_all_sites`).",
    )
    token = MeTokenSerializer(
        allow_null=True, help_text="The API token of the request; null with a session."
    )


def me_represented(user: User, token: ApiTokenIdentity | None) -> dict:
    """The caller, in four queries at most: memberships, organisations that may book, the
    territory question, managed sites (none for the territory's people: all)."""
    bookable = set(organisations_allowed_to_book_for(user).values_list("pk", flat=True))
    organisations = [
        {
            "id": row["organisation_id"],
            "kind": row["organisation__kind"],
            "name": row["organisation__name"],
            "role": row["role"],
            "can_book": row["organisation_id"] in bookable,
        }
        for row in memberships_of(user)
        .order_by("organisation__name", "organisation_id")
        .values("organisation_id", "organisation__kind", "organisation__name", "role")
    ]
    territory = user_is_territory_admin(user)
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "organisations": organisations,
        "can_book": bool(bookable),
        "is_territory_admin": territory,
        "manages_all_sites": territory,
        "managed_site_ids": []
        if territory
        else sorted(sites_manageable_by(user).values_list("pk", flat=True)),
        "token": None
        if token is None
        else {
            "name": token.name,
            "scope": token.scope,
            "organisation": token.organisation_id,
            "service": token.service,
            "expires_at": serializers.DateTimeField().to_representation(token.expires_at),
        },
    }


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: OpenApiResponse(MeSerializer, description="The signed-in caller.")},
        summary="Who am I",
        description=(
            "The caller (session or API token), their organisations and what they may do; "
            "with a token, the token's name, scope and expiry."
        ),
    )
    def get(self, request: Request) -> Response:
        token = request.auth if isinstance(request.auth, ApiTokenIdentity) else None
        return Response(me_represented(request.user, token))
