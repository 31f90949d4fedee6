"""``external_id`` of campaigns and deliveries: the id the customer's other systems use (≤ 100 characters,
unique per organization when set) through the API, the service, the FilterSet and the admin."""

import pytest
from django.urls import reverse

from conversions.filtersets import CampaignFilterSet, DeliveryFilterSet
from conversions.models import TARGET_EXTERNAL_ID_MAX_LENGTH, Campaign, Delivery
from conversions.services import campaign_create, campaign_update, delivery_create, delivery_update
from conversions.tests.factories import CampaignFactory, DeliveryFactory
from core.exceptions import ConflictError
from core.tests.api_contract import assert_400_on, listed_ids

RESOURCES = [
    pytest.param("/api/v1/campaigns/", Campaign, CampaignFactory, id="campaigns"),
    pytest.param("/api/v1/deliveries/", Delivery, DeliveryFactory, id="deliveries"),
]


def test_the_limit_is_100_characters():
    assert TARGET_EXTERNAL_ID_MAX_LENGTH == 100


@pytest.mark.parametrize(("url", "model", "factory"), RESOURCES)
def test_external_id_is_written_and_read_up_to_100_characters(api, organization, url, model, factory):
    longest = "x" * 100
    created = api.post(url, {"name": "Spring", "external_id": longest}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["data"]["external_id"] == longest
    row_id = created.json()["data"]["id"]
    assert api.get(f"{url}{row_id}/").json()["data"]["external_id"] == longest
    assert model.objects.get(pk=row_id).external_id == longest


@pytest.mark.parametrize(("url", "model", "factory"), RESOURCES)
def test_101_characters_is_a_400_that_stores_nothing(api, organization, url, model, factory):
    response = api.post(url, {"name": "Spring", "external_id": "x" * 101}, format="json")
    assert_400_on(response, "external_id")
    assert not model.objects.exists()
    row = factory(organization=organization, external_id="kept")
    assert_400_on(api.patch(f"{url}{row.pk}/", {"external_id": "y" * 101}, format="json"), "external_id")
    row.refresh_from_db()
    assert row.external_id == "kept"


@pytest.mark.parametrize(("url", "model", "factory"), RESOURCES)
def test_a_duplicate_in_the_same_organization_is_a_409_naming_the_existing_row(api, organization, url, model, factory):
    existing = factory(organization=organization, external_id="33")
    response = api.post(url, {"name": "Copy", "external_id": "33"}, format="json")
    assert response.status_code == 409, response.json()
    error = response.json()["error"]
    assert error["type"] == "conflict"
    assert error["existing_id"] == str(existing.pk)
    assert "external_id '33'" in error["message"]
    assert model.objects.count() == 1

    other = factory(organization=organization, external_id="34")
    response = api.patch(f"{url}{other.pk}/", {"external_id": "33"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["existing_id"] == str(existing.pk)
    other.refresh_from_db()
    assert other.external_id == "34"


@pytest.mark.parametrize(("url", "model", "factory"), RESOURCES)
def test_the_same_external_id_in_another_organization_is_allowed(
    api, organization, other_organization, url, model, factory
):
    factory(organization=other_organization, external_id="33")
    response = api.post(url, {"name": "Mine", "external_id": "33"}, format="json")
    assert response.status_code == 201, response.json()
    assert model.objects.filter(external_id="33").count() == 2


@pytest.mark.parametrize(("url", "model", "factory"), RESOURCES)
def test_unset_is_null_and_many_rows_may_leave_it_unset(api, organization, url, model, factory):
    for body in (
        {"name": "a"},
        {"name": "b", "external_id": None},
        {"name": "c", "external_id": ""},
        {"name": "d", "external_id": "  "},
    ):
        response = api.post(url, body, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["data"]["external_id"] is None
    assert model.objects.filter(external_id__isnull=True).count() == 4


@pytest.mark.parametrize(("url", "model", "factory"), RESOURCES)
def test_a_row_keeps_its_own_external_id_on_update_and_can_clear_it(api, organization, url, model, factory):
    row = factory(organization=organization, external_id="33")
    assert api.patch(f"{url}{row.pk}/", {"external_id": "33", "name": "Renamed"}, format="json").status_code == 200
    cleared = api.patch(f"{url}{row.pk}/", {"external_id": None}, format="json")
    assert cleared.status_code == 200
    assert cleared.json()["data"]["external_id"] is None


@pytest.mark.parametrize(("url", "model", "factory"), RESOURCES)
def test_external_id_filter_is_exact_and_scoped(api, organization, other_organization, url, model, factory):
    mine = factory(organization=organization, external_id="33")
    factory(organization=organization, external_id="333")
    factory(organization=other_organization, external_id="33")
    assert listed_ids(api.get(url, {"external_id": "33"})) == {str(mine.pk)}
    assert listed_ids(api.get(url, {"external_id": "3"})) == set()
    assert listed_ids(api.get(url, {"search": "333"})) != set()


def test_filtersets_filter_by_external_id(organization):
    campaign = CampaignFactory(organization=organization, external_id="c-1")
    CampaignFactory(organization=organization, external_id="c-2")
    delivery = DeliveryFactory(organization=organization, external_id="d-1")
    DeliveryFactory(organization=organization)
    campaigns = CampaignFilterSet({"external_id": "c-1"}, queryset=Campaign.objects.all()).qs
    deliveries = DeliveryFilterSet({"external_id": "d-1"}, queryset=Delivery.objects.all()).qs
    assert list(campaigns) == [campaign]
    assert list(deliveries) == [delivery]


def test_services_refuse_a_taken_external_id_and_trim(organization):
    first = campaign_create(organization=organization, name="a", external_id=" 33 ")
    assert first.external_id == "33"
    with pytest.raises(ConflictError) as raised:
        campaign_create(organization=organization, name="b", external_id="33")
    assert raised.value.existing_id == first.pk
    second = campaign_create(organization=organization, name="b", external_id="34")
    with pytest.raises(ConflictError):
        campaign_update(campaign=second, external_id="33")
    delivery = delivery_create(organization=organization, name="d", external_id="33")  # another model: allowed
    with pytest.raises(ConflictError):
        delivery_create(organization=organization, name="e", external_id="33")
    other = delivery_create(organization=organization, name="e")
    with pytest.raises(ConflictError) as raised:
        delivery_update(delivery=other, external_id="33")
    assert raised.value.existing_id == delivery.pk


def test_admin_searches_and_edits_external_id(admin_a, organization, other_organization):
    # Not a list column (the lists must fit a 1280 px window): found by search, shown and edited on the form.
    CampaignFactory(organization=organization, name="Spring", external_id="ext-spring")
    CampaignFactory(organization=organization, name="Autumn", external_id="ext-autumn")
    CampaignFactory(organization=other_organization, name="Theirs", external_id="ext-spring")
    changelist = reverse("admin:conversions_campaign_changelist")
    found = admin_a.get(changelist, {"q": "ext-spring"}).context["cl"].result_list
    assert [campaign.name for campaign in found] == ["Spring"]
    DeliveryFactory(organization=organization, name="Flow", external_id="ext-flow")
    DeliveryFactory(organization=organization, name="Other flow")
    found = admin_a.get(reverse("admin:conversions_delivery_changelist"), {"q": "ext-flow"}).context["cl"].result_list
    assert [delivery.name for delivery in found] == ["Flow"]
    for obj in (*Campaign.objects.filter(organization=organization), *Delivery.objects.filter(name="Flow")):
        change = admin_a.get(reverse(f"admin:conversions_{obj._meta.model_name}_change", args=[obj.pk]))
        assert 'name="external_id"' in change.content.decode()
        assert f'value="{obj.external_id}"' in change.content.decode()


def test_admin_add_form_refuses_a_taken_external_id_on_the_form(admin_a, organization, other_organization):
    CampaignFactory(organization=other_organization, external_id="33")  # another organization's: no clash
    add = reverse("admin:conversions_campaign_add")
    assert admin_a.post(add, {"name": "First", "status": "draft", "external_id": "33"}).status_code == 302
    response = admin_a.post(add, {"name": "Second", "status": "draft", "external_id": "33"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not Campaign.objects.filter(name="Second").exists()


# --- CSV import and export of campaigns and deliveries, keyed by external_id ---------------------------------------


def _upload(admin_client, organization, model_name, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return admin_client.post(
        reverse(f"admin:conversions_{model_name}_import"),
        {
            "organization": str(organization.pk),
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile(f"{model_name}.csv", text.encode(), content_type="text/csv"),
        },
    )


def _confirm(admin_client, model_name, preview):
    form = preview.context["confirm_form"]
    url = reverse(f"admin:conversions_{model_name}_process_import")
    return admin_client.post(url, {name: form.initial[name] for name in form.initial})


def test_campaign_csv_import_creates_then_updates_by_external_id(admin_a, organization, other_organization):
    CampaignFactory(organization=other_organization, name="Theirs", external_id="33")  # not this import's
    text = "external_id,name,status,language\n33,Offer 33,sent,en\n,No id,draft,\n"
    preview = _upload(admin_a, organization, "campaign", text)
    assert preview.status_code == 200
    assert [row.import_type for row in preview.context["result"].rows] == ["new", "new"]
    assert _confirm(admin_a, "campaign", preview).status_code == 302
    mine = Campaign.objects.get(organization=organization, external_id="33")
    assert (mine.name, mine.status, mine.language) == ("Offer 33", "sent", "en")

    preview = _upload(admin_a, organization, "campaign", "external_id,name,status\n33,Offer 33 renamed,archived\n")
    assert [row.import_type for row in preview.context["result"].rows] == ["update"]
    _confirm(admin_a, "campaign", preview)
    mine.refresh_from_db()
    assert (mine.name, mine.status) == ("Offer 33 renamed", "archived")
    assert Campaign.objects.filter(organization=organization).count() == 2
    assert Campaign.objects.get(organization=other_organization).name == "Theirs"


def test_delivery_csv_import_names_its_campaign_and_refuses_a_too_long_external_id(admin_a, organization):
    campaign = CampaignFactory(organization=organization, external_id="33")
    text = (
        f"external_id,name,kind,campaign_id\n39,Affiliate 39,campaign,{campaign.pk}\n{'x' * 101},Too long,smartflow,\n"
    )
    preview = _upload(admin_a, organization, "delivery", text)
    page = preview.content.decode()
    assert "confirm_form" not in preview.context
    assert "at most 100 characters" in page
    assert not Delivery.objects.exists()
    preview = _upload(admin_a, organization, "delivery", text.rsplit("\n", 2)[0] + "\n")
    _confirm(admin_a, "delivery", preview)
    delivery = Delivery.objects.get(external_id="39")
    assert (delivery.name, delivery.kind, delivery.campaign) == ("Affiliate 39", "campaign", campaign)


def test_campaign_and_delivery_csv_export_has_the_external_id_column(admin_a, organization):
    campaign = CampaignFactory(organization=organization, name="Offer", external_id="33")
    delivery = DeliveryFactory(organization=organization, name="Affiliate", campaign=campaign, external_id="39")
    for model_name, row in (("campaign", campaign), ("delivery", delivery)):
        exported = admin_a.post(
            reverse(f"admin:conversions_{model_name}_changelist"),
            {"action": "export_selected_csv", "_selected_action": [str(row.pk)]},
        ).content.decode()
        header, line = exported.splitlines()[:2]
        assert header.split(",")[:3] == ["id", "external_id", "name"]
        assert line.split(",")[1] == row.external_id
