"""A JSON parser that refuses bodies nested too deeply or too large, before decoding them.

Python's decoder recurses once per level: a body nested 100,000 levels deep raised
RecursionError (a 500), and one a few hundred levels deep would still reach serializers, JSON
columns and `json.dumps` later. No request of this API nests more than a few levels.
"""

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils.json import strict_constant

from core.validators import MAX_JSON_DEPTH, json_depth_exceeds


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def body_limit() -> int:
    """The largest body read: the request body cap where it is set, else Django's own."""
    return getattr(settings, "REQUEST_BODY_MAX_BYTES", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with a depth limit and a size limit, and French error messages.

    DRF reads the body from the request stream, not through `request.body`, so Django's
    `DATA_UPLOAD_MAX_MEMORY_SIZE` never applies; the middleware refuses a large
    Content-Length, and the parser itself never reads more than the cap.
    """

    max_depth = MAX_JSON_DEPTH

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: dict | None = None
    ) -> Any:
        encoding = get_encoding(parser_context or {})
        limit = body_limit()
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise BodyTooLarge(
                _("The data sent is too large (at most %(size)s MB).")
                % {"size": f"{round(limit / (1024 * 1024), 1):g}"}
            )
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(
                _("The request body is not valid text in %(encoding)s.") % {"encoding": encoding}
            ) from exc
        if json_depth_exceeds(text, self.max_depth):
            raise ParseError(
                _("The JSON body is nested too deeply (at most %(depth)s levels).")
                % {"depth": self.max_depth}
            )
        try:
            return json.loads(text, parse_constant=strict_constant if self.strict else None)
        except json.JSONDecodeError as exc:
            raise ParseError(
                _("The request body is not valid JSON (line %(line)s, column %(column)s).")
                % {"line": exc.lineno, "column": exc.colno}
            ) from exc
        except (ValueError, RecursionError) as exc:
            # NaN and Infinity (strict mode); RecursionError cannot happen within the depth
            # limit, but a 400 is the right answer whatever the decoder says.
            raise ParseError(_("The request body is not valid JSON.")) from exc
