"""The committed reference population seed (recalled UN WPP totals)."""

from __future__ import annotations

import csv

import pytest

from ingest import population

ARAB_STATES = ("BHR", "IRQ", "JOR", "KWT", "LBN", "OMN", "PSE", "QAT", "SAU", "SYR", "ARE", "YEM")


def _values() -> dict[tuple[str, int], int]:
    with population.REFERENCE_POPULATION_CSV.open(newline="", encoding="utf-8") as handle:
        return {(r["country_iso3"], int(r["year"])): int(r["population"])
                for r in csv.DictReader(handle)}


def test_reference_population_has_no_problems() -> None:
    assert population.check_reference_population() == []


def test_file_is_sorted_and_small() -> None:
    keys = list(_values())
    assert keys == sorted(keys)
    assert population.REFERENCE_POPULATION_CSV.stat().st_size < 150_000


@pytest.mark.parametrize(
    ("code", "year", "low", "high"),
    [
        ("IND", 2022, 1.40e9, 1.45e9),
        ("CHN", 2020, 1.40e9, 1.44e9),
        ("USA", 2020, 0.33e9, 0.34e9),
        ("NGA", 2025, 0.22e9, 0.25e9),
        ("KHM", 2019, 16.0e6, 17.0e6),
        ("CPV", 2020, 0.5e6, 0.6e6),
        ("TLS", 2020, 1.2e6, 1.4e6),
        ("UKR", 2023, 35e6, 40e6),
        ("BVT", 2020, 0, 0),
    ],
)
def test_spot_values(code: str, year: int, low: float, high: float) -> None:
    assert low <= _values()[(code, year)] <= high


@pytest.mark.parametrize(("year", "low", "high"), [(2020, 0.165e9, 0.185e9),
                                                   (2025, 0.19e9, 0.21e9)])
def test_arab_states_total(year: int, low: float, high: float) -> None:
    values = _values()
    assert low <= sum(values[(code, year)] for code in ARAB_STATES) <= high


def test_check_reports_a_broken_file(tmp_path) -> None:
    broken = tmp_path / "reference_population.csv"
    lines = population.REFERENCE_POPULATION_CSV.read_text(encoding="utf-8").splitlines()
    lines = [line.replace("IND,2015,", "IND,2015,-") for line in lines]
    lines = [line for line in lines if not line.startswith("AFG,2010,")]
    lines.append(lines[-1])
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = population.check_reference_population(broken)
    assert any(p.startswith("AFG 2010: missing") for p in problems)
    assert any(p.startswith("ZWE 2026: 2 rows") for p in problems)
    assert any("IND 2015: population -" in p for p in problems)
    assert any(p.startswith("world 2015") for p in problems)
    assert any(p.startswith("IND 2015: ") and p.endswith("on 2014") for p in problems)
