"""The bundled synthetic SSI sample: reproducible to the byte, and internally consistent.

Everything checked here is read back from the .xlsx files with python-calamine (the
reader the ingest layer uses), not taken from the generator's own structures, so a
writer bug cannot hide behind the data that produced it. Text numbers ("1 234 567",
"12.345,5", "12,34,567") are read with the project's `parse_number` in the workbook's
language; the files meant to be turned away are tested for exactly that.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from python_calamine import CalamineWorkbook

from ingest.reference import PHASE1_FOCUS
from ingest.samples import generate
from ingest.samples.workbook import DEFAULT_SHEET_ORDER, TABLE_SHEETS, write_ssi_workbook
from ingest.ssi_labels import (
    BENEFIT_FORMS,
    COLUMNS,
    CONTEXT_ITEMS,
    COVER_KEYS,
    END_OF_TABLE,
    FUNCTIONS,
    SCHEME_TYPES,
    SHEETS,
    label,
    lookup,
    normalise_label,
)
from ingest.ssi_workbook import RejectedWorkbook, parse_number, parse_workbook

SAMPLE_DIR = generate.DEFAULT_OUT
COMMITTED = sorted(SAMPLE_DIR.glob("*.xlsx"))
SUBMISSIONS = {s.filename: s for s in generate.build_submissions()}
ACCEPTED = [p for p in COMMITTED if SUBMISSIONS[p.name].role != "rejected"]
COUNT_COLUMNS = ("total", "women", "men")
MONEY_COLUMNS = ("benefits_cash", "benefits_kind", "admin")
IDENTITY = re.compile(r"([A-Z]{3})_(\d{4})_r(\d+)")
# The deliveries that are not plain revision-1 submissions, and what each is for.
SPECIAL = {"KHM_2019_r2.xlsx": "revision", "TGO_2022_r2.xlsx": "rejected",
           "HND_2019_r1_resent.xlsx": "conflicting", "KHM_2019_r1_copy.xlsx": "duplicate"}
MESSY = {"SEN_2022_r1.xlsx": "fr", "PRY_2019_r1.xlsx": "es", "MOZ_2022_r1.xlsx": "pt",
         "IND_2022_r1.xlsx": "en", "TLS_2019_r1.xlsx": "pt"}


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
        if isinstance(row[0], str) and END_OF_TABLE.match(normalise_label(row[0])):
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


def _sheets(path: Path) -> dict[str, list[list]]:
    """Every sheet of a workbook as raw cells, by sheet name, in workbook order."""
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in wb.sheet_names}


def _typed(book: dict, language: str) -> dict:
    """`book` with its count and money cells as numbers (text read in `language`)."""
    out = dict(book)
    for sheet in ("context", "contributors", "beneficiaries", "expenditure"):
        out[sheet] = [{column: parse_number(value, language)
                       if column in COUNT_COLUMNS + MONEY_COLUMNS else value
                       for column, value in row.items()} for row in book.get(sheet) or []]
    return out


def test_generator_is_byte_for_byte_reproducible(generated, tmp_path):
    generate.main(["--out", str(tmp_path)])
    first, second = _files(generated), _files(tmp_path)
    assert len(first) == len(generate.COUNTRIES) * len(generate.YEARS) + len(SPECIAL)
    assert sorted(first) == sorted(SUBMISSIONS)
    assert first == second


def test_committed_sample_is_what_the_generator_writes(generated):
    """Same cells, sheet by sheet (bytes also depend on the zlib build, so not compared)."""
    committed, fresh = _files(SAMPLE_DIR), _files(generated)
    assert sorted(committed) == sorted(fresh), "re-run python -m ingest.samples.generate"
    changed = [name for name in fresh
               if read_workbook(SAMPLE_DIR / name) != read_workbook(generated / name)]
    assert not changed, f"stale sample files, re-run the generator: {changed}"


def test_country_profiles_are_data_checked_against_the_code_lists(tmp_path):
    """ssi_countries.yaml (beside the generator, not in the landing folder) names each
    phase-1 focus country once; an unknown function is refused, naming country and scheme."""
    assert generate.PROFILES.parent != SAMPLE_DIR
    countries = generate.load_countries()
    assert countries == generate.COUNTRIES
    assert sorted(c.iso3 for c in countries) == sorted(PHASE1_FOCUS)

    data = yaml.safe_load(generate.PROFILES.read_text(encoding="utf-8"))
    senegal = next(c for c in data["countries"] if c["iso3"] == "SEN")
    ipres = next(s for s in senegal["schemes"] if s["scheme_id"] == "IPRES")
    ipres["pays"].append({"function": "PENSIONS", "since": 2020})
    broken = tmp_path / "ssi_countries.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=r"SEN scheme IPRES: unknown function 'PENSIONS'"):
        generate.load_countries(broken)


def test_sample_has_every_country_year_and_the_special_deliveries():
    names = {p.name for p in COMMITTED}
    for country in generate.COUNTRIES:
        for year in generate.YEARS:
            assert f"{country.iso3}_{year}_r1.xlsx" in names
    assert {name: SUBMISSIONS[name].role for name in SPECIAL} == SPECIAL
    assert {name for name, s in SUBMISSIONS.items() if s.role == "messy"} == set(MESSY)
    assert all(p.stat().st_size < 30_000 for p in COMMITTED)


def test_cover_and_a_beneficiaries_row_read_back_as_written():
    written = SUBMISSIONS["KHM_2019_r1.xlsx"].kwargs
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


@pytest.mark.parametrize("path", ACCEPTED, ids=[p.name for p in ACCEPTED])
def test_sample_workbook_is_consistent(path):
    iso3, year, revision = IDENTITY.match(path.name).groups()
    book = _typed(read_workbook(path), generate.language_for(iso3))
    cover = book["cover"]
    assert cover["country_iso3"] == iso3 and cover["reference_year"] == int(year)
    assert cover["revision"] == int(revision)
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


@pytest.mark.parametrize("path", ACCEPTED, ids=[p.name for p in ACCEPTED])
def test_sample_parses_to_what_the_generator_meant(path):
    """The project's parser accepts every sample but the rejected one, in the intended
    language, and types every cell (text numbers, missing markers) as it was meant."""
    sub = parse_workbook(path)
    meant = SUBMISSIONS[path.name].values
    assert sub.language == generate.language_for(sub.country_iso3) == meant["language"]
    cover = meant["cover"]
    assert (sub.country_iso3, sub.reference_year, sub.revision) == (
        cover["country_iso3"], cover["reference_year"], cover["revision"])
    assert sub.cover["submission_date"] == cover["submission_date"]
    assert sub.cover["currency"] == cover["currency"]
    for sheet, columns in COLUMNS.items():
        if meant.get(sheet) is None:
            assert sheet not in sub.tables
            continue
        parsed = [{column: row[column] for column in columns} for row in sub.tables[sheet]]
        expected = [{column: row.get(column) for column in columns} for row in meant[sheet]]
        assert parsed == expected, f"{path.name} {sheet}"


def test_one_country_per_language_is_detected_as_such():
    for iso3, language in {"SEN": "fr", "PRY": "es", "MOZ": "pt", "IND": "en",
                           "CMR": "fr", "HND": "es", "CPV": "pt", "KHM": "en"}.items():
        for year in generate.YEARS:
            assert parse_workbook(SAMPLE_DIR / f"{iso3}_{year}_r1.xlsx").language == language


@pytest.mark.parametrize("name", list(MESSY))
def test_messy_text_means_the_number_the_generator_meant(name):
    """Every cell the generator wrote as text reads back, in the workbook's language, as
    the number it meant, or as missing where it meant missing ("1 234 567" -> 1234567)."""
    s = SUBMISSIONS[name]
    language = s.kwargs["language"]
    assert language == MESSY[name]
    texts = 0
    for sheet in ("context", "contributors", "beneficiaries", "expenditure"):
        for written, meant in zip(s.kwargs.get(sheet) or [], s.values.get(sheet) or [],
                                  strict=True):
            for column in COUNT_COLUMNS + MONEY_COLUMNS:
                if isinstance(written.get(column), str):
                    texts += 1
                    assert parse_number(written[column], language) == meant[column], (
                        sheet, written)
    assert texts >= (0 if name == "TLS_2019_r1.xlsx" else 5)


def _flat(sheets: dict[str, list[list]]) -> list:
    return [cell for rows in sheets.values() for row in rows for cell in row]


def _under_table(rows: list[list]) -> object:
    """The first cell of the first row under a table's data that is empty or a note."""
    labels = {normalise_label(text) for columns in COLUMNS.values()
              for labels in columns.values() for text in labels}
    header = next(i for i, row in enumerate(rows)
                  if sum(isinstance(c, str) and normalise_label(c) in labels for c in row) >= 2)
    for row in rows[header + 1:]:
        if all(_blank(c) for c in row) or (isinstance(row[0], str) and END_OF_TABLE.match(
                normalise_label(row[0]))):
            return row[0]
    return None


