import zipfile
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from conversions.models import ExchangeRate

ECB_SAMPLE = (
    "Date,USD,JPY,CYP,CZK,HUF,\n2024-01-05,1.0921,158.23,N/A,24.658,378.93,\n2024-01-04,1.0953,N/A,N/A,24.673,,\n"
)


def _import(tmp_path, text, name="rates.csv"):
    path = tmp_path / name
    path.write_text(text)
    out, err = StringIO(), StringIO()
    call_command("import_rates", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_import_skips_na_empty_cells_trailing_commas_and_retired_currencies(tmp_path):
    out, err = _import(tmp_path, ECB_SAMPLE)
    rates = {(r.date.isoformat(), r.currency): r.rate for r in ExchangeRate.objects.all()}
    assert rates == {
        ("2024-01-05", "USD"): Decimal("1.0921"),
        ("2024-01-05", "JPY"): Decimal("158.23"),
        ("2024-01-05", "CZK"): Decimal("24.658"),
        ("2024-01-05", "HUF"): Decimal("378.93"),
        ("2024-01-04", "USD"): Decimal("1.0953"),
        ("2024-01-04", "CZK"): Decimal("24.673"),
    }
    assert "CYP" in err
    assert "6 new" in out


@pytest.mark.django_db
def test_reimport_is_idempotent_and_changes_only_differing_rates(tmp_path):
    _import(tmp_path, ECB_SAMPLE)
    out, _ = _import(tmp_path, ECB_SAMPLE)
    assert "0 new, 0 changed, 6 unchanged" in out
    out, _ = _import(tmp_path, ECB_SAMPLE.replace("24.658", "24.700"))
    assert "0 new, 1 changed" in out
    assert ExchangeRate.objects.get(currency="CZK", date="2024-01-05").rate == Decimal("24.700")
    assert ExchangeRate.objects.count() == 6


@pytest.mark.django_db
def test_import_reads_the_published_zip(tmp_path):
    archive = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("eurofxref-hist.csv", ECB_SAMPLE)
    call_command("import_rates", str(archive), stdout=StringIO(), stderr=StringIO())
    assert ExchangeRate.objects.count() == 6


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("Day,USD\n2024-01-05,1.1\n", "header"),
        ("Date,USD\n05/01/2024,1.1\n", "Line 2"),
        ("Date,USD\n2024-01-05,1.1\n2024-01-04,abc\n", "Line 3"),
        ("Date,USD\n2024-01-05,-1\n", "positive"),
    ],
)
def test_malformed_files_are_refused_whole(tmp_path, text, message):
    with pytest.raises(CommandError, match=message):
        _import(tmp_path, text)
    assert not ExchangeRate.objects.exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_rates", str(tmp_path / "nope.csv"))


@pytest.mark.django_db
def test_import_enqueues_one_revaluation_per_changed_currency(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        _import(tmp_path, ECB_SAMPLE)
    assert len(callbacks) == 4  # USD, JPY, CZK, HUF
    with django_capture_on_commit_callbacks() as callbacks:
        _import(tmp_path, ECB_SAMPLE.replace("24.658", "24.700"))
    assert len(callbacks) == 1  # only CZK changed


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rate", ["1e400", "1000000000000", "1.123456789", "0.000000001", "1.0000000000000000000000000001"]
)
def test_import_rates_refuses_a_rate_the_database_cannot_hold(tmp_path, rate):
    with pytest.raises(CommandError, match="Line 2"):
        _import(tmp_path, f"Date,USD,CZK\n2024-01-02,1.0956,{rate}\n")

    assert ExchangeRate.objects.count() == 0


@pytest.mark.django_db
def test_import_rates_takes_a_rate_just_inside_the_column(tmp_path):
    _import(tmp_path, "Date,IDR,CZK,USD\n2024-01-02,999999999999.99999999,0.00000001,1.0956000000000\n")

    assert ExchangeRate.objects.count() == 3
