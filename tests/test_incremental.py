"""Builds that follow what changed give exactly the warehouse a full rebuild gives.

A run that brings one source's deliveries refreshes that source's raw tables in a copy of
the published warehouse and builds and gates only the dbt nodes downstream of them; here
each such warehouse is compared, table by table, with a full rebuild of the same state
(`spf backfill --no-reread` rebuilds everything from the state without re-deciding).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import clone, intervention, worked_example, write_export

from warehouse.run import pipeline

RESULTS = "marts.results_institutional_changes"
COVERAGE = "marts.coverage_sdg131"


def tables(warehouse: Path) -> dict[str, list[str]]:
    """Every marts and ops table, sorted, but the build's and the publications' records."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for schema, table in con.execute(
                "select schema_name, table_name from duckdb_tables() where schema_name in "
                "('marts', 'ops') and table_name not in ('build_info', 'publications') "
                "order by all").fetchall():
            out[f"{schema}.{table}"] = sorted(map(repr, con.execute(
                f"select * from {schema}.{table}").fetchall()))
        return out
    finally:
        con.close()


def full_rebuild(home: Path, tmp_path: Path) -> dict[str, list[str]]:
    """The same state built from nothing, in a copy of the installation."""
    copy = clone(home, tmp_path / "full")
    summary = pipeline.backfill(str(copy / "wh" / "spf.duckdb"), reread=False)
    assert summary["build"]["refreshed"] == ["ssi", "rmt"]
    return tables(copy / "wh" / "spf.duckdb")


@pytest.fixture(scope="module")
def installation(tmp_path_factory) -> Path:
    """SSI workbooks and project reports, published once by a full build."""
    from ingest.samples.workbook import write_ssi_workbook

    root = tmp_path_factory.mktemp("incremental")
    write_ssi_workbook(root / "landing" / "KHM_2019.xlsx", **worked_example())
    write_export(root / "exports" / "2018-01-10", [
        intervention(1, "2017-10-23T09:00:00Z"), intervention(2, "2018-01-05T09:00:00Z",
                                                               iso3="TLS")])
    summary = pipeline.nightly(str(root / "wh" / "spf.duckdb"), landing=str(root / "landing"),
                               rmt_dir=str(root / "exports"))
    assert summary["build"]["refreshed"] == ["ssi", "rmt"]
    return root


def run(home: Path, **options) -> dict:
    return pipeline.nightly(str(home / "wh" / "spf.duckdb"), landing=str(home / "landing"),
                            rmt_dir=str(home / "exports"), **options)


def test_a_new_submission_builds_only_its_source_and_equals_a_full_rebuild(
        installation, tmp_path, write_workbook):
    home = clone(installation, tmp_path / "home")
    write_workbook("TLS_2019.xlsx", folder=home / "landing", **worked_example(iso3="TLS"))
    summary = run(home)
    assert summary["published"] and summary["build"]["refreshed"] == ["ssi"]
    rebuilt = set(summary["build"]["rebuilt"])
    assert COVERAGE in rebuilt and RESULTS not in rebuilt
    gated = {v["suite"] for v in summary["marts_gate"]["validations"]}
    assert "marts__coverage_sdg131" in gated and "marts__results_funding" not in gated
    after = tables(home / "wh" / "spf.duckdb")
    assert after == full_rebuild(home, tmp_path)
    assert any("'TLS'" in row for row in after[COVERAGE])


def test_new_project_reports_build_only_theirs_and_equal_a_full_rebuild(installation,
                                                                         tmp_path):
    home = clone(installation, tmp_path / "home")
    write_export(home / "exports" / "2019-06-30", [
        intervention(2, "2019-06-01T09:00:00Z", iso3="TLS", title="Revised"),
        intervention(3, "2019-06-02T09:00:00Z", iso3="LAO")])
    summary = run(home)
    assert summary["published"] and summary["build"]["refreshed"] == ["rmt"]
    assert RESULTS in summary["build"]["rebuilt"]
    assert COVERAGE not in summary["build"]["rebuilt"]
    assert tables(home / "wh" / "spf.duckdb") == full_rebuild(home, tmp_path)


def test_another_reporting_date_rebuilds_the_results_and_equals_a_full_rebuild(
        installation, tmp_path):
    home = clone(installation, tmp_path / "home")
    summary = run(home, reporting_date="2017-05-01")
    assert summary["published"] and summary["build"]["refreshed"] == ["rmt"]
    copy = clone(home, tmp_path / "full")
    full = pipeline.backfill(str(copy / "wh" / "spf.duckdb"), reread=False,
                             reporting_date="2017-05-01")
    assert full["build"]["refreshed"] == ["ssi", "rmt"]
    assert tables(home / "wh" / "spf.duckdb") == tables(copy / "wh" / "spf.duckdb")
