"""The code lists every layer shares, read from the dbt seeds that the marts join to.

Parsers check codes against these lists, the sample generators draw from them, dbt
tests the marts against the same files (`relationships` tests), and
tests/test_codes.py checks that every Great Expectations value set agrees with them.
To add a code, add a row to its seed.
"""

from __future__ import annotations

import csv

from ingest.paths import SEEDS_DIR


def seed_column(seed: str, column: str) -> tuple[str, ...]:
    """One column of a seed, in file order."""
    with (SEEDS_DIR / f"{seed}.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(row[column] for row in csv.DictReader(handle))


# Branches of social protection: SSI functions and RMT branches alike.
BRANCHES = seed_column("branches", "branch")
BENEFIT_FORMS = seed_column("benefit_forms", "benefit_form")
SCHEME_TYPES = seed_column("scheme_types", "scheme_type")
OUTCOME_TYPES = seed_column("outcome_types", "outcome_type")
IMPACT_CATEGORIES = seed_column("impact_categories", "impact_category")
OUTPUT_TYPES = seed_column("output_types", "output_type")
SERIES = seed_column("sdg131_series", "series")
ILO_REGIONS = seed_column("ilo_regions", "ilo_region")
