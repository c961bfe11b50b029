"""The nightly flow end to end on real parts: workbooks, archive, DuckDB, GX, dbt, publication."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import worked_example

from ingest.paths import SAMPLE_SSI_DIR

pytestmark = pytest.mark.usefixtures("prefect_api")


def run_nightly(tmp_path: Path, landing: Path) -> dict:
    from flows.nightly import nightly

    return nightly(landing=str(landing), warehouse=str(tmp_path / "wh" / "spf.duckdb"))


def query(tmp_path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(tmp_path / "wh" / "spf.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def sheet_rows(path: Path, sheet: str) -> list[dict]:
    """Read a sample table by its English header labels, independently of the parser."""
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if "Total" in r or "Scheme name" in r)
    header = rows[header_at]
    out = []
    for row in rows[header_at + 1:]:
        if not any(v is not None for v in row):
            break
        out.append(dict(zip(header, row, strict=False)))
    return out


def hand_computed(path: Path) -> dict[str, tuple[int, int]]:
    """SOC_CONTIG_PENSION and SOC_CONTIG_TOTAL (SEX_T) as the method defines them."""
    context = {r["Item"]: r["Total"] for r in sheet_rows(path, "Context")}
    types = {r["Scheme code"]: r["Scheme type"] for r in sheet_rows(path, "Schemes")}
    cash = [r for r in sheet_rows(path, "Beneficiaries")
            if r["Benefit form"] == "CASH_PERIODIC"
            or (r["Benefit form"] == "CASH_LUMP" and r["Function"] == "MATERN")]
    active = sum(r["Total"] for r in sheet_rows(path, "Contributors")
                 if r["Function"] is None and types[r["Scheme code"]] == "SI")
    pension = sum(r["Total"] for r in cash if r["Function"] == "OLD")
    total = active + sum(r["Total"] for r in cash if r["Function"] in
                         {"CHILD", "DIS", "OLD", "SURV", "UNE", "SA", "INJ"})
    return {"SOC_CONTIG_PENSION": (pension, context["POP_PENSIONABLE"]),
            "SOC_CONTIG_TOTAL": (total, context["POP_TOTAL"])}


def test_sample_end_to_end_then_nothing_new(tmp_path):
    summary = run_nightly(tmp_path, SAMPLE_SSI_DIR)
    assert summary["published"] is True
    # 42 first deliveries and one revision load; see ingest/samples/ssi/README.md for the
    # rejected workbook, the conflicting re-delivery and the duplicate copy.
    assert len(list(SAMPLE_SSI_DIR.glob("*.xlsx"))) == 46
    assert summary["ssi"]["counts"] == {"loaded": 43, "rejected": 2, "duplicate": 1}
    statuses = dict(query(tmp_path, "select status, count(*) from ops.submissions group by 1"))
    assert statuses == {"loaded": 42, "superseded": 1, "rejected": 2, "duplicate": 1}
    assert query(tmp_path, "select original_name, reason_code from ops.submissions "
                 "where status in ('rejected', 'duplicate') order by 1") == [
        ("HND_2019_r1_resent.xlsx", "conflicting_redelivery"),
        ("KHM_2019_r1_copy.xlsx", None),
        ("TGO_2022_r2.xlsx", "not_a_number")]
    assert query(tmp_path, "select submission_id, superseded_by from ops.submissions "
                 "where status = 'superseded'") == [("KHM-2019-r1", "KHM-2019-r2")]

    # Mart values against a computation by hand from the workbook cells.
    for name in ("IDN_2022_r1.xlsx", "KGZ_2019_r1.xlsx", "KHM_2019_r2.xlsx"):
        iso3, year = name[:3], int(name[4:8])
        for series, (numerator, denominator) in hand_computed(SAMPLE_SSI_DIR / name).items():
            row = query(tmp_path, f"""
                select numerator, denominator, coverage_pct, revision from marts.coverage_sdg131
                where country_iso3 = '{iso3}' and year = {year} and series = '{series}'
                  and sex = 'SEX_T'""")
            assert row == [(numerator, denominator, pytest.approx(100 * numerator / denominator),
                            int(name[10]))], (name, series)

    dims = query(tmp_path, "select count(*), count(*) filter (phase1_focus), "
                 "count(*) filter (phase2_focus) from marts.dim_country")
    assert dims == [(249, 21, 50)]
    assert query(tmp_path, "select ilo_region from marts.dim_country "
                 "where country_iso3 = 'PSE'") == [("Arab States",)]

    # Personal data never reaches the published warehouse.
    assert query(tmp_path, "select count(*) from duckdb_columns() where column_name ilike "
                 "'%email%'") == [(0,)]
    assert query(tmp_path, "select count(*) from duckdb_tables() where table_name = "
                 "'ssi_cover'") == [(0,)]

    counts_before = query(tmp_path, "select (select count(*) from ops.submissions), "
                          "(select count(*) from marts.coverage_sdg131), "
                          "(select count(*) from raw.ssi_beneficiaries)")
    second = run_nightly(tmp_path, SAMPLE_SSI_DIR)
    assert second["ssi"]["landed"] == 0
    assert second["published"] is False
    assert query(tmp_path, "select (select count(*) from ops.submissions), "
                 "(select count(*) from marts.coverage_sdg131), "
                 "(select count(*) from raw.ssi_beneficiaries)") == counts_before


def test_worked_example_of_the_method(tmp_path, write_workbook):
    write_workbook("worked.xlsx", **worked_example())
    run_nightly(tmp_path, tmp_path / "landing")
    rows = query(tmp_path, """
        select sex, numerator, denominator, round(coverage_pct, 1), quality_flag
        from marts.coverage_sdg131 where series = 'SOC_CONTIG_PENSION' order by sex""")
    assert rows == [("SEX_F", 40_000, 56_000, 71.4, None),
                    ("SEX_M", 35_000, 44_000, 79.5, None),
                    ("SEX_T", 75_000, 100_000, 75.0, None)]


def test_redelivery_duplicate_conflict_and_revision(tmp_path, write_workbook):
    landing = tmp_path / "landing"
    first = write_workbook("KHM_2019.xlsx", **worked_example())
    run_nightly(tmp_path, landing)

    # Same bytes under another name; different bytes with the same identity; a revision 2.
    (landing / "copy of KHM_2019.xlsx").write_bytes(first.read_bytes())
    changed = worked_example()
    changed["beneficiaries"][0]["total"] = 31_000
    write_workbook("KHM_2019_fixed.xlsx", **changed)
    revised = worked_example(revision=2)
    revised["beneficiaries"][0].update(total=33_000, women=13_000, men=20_000)
    write_workbook("KHM_2019_r2.xlsx", **revised)
    before = {p: p.read_bytes() for p in landing.iterdir()}
    summary = run_nightly(tmp_path, landing)
    assert summary["published"] is True

    rows = query(tmp_path, "select original_name, status, reason_code, reason_message "
                 "from ops.submissions order by original_name")
    by_name = {name: (status, code, message) for name, status, code, message in rows}
    assert by_name["KHM_2019.xlsx"][0] == "superseded"
    assert by_name["copy of KHM_2019.xlsx"][0] == "duplicate"
    assert by_name["KHM_2019_fixed.xlsx"][:2] == ("rejected", "conflicting_redelivery")
    assert "already loaded from 'KHM_2019.xlsx'" in by_name["KHM_2019_fixed.xlsx"][2]
    assert by_name["KHM_2019_r2.xlsx"][0] == "loaded"
    assert query(tmp_path, "select numerator, revision from marts.coverage_sdg131 where "
                 "series = 'SOC_CONTIG_PENSION' and sex = 'SEX_T'") == [(78_000, 2)]

    # Every landed file is archived byte for byte, read-only; the landing area is untouched.
    archived = {p.name.split(".")[0]: p for p in (tmp_path / "wh" / "archive" / "ssi").rglob(
        "*.xlsx")}
    assert len(archived) == 3  # the copy has the same bytes as the first file
    for path, data in before.items():
        assert path.read_bytes() == data
        import hashlib
        stored = archived[hashlib.sha256(data).hexdigest()]
        assert stored.read_bytes() == data
        assert not os.access(stored, os.W_OK) or os.geteuid() == 0
        assert oct(stored.stat().st_mode & 0o777) == "0o400"


def test_a_bad_workbook_is_rejected_and_the_rest_publishes(tmp_path, write_workbook):
    write_workbook("good.xlsx", **worked_example())
    bad = worked_example(iso3="TLS")
    bad["beneficiaries"][1]["total"] = "abc"
    write_workbook("bad.xlsx", **bad)
    summary = run_nightly(tmp_path, tmp_path / "landing")
    assert summary["ssi"]["counts"] == {"loaded": 1, "rejected": 1}
    assert query(tmp_path, "select status, reason_code, reason_message from ops.submissions "
                 "where original_name = 'bad.xlsx'") == [
        ("rejected", "not_a_number", "Beneficiaries!D5: 'abc' is not a number")]
    assert query(tmp_path, "select distinct country_iso3 from marts.coverage_sdg131") == [
        ("KHM",)]


def test_source_gate_quarantines_a_submission_that_fails_an_expectation(tmp_path,
                                                                        write_workbook):
    write_workbook("good.xlsx", **worked_example())
    # Parses fine, but a population of 50 persons is a unit error the GX suite catches.
    implausible = worked_example(iso3="TLS")
    implausible["context"][0].update(total=50, women=None, men=None)
    write_workbook("units.xlsx", **implausible)
    summary = run_nightly(tmp_path, tmp_path / "landing")
    assert summary["published"] is True
    status, code, message = query(tmp_path, "select status, reason_code, reason_message "
                                  "from ops.submissions where original_name = 'units.xlsx'")[0]
    assert (status, code) == ("quarantined", "failed_expectation")
    assert "expect_column_values_to_be_between(total)" in message
    assert "rows 4" in message and "50" in message
    assert query(tmp_path, "select distinct country_iso3 from marts.coverage_sdg131") == [
        ("KHM",)]
    failed_pages = [v["page"] for v in summary["ssi"]["validations"] if not v["passed"]]
    assert failed_pages and all(Path(p.removeprefix("file://")).exists() for p in failed_pages)


def test_logs_and_run_summary_carry_no_personal_data(tmp_path, write_workbook, caplog):
    """Contact e-mails stay in the private state: not in logs, summaries or the warehouse.

    The logs checked are those operators read: the flow run's logs in the Prefect API.
    """
    import logging

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    from flows.nightly import nightly
    from warehouse.run import report

    caplog.set_level(logging.DEBUG)
    write_workbook("KHM.xlsx", **worked_example())
    state = nightly(landing=str(tmp_path / "landing"),
                    warehouse=str(tmp_path / "wh" / "spf.duckdb"), return_state=True)
    summary = state.result()
    assert summary["published"] is True
    APILogHandler().flush()  # send the logs still queued to the API
    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(
            any_=[state.state_details.flow_run_id])))
    operator_logs = "\n".join(entry.message for entry in logs)
    assert "Finished in state Completed" in operator_logs  # the run's logs were read
    shown = caplog.text + operator_logs + report.markdown(summary) + \
        Path(summary["report"]).read_text()
    assert "focal.point" not in shown and "@example.org" not in shown
    state = duckdb.connect(str(tmp_path / "wh" / "state" / "spf_state.duckdb"), read_only=True)
    try:  # the private state does keep it, so the check above is not vacuous
        assert state.execute("select contact_email from raw.ssi_submissions").fetchall() == [
            ("focal.point@example.org",)]
    finally:
        state.close()
