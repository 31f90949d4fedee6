"""The API's JSON parser."""

import codecs
import math
import re

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

_NON_ZERO_DIGIT = re.compile(r"[1-9]")
_LITERAL_SHOWN = 40  # characters of a refused number echoed in the message


def _shown(literal: str) -> str:
    return literal if len(literal) <= _LITERAL_SHOWN else literal[:_LITERAL_SHOWN] + "…"


def finite_float(literal: str) -> float:
    """A JSON number with a fraction or an exponent, as a float, unless the float cannot hold it.

    Python reads ``1e400`` as infinity and ``1e-400`` as 0.0: either would be stored as something the client never
    sent (``revenue: 1e-400`` as 0.00), so both are refused. A literal zero (``0.0``, ``0e-400``) stays 0.0.
    """
    value = float(literal)
    if math.isinf(value):
        raise ValueError(f"the number {_shown(literal)} is too large")
    if value == 0.0 and _NON_ZERO_DIGIT.search(literal.lower().partition("e")[0]):
        raise ValueError(f"the number {_shown(literal)} is too small to be told from 0")
    return value


def refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, stricter on numbers and depth. Every refusal is a 400 like malformed JSON, never a 500:

    - a number a float cannot hold (``1e400``, ``1e-400``) or the non-JSON ``NaN``/``Infinity``;
    - a document nested too deeply for the decoder.

    Other numbers are read as usual: integers as ``int``, the rest as ``float`` (metadata numbers stay numbers).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.load(
                codecs.getreader(encoding)(stream), parse_float=finite_float, parse_constant=refuse_constant
            )
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
