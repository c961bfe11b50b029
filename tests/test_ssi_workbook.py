"""The SSI workbook parser: what it accepts, how it types values, and how it rejects."""

from __future__ import annotations

import pytest
from conftest import cover, worked_example

from ingest.ssi_workbook import RejectedWorkbook, parse_number, parse_workbook
from warehouse.paths import SAMPLE_SSI_DIR


def rejection(path) -> RejectedWorkbook:
    with pytest.raises(RejectedWorkbook) as caught:
        parse_workbook(path)
    return caught.value


def test_parses_the_worked_example(write_workbook):
    path = write_workbook("ex.xlsx", **worked_example())
    sub = parse_workbook(path)
    assert (sub.country_iso3, sub.reference_year, sub.revision) == ("KHM", 2019, 1)
    assert sub.submission_id == "KHM-2019-r1"
    assert sub.language == "en"
    assert sub.cover["currency"] == "USD"
    old = [(r["scheme_id"], r["total"], r["women"], r["men"]) for r in sub.tables["beneficiaries"]]
    assert old == [("NSSF", 30_000, 12_000, 18_000), ("USP", 45_000, 28_000, 17_000)]
    # The title and blank row sit above the header: data starts on spreadsheet row 4.
    assert [r["source_row"] for r in sub.tables["beneficiaries"]] == [4, 5]
    assert sub.sheets == ["cover", "context", "schemes", "contributors", "beneficiaries"]


def test_every_bundled_sample_parses():
    paths = sorted(SAMPLE_SSI_DIR.glob("*.xlsx"))
    assert len(paths) >= 42
    for path in paths:
        sub = parse_workbook(path)
        assert path.name.startswith(f"{sub.country_iso3}_{sub.reference_year}_r{sub.revision}")


def test_header_below_title_columns_shuffled_unknown_columns_and_notes(write_workbook):
    args = worked_example()
    path = write_workbook(
        "messy.xlsx", **args,
        column_order={"beneficiaries": ["total", "men", "women", "benefit_form", "function",
                                        "scheme_id"]},
        extra_columns={"beneficiaries": {"Notes": ["contributory", None]}},
        notes={"beneficiaries": ["Source: Ministry of Labour, administrative records"]},
        sheet_order=["beneficiaries", "schemes"],
    )
    sub = parse_workbook(path)
    rows = sub.tables["beneficiaries"]
    assert len(rows) == 2  # the Source line under the table is not data
    assert rows[0]["total"] == 30_000 and rows[0]["men"] == 18_000
    assert rows[0]["extra"] == '{"Notes": "contributory"}'
    assert rows[1]["extra"] is None


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("1,234.5", "en", 1234.5),
    ("1 234,5", "fr", 1234.5),
    ("1\u00a0234,5", "fr", 1234.5),
    ("1\u202f234\u202f567", "fr", 1_234_567),
    ("1.234,5", "es", 1234.5),
    ("1.234.567", "pt", 1_234_567),
    ("5'000", "en", 5000),
    ("5\u2019000", "fr", 5000),
    ("12", "en", 12),
    ("0.5", "en", 0.5),
    ("0,5", "fr", 0.5),
    (" 42 ", "es", 42),
    (30000.0, "en", 30000),
    ("12,34,567", "en", 1_234_567),
])
def test_text_numbers_follow_the_workbook_language(text, language, expected):
    assert parse_number(text, language) == expected


@pytest.mark.parametrize("marker", ["", "..", "...", "-", "–", "n.a.", "n/a", "N/A", "nd",
                                    "n.d.", "s.d.", "s/d", None, "  "])
def test_missing_markers_are_missing_not_zero(marker):
    assert parse_number(marker, "en") is None


@pytest.mark.parametrize(("text", "language"), [
    ("abc", "en"), ("1,5", "en"), ("12 persons", "en"), ("1.5.3", "es"), ("1,2345", "en"),
    ("12,34,567", "fr"), ("1 23", "fr"),
])
def test_text_that_is_not_a_number_is_refused(text, language):
    with pytest.raises(ValueError):
        parse_number(text, language)


def test_non_numeric_text_is_rejected_naming_sheet_cell_and_value(write_workbook):
    args = worked_example()
    args["beneficiaries"][1]["total"] = "abc"
    error = rejection(write_workbook("bad.xlsx", **args))
    assert error.code == "not_a_number"
    # Header on row 3 (title, blank row); second data row is row 5; total is column D.
    assert error.problems[0].cell == "D5"
    assert "Beneficiaries!D5: 'abc' is not a number" in error.message


def test_all_problems_are_reported_together(write_workbook):
    args = worked_example()
    args["beneficiaries"][0]["women"] = -5
    args["beneficiaries"][1]["function"] = "PENSION"
    error = rejection(write_workbook("bad.xlsx", **args))
    codes = {p.code for p in error.problems}
    assert codes == {"negative_value", "unknown_code"}
    assert "Beneficiaries!B5: 'PENSION' is not a known function code" in error.message


@pytest.mark.parametrize(("change", "code", "where"), [
    ({"cover": cover(iso3="XYZ")}, "unknown_country", "Cover!B"),
    ({"cover": cover(year=1980)}, "year_out_of_range", "Cover!B"),
    ({"cover": cover(iso3=None)}, "missing_value", "Cover!B"),
])
def test_cover_errors(write_workbook, change, code, where):
    error = rejection(write_workbook("bad.xlsx", **worked_example(**change)))
    assert error.code == code
    assert where in error.message


def test_unknown_scheme_and_sex_split_above_total(write_workbook):
    args = worked_example()
    args["beneficiaries"][0]["scheme_id"] = "GHOST"
    args["beneficiaries"][1]["women"] = 40_000
    error = rejection(write_workbook("bad.xlsx", **args))
    by_code = {p.code: p for p in error.problems}
    assert by_code["unknown_scheme"].cell == "A4"
    assert by_code["sex_split_exceeds_total"].cell == "D5"
    assert "women + men (40,000 + 17,000) exceed the total (45,000)" in error.message


def test_missing_required_sheet(write_workbook, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Cover"
    path = tmp_path / "cover-only.xlsx"
    book.save(path)
    error = rejection(path)
    assert error.code == "missing_sheet"
    assert "'Context'" in error.message


def test_a_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("this is not a spreadsheet")
    assert rejection(path).code == "unreadable_file"


def test_whole_persons(write_workbook):
    args = worked_example()
    args["beneficiaries"][0]["total"] = 30_000.5
    error = rejection(write_workbook("bad.xlsx", **args))
    assert error.code == "not_whole_number"
