"""A worker that survives the broker coming back: work around kombu's ack on a connection that is gone.

With late acknowledgement (``CELERY_TASK_ACKS_LATE``), a task that finishes while the worker's connection to
Redis is being re-established acknowledges its message on a channel whose connection was already released. kombu
5.7's Redis transport then raises ``AttributeError`` (``'NoneType' object has no attribute 'hostname'`` or
``... 'client'``) instead of a connection error; ``Message.ack_log_error`` lets it through, the consumer calls it
an "Unrecoverable error" and the worker exits. Reproduced by the chaos suite (Redis stopped for 30 s while tasks
run), a known upstream class of bug.

Nothing is lost by not acknowledging such a message: on connection loss the worker restores its unacknowledged
messages to the queue (``Restoring N unacknowledged message(s)``), or the broker's visibility timeout does, and the
task runs again (every task is idempotent). So an ``AttributeError`` from the ack or reject of a message is logged
like kombu's own "Couldn't ack" connection errors, and the worker goes on to reconnect.

The same released connection breaks the channel's close on connection loss: it tries to put the worker's
unacknowledged messages back (``QoS.restore_unacked``) through a connection that is gone, and the same
``AttributeError`` escapes ``ignore_errors`` and stops the worker. There the messages stay in Redis's unacked set
and the visibility timeout restores them (and if Redis lost them, the outbox sends their follow-ups again after
its lease), so the failed restore is logged and the close goes on.
"""

import logging

from kombu.message import Message
from kombu.transport import redis

logger = logging.getLogger(__name__)

_ack_log_error = Message.ack_log_error
_reject_log_error = Message.reject_log_error
_restore_unacked = redis.QoS.restore_unacked


def _and_lost_connection(errors):
    return (*errors, AttributeError) if isinstance(errors, tuple) else (errors, AttributeError)


def ack_log_error(self, logger, errors, multiple=False):
    return _ack_log_error(self, logger, _and_lost_connection(errors), multiple=multiple)


def reject_log_error(self, logger, errors, requeue=False):
    return _reject_log_error(self, logger, _and_lost_connection(errors), requeue=requeue)


def restore_unacked(self, client=None):
    try:
        return _restore_unacked(self, client)
    except AttributeError as error:
        logger.warning(
            "Could not put %d unacknowledged message(s) back on a released connection (%r); the visibility timeout "
            "will.",
            len(self._delivered),
            error,
        )
        return None


def apply() -> None:
    Message.ack_log_error = ack_log_error
    Message.reject_log_error = reject_log_error
    redis.QoS.restore_unacked = restore_unacked
