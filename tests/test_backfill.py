"""Backfills: re-decide archived deliveries of a scope, from the archive, and publish the same.

The flow runs on the Prefect test harness; the real server and worker are exercised in
test_prefect_server.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import clone, intervention, query, worked_example, write_export
from typer.testing import CliRunner

from warehouse.runs import RunFailed

pytestmark = pytest.mark.usefixtures("prefect_api")
MARTS = ("coverage_sdg131", "coverage_sdg131_regional", "sp_expenditure", "dim_country",
         "results_institutional_changes", "results_country_steps", "results_phase_progress",
         "results_people_impacted", "results_impact_summary", "results_funding",
         "country_profile")


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, sorted: what analysts see, whatever the run that built it."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {m: sorted(con.execute(f"select * from marts.{m}").fetchall(), key=repr)
                for m in MARTS}
    finally:
        con.close()


@pytest.fixture(scope="module")
def loaded_once(tmp_path_factory, prefect_api):
    """Three SSI submissions and an export of two project reports, published once."""
    from flows.nightly import nightly
    from ingest.samples.workbook import write_ssi_workbook

    root = tmp_path_factory.mktemp("loaded")
    for name, args in (("KHM_2019.xlsx", worked_example()),
                       ("KHM_2022.xlsx", worked_example(year=2022)),
                       ("TLS_2019.xlsx", worked_example(iso3="TLS"))):
        write_ssi_workbook(root / "landing" / name, **args)
    write_export(root / "exports" / "2018-01-10", [
        intervention(1, "2017-10-23T09:00:00Z"),
        intervention(2, "2018-01-05T09:00:00Z", iso3="TLS")])
    nightly(landing=str(root / "landing"), rmt_dir=str(root / "exports"),
            warehouse=str(root / "wh" / "spf.duckdb"))
    return root


@pytest.fixture
def loaded(tmp_path, loaded_once):
    """This test's own copy of that installation, with its landing and exports."""
    return clone(loaded_once, tmp_path) / "wh" / "spf.duckdb"


def test_a_backfill_re_decides_its_scope_from_the_archive_and_is_repeatable(tmp_path, loaded):
    from flows.backfill import backfill

    before = marts(loaded)
    shutil.rmtree(tmp_path / "landing")  # the archive, not the landing area, is re-read
    shutil.rmtree(tmp_path / "exports")

    first = backfill(years_from=2019, years_to=2019, countries=["khm"], warehouse=str(loaded))
    assert first["published"] is True
    assert first["scope"] == {"years": [2019, 2019], "countries": ["KHM"],
                              "sources": ["rmt", "ssi"], "reread": True}
    assert first["ssi"]["counts"] == {"loaded": 1}  # KHM 2019 only: not 2022, not TLS
    assert first["rmt"]["counts"] == {"loaded": 1} and first["rmt"]["new_versions"] == 2
    runs = dict(query(loaded, "select original_name, run_id from ops.submissions"))
    assert runs["KHM_2019.xlsx"] == first["run_id"]
    assert runs["KHM_2022.xlsx"] != first["run_id"] and runs["TLS_2019.xlsx"] != first["run_id"]
    assert marts(loaded) == before

    second = backfill(years_from=2019, years_to=2019, countries=["KHM"], warehouse=str(loaded))
    assert second["published"] is True
    assert marts(loaded) == before


def test_a_backfill_applies_a_fixed_gate_to_archived_files(tmp_path, write_workbook,
                                                          monkeypatch):
    """A suite was too strict: once it is fixed, a backfill loads what it had quarantined."""
    from expectations import gates
    from flows.backfill import backfill
    from flows.nightly import nightly

    strict = tmp_path / "suites"
    shutil.copytree(gates.SUITES_DIR, strict)
    suite = json.loads((strict / "ssi__context.json").read_text())
    suite["expectations"].append({
        "type": "expect_column_values_to_be_between", "severity": "critical",
        "kwargs": {"column": "total", "max_value": 500_000},
        "meta": {"why": "A deliberately wrong bound, fixed below."}})
    (strict / "ssi__context.json").write_text(json.dumps(suite))
    monkeypatch.setattr(gates, "SUITES_DIR", strict)
    gates.gates_for.cache_clear()

    write_workbook("KHM.xlsx", **worked_example())
    write_workbook("TLS.xlsx", **worked_example(iso3="TLS", year=2022))
    warehouse = tmp_path / "wh" / "spf.duckdb"
    with pytest.raises(RunFailed, match="nothing to publish"):
        nightly(landing=str(tmp_path / "landing"), warehouse=str(warehouse))

    monkeypatch.setattr(gates, "SUITES_DIR", gates.EXPECTATIONS_DIR / "suites")
    gates.gates_for.cache_clear()
    summary = backfill(years_from=2019, years_to=2019, sources=["ssi"],
                       warehouse=str(warehouse))
    assert summary["ssi"]["counts"] == {"loaded": 1}
    assert query(warehouse, "select original_name, status from ops.submissions "
                 "order by 1") == [("KHM.xlsx", "loaded"), ("TLS.xlsx", "quarantined")]


def test_without_reread_a_backfill_only_rebuilds(loaded):
    from flows.backfill import backfill

    runs = query(loaded, "select run_id from ops.submissions order by original_name")
    summary = backfill(reread=False, warehouse=str(loaded))
    assert summary["published"] is True
    assert summary["ssi"]["landed"] == 0 and summary["rmt"]["fetches"] == 0
    assert query(loaded, "select run_id from ops.submissions order by original_name") == runs


@pytest.mark.parametrize("scope, message", [
    ({"years_from": 2022, "years_to": 2019}, "years from 2022 to 2019: the range is empty"),
    ({"countries": ["KHM", "XYZ"]}, "not ISO 3166-1 alpha-3 country codes: XYZ"),
    ({"sources": ["ssi", "ilostat"]}, "sources.1: Input should be 'ssi' or 'rmt'"),
])
def test_a_mistaken_scope_stops_before_any_work(loaded, scope, message):
    from flows.backfill import backfill

    published = loaded.stat().st_mtime_ns
    with pytest.raises(Exception, match=message):
        backfill(warehouse=str(loaded), **scope)
    assert loaded.stat().st_mtime_ns == published


def test_spf_backfill_on_the_command_line(loaded):
    from warehouse.cli import app

    runner = CliRunner()
    wrong = runner.invoke(app, ["backfill", "--years", "2019-2022", "--warehouse", str(loaded)])
    assert wrong.exit_code == 1
    assert wrong.output == "spf: --years '2019-2022': expected FROM:TO, e.g. 2016:2020\n"

    done = runner.invoke(app, ["backfill", "--years", "2019", "--countries", "TLS",
                               "--sources", "ssi", "--warehouse", str(loaded)])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[:2] == [
        "backfill: sources ssi; reference years 2019-2019; countries TLS; archive re-read",
        "SSI: 1 file(s) (1 loaded)"]
    assert f"published {loaded}" in done.output
    page = Path(done.output.splitlines()[-1].removeprefix("summary and validation reports: "))
    text = page.read_text()
    assert "scope: sources ssi; reference years 2019-2019; countries TLS; archive re-read" in text
    assert "@" not in text  # no contact e-mail reaches the run summary
