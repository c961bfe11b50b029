"""The bundled synthetic SSI sample: reproducible to the byte, and internally consistent.

Everything checked here is read back from the .xlsx files with python-calamine (the
reader the ingest layer uses), not taken from the generator's own structures, so a
writer bug cannot hide behind the data that produced it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from ingest.samples import generate
from ingest.samples.workbook import write_ssi_workbook
from ingest.ssi_labels import (
    BENEFIT_FORMS,
    COLUMNS,
    CONTEXT_ITEMS,
    COVER_KEYS,
    END_OF_TABLE_PREFIXES,
    FUNCTIONS,
    SCHEME_TYPES,
    SHEETS,
    lookup,
    normalise_label,
)

SAMPLE_DIR = generate.DEFAULT_OUT
COMMITTED = sorted(SAMPLE_DIR.glob("*.xlsx"))
COUNT_COLUMNS = ("total", "women", "men")
MONEY_COLUMNS = ("benefits_cash", "benefits_kind", "admin")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _read_table(sheet: str, rows: list[list]) -> list[dict]:
    """Minimal reader of the contract: header row found by its labels, data rows up to
    an empty row or a Source/Note row."""
    labels = lookup(COLUMNS[sheet])
    matches = [
        {i: labels[normalise_label(c)][0] for i, c in enumerate(row)
         if not _blank(c) and normalise_label(c) in labels}
        for row in rows
    ]
    header = next((i for i, columns in enumerate(matches) if len(columns) >= 2), None)
    assert header is not None, f"{sheet}: no header row"
    columns = matches[header]
    table = []
    for row in rows[header + 1:]:
        if all(_blank(c) for c in row):
            break
        if isinstance(row[0], str) and normalise_label(row[0]).startswith(END_OF_TABLE_PREFIXES):
            break
        table.append({code: None if _blank(row[i]) else row[i] for i, code in columns.items()})
    return table


def read_workbook(path: Path) -> dict:
    """Cover as {key: value} and every known table as a list of {column code: value}."""
    wb = CalamineWorkbook.from_path(str(path))
    sheets, keys = lookup(SHEETS), lookup(COVER_KEYS)
    out: dict = {}
    for name in wb.sheet_names:
        hit = sheets.get(normalise_label(name))
        if hit is None:
            continue
        rows = wb.get_sheet_by_name(name).to_python()
        if hit[0] == "cover":
            out["cover"] = {keys[normalise_label(r[0])][0]: (None if _blank(r[1]) else r[1])
                            for r in rows if r and normalise_label(r[0]) in keys}
        else:
            out[hit[0]] = _read_table(hit[0], rows)
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """The sample written afresh into a temporary directory."""
    out = tmp_path_factory.mktemp("ssi_a")
    generate.write_all(out)
    return out


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.xlsx"))}


def test_generator_is_byte_for_byte_reproducible(generated, tmp_path):
    generate.main(["--out", str(tmp_path)])
    first, second = _files(generated), _files(tmp_path)
    assert len(first) == len(generate.COUNTRIES) * len(generate.YEARS) + 1
    assert first == second


def test_committed_sample_is_what_the_generator_writes(generated):
    committed, fresh = _files(SAMPLE_DIR), _files(generated)
    assert sorted(committed) == sorted(fresh), "re-run python -m ingest.samples.generate"
    changed = [name for name in fresh if committed[name] != fresh[name]]
    assert not changed, f"stale sample files, re-run the generator: {changed}"


def test_sample_has_every_country_year_and_the_revision():
    names = {p.name for p in COMMITTED}
    for country in generate.COUNTRIES:
        for year in generate.YEARS:
            assert f"{country.iso3}_{year}_r1.xlsx" in names
    assert "KHM_2019_r2.xlsx" in names
    assert all(p.stat().st_size < 30_000 for p in COMMITTED)


def test_cover_and_a_beneficiaries_row_read_back_as_written():
    written = {s.filename: s.kwargs for s in generate.build_submissions()}["KHM_2019_r1.xlsx"]
    book = read_workbook(SAMPLE_DIR / "KHM_2019_r1.xlsx")
    assert book["cover"] == written["cover"]
    assert book["cover"]["submission_date"].year == 2020
    assert book["cover"]["contact_email"].endswith("@example.org")
    assert book["beneficiaries"][0] == written["beneficiaries"][0]
    assert book["beneficiaries"] == written["beneficiaries"]


def test_revision_two_corrects_cambodia_2019():
    r1 = read_workbook(SAMPLE_DIR / "KHM_2019_r1.xlsx")
    r2 = read_workbook(SAMPLE_DIR / "KHM_2019_r2.xlsx")
    assert (r1["cover"]["revision"], r2["cover"]["revision"]) == (1, 2)
    assert r2["cover"]["submission_date"] > r1["cover"]["submission_date"]
    assert r1["context"] == r2["context"] and r1["schemes"] == r2["schemes"]
    changed = [(a, b) for a, b in zip(r1["beneficiaries"], r2["beneficiaries"], strict=True)
               if a != b]
    assert 1 <= len(changed) <= 5


@pytest.mark.parametrize("path", COMMITTED, ids=[p.name for p in COMMITTED])
def test_sample_workbook_is_consistent(path):
    book = read_workbook(path)
    iso3, year, revision = path.stem.split("_")
    cover = book["cover"]
    assert cover["country_iso3"] == iso3 and cover["reference_year"] == int(year)
    assert cover["revision"] == int(revision[1:])
    assert isinstance(cover["submission_date"], dt.date)
    assert len(cover["currency"]) == 3

    schemes = {row["scheme_id"]: row for row in book["schemes"]}
    assert len(schemes) == len(book["schemes"]) and 3 <= len(schemes) <= 5
    assert {row["scheme_type"] for row in schemes.values()} <= set(SCHEME_TYPES)
    assert {row["item"] for row in book["context"]} == set(CONTEXT_ITEMS)

    for sheet in ("context", "contributors", "beneficiaries"):
        for number, row in enumerate(book.get(sheet) or [], start=1):
            where = f"{path.name} {sheet} row {number}: {row}"
            for column in COUNT_COLUMNS:
                value = row[column]
                assert value is None or (value >= 0 and float(value).is_integer()), where
            if row["women"] is not None and row["men"] is not None:
                assert row["women"] + row["men"] <= row["total"], where
            for column in ("women", "men"):
                assert row[column] is None or row[column] <= row["total"], where

    for sheet in ("contributors", "beneficiaries", "expenditure"):
        for row in book.get(sheet) or []:
            assert row["scheme_id"] in schemes, f"{path.name} {sheet}: {row}"
            assert row["function"] is None or row["function"] in FUNCTIONS
    for row in book["beneficiaries"]:
        assert row["benefit_form"] in BENEFIT_FORMS
        if row["function"] == "MATERN":
            assert row["men"] is None
    for row in book.get("expenditure") or []:
        assert all(row[column] >= 0 for column in MONEY_COLUMNS)
    for row in book["contributors"]:
        assert schemes[row["scheme_id"]]["scheme_type"] == "SI"
    assert any(row["function"] == "INJ" for row in book["contributors"])


def test_writer_options_round_trip(tmp_path):
    """Messy text, notes right under the data, unknown columns, shuffled order, French."""
    kwargs = dict(
        cover={"country_iso3": "SEN", "reference_year": 2021, "revision": 3,
               "submission_date": dt.date(2022, 5, 2), "currency": "XOF"},
        context=[{"item": "POP_TOTAL", "total": "17 196 301", "women": "n.a.", "men": None}],
        schemes=[{"scheme_id": "IPRES", "scheme_name": "=IPRES", "scheme_type": "SI"}],
        beneficiaries=[
            {"scheme_id": "IPRES", "function": "OLD", "benefit_form": "CASH_PERIODIC",
             "total": "5'000", "women": "abc", "men": 1234.5},
        ],
        contributors=None,
        language="fr",
        title=False,
        notes=["Source : IPRES"],
        extra_columns={"beneficiaries": {"Notes": ["provisoire"]}},
        sheet_order=["beneficiaries", "schemes"],
        column_order={"beneficiaries": ["Notes", "total", "scheme_id"]},
    )
    first = write_ssi_workbook(tmp_path / "a.xlsx", **kwargs)
    second = write_ssi_workbook(tmp_path / "b.xlsx", **kwargs)
    assert first.read_bytes() == second.read_bytes()

    wb = CalamineWorkbook.from_path(str(first))
    assert wb.sheet_names == ["Instructions", "Bénéficiaires", "Régimes", "Couverture",
                              "Contexte"]
    rows = wb.get_sheet_by_name("Bénéficiaires").to_python()
    assert rows[0] == ["Notes", "Total", "Code du régime", "Fonction", "Forme de prestation",
                       "Femmes", "Hommes"]
    assert rows[1] == ["provisoire", "5'000", "IPRES", "OLD", "CASH_PERIODIC", "abc", 1234.5]
    assert rows[2][0] == "Source : IPRES"
    assert wb.get_sheet_by_name("Régimes").to_python()[1][1] == "=IPRES"
    assert read_workbook(first)["cover"] == kwargs["cover"]