def test_senegal_2022_is_messy_the_french_way():
    sheets = _sheets(SAMPLE_DIR / "SEN_2022_r1.xlsx")
    cells = [c for c in _flat(sheets) if isinstance(c, str)]
    assert any(re.fullmatch(r"\d{1,3}(\u00a0\d{3})+", c) for c in cells)
    assert any(re.fullmatch(r"\d{1,3}(\u202f\d{3})+", c) for c in cells)
    assert any(re.fullmatch(r"\d{1,3}([ \u00a0\u202f]\d{3})*,5", c)
               for row in sheets["Dépenses"] for c in row if isinstance(c, str))
    assert {"n.d.", "-"} <= set(cells)
    beneficiaries = sheets["Bénéficiaires"]
    header = beneficiaries[2]
    assert header[-1] == "Observations"
    assert header[:-1] != [label(COLUMNS["beneficiaries"], code, "fr")
                           for code in COLUMNS["beneficiaries"]]
    assert sorted(header[:-1]) == sorted(label(COLUMNS["beneficiaries"], code, "fr")
                                         for code in COLUMNS["beneficiaries"])
    assert _under_table(sheets["Contexte"]) == "Source : ANSD, RGPH"
    extras = [row["extra"] for row in parse_workbook(SAMPLE_DIR / "SEN_2022_r1.xlsx")
              .tables["beneficiaries"] if row["extra"]]
    assert len(extras) == 3 and all("Observations" in extra for extra in extras)


