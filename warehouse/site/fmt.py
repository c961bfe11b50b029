"""Numbers, dates and codes as people read them on the pages (`2,310,000`, `23.3 %`,
`1 November 2016`); the CSV files keep the values as they are."""

from __future__ import annotations

from datetime import date, datetime

NONE = "–"  # a cell with no figure


def whole(value) -> str:
    """A count of persons, countries, products: `2,310,000`."""
    return NONE if value is None else f"{round(value):,}"


def of_target(value, target) -> str:
    """A count against its target, `13 of 21`; the count alone when there is none."""
    return whole(value) if target is None else f"{whole(value)} of {whole(target)}"


def pct(value, digits: int = 1) -> str:
    """A percentage: `23.3 %`."""
    return NONE if value is None else f"{value:,.{digits}f} %"


def usd(value) -> str:
    """US dollars: `US$ 1,200,000`."""
    return NONE if value is None else f"US$ {round(value):,}"


def number(value, digits: int = 1) -> str:
    return NONE if value is None else f"{value:,.{digits}f}"


def day(value) -> str:
    """A date: `1 November 2016`."""
    if value is None:
        return NONE
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return f"{value.day} {value:%B %Y}"


def period(start, end) -> str:
    """An intervention's period: `2016 – 2020`, `since 2021`."""
    if start is None:
        return NONE
    return f"{start.year} – {end.year}" if end else f"since {start.year}"


def listing(items, limit: int | None = None) -> str:
    """`a, b and c`; with `limit`, `a, b and 12 more`."""
    items = [str(i) for i in items if i is not None and str(i) != ""]
    if limit is not None and len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit:,} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def scale(maximum: float) -> tuple[float, str]:
    """The divisor and its word for an axis of persons or currency: millions above 2
    million, thousands above 20,000, else units."""
    if maximum >= 2_000_000:
        return 1_000_000, "millions"
    if maximum >= 20_000:
        return 1_000, "thousands"
    return 1, ""


def tick(value: float) -> str:
    """An axis tick: `1,500`, `2.5`, `0`."""
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")
