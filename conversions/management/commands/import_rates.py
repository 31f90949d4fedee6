import io
import zipfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from conversions.rates import RateFileError, parse_ecb_history
from conversions.services import exchange_rates_import


class Command(BaseCommand):
    help = (
        "Import exchange rates (units per 1 EUR) from the ECB history CSV (Date,USD,JPY,...; N/A cells allowed), "
        "or the zip it is published in, in one transaction. Idempotent: re-importing changes only rates that differ. "
        "Conversions whose reference amounts change are revalued in the background."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to eurofxref-hist.csv (or .zip).")

    def _lines(self, path: Path):
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                name = next((n for n in archive.namelist() if n.lower().endswith(".csv")), None)
                if name is None:
                    raise CommandError(f"{path} holds no .csv file.")
                return io.TextIOWrapper(io.BytesIO(archive.read(name)), encoding="utf-8-sig").read().splitlines()
        return path.read_text(encoding="utf-8-sig").splitlines()

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            rows, warnings = parse_ecb_history(self._lines(path))
        except (RateFileError, UnicodeDecodeError, zipfile.BadZipFile) as error:
            raise CommandError(f"{path}: {error}") from error
        for warning in warnings:
            self.stderr.write(warning)
        with tqdm(total=len(rows), unit="rate", disable=None, file=self.stderr) as progress:
            try:
                totals = exchange_rates_import(rows=rows, on_progress=progress.update)
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            f"Imported {len(rows)} rates: {totals['created']} new, {totals['updated']} changed, "
            f"{totals['unchanged']} unchanged."
        )
