"""Helpers for admin tests of every app: posting change forms, counting the queries of a changelist."""

from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def management_form(prefix: str) -> dict:
    """The management form of an (empty, read-only) inline, which every change-form POST carries."""
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "0",
    }


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def changelist_query_counts(client, model, monkeypatch, page_sizes=(1, 50)) -> list[int]:
    """The number of queries the changelist of ``model`` runs at each page size (its admin's ``list_per_page``).

    A first request is made before counting: the session's first page may write what later ones do not."""
    model_admin = admin.site._registry[model]
    url = changelist_url(model)
    client.get(url)
    counts = []
    for size in page_sizes:
        monkeypatch.setattr(model_admin, "list_per_page", size)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (model, size, response.status_code)
        counts.append(len(queries.captured_queries))
    return counts
