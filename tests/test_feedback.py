"""The feedback workbook sent back to a focal point: every problem in the submission's
language, the cells concerned highlighted and commented in a copy of its sheets, readable
by openpyxl and LibreOffice; and a catalogue with every text in the four languages."""

from __future__ import annotations

import ast
import hashlib
import shutil
import string
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import worked_example
from python_calamine import CalamineWorkbook

from ingest.paths import REPO_ROOT, SAMPLE_SSI_DIR, resolve
from ingest.samples.workbook import write_ssi_workbook
from warehouse.review import workbook
from warehouse.review.feedback import FeedbackError, write_feedback
from warehouse.review.messages import MESSAGES

LANGUAGES = ("en", "fr", "es", "pt")
TGO = SAMPLE_SSI_DIR / "TGO_2022_r2.xlsx"


# ---------------------------------------------------------------------------------------
# The catalogue.


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_is_in_every_language_with_the_same_fields():
    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGUAGES), f"{key}: {sorted(set(LANGUAGES) ^ set(texts))}"
        assert all(texts[lang].strip() for lang in LANGUAGES), key
        assert len({frozenset(placeholders(texts[lang])) for lang in LANGUAGES}) == 1, key
        if key.startswith(("rule_", "do_", "intro_", "status_")):
            # Translated, not copied: only codes and file types may read the same.
            assert texts["fr"] != texts["en"] and texts["es"] != texts["en"], key


