"""The SSI workbook parser: what it accepts, how it types values, and how it rejects."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import cover, worked_example

from ingest.paths import SAMPLE_SSI_DIR
from ingest.ssi_workbook import RejectedWorkbook, parse_number, parse_workbook


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


def test_every_bundled_sample_parses_but_the_one_meant_to_be_rejected():
    paths = sorted(SAMPLE_SSI_DIR.glob("*.xlsx"))
    assert len(paths) >= 42
    for path in paths:
        if path.name == "TGO_2022_r2.xlsx":
            assert {p.code for p in rejection(path).problems} == {"not_a_number",
                                                                  "unknown_scheme"}
            continue
        sub = parse_workbook(path)
        assert path.name.startswith(f"{sub.country_iso3}_{sub.reference_year}_r{sub.revision}")


@pytest.mark.parametrize("note", ["Source: INE", "Fuente: INE, censo 2020", "Fonte : INE",
                                  "Notes", "NOTA: cifras provisionales", "Remarque : estimé"])
def test_a_note_under_a_table_ends_it(write_workbook, note):
    sub = parse_workbook(write_workbook("n.xlsx", notes={"context": [note]}, **worked_example()))
    assert [r["item"] for r in sub.tables["context"]] == ["POP_TOTAL", "POP_PENSIONABLE"]


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


@pytest.mark.parametrize(("language", "pension_text", "amount_text"), [
    ("en", "30,000", "1,234,567.5"),
    ("fr", "30\u00a0000", "1 234 567,5"),
    ("es", "30.000", "1.234.567,5"),
    ("pt", "30.000", "1 234 567,5"),
])
def test_each_language_with_its_own_number_format(write_workbook, language, pension_text,
                                                  amount_text):
    args = worked_example()
    args["beneficiaries"][0]["total"] = pension_text
    args["expenditure"] = [{"scheme_id": "NSSF", "function": "OLD", "benefits_cash": amount_text,
                            "benefits_kind": "n.d." if language == "fr" else "..",
                            "admin": "s/d" if language == "es" else 0}]
    sub = parse_workbook(write_workbook(f"{language}.xlsx", language=language, **args))
    assert sub.language == language
    assert sub.tables["beneficiaries"][0]["total"] == 30_000
    spending = sub.tables["expenditure"][0]
    assert spending["benefits_cash"] == 1_234_567.5
    assert spending["benefits_kind"] is None
    assert (spending["admin"] is None) == (language == "es")


@pytest.mark.parametrize("language", ["fr", "es", "pt"])
def test_translated_workbooks_give_the_same_rows(write_workbook, language):
    english = parse_workbook(write_workbook("en.xlsx", **worked_example()))
    other = parse_workbook(write_workbook(f"{language}.xlsx", language=language,
                                          **worked_example()))
    assert other.language == language
    assert other.tables == english.tables
    assert (other.country_iso3, other.reference_year, other.revision) == (
        english.country_iso3, english.reference_year, english.revision)


def test_sheets_and_labels_match_without_case_accents_or_spaces(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheets = {"cover": book.active}
    sheets["cover"].title = "  COUVERTURE "
    for key, value in (("code pays iso3", "SEN"), ("ANNEE DE REFERENCE", 2021)):
        sheets["cover"].append([key, value])
    for name, header, rows in (
        ("contexte", ["element", " TOTAL "], [["POP_TOTAL", "17 000 000"]]),
        ("REGIMES", ["code du regime", "nom du regime", "type de regime"],
         [["IPRES", "Institution de prévoyance retraite", "si"]]),
        ("beneficiaires", ["code du régime", "FONCTION", "forme de prestation", "total"],
         [["IPRES", "old", "cash_periodic", "100 000"]]),
    ):
        ws = book.create_sheet(name)
        ws.append(header)
        for row in rows:
            ws.append(row)
    path = tmp_path / "folded.xlsx"
    book.save(path)
    sub = parse_workbook(path)
    assert sub.language == "fr"
    assert sub.tables["beneficiaries"][0]["function"] == "OLD"
    assert sub.tables["beneficiaries"][0]["total"] == 100_000
    assert sub.tables["schemes"][0]["scheme_type"] == "SI"


def _reject(write_workbook, **changes):
    return rejection(write_workbook("bad.xlsx", **worked_example(**changes)))


def _rows(name, index, **values):
    rows = [dict(r) for r in worked_example()[name]]
    rows[index].update(values)
    return {name: rows}


# Every rejection reason of the contract, with the cell its message must name. Tables have a
# title, a blank row and the header on row 3, so the first data row is row 4.
REASONS = [
    ("not_a_number", _rows("beneficiaries", 0, men="lots"), "Beneficiaries!F4: 'lots'"),
    ("negative_value", _rows("context", 1, women=-56_000), "Context!C5: -56000 is negative"),
    ("not_whole_number", _rows("contributors", 0, total=200_000.5),
     "Contributors!C4: 200000.5 is not a whole number of persons"),
    ("unknown_code", _rows("schemes", 1, scheme_type="UNIV"), "Schemes!C5: 'UNIV'"),
    ("unknown_code", _rows("context", 0, item="POPULATION"), "Context!A4: 'POPULATION'"),
    ("unknown_code", _rows("beneficiaries", 1, benefit_form="CASH"), "Beneficiaries!C5: 'CASH'"),
    ("unknown_scheme", _rows("contributors", 0, scheme_id="NSF"), "Contributors!A4: scheme code"),
    ("duplicate_scheme", _rows("schemes", 1, scheme_id="NSSF"), "Schemes!A5: scheme code"),
    ("duplicate_item", _rows("context", 1, item="POP_TOTAL"), "Context!A5: item 'POP_TOTAL'"),
    ("sex_split_exceeds_total", _rows("context", 0, women=600_000),
     "Context!B4: women + men (600,000 + 490,000) exceed the total (1,000,000)"),
    ("missing_value", _rows("beneficiaries", 0, function=None), "Beneficiaries!B4: function"),
    ("unknown_country", {"cover": cover(iso3="EUR")}, "'EUR' is not an ISO 3166-1"),
    ("year_out_of_range", {"cover": cover(year=2999)}, "Cover!B3: 2999 is out of range (1990.."),
    ("invalid_revision", {"cover": cover(revision=0)}, "out of range (at least 1)"),
    ("not_a_number", {"cover": {**cover(), "reference_year": "twenty"}},
     "'twenty' is not a whole number"),
    ("unknown_code", {"cover": cover(currency="DOLLAR")}, "'DOLLAR' is not an ISO 4217"),
    ("invalid_date", {"cover": cover(submission_date="last week")}, "'last week' is not a date"),
    ("missing_value", {"cover": cover(currency=None),
                       "context": [{"item": "GDP", "total": 1e9}]},
     "currency (ISO 4217) is required"),
]


@pytest.mark.parametrize(("code", "changes", "expected"), REASONS,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(REASONS)])
def test_every_rejection_reason_names_its_cell(write_workbook, code, changes, expected):
    error = _reject(write_workbook, **changes)
    assert code in {p.code for p in error.problems}, error.message
    assert expected in error.message


def test_cover_cells_are_named(write_workbook):
    error = _reject(write_workbook, cover=cover(iso3="EUR"))
    assert error.problems[0].sheet == "Cover"
    assert error.problems[0].cell == "B1"
    assert str(error.problems[0]).startswith("Cover!B1: 'EUR'")


def test_missing_column_and_missing_header(write_workbook, tmp_path):
    from openpyxl import load_workbook

    path = write_workbook("ok.xlsx", **worked_example())
    book = load_workbook(path)
    book["Beneficiaries"]["C3"] = "Form"  # the 'Benefit form' header, misspelt
    book["Schemes"].delete_rows(1, 10)
    book.save(tmp_path / "broken.xlsx")
    error = rejection(tmp_path / "broken.xlsx")
    codes = {p.code for p in error.problems}
    assert codes == {"missing_column", "missing_header"}
    assert "Beneficiaries: required column 'Benefit form' (or its translation) not found in " \
        "header row 3" in error.message
    assert "Schemes: no header row found" in error.message


# What real workbooks hold: the layouts and habits of the office suites focal points use.


def _edit(path, edit):
    from openpyxl import load_workbook

    book = load_workbook(path)
    edit(book)
    book.save(path)
    return path


def test_merged_titles_frozen_panes_protection_and_hidden_validation_lists(write_workbook):
    """Layout is not content: a merged title, panes frozen under the header, a protected
    sheet (protection without a password to open) and a hidden sheet of code lists that
    the Function cells are validated against change nothing."""
    from openpyxl.worksheet.datavalidation import DataValidation

    plain = parse_workbook(write_workbook("plain.xlsx", **worked_example()))

    def dress(book):
        lists = book.create_sheet("Lists")
        for row, code in enumerate(("OLD", "SURV", "DIS"), start=1):
            lists.cell(row=row, column=1, value=code)
        lists.sheet_state = "hidden"
        check = DataValidation(type="list", formula1="Lists!$A$1:$A$3")
        check.add("B4:B100")
        book["Beneficiaries"].add_data_validation(check)
        for ws in book.worksheets[2:6]:
            ws.merge_cells("A1:F1")
            ws.freeze_panes = "A4"
        book["Schemes"].protection.sheet = True
        book["Schemes"].protection.password = "locked"

    dressed = parse_workbook(_edit(write_workbook("dressed.xlsx", **worked_example()), dress))
    assert dressed.tables == plain.tables
    assert dressed.identity == plain.identity


@pytest.mark.parametrize("names", [
    {"Beneficiaries": "  Beneficiaries ", "Cover": "COVER"},
    {"Beneficiários": "Beneficiarios", "Regimes": "Regimes ", "Capa": "capa"},
])
def test_sheet_names_with_stray_spaces_or_without_accents(write_workbook, names):
    language = "pt" if "Capa" in names else "en"
    reference = parse_workbook(write_workbook("ref.xlsx", **worked_example()))

    def rename(book):
        for old, new in names.items():
            book[old].title = "renaming"  # openpyxl refuses a title differing only in case
            book["renaming"].title = new

    path = write_workbook("renamed.xlsx", language=language, **worked_example())
    sub = parse_workbook(_edit(path, rename))
    assert sub.tables == reference.tables
    assert sub.language == language


@pytest.mark.parametrize(("value", "language", "expected"), [
    (dt.date(2020, 3, 1), "en", dt.date(2020, 3, 1)),
    (dt.datetime(2020, 3, 1, 0, 0), "en", dt.date(2020, 3, 1)),
    ("2020-03-01", "en", dt.date(2020, 3, 1)),
    (" 2020-03-01 ", "es", dt.date(2020, 3, 1)),
    ("2020/03/01", "en", dt.date(2020, 3, 1)),
    ("2020-03-01 00:00:00", "en", dt.date(2020, 3, 1)),
    ("01/03/2020", "fr", dt.date(2020, 3, 1)),
    ("1.3.2020", "pt", dt.date(2020, 3, 1)),
    ("01-03-2020", "es", dt.date(2020, 3, 1)),
    ("25/03/2020", "en", dt.date(2020, 3, 25)),  # day first: 25 cannot be a month
    ("03/25/2020", "en", dt.date(2020, 3, 25)),  # month first, as in the United States
    ("03/03/2020", "en", dt.date(2020, 3, 3)),
])
def test_cover_dates_as_date_cells_or_text(write_workbook, value, language, expected):
    args = worked_example()
    args["cover"]["submission_date"] = value
    sub = parse_workbook(write_workbook("dated.xlsx", language=language, **args))
    assert sub.cover["submission_date"] == expected


@pytest.mark.parametrize(("value", "language", "says"), [
    ("03/04/2020", "en", "'03/04/2020' could be 3 April or 4 March: write the date as "
                         "YYYY-MM-DD"),
    ("31/02/2020", "fr", "'31/02/2020' is not a date (no such day)"),
    ("01/03/20", "fr", "'01/03/20' is not a date: write the date as YYYY-MM-DD"),
    (43891, "en", "43891 is not a date"),
])
def test_cover_dates_that_cannot_be_read(write_workbook, value, language, says):
    args = worked_example()
    args["cover"]["submission_date"] = value
    error = rejection(write_workbook("dated.xlsx", language=language, **args))
    assert error.code == "invalid_date"
    assert says in error.message
    assert error.problems[0].where == ("Couverture!B5" if language == "fr" else "Cover!B5")


def test_counts_typed_as_whole_floats_are_whole_numbers(write_workbook):
    args = worked_example()
    args["beneficiaries"][0].update(total=30000.0, women="12000.0", men=18_000.0)
    row = parse_workbook(write_workbook("floats.xlsx", **args)).tables["beneficiaries"][0]
    assert (row["total"], row["women"], row["men"]) == (30_000, 12_000, 18_000)


def test_an_error_value_typed_as_text_is_an_error(write_workbook):
    """Some files store an error as the text a cell shows (#DIV/0!, LibreOffice's Err:502)."""
    path = write_workbook("text.xlsx", **worked_example())

    def type_text(book):
        for cell, text in (("D5", "#DIV/0!"), ("E4", "Err:502")):
            book["Beneficiaries"][cell] = text
            book["Beneficiaries"][cell].data_type = "s"

    error = rejection(_edit(path, type_text))
    assert [(p.code, p.where, p.value) for p in error.problems] == [
        ("formula_error", "Beneficiaries!E4", "Err:502"),
        ("formula_error", "Beneficiaries!D5", "#DIV/0!")]


def test_two_sheets_for_one_table_are_ambiguous_not_first_come(write_workbook):
    path = write_workbook("two.xlsx", **worked_example())

    def add_french(book):
        copy = book.copy_worksheet(book["Beneficiaries"])
        copy.title = "Bénéficiaires"
        copy["D4"] = 31_000

    error = rejection(_edit(path, add_french))
    assert error.code == "ambiguous_sheet"
    assert "'Beneficiaries' and 'Bénéficiaires'" in error.message


@pytest.mark.parametrize(("content", "says"), [
    (b"<!DOCTYPE html><html><body><table>", "not a spreadsheet workbook (a web page"),
    (b"%PDF-1.7\n", "not a spreadsheet workbook (a PDF document)"),
    (b"", "not a spreadsheet workbook (an empty file)"),
    (b"iso3;year\nKHM;2019\n", "not a spreadsheet workbook (a text or CSV file)"),
])
def test_files_that_are_not_workbooks_say_what_they_are(tmp_path, content, says):
    path = tmp_path / "sent.xlsx"
    path.write_bytes(content)
    error = rejection(path)
    assert error.code == "unreadable_file"
    assert says in error.message
    assert "save it again as a workbook (.xlsx)" in error.message


def test_a_zip_that_is_not_a_workbook(tmp_path):
    import zipfile

    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("KHM_2019.csv", "iso3;year\nKHM;2019\n")
    error = rejection(path)
    assert error.code == "unreadable_file"
    assert "zip archive but not a workbook" in error.message
