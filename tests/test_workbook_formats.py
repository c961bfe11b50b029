"""One parser for every format a focal point's office suite saves, and what spreadsheets hold.

The same workbook as .xlsx (openpyxl and LibreOffice), .xlsm, .xls, .ods and .xlsb must
give exactly the same figures; error values and formulas never calculated must be named
by their cell in every format, though python-calamine reads them as blanks; a sheet over
the row limit must be refused before its cells are read. The LibreOffice-made files are
in tests/fixtures/workbooks/ (README.md there says how each was made).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import worked_example
from openpyxl import load_workbook

import ingest.ssi_workbook as ssi_workbook
from ingest.ssi_workbook import RejectedWorkbook, parse_workbook

FIXTURES = Path(__file__).parent / "fixtures" / "workbooks"


def fixture_module(name: str):
    """A helper module of tests/fixtures/workbooks/ (a folder of files, not a package)."""
    spec = importlib.util.spec_from_file_location(name, FIXTURES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


write_xlsb = fixture_module("xlsb_writer").write_xlsb
REFERENCE = FIXTURES / "ssi_example.xlsx"  # written by openpyxl, the sample writer
# The same figures saved by LibreOffice in every format it writes, plain and as a real
# workbook looks (formulas, merged titles, frozen panes, hidden lists, accent-less names).
SAME_FIGURES = ["ssi_example.lo.xlsx", "ssi_example.xlsm", "ssi_example.xls", "ssi_example.ods",
                "ssi_realistic.lo.xlsx", "ssi_realistic.xlsm", "ssi_realistic.xls",
                "ssi_realistic.ods"]
# Where formula_errors.* hold a failing formula, and the error each format caches there.
FORMULA_ERRORS = {"Cover!B4": "#VALUE!", "Context!B5": "#VALUE!", "Schemes!F4": "#NAME?",
                  "Contributors!D4": "#REF!", "Beneficiaries!E4": "#N/A",
                  "Beneficiaries!D5": "#DIV/0!"}


def rejection(path: Path) -> RejectedWorkbook:
    with pytest.raises(RejectedWorkbook) as caught:
        parse_workbook(path)
    return caught.value


def sheet_part(path: Path, sheet: str) -> str:
    """The zip member of an .xlsx that holds `sheet`."""
    return ssi_workbook._sheet_parts(ssi_workbook._Zip(path.read_bytes()), "xlsx")[sheet]


def figures(path: Path) -> tuple:
    """What a submission says: identity, typed cover and every table row."""
    sub = parse_workbook(path)
    return sub.identity, sub.cover, sub.tables, sub.sheets


@pytest.fixture(scope="module")
def reference():
    return figures(REFERENCE)


def test_the_reference_is_the_worked_example(write_workbook, reference):
    """The committed openpyxl workbook is what the sample writer writes today."""
    assert figures(write_workbook("now.xlsx", **worked_example())) == reference
    identity, cover, tables, _ = reference
    assert identity == {"country_iso3": "KHM", "reference_year": 2019, "revision": 1}
    assert [(r["scheme_id"], r["total"], r["women"], r["men"]) for r in
            tables["beneficiaries"]] == [("NSSF", 30_000, 12_000, 18_000),
                                         ("USP", 45_000, 28_000, 17_000)]


@pytest.mark.parametrize("name", SAME_FIGURES)
def test_every_format_gives_the_figures_of_the_xlsx(name, reference):
    """Identity, cover (date included), every table row, its source row and its extra
    columns: identical to the openpyxl .xlsx, whatever LibreOffice saved it as."""
    assert figures(FIXTURES / name) == reference


def test_xlsb_gives_the_figures_of_the_xlsx(tmp_path, reference):
    """LibreOffice does not write .xlsb: this one is made by a minimal BIFF12 writer."""
    assert figures(write_xlsb(REFERENCE, tmp_path / "ssi_example.xlsb")) == reference


@pytest.mark.parametrize(("name", "language"), [("ssi_example.ods", "en"),
                                                ("ssi_realistic.xls", "pt")])
def test_the_language_is_found_in_every_format(name, language):
    assert parse_workbook(FIXTURES / name).language == language


def test_the_fixtures_are_what_their_names_say():
    """Written by LibreOffice, in the format their extension names."""
    for name in ("ssi_example.xls", "ssi_realistic.xls", "formula_errors.xls"):
        assert (FIXTURES / name).read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    for name in ("ssi_example.ods", "ssi_realistic.ods", "formula_errors.ods"):
        with zipfile.ZipFile(FIXTURES / name) as archive:
            assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    for name in ("ssi_example.lo.xlsx", "ssi_example.xlsm", "ssi_realistic.xlsm"):
        with zipfile.ZipFile(FIXTURES / name) as archive:
            assert b"LibreOffice" in archive.read("docProps/app.xml")
            macro = b"sheet.macroEnabled.main+xml" in archive.read("[Content_Types].xml")
            assert macro == name.endswith(".xlsm")


@pytest.mark.parametrize(("name", "wrong"), [("ssi_example.xls", "as-xls.xlsx"),
                                             ("ssi_example.ods", "as-ods.xls"),
                                             ("ssi_example.lo.xlsx", "as-xlsx.ods")])
def test_a_workbook_is_read_for_what_it_is_whatever_its_name(tmp_path, reference, name, wrong):
    shutil.copy(FIXTURES / name, tmp_path / wrong)
    assert figures(tmp_path / wrong) == reference


@pytest.mark.parametrize("name", ["formula_errors.lo.xlsx", "formula_errors.xls",
                                  "formula_errors.ods"])
def test_formula_errors_are_named_by_cell_in_every_format(name):
    """calamine reads #DIV/0! as a blank; the parser finds it in the file and names it.
    The =1/0 in the notes column is kept as text, not refused (the column is only kept)."""
    error = rejection(FIXTURES / name)
    assert {p.code for p in error.problems} == {"formula_error"}
    found = {p.where: p.value for p in error.problems}
    expected = dict(FORMULA_ERRORS)
    if name.endswith(".ods"):
        expected["Cover!B4"] = "Err:502"  # LibreOffice's own error for SQRT(-1) in .ods
    assert found == expected
    assert "Beneficiaries!D5: the cell shows the error #DIV/0! instead of a figure: " \
        "correct the formula or type the figure" in error.message
    assert not any("G4" in p.where for p in error.problems)
    # A failing cover field is reported as an error, not also as missing.
    assert error.identity == {"country_iso3": "KHM", "reference_year": 2019}


def test_error_values_written_by_openpyxl_and_in_xlsb(write_workbook, tmp_path):
    """Error values typed as constants (t="e" in OOXML, BrtCellError in .xlsb) and an
    .xlsb formula whose cached result is an error (BrtFmlaError, skipped by calamine)."""
    args = worked_example()
    args["beneficiaries"][1]["total"] = "#DIV/0!"  # openpyxl stores it as an error value
    args["context"][0]["women"] = "#N/A"
    path = write_workbook("errors.xlsx", **args)
    for book in (path, write_xlsb(path, tmp_path / "errors.xlsb",
                                  {("Schemes", "F4"): "#REF!"})):
        error = rejection(book)
        found = {p.where: (p.code, p.value) for p in error.problems}
        expected = {"Beneficiaries!D5": ("formula_error", "#DIV/0!"),
                    "Context!C4": ("formula_error", "#N/A")}
        if book.suffix == ".xlsb":
            expected["Schemes!F4"] = ("formula_error", "#REF!")
        assert found == expected, book.name


def test_an_error_row_does_not_end_the_table(write_workbook, tmp_path):
    """A row of error cells is not an empty row: the rows under it are still read."""
    path = write_workbook("ok.xlsx", **worked_example())
    book = load_workbook(path)
    ws = book["Beneficiaries"]
    ws.insert_rows(5)
    for column in "ABCDEF":
        ws[f"{column}5"] = "#REF!"
    book.save(tmp_path / "row.xlsx")
    error = rejection(tmp_path / "row.xlsx")
    assert {p.where for p in error.problems} == {f"Beneficiaries!{c}5" for c in "ABCDEF"}


def test_a_formula_without_a_saved_result_is_named_with_its_formula(write_workbook, tmp_path):
    """openpyxl writes formulas without calculating them: calamine reads a blank."""
    path = write_workbook("ok.xlsx", **worked_example())
    book = load_workbook(path)
    book["Beneficiaries"]["D4"] = "=E4+F4"
    book.save(tmp_path / "uncalculated.xlsx")
    error = rejection(tmp_path / "uncalculated.xlsx")
    assert [(p.code, p.where) for p in error.problems] == [("formula_without_value",
                                                            "Beneficiaries!D4")]
    assert "Beneficiaries!D4: the formula =E4+F4 has no saved result" in error.message
    assert "open the workbook in Excel or LibreOffice, let it calculate, save it" in \
        error.message


def test_formulas_with_saved_results_are_read_as_their_values(reference):
    """LibreOffice cached women + men in the totals, and "" in the notes column."""
    path = FIXTURES / "ssi_realistic.lo.xlsx"
    with zipfile.ZipFile(path) as archive:
        assert b"<f aca" in archive.read(sheet_part(path, "Beneficiarios"))
    sub = parse_workbook(FIXTURES / "ssi_realistic.lo.xlsx")
    assert [r["total"] for r in sub.tables["beneficiaries"]] == [30_000, 45_000]
    assert all(r["extra"] is None for r in sub.tables["beneficiaries"])


def _tall(path: Path, source: Path, rows: int, dimension: bool) -> Path:
    """`source` with a Beneficiaries sheet of `rows` rows (header on row 3), as raw XML."""
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    member = sheet_part(source, "Beneficiaries")
    header = "".join(f'<c r="{c}3" t="inlineStr"><is><t>{label}</t></is></c>' for c, label in
                     zip("ABCDEF", ("Scheme code", "Function", "Benefit form", "Total", "Women",
                                    "Men"), strict=True))
    body = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>NSSF</t></is></c><c r="B{r}" '
        f't="inlineStr"><is><t>OLD</t></is></c><c r="C{r}" t="inlineStr"><is><t>CASH_PERIODIC'
        f'</t></is></c><c r="D{r}"><v>{r}</v></c></row>' for r in range(4, rows + 1))
    parts[member] = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="A1:F{rows}"/>' if dimension else "")
        + f'<sheetData><row r="3">{header}</row>{body}</sheetData></worksheet>').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


PEAK_MEMORY = """
import resource, sys
from ingest.ssi_workbook import RejectedWorkbook, parse_workbook
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    parse_workbook(sys.argv[1])
    code = "accepted"
