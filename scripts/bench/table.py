"""The printed result table."""

from .constants import HISTORY_DAYS


def _figure(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:,.1f} ms" if value < 10 else f"{value:,.1f} s"
    return f"{value:,.0f} {unit}"


def print_table(results, vendor: str, conversions: int) -> None:
    headers = ("measure", "ours", "bare SQL / ORM", "ours ÷ bare")
    rows = []
    for what, ours, bare, unit in results:
        ratio = "—" if bare is None else f"{ours / bare:.2f}"
        rows.append((what, _figure(ours, unit), _figure(bare, unit), ratio))
    widths = [max(len(str(row[index])) for row in (headers, *rows)) for index in range(4)]
    line = "+".join("-" * (width + 2) for width in widths)
    print(f"\nReporting benchmark: {vendor}, {conversions:,} conversions over {HISTORY_DAYS} days")
    print(line)
    print("|".join(f" {headers[index]:<{widths[index]}} " for index in range(4)))
    print(line)
    for row in rows:
        print(
            "|".join(
                f" {row[index]:<{widths[index]}} " if index == 0 else f" {row[index]:>{widths[index]}} "
                for index in range(4)
            )
        )
    print(line)
    print("Times are medians after a warm-up; for items/s, ours ÷ bare below 1 means slower.")
