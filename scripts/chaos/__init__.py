"""The chaos suite (`make chaos`): the product under PATCH storms, a Redis outage, a SIGKILLed worker and a
PostgreSQL restart, over real HTTP against gunicorn, a Celery worker and beat, then exact checks recounted in SQL.

Loopback only; its own database ``chaos_<pid>`` on the server of DATABASE_URL, dropped at the end.
See docs/operations.md ("Chaos suite") and ``python -m scripts.chaos --help``.
"""
