"""Decisions API: the call's manager accepts an application for a lot or refuses it with reasons."""

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as DrfValidationError

from accounts.models import User
from api.actions import ServiceActionApi
from api.calls.applications import TRANSITION_RESPONSES, ReasonInputSerializer, application_output
from api.fields import IdField
from calls import selectors, services
from calls.models import Application, CallLot


class ApplicationAcceptApi(ServiceActionApi):
    """The call's manager accepts a submitted application for a lot; the applicant is e-mailed."""

    scope = staticmethod(selectors.applications_decidable_by)
    output = staticmethod(application_output)
    responses = TRANSITION_RESPONSES

    class InputSerializer(serializers.Serializer):
        lot = IdField()

        class Meta:
            ref_name = "ApplicationAcceptInput"

    def perform(self, application: Application, *, actor: User, values: dict) -> None:
        lot = CallLot.objects.filter(call=application.call_id, pk=values["lot"]).first()
        if lot is None:
            raise DrfValidationError({"lot": [_("Choose a lot of this call.")]})
        services.application_accept(application=application, actor=actor, lot=lot)


class ApplicationRefuseApi(ServiceActionApi):
    """The call's manager refuses with reasons (required: they are e-mailed to the applicant)."""

    scope = staticmethod(selectors.applications_decidable_by)
    output = staticmethod(application_output)
    responses = TRANSITION_RESPONSES
    InputSerializer = ReasonInputSerializer

    def perform(self, application: Application, *, actor: User, values: dict) -> None:
        services.application_refuse(application=application, actor=actor, reason=values["reason"])
