"""Reviews API: a reviewer's declaration of interest and scores."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.calls.outputs import ScoreOutputSerializer
from api.fields import IdField, MultiLineField
from calls import selectors, services
from calls.models import Criterion, Score
from core.validators import bounds_of


class CallDeclarationApi(APIView):
    """A reviewer declares whether they have a conflict of interest (then they are excluded)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        conflict_of_interest = serializers.BooleanField()
        note = MultiLineField(
            allow_blank=True, default="", max_length=2000, help_text="Required with a conflict."
        )

        class Meta:
            ref_name = "ReviewerDeclarationInput"

    class OutputSerializer(serializers.Serializer):
        call = serializers.IntegerField(source="call_id")
        conflict_of_interest = serializers.BooleanField(allow_null=True)
        conflict_note = serializers.CharField()
        declared_at = serializers.DateTimeField(allow_null=True)
        may_score = serializers.BooleanField()

        class Meta:
            ref_name = "ReviewerDeclaration"

    @extend_schema(
        request=InputSerializer,
        responses=OutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(selectors.calls_reviewable_by(request.user), pk=pk)
        assignment = selectors.reviewer_assignment_get(call=call, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reviewer_declare(
            assignment=assignment,
            actor=request.user,
            conflict_of_interest=data.validated_data["conflict_of_interest"],
            note=data.validated_data["note"],
        )
        assignment.refresh_from_db()
        return Response(self.OutputSerializer(assignment).data)


class ApplicationScoresApi(APIView):
    """A reviewer who declared no conflict of interest marks criteria (0–10) with comments."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class MarkSerializer(serializers.Serializer):
            criterion = IdField()
            mark = serializers.IntegerField(**bounds_of(Score, "mark"))
            comment = MultiLineField(allow_blank=True, default="", max_length=5000)

            class Meta:
                ref_name = "ScoreMarkInput"

        scores = MarkSerializer(many=True, allow_empty=False)

        class Meta:
            ref_name = "ScoresInput"

    @extend_schema(
        request=InputSerializer,
        responses=ScoreOutputSerializer(many=True),
    )
    def post(self, request: Request, pk: int) -> Response:
        application = get_object_or_404(selectors.applications_reviewable_by(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        criteria = {c.pk: c for c in Criterion.objects.filter(call=application.call_id)}
        rows = data.validated_data["scores"]
        if any(row["criterion"] not in criteria for row in rows):
            raise DrfValidationError({"scores": [_("Score the criteria of this call.")]})
        services.scores_record(
            application=application,
            reviewer=request.user,
            marks=[(criteria[row["criterion"]], row["mark"], row["comment"]) for row in rows],
        )
        given = selectors.scores_given(application=application, reviewer=request.user)
        return Response(ScoreOutputSerializer(list(given.values()), many=True).data)