def problem_codes() -> set[str]:
    """Every problem code an SSI delivery can be turned away with, read from the code that
    raises them: the parser, the landing, the load step and the source gate."""
    found = set()
    for module in ("ingest/ssi_workbook.py", "ingest/landing.py", "ingest/ssi.py",
                   "expectations/sources.py"):
        tree = ast.parse((REPO_ROOT / module).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and isinstance(
                    node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if name in {"add", "Problem", "_refuse", "Refusal"}:
                    found.add(node.args[0].value)
    # Codes passed through a variable: `code, advice = "year_out_of_range", ...` and the
    # duplicate codes of `_unique(rows, column, code, ...)`.
    parser = (REPO_ROOT / "ingest/ssi_workbook.py").read_text()
    passed = {"year_out_of_range", "invalid_revision", "duplicate_scheme", "duplicate_item"}
    assert all(f'"{code}"' in parser for code in passed)
    return found | passed


def test_every_problem_code_and_check_has_a_rule_and_what_to_do():
    from ingest import codes

    # Every check ops.submission_checks may hold: the year-on-year warnings (not the share
    # of a region's population, which flags regional figures), and the flags followed up.
    warnings = {name for name, measure in zip(
        codes.seed_column("plausibility_thresholds", "check_name"),
        codes.seed_column("plausibility_thresholds", "measure"), strict=True)
        if measure != "regional_population"}
    flagged = {f for f, follow in zip(codes.seed_column("quality_flags", "flag"),
                                      codes.seed_column("quality_flags", "follow_up"),
                                      strict=True) if follow == "true"}
    needed = problem_codes() | warnings | flagged
    assert {"not_a_number", "unknown_scheme", "conflicting_redelivery", "failed_expectation",
            "context_change", "coverage_change", "numerator_exceeds_denominator"} <= needed
    missing = sorted(c for c in needed
                     if f"rule_{c}" not in MESSAGES or f"do_{c}" not in MESSAGES)
    assert not missing, f"add rule_ and do_ texts for {missing}"
    from ingest.codes import SERIES

    assert all(f"series_{s}" in MESSAGES for s in SERIES)


@pytest.mark.parametrize("name, language", [
    ("SEN_2022_r1.xlsx", "fr"), ("PRY_2019_r1.xlsx", "es"), ("MOZ_2022_r1.xlsx", "pt"),
    ("KHM_2019_r1.xlsx", "en"), ("TGO_2022_r2.xlsx", "fr")])
def test_language_is_found_from_the_workbook_as_the_parser_finds_it(name, language):
    from ingest.ssi_workbook import parse_workbook

    assert workbook.detect_language(workbook.read_sheets(SAMPLE_SSI_DIR / name)) == language
    if name != "TGO_2022_r2.xlsx":  # the parser agrees where it accepts the workbook
        assert parse_workbook(SAMPLE_SSI_DIR / name).language == language


def test_numbers_are_written_the_way_each_language_writes_them():
    assert [workbook.number(1234567.25, lang, 1, sign=True) for lang in LANGUAGES] == [
        "+1,234,567.2", "+1\u00a0234\u00a0567,2", "+1.234.567,2", "+1\u00a0234\u00a0567,2"]


# ---------------------------------------------------------------------------------------
# Feedback on real deliveries: the rejected French sample, a quarantined workbook.


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """A state with the rejected TGO 2022 r2 of the sample, a workbook quarantined by the
    source gate (a population of 50 persons) and one loaded without problems, loaded by the
    pipeline's own load step (no build: feedback reads the state)."""
    from warehouse.shared.lock import new_run_id
    from warehouse.sources.registry import Inputs
    from warehouse.sources.ssi import ingest_ssi

    root = tmp_path_factory.mktemp("feedback")
    landing = root / "landing"
    landing.mkdir()
    shutil.copyfile(TGO, landing / TGO.name)
    implausible = worked_example(iso3="TLS")
    implausible["context"][0].update(total=50, women=None, men=None)
    write_ssi_workbook(landing / "TLS_2019.xlsx", **implausible)
    write_ssi_workbook(landing / "KHM_2019.xlsx", **worked_example())
    paths = resolve(root / "wh" / "spf.duckdb")
    summary = ingest_ssi(paths, new_run_id(), Inputs({"landing": landing}))
    assert summary["counts"] == {"rejected": 1, "quarantined": 1, "loaded": 1}
    return paths


def archived(paths) -> Path:
    sha = hashlib.sha256(TGO.read_bytes()).hexdigest()
    return paths.archive / "ssi" / sha[:2] / f"{sha}.xlsx"


def french_problems(book) -> list[tuple]:
    sheet = book.worksheets[0]
    return [row for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]


def commented(book) -> dict[tuple[str, str], tuple[str, str]]:
    return {(ws.title, c.coordinate): (c.fill.fgColor.rgb, c.comment.text)
            for ws in book.worksheets[1:] for row in ws.iter_rows() for c in row if c.comment}


def test_feedback_for_the_rejected_french_sample(delivered, tmp_path):
    original = archived(delivered)
    before = (original.read_bytes(), original.stat().st_mode)
    out = tmp_path / "TGO_2022_r2_retour.xlsx"
    result = write_feedback(delivered.state_db, "TGO_2022_r2.xlsx", out,
                            archive=delivered.archive)
    assert (result.status, result.language, result.submission_id) == (
        "rejected", "fr", "TGO-2022-r2")

    book = openpyxl.load_workbook(out)
    # The problems first, in French, then the workbook's own sheets under their names.
    assert book.sheetnames == ["Problèmes", *CalamineWorkbook.from_path(str(TGO)).sheet_names]
    first = book.worksheets[0]
    assert first["A1"].value == MESSAGES["title"]["fr"]
    assert ("N°", "Type", "Feuille", "Cellule", "Valeur trouvée", "Règle", "Que faire",
            "Message du contrôle (en anglais)") in set(first.iter_rows(values_only=True))
    assert [row[:7] for row in french_problems(book)] == [
        (1, "Erreur", "Bénéficiaires", "D6", "environ 5000", MESSAGES["rule_not_a_number"]["fr"],
         MESSAGES["do_not_a_number"]["fr"]),
        (2, "Erreur", "Cotisants", "A7", "INAM", MESSAGES["rule_unknown_scheme"]["fr"],
         MESSAGES["do_unknown_scheme"]["fr"]),
    ]
    assert french_problems(book)[0][5] == "Un nombre est attendu dans cette cellule."
    # The check's own words stay, for the ILO (they are those of ops.submissions).
    assert [row[7] for row in french_problems(book)] == [
        "'environ 5000' is not a number", "scheme code 'INAM' is not in the 'Régimes' sheet"]

    # Exactly the two cells concerned are highlighted and commented, in French.
    notes = commented(book)
    assert set(notes) == {("Bénéficiaires", "D6"), ("Cotisants", "A7")}
    fill, text = notes[("Bénéficiaires", "D6")]
    assert fill.endswith("FFC7CE")
    assert text == (f"Erreur : {MESSAGES['rule_not_a_number']['fr']}\n"
                    f"Que faire : {MESSAGES['do_not_a_number']['fr']}")
    assert "Régimes" in notes[("Cotisants", "A7")][1]
    assert book["Problèmes"]["D9"].hyperlink.location == "'Bénéficiaires'!D6"

    # Every value of every sheet is the original's, read with calamine.
    source = CalamineWorkbook.from_path(str(TGO))
    for name in source.sheet_names:
        grid = source.get_sheet_by_name(name).to_python()
        for r, values in enumerate(grid, start=1):
            for c, value in enumerate(values, start=1):
                copied = book[name].cell(row=r, column=c).value
                if value in ("", None):
                    assert copied is None, (name, r, c)
                elif hasattr(value, "isoformat"):
                    assert copied.date() == value, (name, r, c)
                else:
                    assert copied == value, (name, r, c)

    # The archived original is untouched: same bytes, still read-only.
    assert (original.read_bytes(), original.stat().st_mode) == before
    assert oct(before[1] & 0o777) == "0o400"

    # The same file by its sha256 prefix or its submission id; any other key is refused.
    sha = hashlib.sha256(TGO.read_bytes()).hexdigest()
    for key in (sha[:12], "TGO-2022-r2"):
        again = write_feedback(delivered.state_db, key, tmp_path / f"{key}.xlsx",
                               archive=delivered.archive)
        assert again.file == "TGO_2022_r2.xlsx" and len(again.items) == 2
    with pytest.raises(FeedbackError, match="no SSI file matches"):
        write_feedback(delivered.state_db, "TGO-2023-r1", tmp_path / "x.xlsx",
                       archive=delivered.archive)
    with pytest.raises(FeedbackError, match="nothing to send back"):
        write_feedback(delivered.state_db, "KHM_2019.xlsx", tmp_path / "x.xlsx",
                       archive=delivered.archive)
    with pytest.raises(FeedbackError, match="inside the archive"):
        write_feedback(delivered.state_db, TGO.name, original.parent / "feedback.xlsx",
                       archive=delivered.archive)


def test_feedback_for_a_quarantined_submission_points_at_the_gate_rows(delivered, tmp_path):
    out = tmp_path / "TLS.xlsx"
    result = write_feedback(delivered.state_db, "TLS_2019.xlsx", out, language="pt",
                            archive=delivered.archive)
    assert (result.status, result.language) == ("quarantined", "pt")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "Problemas"
    (row,) = french_problems(book)
    # Row 4 of the context sheet is POP_TOTAL; its total is in column B.
    assert row[1:6] == ("Erro", "Context", "B4", "50", MESSAGES["rule_failed_expectation"]["pt"])
    assert "expect_column_values_to_be_between(total)" in row[7]
    assert set(commented(book)) == {("Context", "B4")}
    assert book["Context"]["A4"].value == "POP_TOTAL"


def soffice(*args: str, profile: Path) -> subprocess.CompletedProcess:
    """Headless LibreOffice with a profile of its own (another may be running)."""
    return subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}",
                           "--headless", *args], capture_output=True, text=True, timeout=180)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is absent")
