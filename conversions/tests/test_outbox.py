"""Follow-up work goes through the transactional outbox: a broker that refuses messages makes no request fail
after its commit, loses no work, and the work runs once the broker is back (the beat task sends what is left)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from celery import Task
from django.utils import timezone
from kombu.exceptions import OperationalError

from contacts.services import contact_create
from conversions import services
from core.models import FollowUp
from core.outbox import follow_ups_dispatch
from core.tasks import follow_ups_dispatch_task


@pytest.fixture
def broker_down(monkeypatch):
    """Every message published while this is active is refused, as with a Redis that is stopped."""
    state = {"down": True}
    original = Task.apply_async

    def apply_async(self, *args, **kwargs):
        if state["down"]:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Task, "apply_async", apply_async)
    return state


def _credited_revenue(conversion) -> Decimal:
    return sum((row.revenue for row in conversion.attributions.all()), Decimal(0))


def test_a_late_touchpoint_during_a_broker_outage_is_committed_answered_and_credited_later(
    api, organization, broker_down, django_capture_on_commit_callbacks
):
    contact = contact_create(organization=organization, email="late@example.test")
    campaign = services.campaign_create(organization=organization, name="Late")
    converted_at = timezone.now() - timedelta(hours=1)
    conversion, _ = services.conversion_create(
        organization=organization, contact=contact, revenue=Decimal("20.00"), converted_at=converted_at
    )
    body = {
        "contact_id": str(contact.pk),
        "campaign_id": str(campaign.pk),
        "kind": "click",
        "occurred_at": (converted_at - timedelta(minutes=5)).isoformat(),
    }
    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        response = api.post("/api/v1/touchpoints/", body, format="json")
    assert len(after_commit) == 1  # the attempt to send right after the commit ran, and was refused

    assert response.status_code == 201  # committed, and answered as committed
    assert FollowUp.objects.count() == 1  # the re-attribution is waiting, not lost
    assert _credited_revenue(conversion) == 0

    assert follow_ups_dispatch() == 0  # still down: nothing sent, nothing dropped
    follow_up = FollowUp.objects.get()
    assert follow_up.attempts == 2 and "Connection refused" in follow_up.last_error

    broker_down["down"] = False
    assert follow_ups_dispatch_task.delay().get() == 1  # the beat task, once the broker is back
    assert not FollowUp.objects.exists()
    assert _credited_revenue(conversion) == Decimal("20.00")


def test_a_follow_up_of_rolled_back_work_never_exists(organization):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.exchange_rate_set(currency="USD", on_date=timezone.localdate(), rate=Decimal("1.1"))
        assert FollowUp.objects.count() == 1
        raise RuntimeError("rolled back")
    assert not FollowUp.objects.exists()


def test_follow_ups_are_sent_oldest_first_and_a_refusal_keeps_the_rest(organization, broker_down):
    for day in range(3):
        services.exchange_rate_set(
            currency="USD", on_date=timezone.localdate() - timedelta(days=day), rate=Decimal("1.1")
        )
    assert FollowUp.objects.count() == 3
    broker_down["down"] = False
    assert follow_ups_dispatch(limit=2) == 2
    assert FollowUp.objects.count() == 1


@pytest.fixture
def broker_loses_messages(monkeypatch):
    """The broker takes every message and then loses it, as a Redis restarted without its data does."""
    lost = []
    monkeypatch.setattr(Task, "apply_async", lambda self, *args, **kwargs: lost.append((self.name, kwargs)))
    return lost


def _late_click(organization):
    contact = contact_create(organization=organization, email="lost@example.test")
    campaign = services.campaign_create(organization=organization, name="Lost")
    converted_at = timezone.now() - timedelta(hours=1)
    conversion, _ = services.conversion_create(
        organization=organization, contact=contact, revenue="30.00", converted_at=converted_at
    )
    services.touchpoint_create(
        organization=organization,
        contact=contact,
        campaign=campaign,
        kind="click",
        occurred_at=converted_at - timedelta(minutes=5),
    )
    return conversion


def test_a_follow_up_the_broker_lost_is_sent_again_after_the_lease_and_deleted_when_its_task_succeeds(
    organization, broker_loses_messages, monkeypatch, settings
):
    settings.FOLLOW_UP_LEASE_SECONDS = 60
    conversion = _late_click(organization)  # on_commit does not run inside the test's transaction
    assert follow_ups_dispatch() == 1
    follow_up = FollowUp.objects.get()
    assert follow_up.sends == 1 and follow_up.sent_at is not None  # taken by the broker, not yet finished
    assert broker_loses_messages[0][1]["headers"] == {"follow_up_id": follow_up.pk}

    assert follow_ups_dispatch() == 0  # within the lease: the message may still be queued
    FollowUp.objects.update(sent_at=timezone.now() - timedelta(seconds=59))
    assert follow_ups_dispatch() == 0  # just inside the lease
    FollowUp.objects.update(sent_at=timezone.now() - timedelta(seconds=61))

    monkeypatch.undo()  # the broker works again: the task runs (eagerly here) and deletes its follow-up
    assert follow_ups_dispatch() == 1
    assert not FollowUp.objects.exists()
    assert _credited_revenue(conversion) == Decimal("30.00")


def test_a_follow_up_sent_the_maximum_number_of_times_is_kept_but_no_longer_sent(
    organization, broker_loses_messages, settings
):
    from core.outbox import FOLLOW_UP_MAX_SENDS

    settings.FOLLOW_UP_LEASE_SECONDS = 0
    _late_click(organization)
    FollowUp.objects.update(sends=FOLLOW_UP_MAX_SENDS - 1)
    assert follow_ups_dispatch() == 1  # the last allowed send
    assert follow_ups_dispatch() == 0
    assert FollowUp.objects.get().sends == FOLLOW_UP_MAX_SENDS  # kept, for staff to see


def test_a_worker_deletes_the_follow_up_named_in_the_message_header(organization):
    from types import SimpleNamespace

    from core.outbox import follow_up_done

    _late_click(organization)
    follow_up = FollowUp.objects.get()
    follow_up_done(SimpleNamespace(headers=None))  # a task sent without the header (beat): nothing to delete
    assert FollowUp.objects.filter(pk=follow_up.pk).exists()
    follow_up_done(SimpleNamespace(follow_up_id=follow_up.pk, headers=None))  # as a worker's request carries it
    assert not FollowUp.objects.exists()
