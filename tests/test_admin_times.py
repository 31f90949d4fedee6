"""Admin forms never change a time they did not edit: every model, in a zone east (Europe/Prague) and west
(America/New_York) of UTC, through the whole request → render → post cycle a browser goes through."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from accounts.services import api_key_create, organization_create, user_create_staff
from contacts.services import contact_create
from conversions import services
from conversions.models import Conversion

ZONES = ["Europe/Prague", "America/New_York"]
# Sub-seconds, in the repeated hour of autumn in both zones' years and a plain summer time.
TIMES = [
    datetime(2024, 7, 2, 22, 11, 34, 380000, tzinfo=UTC),
    datetime(2024, 10, 27, 1, 30, 5, 250000, tzinfo=UTC),  # Prague: 02:30:05.25 CET, the second 02:30
    datetime(2024, 11, 3, 6, 15, 0, 1, tzinfo=UTC),  # New York: 01:15:00.000001 EST, the second 01:15
]


class FormValues(HTMLParser):
    """What a browser would submit for the change form: inputs, checked boxes, selected options, text areas."""

    def __init__(self):
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select = None
        self._textarea = None
        self._selected_seen = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in ("submit", "button", "file"):
            if attributes.get("type") in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.values.append((name, attributes.get("value", "on" if attributes.get("type") == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._selected_seen = name, False
        elif tag == "option" and self._select and "selected" in attributes:
            self.values.append((self._select, attributes.get("value", "")))
            self._selected_seen = True
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.values.append((self._textarea[0], self._textarea[1].lstrip("\n")))
            self._textarea = None


def _form_values(html: str) -> dict:
    parser = FormValues()
    parser.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in parser.values:
        data.setdefault(name, []).append(value)
    data.pop("csrfmiddlewaretoken", None)
    return {name: values if len(values) > 1 else values[0] for name, values in data.items()}


def _stored(instance) -> dict:
    fresh = type(instance).objects.get(pk=instance.pk)
    return {field.attname: getattr(fresh, field.attname) for field in fresh._meta.concrete_fields}


def _history_count(instance) -> int:
    return instance.history.count() if hasattr(instance, "history") else 0


def _save_unchanged(client: Client, instance) -> bool:
    """Open the change form and save it as shown; ``False`` when the user may only view it (no Save button)."""
    opts = instance._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
    page = client.get(url)
    assert page.status_code == 200
    if 'name="_save"' not in page.content.decode():
        return False
    response = client.post(url, {**_form_values(page.content.decode()), "_save": "Save"})
    assert response.status_code == 302, response.content.decode()[:3000]
    return True


@pytest.fixture(params=ZONES)
def setup(request, db):
    zone = request.param
    organization = organization_create(slug="zoned", name="Zoned", reference_currency="EUR", timezone_name=zone)
    staff = user_create_staff(username="zoned-staff", password="pw", organization=organization)
    client = Client()
    client.force_login(staff)
    return organization, client


def _rows(organization, moment, tag: str = ""):
    contact = contact_create(organization=organization, email=f"times{tag}@example.test", country="CZ")
    campaign = services.campaign_create(organization=organization, name="Summer", sent_at=moment)
    delivery = services.delivery_create(organization=organization, name="Flow", campaign=campaign)
    touchpoint = services.touchpoint_create(
        organization=organization, contact=contact, delivery=delivery, kind="click", occurred_at=moment
    )
    conversion, _ = services.conversion_create(
        organization=organization,
        contact=contact,
        revenue=Decimal("10.50"),
        order_id=f"T-1{tag}",
        converted_at=moment + timedelta(minutes=5),
        metadata={"a": 1},
    )
    rate, _ = services.exchange_rate_set(currency="USD", on_date=moment.date(), rate=Decimal("1.0811"))
    api_key, _ = api_key_create(organization=organization, name=f"zoned{tag}")
    membership = Membership.objects.get(organization=organization)
    return [organization, contact, campaign, delivery, touchpoint, conversion, api_key, membership, rate]


@pytest.mark.parametrize("moment", TIMES, ids=["summer", "prague-repeated-hour", "new-york-repeated-hour"])
def test_saving_any_change_form_unchanged_changes_nothing(setup, moment):
    organization, client = setup
    saved = []
    for instance in _rows(organization, moment):
        before, history = _stored(instance), _history_count(instance)
        if _save_unchanged(client, instance):
            saved.append(type(instance).__name__)
        assert _stored(instance) == before, type(instance).__name__
        assert _history_count(instance) == history, type(instance).__name__
    # Members edit these; memberships, keys and the shared exchange rates are view-only for them.
    assert saved == ["Organization", "Contact", "Campaign", "Delivery", "Touchpoint", "Conversion", "ApiKey"]


def test_a_superuser_saves_an_exchange_rate_unchanged(db):
    user_create_staff(username="root", password="pw", superuser=True)
    client = Client()
    client.login(username="root", password="pw")
    rate, _ = services.exchange_rate_set(currency="USD", on_date=TIMES[0].date(), rate=Decimal("1.0811"))
    before = _stored(rate)
    _save_unchanged(client, rate)
    assert _stored(rate) == before


def test_the_form_shows_the_organizations_time_with_seconds_fraction_and_zone(setup):
    organization, client = setup
    conversion = _rows(organization, TIMES[0])[5]
    page = client.get(reverse("admin:conversions_conversion_change", args=[conversion.pk])).content.decode()
    local = conversion.converted_at.astimezone(organization.zone)
    assert f'value="{local:%Y-%m-%d}"' in page
    assert f'value="{local:%H:%M:%S}.38"' in page
    assert f"Time zone: {organization.timezone}." in page


def _edit_converted_at(client, conversion, day: str, time: str):
    url = reverse("admin:conversions_conversion_change", args=[conversion.pk])
    values = _form_values(client.get(url).content.decode())
    values["converted_at_0"], values["converted_at_1"] = day, time
    return client.post(url, {**values, "_save": "Save"})


def test_an_edit_across_the_spring_gap_moves_by_exactly_the_hours_that_passed(db):
    organization = organization_create(slug="p", name="P", reference_currency="EUR", timezone_name="Europe/Prague")
    staff = user_create_staff(username="p-staff", password="pw", organization=organization)
    client = Client()
    client.force_login(staff)
    before = datetime(2024, 3, 31, 0, 30, tzinfo=UTC)  # 01:30 CET, half an hour before the clocks jump
    conversion, _ = services.conversion_create(organization=organization, revenue=Decimal("1.00"), converted_at=before)
    response = _edit_converted_at(client, conversion, "2024-03-31", "03:30:00")  # 03:30 CEST
    assert response.status_code == 302
    assert Conversion.objects.get(pk=conversion.pk).converted_at == before + timedelta(hours=1)


def test_an_edited_time_in_the_spring_gap_is_a_form_error(db):
    organization = organization_create(slug="g", name="G", reference_currency="EUR", timezone_name="Europe/Prague")
    staff = user_create_staff(username="g-staff", password="pw", organization=organization)
    client = Client()
    client.force_login(staff)
    moment = datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    conversion, _ = services.conversion_create(organization=organization, revenue=Decimal("1.00"), converted_at=moment)
    response = _edit_converted_at(client, conversion, "2024-03-31", "02:30:00")  # does not exist in Prague
    assert response.status_code == 200
    assert "converted_at" in response.context["adminform"].form.errors
    assert Conversion.objects.get(pk=conversion.pk).converted_at == moment
