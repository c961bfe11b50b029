"""The code lists and rules every layer shares, read from the dbt seeds that the marts
join to.

Parsers check codes against these lists, the sample generators draw from them, dbt
tests the marts against the same files (`relationships` tests), and
tests/test_codes.py checks that every Great Expectations value set agrees with them.
To add a code, add a row to its seed. Two seeds are rules rather than lists, written
once for SQL and Python alike: `sdg131_terms` (which spreadsheet rows feed each SDG
1.3.1 series: `series_terms`) and `quality_flags` (what each quality flag of a mart
means: `quality_flags`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from ingest.paths import SEEDS_DIR


@cache
def _seed_rows(seed: str) -> tuple[dict[str, str], ...]:
    with (SEEDS_DIR / f"{seed}.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def seed_column(seed: str, column: str) -> tuple[str, ...]:
    """One column of a seed, in file order."""
    return tuple(row[column] for row in _seed_rows(seed))


# Branches of social protection: SSI functions and RMT branches alike.
BRANCHES = seed_column("branches", "branch")
BENEFIT_FORMS = seed_column("benefit_forms", "benefit_form")
SCHEME_TYPES = seed_column("scheme_types", "scheme_type")
OUTCOME_TYPES = seed_column("outcome_types", "outcome_type")
IMPACT_CATEGORIES = seed_column("impact_categories", "impact_category")
OUTPUT_TYPES = seed_column("output_types", "output_type")
# The 16 thematic areas of Table 4 of the phase-2 programme document (project reports).
THEMATIC_AREAS = seed_column("thematic_areas", "thematic_area")
SERIES = seed_column("sdg131_series", "series")
ILO_REGIONS = seed_column("ilo_regions", "ilo_region")


def _codes(cell: str | None) -> frozenset[str]:
    return frozenset((cell or "").split())


def _blank(value: object) -> str | None:
    """A cell's code as the seeds compare it: upper case, None when blank."""
    text = "" if value is None else str(value).strip()
    return text.upper() or None


@dataclass(frozen=True)
class SeriesTerm:
    """One term of an SDG 1.3.1 series (a row of the seed sdg131_terms): the rows of one
    sheet that feed its numerator, its denominator, or what its denominator subtracts.

    `functions` are the function codes a row must have; with `any_function` (`*` in the
    seed), any function but `except_functions`; with neither, only rows with no function
    (the contributors sheet's active contributors). An empty `benefit_forms` or
    `scheme_types`, or a None `item`, lets every row through.
    """

    series: str
    part: str  # numerator | denominator | denominator_less
    sheet: str  # beneficiaries | contributors | context
    any_function: bool
    functions: frozenset[str]
    except_functions: frozenset[str]
    benefit_forms: frozenset[str]
    scheme_types: frozenset[str]
    item: str | None
    what: str

    def feeds(self, sheet: str, function: str | None = None, benefit_form: str | None = None,
              scheme_type: str | None = None, item: str | None = None) -> bool:
        """Whether a row of `sheet` with these codes feeds the term, as
        int_ssi__series_terms joins them (blank codes are None; case does not matter)."""
        function, benefit_form = _blank(function), _blank(benefit_form)
        scheme_type, item = _blank(scheme_type), _blank(item)
        if sheet != self.sheet:
            return False
        if self.any_function:
            takes_function = function not in self.except_functions
        elif not self.functions:
            takes_function = function is None
        else:
            takes_function = function in self.functions
        return (takes_function
                and (not self.benefit_forms or benefit_form in self.benefit_forms)
                and (not self.scheme_types or scheme_type in self.scheme_types)
                and (self.item is None or item == self.item))


def series_terms(series: str | None = None) -> tuple[SeriesTerm, ...]:
    """The terms of every SDG 1.3.1 series (or of `series`), in the seed's order."""
    terms = []
    for row in _seed_rows("sdg131_terms"):
        functions = row["functions"].strip()
        terms.append(SeriesTerm(
            series=row["series"], part=row["part"], sheet=row["sheet"],
            any_function=functions == "*",
            functions=frozenset() if functions == "*" else _codes(functions),
            except_functions=_codes(row["except_functions"]),
            benefit_forms=_codes(row["benefit_forms"]), scheme_types=_codes(row["scheme_types"]),
            item=row["item"].strip() or None, what=row["what"]))
    return tuple(t for t in terms if series is None or t.series == series)


def series_required_sheets() -> dict[str, str | None]:
    """series -> the sheet without which a submission has no figure for it (or None)."""
    return {row["series"]: row["requires_sheet"].strip() or None
            for row in _seed_rows("sdg131_series")}


@dataclass(frozen=True)
class QualityFlag:
    """A quality flag a mart may set (a row of the seed quality_flags)."""

    flag: str
    applies_to: str  # the mart that sets it: coverage_sdg131, sp_expenditure...
    words: str  # what it says, in a few English words for people
    ilostat_obs_status: str | None  # coverage_sdg131's flags: ILOSTAT's obs_status (O, U)
    note: str  # what it means and what to do


def quality_flags(applies_to: str | None = None) -> dict[str, QualityFlag]:
    """flag -> its meaning, for every quality flag (or those `applies_to` a mart sets), in
    the seed's order."""
    flags = (QualityFlag(flag=row["flag"], applies_to=row["applies_to"], words=row["words"],
                         ilostat_obs_status=row["ilostat_obs_status"].strip() or None,
                         note=row["note"])
             for row in _seed_rows("quality_flags"))
    return {f.flag: f for f in flags if applies_to is None or f.applies_to == applies_to}
