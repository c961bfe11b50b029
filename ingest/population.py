"""Reference total population by country and year, for weights and population shares.

dbt_project/seeds/reference_population.csv (country_iso3, year, population) holds one row per
entry of `pycountry.countries` and per year 2010-2026: the total mid-year population in persons.
The figures are UN World Population Prospects estimates (2024 revision where it differs from the
2022 one; medium-variant projections from 2024 on) AS RECALLED WITHOUT NETWORK ACCESS, not copied
from the WPP files. For each country, values for 2010, 2015, 2020 and 2025 (plus extra years
around shocks: UKR 2021-2024, SYR 2011-2024, LBN, VEN, CUB, PRI) were written down and the years
between interpolated geometrically; 2026 carries on the 2020-2025 growth rate (UKR held flat).
Values are rounded to the nearest 1,000 persons, or to the nearest 10 below 10,000 persons.

They are good enough for weights and for `population_share_reporting`, within a few per cent for
most countries, but NOT for publication as population figures. Replace the file with the
official WPP CSV when it is available, by writing the same three columns for the same codes
and years; `check_reference_population` then still applies.

Conventions, as in WPP: CHN excludes HKG, MAC and TWN; SRB excludes Kosovo, which has no
pycountry code and so no row; MDA includes Transnistria; small dependencies that WPP counts in
their parent (ALA in FIN; SJM in NOR; CXR, CCK and NFK in AUS; UMI in USA) are also given their
own resident counts, so a sum over every code counts some 40,000 people twice. Places with no
permanent population get 0: ATA (station staff are counted in their home countries), BVT, HMD
and SGS. Three others get a small constant count of the people usually there, none of them
permanent residents: IOT 3,000 (Diego Garcia personnel), ATF 150 (station staff) and UMI 180.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pycountry

from ingest.paths import SEEDS_DIR

REFERENCE_POPULATION_CSV = SEEDS_DIR / "reference_population.csv"
COLUMNS = ["country_iso3", "year", "population"]
YEARS = range(2010, 2027)

# World totals (persons) that the file must match within WORLD_TOLERANCE.
WORLD_TARGETS = {2010: 6.99e9, 2015: 7.43e9, 2020: 7.84e9, 2025: 8.19e9}
WORLD_TOLERANCE = 0.02

# Year-to-year changes above MAX_YEARLY_CHANGE are flagged for countries above MIN_CHECKED
# people, except in these years of real shocks, where the official WPP series moves more:
# the war in Ukraine (refugee outflow, 2022-2023), the war in Syria (2012-2016) and the Syrian
# refugee inflow into Lebanon (2013-2014). The recalled file itself stays under 10% there too.
MAX_YEARLY_CHANGE = 0.10
MIN_CHECKED = 100_000
SHOCK_YEARS = frozenset(
    [("UKR", 2022), ("UKR", 2023), ("LBN", 2013), ("LBN", 2014)]
    + [("SYR", year) for year in range(2012, 2017)]
)


def check_reference_population(path: Path = REFERENCE_POPULATION_CSV) -> list[str]:
    """Problems in the reference population file; empty when it is sound."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames
            rows = list(reader)
    except OSError as exc:
        return [str(exc)]
    if header != COLUMNS:
        return [f"{path.name}: header is {header}, not {COLUMNS}"]

    problems: list[str] = []
    values: dict[str, dict[int, int]] = defaultdict(dict)
    seen: Counter[tuple[str, str]] = Counter()
    for row in rows:
        code, year_text, pop_text = row["country_iso3"], row["year"], row["population"]
        seen[(code, year_text)] += 1
        try:
            year, population = int(year_text), int(pop_text)
        except (TypeError, ValueError):
            problems.append(f"{code} {year_text}: population {pop_text!r} is not an integer")
            continue
        if population < 0:
            problems.append(f"{code} {year}: population {population} is negative")
        values[code][year] = population

    problems += [f"{code} {year}: {n} rows" for (code, year), n in seen.items() if n > 1]
    iso3 = {c.alpha_3 for c in pycountry.countries}
    expected = {(code, str(year)) for code in iso3 for year in YEARS}
    problems += [f"{code} {year}: missing" for code, year in sorted(expected - seen.keys())]
    problems += [f"{code} {year}: not an ISO3 code and year 2010-2026"
                 for code, year in sorted(seen.keys() - expected)]

    for year, target in WORLD_TARGETS.items():
        total = sum(by_year.get(year, 0) for by_year in values.values())
        if abs(total / target - 1) > WORLD_TOLERANCE:
            problems.append(f"world {year}: {total:,} is not within 2% of {target:,.0f}")

    for code, by_year in sorted(values.items()):
        for year in YEARS[1:]:
            before, after = by_year.get(year - 1), by_year.get(year)
            if before is None or after is None or before <= MIN_CHECKED:
                continue
            change = after / before - 1
            if abs(change) > MAX_YEARLY_CHANGE and (code, year) not in SHOCK_YEARS:
                problems.append(f"{code} {year}: {change:+.1%} on {year - 1}")
    return problems
