"""The worker survives an acknowledgement on a connection that is gone (config/kombu_patches.py)."""

import logging

import pytest
from kombu.message import Message

from config import kombu_patches

CONNECTION_ERRORS = (ConnectionError,)


class _ReleasedChannel:
    """A Redis channel whose connection was released while the task ran, as kombu 5.7 leaves it."""

    no_ack_consumers = None

    def basic_ack(self, delivery_tag, multiple=False):
        raise AttributeError("'NoneType' object has no attribute 'hostname'")

    def basic_reject(self, delivery_tag, requeue=False):
        raise AttributeError("'NoneType' object has no attribute 'client'")


def _message():
    return Message(body=b"{}", delivery_tag="tag-1", channel=_ReleasedChannel())


def test_the_patch_is_applied_when_the_celery_app_is_loaded():
    import config.celery  # noqa: F401 - the import applies it

    assert Message.ack_log_error is kombu_patches.ack_log_error
    assert Message.reject_log_error is kombu_patches.reject_log_error


@pytest.mark.parametrize("method", ["ack_log_error", "reject_log_error"])
def test_an_ack_or_reject_on_a_released_connection_is_logged_not_raised(method, caplog):
    logger = logging.getLogger("celery.test")
    with caplog.at_level(logging.CRITICAL, logger="celery.test"):
        getattr(_message(), method)(logger, CONNECTION_ERRORS)
    assert "tag-1" in caplog.text and "NoneType" in caplog.text


def test_without_the_patch_the_same_ack_escapes_and_would_stop_the_worker():
    with pytest.raises(AttributeError):
        kombu_patches._ack_log_error(_message(), logging.getLogger("celery.test"), CONNECTION_ERRORS)


def test_other_errors_still_escape():
    class _Broken(_ReleasedChannel):
        def basic_ack(self, delivery_tag, multiple=False):
            raise ValueError("not a lost connection")

    with pytest.raises(ValueError):
        Message(body=b"{}", delivery_tag="t", channel=_Broken()).ack_log_error(
            logging.getLogger("celery.test"), CONNECTION_ERRORS
        )


def test_a_restore_of_unacked_messages_on_a_released_connection_is_logged_not_raised(caplog):
    from types import SimpleNamespace

    from kombu.transport import redis

    class _Released:
        def conn_or_acquire(self, client=None):
            raise AttributeError("'NoneType' object has no attribute 'hostname'")

    qos = SimpleNamespace(channel=_Released(), _delivered={"tag-1": object()})
    assert redis.QoS.restore_unacked is kombu_patches.restore_unacked
    with caplog.at_level(logging.WARNING, logger="config.kombu_patches"):
        redis.QoS.restore_unacked(qos)
    assert "1 unacknowledged message(s)" in caplog.text
    with pytest.raises(AttributeError):
        kombu_patches._restore_unacked(qos)