except RejectedWorkbook as error:
    code = error.code
print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


@pytest.mark.parametrize("dimension", [True, False], ids=["dimension", "no-dimension"])
def test_a_sheet_over_the_row_limit_is_refused_before_its_cells_are_read(tmp_path, dimension):
    """100,001 rows: refused from the sheet's <dimension> (or, without one, from its rows
    counted as the XML streams by) before calamine reads a cell. Checked in a fresh
    process: the peak memory (ru_maxrss) grows by a few MB, where reading the sheet
    would take about 250 MB."""
    path = _tall(tmp_path / "tall.xlsx", REFERENCE, 100_001, dimension)
    error = rejection(path)
    assert error.code == "too_many_rows"
    assert str(error.problems[0]).startswith(
        "Beneficiaries: the sheet is used down to row 100,001, more than the 100,000 rows")
    run = subprocess.run([sys.executable, "-c", PEAK_MEMORY, str(path)], capture_output=True,
                         text=True, check=True, cwd=Path(__file__).parent.parent)
    code, grown_kb = run.stdout.split()
    assert code == "too_many_rows"
    assert int(grown_kb) < 40 * 1024, f"peak memory grew by {int(grown_kb) // 1024} MB"


@pytest.mark.parametrize("dimension", [True, False])
def test_the_row_limit_is_inclusive(tmp_path, monkeypatch, dimension):
    monkeypatch.setattr(ssi_workbook, "MAX_ROWS", 20)
    assert rejection(_tall(tmp_path / "21.xlsx", REFERENCE, 21, dimension)).code == \
        "too_many_rows"
    sub = parse_workbook(_tall(tmp_path / "20.xlsx", REFERENCE, 20, dimension))
    assert len(sub.tables["beneficiaries"]) == 17


def test_the_row_limit_applies_to_every_format(tmp_path, monkeypatch):
    """.xls and .ods carry no dimension the parser reads: calamine's count of the rows is
    checked before any cell is converted."""
    monkeypatch.setattr(ssi_workbook, "MAX_ROWS", 4)
    for name in ("ssi_example.xls", "ssi_example.ods"):
        error = rejection(FIXTURES / name)
        assert {p.code for p in error.problems} == {"too_many_rows"}
        assert "Context: the sheet is used down to row 5" in error.message


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (make office) absent")
def test_the_fixtures_are_what_the_script_makes(tmp_path):
    """Re-made by LibreOffice now, every fixture reads as the committed one."""
    made = fixture_module("make_fixtures").make(tmp_path, encrypted=False)
    assert len(made) == 12
    for name, path in made.items():
        committed = FIXTURES / name
        if name.startswith("formula_errors"):
            assert [str(p) for p in rejection(path).problems] == [
                str(p) for p in rejection(committed).problems]
        else:
            assert figures(path) == figures(committed), name
