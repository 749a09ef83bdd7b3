"""The shape shared by the API's actions on one object (accept, decline, sign, refuse…): fetch it
through a permission queryset (404 otherwise), validate the body, run a service, answer 200 with
the object as it now is. Each action sets only what differs.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User


class ServiceActionApi(APIView):
    # No docstring here: drf-spectacular would take it as the description of every action
    # without its own. Subclasses set `scope` (the permission queryset of the user), `output`
    # (the object's representation, read again after the service), `InputSerializer` (None: no
    # body), `responses` (for the schema) and `perform` (the service call).

    permission_classes = [IsAuthenticated]
    scope: Callable[[User], QuerySet]
    output: Callable[[User, int], dict]
    InputSerializer: type[serializers.Serializer] | None = None
    responses: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # `post` is shared: each action's schema comes from its own serializers.
        extend_schema(request=cls.InputSerializer, responses=cls.responses)(cls)

    def perform(self, target: Any, *, actor: User, values: dict) -> None:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        target = get_object_or_404(self.scope(request.user), pk=pk)
        values: dict = {}
        if self.InputSerializer is not None:
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
        self.perform(target, actor=request.user, values=values)
        return Response(self.output(request.user, pk))
