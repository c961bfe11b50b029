"""Every SDG 1.3.1 series and the expenditure mart, against figures worked out by hand.

One workbook exercises every rule of ../shared/specs/sdg131-method.md: two contributory
schemes, a universal pension, a means-tested programme, lump-sum maternity with no sex
split, in-kind health and lump-sum old-age benefits (which never count), and MATERN and
SICK recipients (left out of the total). The expected figures below were computed by hand
from the cell values; the arithmetic is written next to each.
"""

from __future__ import annotations

import duckdb
import pytest
from conftest import cover

pytestmark = pytest.mark.usefixtures("prefect_api")

CONTEXT = [
    {"item": "POP_TOTAL", "total": 1_000_000, "women": 510_000, "men": 490_000},
    {"item": "POP_0_14", "total": 300_000, "women": 150_000, "men": 150_000},
    {"item": "POP_15_64", "total": 600_000, "women": 300_000, "men": 300_000},
    {"item": "POP_PENSIONABLE", "total": 100_000, "women": 56_000, "men": 44_000},
    {"item": "BIRTHS", "total": 20_000, "women": None, "men": None},
    {"item": "DIS_SEVERE", "total": 20_000, "women": 9_000, "men": 11_000},
    {"item": "UNEMPLOYED", "total": 50_000, "women": 20_000, "men": 30_000},
    {"item": "EMPLOYED", "total": 400_000, "women": 160_000, "men": 240_000},
    {"item": "GDP", "total": 5_000_000_000, "women": None, "men": None},
    {"item": "GOV_EXP", "total": 1_000_000_000, "women": None, "men": None},
]
SCHEMES = [
    {"scheme_id": "NSSF", "scheme_name": "National Social Security Fund", "scheme_type": "SI"},
    {"scheme_id": "CSP", "scheme_name": "Civil service pensions", "scheme_type": "SI"},
    {"scheme_id": "USP", "scheme_name": "Universal social pension", "scheme_type": "UNI"},
    {"scheme_id": "CCT", "scheme_name": "Family cash transfer", "scheme_type": "SA"},
]
CONTRIBUTORS = [
    {"scheme_id": "NSSF", "function": None, "total": 150_000, "women": 60_000, "men": 90_000},
    {"scheme_id": "CSP", "function": None, "total": 50_000, "women": 20_000, "men": 30_000},
    {"scheme_id": "NSSF", "function": "INJ", "total": 120_000, "women": 50_000, "men": 70_000},
]


def b(scheme, function, form, total, women, men):
    return {"scheme_id": scheme, "function": function, "benefit_form": form, "total": total,
            "women": women, "men": men}


BENEFICIARIES = [
    b("NSSF", "OLD", "CASH_PERIODIC", 30_000, 12_000, 18_000),
    b("USP", "OLD", "CASH_PERIODIC", 45_000, 28_000, 17_000),
    b("NSSF", "OLD", "CASH_LUMP", 1_000, 400, 600),  # lump-sum old age: never counts
    b("NSSF", "MATERN", "CASH_LUMP", 6_000, None, None),  # maternity: lump sums count
    b("NSSF", "SICK", "CASH_PERIODIC", 4_000, 1_500, 2_500),
    b("NSSF", "DIS", "CASH_PERIODIC", 3_000, 1_000, 2_000),
    b("NSSF", "SURV", "CASH_PERIODIC", 5_000, 4_000, 1_000),
    b("NSSF", "UNE", "CASH_PERIODIC", 10_000, 4_000, 6_000),
    b("NSSF", "INJ", "CASH_PERIODIC", 2_000, 500, 1_500),
    b("CCT", "CHILD", "CASH_PERIODIC", 60_000, 30_000, 30_000),
    b("CCT", "SA", "CASH_PERIODIC", 25_000, 15_000, 10_000),
    b("NSSF", "HEALTH", "KIND", 200_000, 100_000, 100_000),  # in kind: never counts
]
EXPENDITURE = [
    {"scheme_id": "NSSF", "function": "OLD", "benefits_cash": 100_000_000, "benefits_kind": 0,
     "admin": 5_000_000},
    {"scheme_id": "USP", "function": "OLD", "benefits_cash": 50_000_000, "benefits_kind": None,
     "admin": 2_000_000},
    {"scheme_id": "NSSF", "function": "HEALTH", "benefits_cash": 0,
     "benefits_kind": 300_000_000, "admin": 10_000_000},
]

