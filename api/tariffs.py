"""Tariffs API: the tariff grid and the deposit of a space, for those who manage it.

Writes go through `payments.services.tariffs` (tariffs_replace, space_deposit_set), as the
"Tariffs" page does: the same permission check, the same bounds, the same field history
(signed by the caller). A space is priced per category of organisation and unit, in euro
cents; a cell without a tariff means no fee is asked for that unit; 0 means free.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payments.models import Tariff
from payments.rules import CURRENCY, MAX_AMOUNT_CENTS, OrganisationCategory, TariffUnit
from payments.services.tariffs import space_deposit_set, tariffs_replace
from spaces.models import Space
from spaces.selectors import spaces_manageable_by

CELLS = len(OrganisationCategory) * len(TariffUnit)


class TariffSerializer(serializers.Serializer):
    category = serializers.ChoiceField(
        choices=OrganisationCategory.choices, help_text="The category of the organisation."
    )
    unit = serializers.ChoiceField(choices=TariffUnit.choices)
    amount_cents = serializers.IntegerField(
        min_value=0,
        max_value=MAX_AMOUNT_CENTS,
        help_text="In euro cents: 1250 for 12.50 €; 0 means free. At most 10,000,000 (100,000 €).",
    )

    class Meta:
        ref_name = "Tariff"


class TariffOutputSerializer(TariffSerializer):
    currency = serializers.CharField(help_text="Always EUR.")

    class Meta:
        ref_name = "TariffOutput"


class TariffCellSerializer(TariffSerializer):
    amount_cents = serializers.IntegerField(
        min_value=0,
        max_value=MAX_AMOUNT_CENTS,
        allow_null=True,
        help_text="In euro cents; null removes the tariff of that category and unit.",
    )

    class Meta:
        ref_name = "TariffCell"


def _unique_cells(cells: list[dict]) -> list[dict]:
    seen = set()
    for cell in cells:
        key = (cell["category"], cell["unit"])
        if key in seen:
            raise serializers.ValidationError(
                _("Each category and unit may appear only once (%(category)s, %(unit)s).")
                % {"category": cell["category"], "unit": cell["unit"]}
            )
        seen.add(key)
    return cells


class TariffGridInputSerializer(serializers.Serializer):
    tariffs = TariffSerializer(
        many=True,
        max_length=CELLS,
        help_text="The whole grid: a category and unit left out has no tariff any more.",
    )

    class Meta:
        ref_name = "TariffGridInput"

    def validate_tariffs(self, cells: list[dict]) -> list[dict]:
        return _unique_cells(cells)


class TariffCellsInputSerializer(serializers.Serializer):
    tariffs = TariffCellSerializer(
        many=True,
        max_length=CELLS,
        help_text="Only these cells change; the others stay as they are.",
    )

    class Meta:
        ref_name = "TariffCellsInput"

    def validate_tariffs(self, cells: list[dict]) -> list[dict]:
        return _unique_cells(cells)


class TariffGridSerializer(serializers.Serializer):
    space = serializers.IntegerField()
    tariffs = TariffOutputSerializer(
        many=True, help_text="By category, then unit; at most one per category and unit."
    )

    class Meta:
        ref_name = "TariffGrid"


def _grid(space: Space) -> dict:
    tariffs = Tariff.objects.filter(space=space).order_by("category", "unit")
    return TariffGridSerializer({"space": space.pk, "tariffs": tariffs}).data


def _empty_grid() -> dict[tuple[str, str], None]:
    return {
        (category.value, unit.value): None
        for category in OrganisationCategory
        for unit in TariffUnit
    }


class SpaceTariffsApi(APIView):
    """The tariff grid of a space you manage (others get 404). PUT replaces the whole grid, as
    the "Tariffs" page saves it; PATCH changes only the cells sent (null removes one); DELETE
    removes every tariff (the space becomes free of charge for everyone)."""

    permission_classes = [IsAuthenticated]

    def _space(self, request: Request, pk: int) -> Space:
        return get_object_or_404(spaces_manageable_by(request.user), pk=pk)

    @extend_schema(responses=TariffGridSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_grid(self._space(request, pk)))

    @extend_schema(request=TariffGridInputSerializer, responses=TariffGridSerializer)
    def put(self, request: Request, pk: int) -> Response:
        space = self._space(request, pk)
        data = TariffGridInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grid: dict[tuple[str, str], int | None] = _empty_grid()
        for cell in data.validated_data["tariffs"]:
            grid[cell["category"], cell["unit"]] = cell["amount_cents"]
        tariffs_replace(space=space, grid=grid, actor=request.user)
        return Response(_grid(space))

    @extend_schema(request=TariffCellsInputSerializer, responses=TariffGridSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        space = self._space(request, pk)
        data = TariffCellsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grid = {
            (cell["category"], cell["unit"]): cell["amount_cents"]
            for cell in data.validated_data["tariffs"]
        }
        tariffs_replace(space=space, grid=grid, actor=request.user)
        return Response(_grid(space))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        space = self._space(request, pk)
        tariffs_replace(space=space, grid=_empty_grid(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DepositSerializer(serializers.Serializer):
    deposit_cents = serializers.IntegerField(
        min_value=0,
        max_value=MAX_AMOUNT_CENTS,
        help_text="Held on the requester's card shortly before each booking and released "
        "after it unless damage is found; 0: no deposit. In euro cents.",
    )
    currency = serializers.CharField(read_only=True, default=CURRENCY)

    class Meta:
        ref_name = "SpaceDeposit"


def _deposit(space: Space) -> dict:
    return DepositSerializer({"deposit_cents": space.deposit_cents}).data


class SpaceDepositApi(APIView):
    """The deposit a space you manage asks (others get 404), set on the "Tariffs" page too."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=DepositSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_deposit(get_object_or_404(spaces_manageable_by(request.user), pk=pk)))

    @extend_schema(request=DepositSerializer, responses=DepositSerializer)
    def put(self, request: Request, pk: int) -> Response:
        space = get_object_or_404(spaces_manageable_by(request.user), pk=pk)
        data = DepositSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        space = space_deposit_set(
            space=space, amount_cents=data.validated_data["deposit_cents"], actor=request.user
        )
        return Response(_deposit(space))
