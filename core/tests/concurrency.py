"""Requests that race: each body sent by its own thread and API client, all released at once by a barrier
(real transactions: the tests using it run with ``transaction=True``, on SQLite and on PostgreSQL)."""

import threading

from django.db import connection
from rest_framework.test import APIClient


def requests_at_once(secret: str, method: str, url: str, bodies: list[dict]) -> list:
    """One answer per body, in order: ``(status, JSON body or None, Idempotent-Replayed header)``, or the
    exception a thread met (for the test's assertion to report)."""
    barrier = threading.Barrier(len(bodies))
    answers: list = [None] * len(bodies)

    def worker(index: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        try:
            barrier.wait(timeout=10)
            response = getattr(client, method)(url, bodies[index], format="json")
            data = response.json() if response.content else None
            answers[index] = (response.status_code, data, response.headers.get("Idempotent-Replayed"))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            answers[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers
