"""The API's JSON renderer: DRF's, with orjson doing the encoding.

Same bytes as `rest_framework.renderers.JSONRenderer` with this project's settings (compact,
UTF-8, U+2028 and U+2029 escaped), about ten times faster on a page of 50 spaces (0.76 →
0.08 ms; docs/benchmarks.md, "Load"). Values orjson does not write the way DRF does (dates and
times: DRF writes UTC as "Z"; Decimal, lazy translations, querysets…) go through DRF's own
encoder; what orjson refuses (integers beyond 64 bits, keys that are not strings) and indented
output (`Accept: application/json; indent=4`) are rendered by DRF itself. One difference: a NaN
or infinite float is written as null, where DRF's strict mode raised an error (a 500).
"""

import orjson
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer
from rest_framework.utils.encoders import JSONEncoder

OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# What DRF escapes after encoding, so that the JSON is also a JavaScript literal.
LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class JSONRenderer(DrfJSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if not self.compact or self.ensure_ascii:
            return super().render(data, accepted_media_type, renderer_context)
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=JSONEncoder().default, option=OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        for character, escaped in LINE_SEPARATORS:
            if character in rendered:
                rendered = rendered.replace(character, escaped)
        return rendered
