"""A paginated list with its nested foreign key, and a create whose overlap answers 409."""

from django.db import IntegrityError, transaction
from psycopg.types.range import Range
from rest_framework import generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from bench.load.bare.rooms.models import Reservation, Room


class RoomSerializer(serializers.ModelSerializer):
    class Meta:
        model = Room
        fields = ["id", "name", "capacity"]


class ReservationSerializer(serializers.ModelSerializer):
    room = RoomSerializer(read_only=True)
    start = serializers.DateTimeField(source="period.lower", read_only=True)
    end = serializers.DateTimeField(source="period.upper", read_only=True)

    class Meta:
        model = Reservation
        fields = ["id", "room", "title", "start", "end", "created_at"]


class ReservationInputSerializer(serializers.Serializer):
    room = serializers.PrimaryKeyRelatedField(queryset=Room.objects.all())
    title = serializers.CharField(max_length=200)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["The end must follow the start."]})
        return attrs


class Page(PageNumberPagination):
    page_size = 50


class ReservationListCreate(generics.ListAPIView):
    queryset = Reservation.objects.select_related("room").order_by("period", "id")
    serializer_class = ReservationSerializer
    pagination_class = Page

    def post(self, request):
        data = ReservationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            with transaction.atomic():
                reservation = Reservation.objects.create(
                    room=values["room"],
                    title=values["title"],
                    period=Range(values["start"], values["end"], "[)"),
                )
        except IntegrityError:
            return Response({"detail": "This room is taken then."}, status=status.HTTP_409_CONFLICT)
        return Response(ReservationSerializer(reservation).data, status=status.HTTP_201_CREATED)
