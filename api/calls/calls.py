"""Calls API: the calls a user may read, one call, its ranking per lot (its managers)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.calls.manage import CallCreateMixin, CallUpdateMixin
from api.calls.outputs import CallOutputSerializer, RankingLotSerializer
from api.pagination import PaginatedListMixin
from calls import selectors
from calls.models import Call


def _calls(user) -> QuerySet[Call]:
    return selectors.call_detail(user=user).order_by("-published_at", "-created_at", "-pk")


class CallListApi(CallCreateMixin, PaginatedListMixin, APIView):
    """GET: calls the user may read: published, closed and decided ones; drafts for their
    managers. POST: draft a call (the staff of a public body)."""

    @extend_schema(responses=CallOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.paginated_response(_calls(request.user), CallOutputSerializer)


class CallDetailApi(CallUpdateMixin, APIView):
    """GET: a call the user may read. PATCH: change the fields sent of a draft (those who run
    it; others get 404; once published, 400)."""

    @extend_schema(responses=CallOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(_calls(request.user), pk=pk)
        return Response(CallOutputSerializer(call).data)


class CallRankingApi(APIView):
    """Per lot, the applications that asked for it by weighted total (the call's managers)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RankingLotSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(selectors.calls_manageable_by(request.user), pk=pk)
        return Response(RankingLotSerializer(selectors.call_ranking(call), many=True).data)
