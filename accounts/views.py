"""The admin login's lockout page (django-axes calls ``lockout_response``, the ``AXES_LOCKOUT_CALLABLE``)."""

import math

from axes.helpers import get_client_username
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render


def lockout_response(request, original_response=None, credentials=None):
    """429 with the admin's look and a ``Retry-After`` of the whole cool-off."""
    cooloff_seconds = settings.AXES_COOLOFF_TIME.total_seconds()
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed logins",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": math.ceil(cooloff_seconds / 60),
        "username": get_client_username(request, credentials) or "",
    }
    response = render(request, "accounts/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
    response["Retry-After"] = str(math.ceil(cooloff_seconds))
    return response
