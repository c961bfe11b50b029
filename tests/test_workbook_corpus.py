"""A corpus of bad workbooks, one per way a submission is turned away, in its real format.

`BAD_WORKBOOKS` maps a name to a builder: a function writing that workbook into a folder
and returning its path (the file name ends in the file's real format); `EXPECTED` maps the
name to the reason code the parser gives, and `PLACES` to where the message says the
problem is (sheet and cell, a sheet, or None for a problem with the whole file). Each
workbook is the worked example of tests/conftest.py with one thing wrong, a LibreOffice
file from tests/fixtures/workbooks/, or bytes edited to break it, so an end-to-end test
can land all of them beside the good sample.
"""

from __future__ import annotations

import importlib.util
import io
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import msoffcrypto
import pytest
from conftest import cover, worked_example
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook, load_workbook

from ingest.samples.workbook import write_ssi_workbook
from ingest.ssi_workbook import FORMATS, MAX_FILE_BYTES, MAX_UNPACKED_BYTES, RejectedWorkbook
from ingest.ssi_workbook import parse_workbook as parse

FIXTURES = Path(__file__).parent / "fixtures" / "workbooks"


def fixture_module(name: str):
    """A helper module of tests/fixtures/workbooks/ (a folder of files, not a package)."""
    spec = importlib.util.spec_from_file_location(name, FIXTURES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


write_xlsb = fixture_module("xlsb_writer").write_xlsb
Builder = Callable[[Path], Path]


def _example(folder: Path, name: str, **changes) -> Path:
    """The worked example, with `changes` to the writer's arguments."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_ssi_workbook(folder / name, **worked_example(**changes))


def _rows(sheet: str, index: int, **values) -> dict:
    """The worked example's rows of `sheet`, row `index` changed."""
    rows = [dict(row) for row in worked_example()[sheet]]
    rows[index].update(values)
    return {sheet: rows}


def changed(name: str, **changes) -> Builder:
    """A builder of the worked example with other writer arguments."""
    return lambda folder: _example(folder, name, **changes)


def edited(name: str, edit: Callable[[Workbook], None]) -> Builder:
    """A builder of the worked example edited with openpyxl after it was written."""
    def build(folder: Path) -> Path:
        path = _example(folder, name)
        book = load_workbook(path)
        edit(book)
        book.save(path)
        return path
    return build


def fixture(source: str, name: str) -> Builder:
    """A builder copying a LibreOffice-made file of tests/fixtures/workbooks/."""
    def build(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(FIXTURES / source, folder / name))
    return build


def _delete_schemes(book: Workbook) -> None:
    del book["Schemes"]


def _second_beneficiaries(hidden: bool, title: str) -> Callable[[Workbook], None]:
    def edit(book: Workbook) -> None:
        copy = book.copy_worksheet(book["Beneficiaries"])
        copy.title = title
        copy["D4"] = 31_000  # different figures: which sheet holds the right ones?
        if hidden:
            copy.sheet_state = "hidden"
    return edit


def _no_header(book: Workbook) -> None:
    book["Schemes"].delete_rows(1, 10)


def _misspelt_header(book: Workbook) -> None:
    book["Beneficiaries"]["C3"] = "Form"


def _uncalculated(book: Workbook) -> None:
    book["Beneficiaries"]["D4"] = "=E4+F4"  # openpyxl saves formulas without their results


def _far_row(book: Workbook) -> None:
    book["Beneficiaries"]["A100001"] = "end of the list"


def _without_dimension(build: Builder) -> Builder:
    """The workbook of `build`, the <dimension> of every sheet removed from its XML."""
    def rebuild(folder: Path) -> Path:
        path = build(folder)
        with zipfile.ZipFile(path) as archive:
            parts = {info: archive.read(info) for info in archive.infolist()}
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for info, data in parts.items():
                if info.filename.startswith("xl/worksheets/"):
                    data = re.sub(rb"<dimension [^>]*/>", b"", data)
                archive.writestr(info, data)
        return path
    return rebuild


def _encrypted_xlsx(folder: Path) -> Path:
    """Saved with a password to open: an OOXML file encrypted into a compound file."""
    plain = _example(folder, "encrypted-plain.xlsx")
    target = folder / "encrypted.xlsx"
    with open(plain, "rb") as source, open(target, "wb") as out:
        OOXMLFile(source).encrypt("spf-secret", out)
    plain.unlink()
    return target


def _truncated(build: Builder, keep: float) -> Builder:
    """The file of `build` cut short, as an interrupted download leaves it."""
    def rebuild(folder: Path) -> Path:
        path = build(folder)
        data = path.read_bytes()
        path.write_bytes(data[:int(len(data) * keep)])
        return path
    return rebuild


def _corrupted_xlsx(folder: Path) -> Path:
    """Bytes of the Beneficiaries sheet's compressed XML overwritten in place."""
    path = _example(folder, "corrupted.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet5.xml")  # Beneficiaries
        assert b"Beneficiaries" in archive.read(info)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 3
    data[middle:middle + 24] = b"\xff" * 24
    path.write_bytes(bytes(data))
    return path


def _formula_error_xlsb(folder: Path) -> Path:
    """An .xlsb whose Beneficiaries total is a formula cached as #DIV/0! (BrtFmlaError)."""
    source = _example(folder, "xlsb-source.xlsx")
    path = write_xlsb(source, folder / "formula_error.xlsb", {("Beneficiaries", "D5"): "#DIV/0!"})
    source.unlink()
    return path


def _too_large(folder: Path) -> Path:
    """A workbook over 50 MB: the worked example and a large picture, stored unpacked."""
    path = _example(folder, "too_large.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/media/image1.png", bytes(MAX_FILE_BYTES + 2**20))
    return path


def _zip_bomb(folder: Path) -> Path:
    """A 2 MB workbook that unpacks to more than 500 MB (zeros compress very well)."""
    path = _example(folder, "zip_bomb.xlsx")
    chunk = bytes(2**24)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/media/image1.png", "w", force_zip64=True) as member:
            for _ in range(MAX_UNPACKED_BYTES // len(chunk) + 1):
                member.write(chunk)
    return path


# name -> (builder, reason code, where the message says the problem is)
CORPUS: dict[str, tuple[Builder, str, str | None]] = {
    # The structure of the workbook.
    "missing_sheet": (edited("missing_sheet.xlsx", _delete_schemes), "missing_sheet", None),
    "ambiguous_sheet": (edited("ambiguous_sheet.xlsx", _second_beneficiaries(
        False, "Bénéficiaires")), "ambiguous_sheet", "Bénéficiaires"),
    "ambiguous_hidden_sheet": (edited("ambiguous_hidden_sheet.xlsx", _second_beneficiaries(
        True, "Beneficiarios")), "ambiguous_sheet", "Beneficiarios"),
    "missing_header": (edited("missing_header.xlsx", _no_header), "missing_header", "Schemes"),
    "missing_column": (edited("missing_column.xlsx", _misspelt_header), "missing_column",
                       "Beneficiaries"),
    # The cover.
    "missing_country": (changed("missing_country.xlsx", cover=cover(iso3=None)),
                        "missing_value", "Cover!B1"),
    "unknown_country": (changed("unknown_country.xlsx", cover=cover(iso3="EUR")),
                        "unknown_country", "Cover!B1"),
    "year_out_of_range": (changed("year_out_of_range.xlsx", cover=cover(year=2999)),
                          "year_out_of_range", "Cover!B3"),
    "year_not_a_number": (changed("year_not_a_number.xlsx", cover={
        **cover(), "reference_year": "twenty"}), "not_a_number", "Cover!B3"),
    "invalid_revision": (changed("invalid_revision.xlsx", cover=cover(revision=0)),
                         "invalid_revision", "Cover!B4"),
    "invalid_date": (changed("invalid_date.xlsx", cover=cover(submission_date="last week")),
                     "invalid_date", "Cover!B5"),
    "ambiguous_date": (changed("ambiguous_date.xlsx", cover=cover(submission_date="03/04/2020")),
                       "invalid_date", "Cover!B5"),
    "unknown_currency": (changed("unknown_currency.xlsx", cover=cover(currency="DOLLAR")),
                         "unknown_code", "Cover!B8"),
    "missing_currency": (changed("missing_currency.xlsx", cover=cover(currency=None), context=[
        {"item": "GDP", "total": 1e9}]), "missing_value", "Cover!B8"),
    # The figures and codes of the tables.
    "missing_value": (changed("missing_value.xlsx", **_rows("beneficiaries", 0, function=None)),
                      "missing_value", "Beneficiaries!B4"),
    "not_a_number": (changed("not_a_number.xlsx", **_rows("beneficiaries", 1, total="abc")),
                     "not_a_number", "Beneficiaries!D5"),
    "number_in_another_language": (changed("number_in_another_language.xlsx", **_rows(
        "contributors", 0, total="200000,5")), "not_a_number", "Contributors!C4"),
    "not_whole_number": (changed("not_whole_number.xlsx", **_rows(
        "contributors", 0, total=200_000.5)), "not_whole_number", "Contributors!C4"),
    "negative_value": (changed("negative_value.xlsx", **_rows("context", 1, women=-56_000)),
                       "negative_value", "Context!C5"),
    "unknown_code": (changed("unknown_code.xlsx", **_rows("schemes", 1, scheme_type="UNIV")),
                     "unknown_code", "Schemes!C5"),
    "unknown_scheme": (changed("unknown_scheme.xlsx", **_rows("contributors", 0, scheme_id="NSF")),
                       "unknown_scheme", "Contributors!A4"),
    "duplicate_scheme": (changed("duplicate_scheme.xlsx", **_rows("schemes", 1, scheme_id="NSSF")),
                         "duplicate_scheme", "Schemes!A5"),
    "duplicate_item": (changed("duplicate_item.xlsx", **_rows("context", 1, item="POP_TOTAL")),
                       "duplicate_item", "Context!A5"),
    "sex_split_exceeds_total": (changed("sex_split_exceeds_total.xlsx", **_rows(
        "context", 0, women=600_000)), "sex_split_exceeds_total", "Context!B4"),
    # What spreadsheets hold: error values and formulas, in every format.
    "error_value_xlsx": (changed("error_value.xlsx", **_rows("beneficiaries", 1,
                                                             total="#DIV/0!")),
                         "formula_error", "Beneficiaries!D5"),
    "formula_error_xlsx_libreoffice": (fixture("formula_errors.lo.xlsx", "formula_error.xlsx"),
                                       "formula_error", "Cover!B4"),
    "formula_error_xls": (fixture("formula_errors.xls", "formula_error.xls"), "formula_error",
                          "Cover!B4"),
    "formula_error_ods": (fixture("formula_errors.ods", "formula_error.ods"), "formula_error",
                          "Cover!B4"),
    "formula_error_xlsb": (_formula_error_xlsb, "formula_error", "Beneficiaries!D5"),
    "formula_without_value": (edited("formula_without_value.xlsx", _uncalculated),
                              "formula_without_value", "Beneficiaries!D4"),
    # The file itself.
    "encrypted_xlsx": (_encrypted_xlsx, "encrypted_workbook", None),
    "encrypted_xls": (fixture("encrypted.xls", "encrypted.xls"), "encrypted_workbook", None),
    "encrypted_ods": (fixture("encrypted.ods", "encrypted.ods"), "encrypted_workbook", None),
    "truncated_xlsx": (_truncated(changed("truncated.xlsx"), 0.6), "unreadable_file", None),
    "truncated_xls": (_truncated(fixture("ssi_example.xls", "truncated.xls"), 0.5),
                      "unreadable_file", None),
    "corrupted_xlsx": (_corrupted_xlsx, "unreadable_file", None),
    "too_large": (_too_large, "too_large", None),
    "zip_bomb": (_zip_bomb, "too_large", None),
    "too_many_rows": (edited("too_many_rows.xlsx", _far_row), "too_many_rows", "Beneficiaries"),
    "too_many_rows_without_dimension": (_without_dimension(edited(
        "too_many_rows_without_dimension.xlsx", _far_row)), "too_many_rows", "Beneficiaries"),
}
BAD_WORKBOOKS: dict[str, Builder] = {name: case[0] for name, case in CORPUS.items()}
EXPECTED: dict[str, str] = {name: case[1] for name, case in CORPUS.items()}
PLACES: dict[str, str | None] = {name: case[2] for name, case in CORPUS.items()}
# Every message says what to do, but two whose words the sample's README quotes verbatim
# ("'environ 5000' is not a number", "scheme code 'INAM' is not in the 'Régimes' sheet").
ACTION = re.compile(r"\b(send|write|give|fill|correct|add|use|delete|keep|put|open|type|"
                    r"remove|number|name)\b")
QUOTED = {"not_a_number", "unknown_scheme"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corpus")
    return {name: build(folder / name) for name, build in BAD_WORKBOOKS.items()}


def test_the_corpus_covers_every_reason_of_the_parser():
    assert len(BAD_WORKBOOKS) >= 25
    assert set(EXPECTED.values()) == {
        "missing_sheet", "ambiguous_sheet", "missing_header", "missing_column",
        "missing_value", "not_a_number", "not_whole_number", "negative_value", "unknown_code",
        "unknown_country", "unknown_scheme", "duplicate_scheme", "duplicate_item",
        "sex_split_exceeds_total", "invalid_date", "year_out_of_range", "invalid_revision",
        "formula_error", "formula_without_value", "encrypted_workbook", "unreadable_file",
        "too_large", "too_many_rows"}


@pytest.mark.parametrize("name", list(BAD_WORKBOOKS))
def test_a_bad_workbook_is_rejected_naming_the_reason_and_the_place(corpus, name):
    path = corpus[name]
    assert path.suffix in FORMATS
    with pytest.raises(RejectedWorkbook) as caught:
        parse(path)
    problems = [p for p in caught.value.problems if p.code == EXPECTED[name]]
    assert problems, f"{name}: {caught.value.message}"
    problem = problems[0]
    assert problem.where == PLACES[name], str(problem)
    if PLACES[name]:
        assert str(problem).startswith(f"{PLACES[name]}: ")
        assert caught.value.message.startswith(f"{caught.value.problems[0].where}: ")
    if problem.code not in QUOTED or problem.message.count(":"):
        assert ACTION.search(problem.message), f"no advice in: {problem.message}"


def test_messages_name_what_is_wrong(corpus):
    """A few messages in full, as a focal point reads them."""
    def message(name: str) -> str:
        with pytest.raises(RejectedWorkbook) as caught:
            parse(corpus[name])
        return caught.value.message

    assert message("ambiguous_sheet").startswith(
        "Bénéficiaires: the workbook has 2 Beneficiaries sheets, 'Beneficiaries' and "
        "'Bénéficiaires', and only one may hold the figures: delete the others")
    assert "'Beneficiarios' (hidden)" in message("ambiguous_hidden_sheet")
    assert message("encrypted_xlsx").startswith(
        "the workbook is protected by a password, so it cannot be read: remove the password "
        "and send again")
    assert message("ambiguous_date").startswith(
        "Cover!B5: '03/04/2020' could be 3 April or 4 March: write the date as YYYY-MM-DD")
    assert message("too_large").startswith("the file is 51.0 MB, more than the 50.0 MB")
    assert "unpacks to 512.0 MB, more than the 500.0 MB" in message("zip_bomb")
    assert message("truncated_xlsx").startswith("the file is damaged or incomplete")
    assert message("number_in_another_language") == (
        "Contributors!C4: '200000,5' is not a number in this workbook's language: write it "
        "as 1,234.5 in this workbook, or as a number cell")


def test_a_good_workbook_beside_them_is_accepted(tmp_path):
    assert parse(_example(tmp_path, "good.xlsx")).submission_id == "KHM-2019-r1"


def test_the_encrypted_xlsx_is_a_compound_file_that_msoffcrypto_can_open(corpus):
    data = corpus["encrypted_xlsx"].read_bytes()
    assert data[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    office.load_key(password="spf-secret")
    plain = io.BytesIO()
    office.decrypt(plain)
    assert zipfile.is_zipfile(plain)


def test_every_bad_workbook_can_be_built_into_one_landing_folder(tmp_path):
    """As an end-to-end test lands them: one folder, one file each, nothing else left."""
    paths = {name: build(tmp_path) for name, build in BAD_WORKBOOKS.items()}
    assert len(set(paths.values())) == len(paths)
    assert sorted(tmp_path.iterdir()) == sorted(paths.values())