def test_libreoffice_opens_the_feedback_workbook(delivered, tmp_path):
    out = tmp_path / "feedback.xlsx"
    write_feedback(delivered.state_db, "TGO_2022_r2.xlsx", out,
                   archive=delivered.archive)
    profile = tmp_path / "lo-profile"
    pdf = soffice("--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(out),
                  profile=profile)
    assert pdf.returncode == 0, pdf.stderr
    printed = tmp_path / "pdf" / "feedback.pdf"
    assert printed.exists() and printed.read_bytes().startswith(b"%PDF")
    saved = soffice("--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(out),
                    profile=profile)
    assert saved.returncode == 0, saved.stderr
    book = openpyxl.load_workbook(tmp_path / "lo" / "feedback.xlsx")
    assert book.sheetnames[0] == "Problèmes"
    assert [row[2:5] for row in french_problems(book)] == [
        ("Bénéficiaires", "D6", "environ 5000"), ("Cotisants", "A7", "INAM")]
    notes = commented(book)
    assert set(notes) == {("Bénéficiaires", "D6"), ("Cotisants", "A7")}
    assert all(fill.endswith("FFC7CE") for fill, _ in notes.values())
    assert notes[("Bénéficiaires", "D6")][1].startswith("Erreur : Un nombre est attendu")
