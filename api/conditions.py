"""The conditions of requests (issue 16) in the API: a space's request form (its questions,
house rules, insurance setting), the answers a booking gave, and files attached to a booking
(multipart), through `bookings.services.conditions` as the pages do."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import IdField
from bookings import services
from bookings.models import BookingAnswer, BookingFile, QuestionKind, RequestQuestion
from bookings.models.conditions import MAX_QUESTIONS
from bookings.selectors import booking_detail
from bookings.selectors.conditions import booking_files_visible_to, request_questions_of
from spaces.selectors import catalogue_spaces


class RequestQuestionSerializer(serializers.ModelSerializer):
    options = serializers.ListField(
        child=serializers.CharField(),
        source="option_list",
        help_text="For a `choice` question: the options, one of which is the answer.",
    )

    class Meta:
        model = RequestQuestion
        fields = [
            "id",
            "text",
            "help_text",
            "kind",
            "required",
            "min_value",
            "max_value",
            "options",
        ]


class RequestFormSerializer(serializers.Serializer):
    house_rules = serializers.CharField(help_text="Empty: none. Else `house_rules_accepted`.")
    insurance_required = serializers.BooleanField(
        help_text="Approval waits for an insurance certificate for the event "
        "(POST /bookings/{id}/files/)."
    )
    questions = RequestQuestionSerializer(many=True)

    class Meta:
        ref_name = "SpaceRequestForm"


class SpaceRequestFormApi(APIView):
    """What a request for this space must answer: its questions in order, its house rules (to
    accept) and whether approval waits for the event's insurance certificate."""

    @extend_schema(responses=RequestFormSerializer)
    def get(self, request: Request, pk: int) -> Response:
        space = get_object_or_404(catalogue_spaces(request.user), pk=pk)
        data = {
            "house_rules": space.house_rules,
            "insurance_required": space.insurance_required,
            "questions": request_questions_of(space_id=space.pk),
        }
        return Response(RequestFormSerializer(data).data)


@extend_schema_field(
    {
        "oneOf": [{"type": "boolean"}, {"type": "integer"}, {"type": "string", "maxLength": 500}],
        "description": "yes_no: true/false; number: an integer; text and choice: a string.",
    }
)
class AnswerValueField(serializers.Field):
    """A boolean, an integer or a string; the service checks it against its question."""

    def to_internal_value(self, data: object) -> object:
        if isinstance(data, bool | int):
            return data
        if isinstance(data, str):
            if len(data) > 2000:
                raise serializers.ValidationError(
                    _("Answer in at most %(n)s characters.") % {"n": 500}
                )
            return data
        raise serializers.ValidationError(_("Give a yes/no, a number or a text."))

    def to_representation(self, value: object) -> object:
        return value


class AnswerInputSerializer(serializers.Serializer):
    question = IdField()
    value = AnswerValueField(allow_null=True)


class AnswersInputField(serializers.ListField):
    """The answers of a booking request; a file question is answered by a file sent after the
    request (POST /bookings/{id}/files/)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            child=AnswerInputSerializer(),
            required=False,
            max_length=MAX_QUESTIONS,
            help_text="The answers to the space's questions (GET /spaces/{id}/request-form/).",
            **kwargs,
        )

    def to_internal_value(self, data: object) -> dict[int, object]:
        rows = super().to_internal_value(data)
        answers: dict[int, object] = {}
        for row in rows:
            if row["question"] in answers:
                raise serializers.ValidationError(_("Each question is answered once."))
            answers[row["question"]] = row["value"]
        return answers


class BookingAnswerSerializer(serializers.ModelSerializer):
    question = serializers.IntegerField(
        source="question_id", allow_null=True, help_text="Null once the question was removed."
    )

    class Meta:
        model = BookingAnswer
        fields = ["question", "question_text", "kind", "value"]


class BookingFileSerializer(serializers.ModelSerializer):
    question = serializers.IntegerField(source="question_id", allow_null=True)
    name = serializers.CharField()

    class Meta:
        model = BookingFile
        fields = ["id", "kind", "question", "question_text", "name", "uploaded_at"]


def answers_represented(answers) -> list[dict]:
    return [
        {
            "question": answer.question_id,
            "question_text": answer.question_text,
            "kind": str(answer.kind),
            "value": answer.value,
        }
        for answer in answers
    ]


class BookingFileInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, JPEG or PNG, 10 MB at most.")
    question = IdField(
        required=False,
        allow_null=True,
        help_text="A file question of the space; none: the event's insurance certificate.",
    )


class BookingFileCreateApi(APIView):
    """Attach the event's insurance certificate, or a file question's answer, to a booking you
    see (its organisation's members, its managers), while it is pending or confirmed."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(request=BookingFileInputSerializer, responses={201: BookingFileSerializer})
    def post(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(booking_detail(user=request.user), pk=pk)
        data = BookingFileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = None
        if data.validated_data.get("question") is not None:
            question = RequestQuestion.objects.filter(
                pk=data.validated_data["question"],
                space_id=booking.space_id,
                kind=QuestionKind.FILE,
            ).first()
            if question is None:
                raise serializers.ValidationError(
                    {"question": _("This question asks for no file here.")}
                )
        row = services.booking_file_attach(
            booking=booking,
            actor=request.user,
            upload=data.validated_data["file"],
            question=question,
        )
        return Response(BookingFileSerializer(row).data, status=status.HTTP_201_CREATED)


class BookingFileDetailApi(APIView):
    """DELETE: remove a document from a request still pending (its structure's members: a wrong
    file, to be replaced; 403 for its managers, 400 once decided, 404 for anyone else)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        row = get_object_or_404(booking_files_visible_to(request.user), pk=pk)
        services.booking_file_remove(booking_file=row, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
