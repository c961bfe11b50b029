"""The committed reference seeds: ILO regions and Flagship focus countries."""

from __future__ import annotations

from collections import Counter

import pycountry
import pytest

from ingest import reference


def test_seeds_have_no_problems() -> None:
    assert reference.check_seeds() == []


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("EGY", "Africa"),
        ("MAR", "Africa"),
        ("JOR", "Arab States"),
        ("PSE", "Arab States"),
        ("TUR", "Europe and Central Asia"),
        ("ISR", "Europe and Central Asia"),
        ("KGZ", "Europe and Central Asia"),
        ("IRN", "Asia and the Pacific"),
        ("FJI", "Asia and the Pacific"),
        ("BRB", "Americas"),
        ("GRL", "Americas"),
    ],
)
def test_region_spot_checks(code: str, region: str) -> None:
    assert reference.country_regions()[code] == region


def test_every_pycountry_code_has_a_region() -> None:
    regions = reference.country_regions()
    assert sorted(regions) == sorted(c.alpha_3 for c in pycountry.countries)
    assert set(regions.values()) == set(reference.ILO_REGIONS)


def test_region_counts() -> None:
    counts = Counter(reference.country_regions().values())
    assert counts["Arab States"] == 12
    assert sorted(c for c, r in reference.country_regions().items() if r == "Arab States") == \
        sorted(reference.ARAB_STATES)
    assert counts["Europe and Central Asia"] > counts["Arab States"]
    assert sum(counts.values()) == len(pycountry.countries)


def test_phase1_focus() -> None:
    phase1 = reference.focus_countries()[1]
    assert len(phase1) == len(set(phase1)) == 21
    assert {"KHM", "TLS", "PSE"} <= set(phase1)
    assert phase1 == reference.PHASE1_FOCUS


def test_phase2_focus() -> None:
    phase2 = reference.focus_countries()[2]
    assert len(phase2) == len(set(phase2)) == 50
    assert {"UKR", "SUR", "WSM"} <= set(phase2)
    assert phase2 == reference.PHASE2_FOCUS


def test_phase2_regional_split_matches_table_3() -> None:
    regions = reference.country_regions()
    counts = Counter(regions[c] for c in reference.PHASE2_FOCUS)
    assert counts == {"Africa": 26, "Americas": 5, "Arab States": 4,
                      "Asia and the Pacific": 10, "Europe and Central Asia": 5}


def test_build_country_regions_splits_western_asia() -> None:
    codes = [c.alpha_3 for c in pycountry.countries]
    with pytest.raises(KeyError):  # no silent default for an unmapped sub-region
        reference.build_country_regions(dict.fromkeys(codes, "Western Asia"))
    built = reference.build_country_regions(dict.fromkeys(codes, "Southern Asia"))
    assert built["TUR"] == "Europe and Central Asia"
    assert built["JOR"] == "Arab States"
    assert built["ATA"] == "Asia and the Pacific"
    assert built["ATF"] == "Africa"


def test_check_seeds_reports_a_broken_file(tmp_path, monkeypatch) -> None:
    broken = tmp_path / "country_regions.csv"
    rows = reference.REGIONS_CSV.read_text(encoding="utf-8").splitlines()
    broken.write_text("\n".join([rows[0], "ABW,Atlantis", *rows[1:], rows[-1]]) + "\n",
                      encoding="utf-8")
    monkeypatch.setattr(reference, "REGIONS_CSV", broken)
    problems = reference.check_seeds()
    assert any("Atlantis" in p for p in problems)
    assert any("appears 2 times" in p for p in problems)
