"""Building and sending one delivery's HTTP request. No database writes here: ``webhooks.services`` records
what happened.

- ``webhook``: ``POST`` of ``{"id", "type", "timestamp", "data"}`` with the Standard Webhooks headers.
- ``postback``: ``GET`` of the endpoint's URL template with its macros filled from the event (URL-encoded);
  it carries the same headers, so a receiver that wants to can verify it too (the signed body is empty).

Every request: 10 s timeout, redirects not followed, at most 64 KB of the answer read, the URL checked against
the address rules right before it is sent (``webhooks.addresses``).
"""

import json
import re
import time
from dataclasses import dataclass
from urllib.parse import quote

import requests

from .addresses import UrlRefused, url_check_at_send
from .models import WEBHOOK_RESPONSE_MAX_BYTES

REQUEST_TIMEOUT_SECONDS = 10
USER_AGENT = "conversion-management-webhooks/1"

POSTBACK_MACROS = (
    "conversion_id", "order_id", "revenue", "currency", "count", "status", "campaign_id", "delivery_id",
    "external_id", "coupon_code",
)  # fmt: skip
MACRO_PATTERN = re.compile(r"\{([^{}]*)\}")


def template_problems(template: str) -> list[str]:
    """Unknown macros of a postback template (``{metadata.KEY}`` takes any non-empty key)."""
    unknown = [
        name
        for name in MACRO_PATTERN.findall(template)
        if name not in POSTBACK_MACROS and not (name.startswith("metadata.") and len(name) > len("metadata."))
    ]
    if unknown:
        return [f"Unknown macro(s): {', '.join('{' + name + '}' for name in unknown)}."]
    return []


def template_sample(template: str) -> str:
    """The template with every macro replaced by a harmless value, to check the URL around them."""
    return MACRO_PATTERN.sub("x", template)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def macro_values(event_type: str, payload: dict) -> dict[str, str]:
    """The macros' values for an event. ``external_id`` is the campaign's or delivery's own id in the sender's
    system; campaigns and deliveries do not have one yet, so it renders empty until the resource carries it."""
    data = payload if isinstance(payload, dict) else {}
    is_conversion = event_type.startswith("conversion.")
    values = {
        "conversion_id": data.get("id") if is_conversion else data.get("conversion_id"),
        "order_id": data.get("order_id"),
        "revenue": data.get("revenue"),
        "currency": data.get("currency"),
        "count": data.get("count"),
        "status": data.get("status"),
        "campaign_id": data.get("campaign_id"),
        "delivery_id": data.get("delivery_id"),
        "external_id": data.get("delivery_external_id") or data.get("campaign_external_id"),
        "coupon_code": data.get("coupon_code"),
    }
    return {name: _text(value) for name, value in values.items()}


def postback_url(template: str, event_type: str, payload: dict) -> str:
    values = macro_values(event_type, payload)
    metadata = payload.get("metadata") if isinstance(payload, dict) else None
    metadata = metadata if isinstance(metadata, dict) else {}

    def fill(match: re.Match) -> str:
        name = match.group(1)
        value = _text(metadata.get(name[len("metadata.") :])) if name.startswith("metadata.") else values.get(name, "")
        return quote(value, safe="")

    return MACRO_PATTERN.sub(fill, template)


@dataclass
class OutgoingRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Outcome:
    status_code: int | None = None
    latency_ms: int | None = None
    response_body: str = ""
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def event_body(*, event_id: str, event_type: str, timestamp: str, payload: dict) -> bytes:
    return json.dumps(
        {"id": event_id, "type": event_type, "timestamp": timestamp, "data": payload}, separators=(",", ":")
    ).encode()


def perform(request: OutgoingRequest) -> Outcome:
    """Send one request; never raises for what a receiver or the network does (that is an ``Outcome``)."""
    started = time.monotonic()
    try:
        url_check_at_send(request.url)
    except UrlRefused as error:
        return Outcome(error=f"Refused: {error}")
    try:
        with requests.request(
            request.method,
            request.url,
            data=request.body or None,
            headers=request.headers,
            timeout=REQUEST_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        ) as response:
            body = response.raw.read(WEBHOOK_RESPONSE_MAX_BYTES, decode_content=True) or b""
            status = response.status_code
    except requests.Timeout:
        return Outcome(latency_ms=_elapsed_ms(started), error=f"Timed out after {REQUEST_TIMEOUT_SECONDS} s.")
    except (requests.RequestException, OSError) as error:
        return Outcome(latency_ms=_elapsed_ms(started), error=f"Connection failed: {type(error).__name__}: {error}")
    return Outcome(
        status_code=status, latency_ms=_elapsed_ms(started), response_body=body.decode("utf-8", errors="replace")
    )


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
