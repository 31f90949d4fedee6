import pytest

from webhooks.tests.receiver import start_receiver


@pytest.fixture
def receiver(settings):
    """A loopback receiver that answers 200; tests change ``receiver.statuses`` for another script."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = start_receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()
