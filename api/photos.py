"""Photos of a site or of its spaces, for those who manage the site: upload (multipart) and
delete, through `spaces.services.photo_add` and `photo_delete` as the photos page does. The
service re-encodes the image (JPEG, PNG or WebP, 5 MB and 40 megapixels at most, metadata
dropped); anything else is a 400 on `image`.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import IdField, SingleLineField
from spaces import services
from spaces.models import Photo
from spaces.selectors import photos_manageable_by, sites_manageable_by


class PhotoOutputSerializer(serializers.ModelSerializer):
    site = serializers.IntegerField(source="site_id")
    space = serializers.IntegerField(
        source="space_id", allow_null=True, help_text="The space shown; null: the building."
    )
    url = serializers.CharField(source="image.url")
    alt = serializers.CharField(source="alt_text")

    class Meta:
        model = Photo
        fields = ["id", "site", "space", "url", "alt"]


class PhotoInputSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG or WebP, 5 MB and 40 megapixels at most.")
    alt_text = SingleLineField(
        max_length=Photo._meta.get_field("alt_text").max_length,
        help_text="What the photo shows, for people who cannot see it.",
    )
    space = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A space of the site the photo shows; absent: the building as a whole.",
    )

    class Meta:
        ref_name = "PhotoInput"


class SitePhotoCreateApi(APIView):
    """POST (multipart/form-data): add a photo of a site you manage, or of one of its spaces."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(request=PhotoInputSerializer, responses={201: PhotoOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
        data = PhotoInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        space = None
        if values["space"] is not None:
            space = site.spaces.filter(pk=values["space"]).first()
            if space is None:
                raise DrfValidationError({"space": [_("This space does not exist.")]})
        photo = services.photo_add(
            site=site,
            actor=request.user,
            upload=values["image"],
            alt_text=values["alt_text"],
            space=space,
        )
        return Response(PhotoOutputSerializer(photo).data, status=status.HTTP_201_CREATED)


class PhotoDetailApi(APIView):
    """DELETE: remove a photo of a site you manage (its file goes once that is committed)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        photo = get_object_or_404(photos_manageable_by(request.user), pk=pk)
        services.photo_delete(photo=photo, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
