"""Code lists are written once, in the dbt seeds: every other copy must agree with them."""

from __future__ import annotations

import csv
import typing

import pytest

from expectations.gates import load_suite, suite_names
from ingest import codes, rmt_contract, ssi_labels
from ingest.paths import SEEDS_DIR
from ingest.reference import focus_countries


def seed_ints(seed: str, column: str) -> list[int]:
    return sorted({int(v) for v in codes.seed_column(seed, column)})


FOCUS = focus_countries()
LEVELS = typing.get_args(typing.get_args(
    rmt_contract.Intervention.model_fields["level"].annotation)[0])
# (suite, column) -> the code list its value set must equal, in any order.
CODE_LISTS = {
    ("ssi__beneficiaries", "function"): codes.BRANCHES,
    ("ssi__contributors", "function"): codes.BRANCHES,
    ("ssi__expenditure", "function"): codes.BRANCHES,
    ("ssi__beneficiaries", "benefit_form"): codes.BENEFIT_FORMS,
    ("ssi__schemes", "scheme_type"): codes.SCHEME_TYPES,
    ("ssi__context", "item"): ssi_labels.CONTEXT_ITEMS,
    ("rmt__outputs", "output_type"): codes.OUTPUT_TYPES,
    ("rmt__institutional_changes", "step"): seed_ints("phase_step_targets", "step"),
    ("rmt__interventions", "level"): LEVELS,
    ("marts__coverage_sdg131", "series"): codes.SERIES,
    ("marts__coverage_sdg131_regional", "region"): (*codes.ILO_REGIONS, "World"),
    ("marts__results_people_impacted", "impact_category"): codes.IMPACT_CATEGORIES,
    ("marts__results_people_impacted", "phase"): seed_ints("programme_phases", "phase"),
    ("marts__results_impact_by_branch", "impact_category"): codes.IMPACT_CATEGORIES,
    ("marts__results_framework", "indicator"): codes.seed_column("results_indicators",
                                                                 "indicator"),
    ("marts__results_outputs", "output_type"): codes.OUTPUT_TYPES,
    ("marts__results_outputs", "level"): LEVELS,
    ("marts__results_interventions", "level"): LEVELS,
    ("marts__results_thematic", "thematic_area"): codes.THEMATIC_AREAS,
    ("marts__results_country_steps", "step"): seed_ints("phase_step_targets", "step"),
    ("marts__results_institutional_changes", "step"): seed_ints("phase_step_targets", "step"),
    ("marts__results_institutional_changes", "phase"): seed_ints("programme_phases", "phase"),
    ("marts__dim_country", "country_iso3"): FOCUS[1],
    ("marts__country_profile", "country_iso3"): sorted(set(FOCUS[1]) | set(FOCUS[2])),
}
# Value sets that are rules, not code lists.
RULES = {
    ("marts__coverage_sdg131", "sex"): "ILOSTAT's three sex codes, fixed by the SDG method",
    ("ssi__beneficiaries", "men"): "no men among maternity beneficiaries",
}


def value_sets() -> list[tuple[str, str, list]]:
    return [(name, e["kwargs"].get("column"), e["kwargs"]["value_set"])
            for name in suite_names() for e in load_suite(name)["expectations"]
            if "value_set" in e["kwargs"]]


@pytest.mark.parametrize("suite, column, values", value_sets(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_value_set_agrees_with_its_code_list(suite, column, values):
    if (suite, column) in RULES:
        return
    assert (suite, column) in CODE_LISTS, f"{suite}.{column}: which code list is this?"
    assert sorted(values) == sorted(CODE_LISTS[suite, column])


def test_seed_code_lists_are_unique_and_complete():
    for seed in ("branches", "benefit_forms", "scheme_types", "outcome_types",
                 "impact_categories", "output_types", "sdg131_series", "ilo_regions",
                 "thematic_areas", "results_indicators"):
        with (SEEDS_DIR / f"{seed}.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))[1:]
        keys = [row[0] for row in rows]
        assert keys and len(keys) == len(set(keys)) and all(keys), seed
    assert set(codes.seed_column("outcome_types", "impact_category")) == \
        set(codes.IMPACT_CATEGORIES)


def test_parsers_take_their_codes_from_the_seeds():
    assert ssi_labels.FUNCTIONS == codes.BRANCHES
    assert typing.get_args(rmt_contract.Branch) == codes.BRANCHES
    assert typing.get_args(rmt_contract.ThematicArea) == codes.THEMATIC_AREAS
    assert len(codes.THEMATIC_AREAS) == 16  # Table 4 of the phase-2 programme document
