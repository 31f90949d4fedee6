"""The API's JSON renderer."""

from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer that never fails on a lone surrogate.

    A client may send one as a ``\\ud800`` escape (valid JSON, but not UTF-8-encodable) in a field name or value
    that an error message then echoes; such an answer is written with ``\\u`` escapes instead of crashing.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True  # a renderer instance serves one response
            return super().render(data, accepted_media_type, renderer_context)