# (series, sex): (numerator, denominator)
EXPECTED = {
    ("SOC_CONTIG_CHILD", "SEX_T"): (60_000, 300_000),
    ("SOC_CONTIG_CHILD", "SEX_F"): (30_000, 150_000),
    ("SOC_CONTIG_CHILD", "SEX_M"): (30_000, 150_000),
    # Women only; BIRTHS has no split, so its total is the women's figure.
    ("SOC_CONTIG_MAT", "SEX_F"): (6_000, 20_000),
    ("SOC_CONTIG_MAT", "SEX_T"): (6_000, 20_000),
    ("SOC_CONTIG_DISAB", "SEX_T"): (3_000, 20_000),
    ("SOC_CONTIG_DISAB", "SEX_F"): (1_000, 9_000),
    ("SOC_CONTIG_DISAB", "SEX_M"): (2_000, 11_000),
    ("SOC_CONTIG_UNE", "SEX_T"): (10_000, 50_000),
    ("SOC_CONTIG_UNE", "SEX_F"): (4_000, 20_000),
    ("SOC_CONTIG_UNE", "SEX_M"): (6_000, 30_000),
    # 30,000 + 45,000 periodic; the 1,000 lump sums do not count.
    ("SOC_CONTIG_PENSION", "SEX_T"): (75_000, 100_000),
    ("SOC_CONTIG_PENSION", "SEX_F"): (40_000, 56_000),
    ("SOC_CONTIG_PENSION", "SEX_M"): (35_000, 44_000),
    ("SOC_CONTIG_INJ", "SEX_T"): (120_000, 400_000),
    ("SOC_CONTIG_INJ", "SEX_F"): (50_000, 160_000),
    ("SOC_CONTIG_INJ", "SEX_M"): (70_000, 240_000),
    # USP 45,000 + CCT 60,000 + 25,000 over 1,000,000 - 200,000 contributors
    # - (30,000 OLD + 3,000 DIS + 5,000 SURV + 10,000 UNE + 2,000 INJ) of NSSF.
    ("SOC_CONTIG_VULN", "SEX_T"): (130_000, 750_000),
    ("SOC_CONTIG_VULN", "SEX_F"): (73_000, 510_000 - 80_000 - 21_500),
    ("SOC_CONTIG_VULN", "SEX_M"): (57_000, 490_000 - 120_000 - 28_500),
    # 200,000 contributors + 60,000 CHILD + 3,000 DIS + 75,000 OLD + 5,000 SURV
    # + 10,000 UNE + 25,000 SA + 2,000 INJ; MATERN and SICK are left out.
    ("SOC_CONTIG_TOTAL", "SEX_T"): (380_000, 1_000_000),
    ("SOC_CONTIG_TOTAL", "SEX_F"): (80_000 + 94_500, 510_000),
    ("SOC_CONTIG_TOTAL", "SEX_M"): (120_000 + 85_500, 490_000),
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, prefect_api):
    from flows.nightly import nightly
    from ingest.samples.workbook import write_ssi_workbook

    root = tmp_path_factory.mktemp("by_hand")
    write_ssi_workbook(root / "landing" / "full.xlsx", cover=cover("SEN", 2021),
                       context=CONTEXT, schemes=SCHEMES, contributors=CONTRIBUTORS,
                       beneficiaries=BENEFICIARIES, expenditure=EXPENDITURE)
    target = root / "wh" / "spf.duckdb"
    nightly(landing=str(root / "landing"), warehouse=str(target))
    con = duckdb.connect(str(target), read_only=True)
    yield con
    con.close()


def test_every_series_and_sex_by_hand(warehouse):
    rows = warehouse.execute("select series, sex, numerator, denominator, coverage_pct, "
                             "quality_flag from marts.coverage_sdg131").fetchall()
    got = {(series, sex): (num, den) for series, sex, num, den, _, _ in rows}
    assert got == EXPECTED
    for series, sex, num, den, pct, flag in rows:
        assert pct == pytest.approx(100 * num / den), (series, sex)
        assert flag is None
    assert dict(((s, x), round(p, 2)) for s, x, _, _, p, _ in rows)[
        ("SOC_CONTIG_VULN", "SEX_T")] == 17.33


def test_expenditure_by_hand(warehouse):
    rows = warehouse.execute("select function, expenditure_lcu, pct_gdp, quality_flag "
                             "from marts.sp_expenditure order by function").fetchall()
    assert rows == [
        # 105,000,000 + 310,000,000 + 52,000,000 = 467,000,000 over a GDP of 5,000,000,000.
        ("ALL", 467_000_000, pytest.approx(9.34), "components_missing"),
        ("HEALTH", 310_000_000, pytest.approx(6.2), None),
        # USP left benefits in kind blank: the sum covers what was reported, flagged.
        ("OLD", 157_000_000, pytest.approx(3.14), "components_missing"),
    ]


def test_regional_rows_for_the_one_reporting_country(warehouse):
    rows = warehouse.execute("""
        select region, coverage_pct, countries_reporting from marts.coverage_sdg131_regional
        where series = 'SOC_CONTIG_TOTAL' and sex = 'SEX_T' order by region""").fetchall()
    assert rows == [("Africa", pytest.approx(38.0), 1), ("World", pytest.approx(38.0), 1)]