def test_paraguay_2019_is_messy_the_spanish_way():
    sheets = _sheets(SAMPLE_DIR / "PRY_2019_r1.xlsx")
    cells = [c for c in _flat(sheets) if isinstance(c, str)]
    assert any(re.fullmatch(r"\d{1,3}(\.\d{3}){2,}", c) for c in cells)
    assert any(re.fullmatch(r"\d{1,3}(\.\d{3})+,5", c) for c in cells)
    assert {"s/d", ".."} <= set(cells)
    assert _under_table(sheets["Beneficiarios"]) == "Nota: cifras provisionales"


def test_mozambique_2022_is_messy_the_portuguese_way():
    sheets = _sheets(SAMPLE_DIR / "MOZ_2022_r1.xlsx")
    default = [label(SHEETS, code, "pt") for code in DEFAULT_SHEET_ORDER[1:]]
    assert list(sheets)[1:] != default and sorted(list(sheets)[1:]) == sorted(default)
    for code in TABLE_SHEETS:  # title, two blank rows, then the header
        rows = sheets[label(SHEETS, code, "pt")]
        assert rows[0][0].startswith("Secção") and not any(rows[1] + rows[2])
        assert rows[3][0] == label(COLUMNS[code], next(iter(COLUMNS[code])), "pt")
    cells = [c for c in _flat(sheets) if isinstance(c, str)]
    assert any(re.fullmatch(r"\d{1,3}(\.\d{3})+", c) for c in cells)
    beneficiaries = sheets["Beneficiários"]
    men = beneficiaries[3].index("Homens")
    assert "n.a." in [row[men] for row in beneficiaries[4:]]
    assert beneficiaries[3][-1] == "Observações"


def test_india_2022_groups_in_lakhs_and_has_a_helper_sheet():
    sheets = _sheets(SAMPLE_DIR / "IND_2022_r1.xlsx")
    cells = [c for c in _flat(sheets) if isinstance(c, str)]
    assert len([c for c in cells if re.fullmatch(r"\d{1,2}(,\d{2})+,\d{3}", c)]) == 4
    assert any(re.fullmatch(r"\d{1,3}('\d{3})+", c) for c in cells)
    assert list(sheets)[-1] == "Lists"
    assert _under_table(sheets["Schemes"]) == "Note: provisional"


def test_timor_leste_2019_has_lump_sum_maternity_and_a_row_without_sex():
    rows = parse_workbook(SAMPLE_DIR / "TLS_2019_r1.xlsx").tables["beneficiaries"]
    assert any(r["function"] == "MATERN" and r["benefit_form"] == "CASH_LUMP" for r in rows)
    assert any(r["function"] != "MATERN" and r["women"] is None and r["men"] is None
               and r["total"] for r in rows)


def test_togo_2022_revision_2_is_rejected_with_the_documented_message():
    with pytest.raises(RejectedWorkbook) as caught:
        parse_workbook(SAMPLE_DIR / "TGO_2022_r2.xlsx")
    error = caught.value
    assert {p.code for p in error.problems} == {"not_a_number", "unknown_scheme"}
    assert error.identity == {"country_iso3": "TGO", "reference_year": 2022, "revision": 2}
    assert "'environ 5000' is not a number" in error.message
    assert "scheme code 'INAM' is not in the 'Régimes' sheet" in error.message
    assert error.message in (SAMPLE_DIR / "README.md").read_text(), "README quotes it verbatim"


def test_the_copy_of_cambodia_2019_is_byte_identical():
    copy = SAMPLE_DIR / "KHM_2019_r1_copy.xlsx"
    assert SUBMISSIONS[copy.name].copy_of == "KHM_2019_r1.xlsx"
    assert copy.read_bytes() == (SAMPLE_DIR / "KHM_2019_r1.xlsx").read_bytes()


def test_honduras_2019_resent_conflicts_with_revision_1():
    """Same identity, other numbers: the parser accepts it; the load step must not."""
    first, resent = SAMPLE_DIR / "HND_2019_r1.xlsx", SAMPLE_DIR / "HND_2019_r1_resent.xlsx"
    assert first.read_bytes() != resent.read_bytes()
    a, b = parse_workbook(first), parse_workbook(resent)
    assert (a.country_iso3, a.reference_year, a.revision) == (
        b.country_iso3, b.reference_year, b.revision) == ("HND", 2019, 1)
    assert b.cover["submission_date"] > a.cover["submission_date"]
    assert a.tables["context"] == b.tables["context"]
    changed = [(x, y) for x, y in zip(a.tables["beneficiaries"], b.tables["beneficiaries"],
                                      strict=True) if x != y]
    assert 1 <= len(changed) <= 5
    assert all(x["total"] != y["total"] for x, y in changed)


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
