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

from warehouse.shared.errors import RunFailed

pytestmark = pytest.mark.usefixtures("prefect_api")
MARTS = ("coverage_sdg131", "coverage_sdg131_regional", "sp_expenditure", "dim_country",
         "results_institutional_changes", "results_country_steps", "results_phase_progress",
         "results_people_impacted", "results_impact_summary", "results_funding",
         "country_profile", "results_framework", "results_impact_by_branch", "results_outputs",
         "results_interventions", "results_thematic")


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
    # Re-read, not new: KHM 2019 only (not 2022, not TLS), and the one export.
    assert first["ssi"]["reread"] == {"loaded": 1} and first["ssi"]["counts"] == {}
    assert first["rmt"]["reread"] == {"loaded": 1} and first["rmt"]["new_versions"] == 2
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
    assert summary["ssi"]["reread"] == {"loaded": 1}
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
    assert done.stdout.splitlines()[:2] == [
        "backfill: sources ssi; reference years 2019-2019; countries TLS; archive re-read",
        "SSI: 1 re-read from the archive (1 loaded), 0 new file(s)"]
    assert f"published {loaded}" in done.output
    page = Path(done.stdout.splitlines()[-1].removeprefix("summary and validation reports: "))
    text = page.read_text()
    assert "scope: sources ssi; reference years 2019-2019; countries TLS; archive re-read" in text
    assert "@" not in text  # no contact e-mail reaches the run summary


def _archived(warehouse: Path, name: str) -> Path:
    (recorded,) = query(warehouse.parent / "state" / "spf_state.duckdb",
                        f"select archive_path from raw.ssi_files where original_name = '{name}'")
    return warehouse.parent / "archive" / recorded[0]


def test_a_damaged_archived_file_is_never_decided_again(tmp_path, loaded, write_workbook):
    """KHM 2019 revision 2 loses its last 300 bytes in the archive: a backfill keeps its
    decision (the marts still show revision 2), says which file, and fails once the rest is
    published; nothing is re-decided from the damaged bytes."""
    from flows.backfill import backfill
    from flows.nightly import nightly

    write_workbook("KHM_2019_r2.xlsx", **worked_example(revision=2, context=[
        {"item": "POP_TOTAL", "total": 1_000_000, "women": 510_000, "men": 490_000},
        {"item": "POP_PENSIONABLE", "total": 120_000, "women": 66_000, "men": 54_000}]))
    nightly(landing=str(tmp_path / "landing"), warehouse=str(loaded))
    before = marts(loaded)
    assert {r[0] for r in query(loaded, "select distinct submission_id from "
                                "marts.coverage_sdg131 where country_iso3 = 'KHM' and "
                                "year = 2019")} == {"KHM-2019-r2"}
    decided = query(loaded, "select original_name, status, run_id from ops.submissions "
                    "order by 1")

    damaged = _archived(loaded, "KHM_2019_r2.xlsx")
    damaged.chmod(0o600)
    data = bytearray(damaged.read_bytes())
    data[-300:] = b"\0" * 300
    damaged.write_bytes(bytes(data))

    with pytest.raises(RunFailed, match=r"archive damaged: 'KHM_2019_r2\.xlsx' \(sha256 "
                       r"[0-9a-f]{12}\.\.\.\) at archive/ssi/.* no longer holds the bytes it "
                       r"was landed with .*restore it from a backup.*the rest of the run "
                       r"was published"):
        backfill(years_from=2019, years_to=2019, countries=["KHM"], sources=["ssi"],
                 warehouse=str(loaded))
    assert marts(loaded) == before
    after = {name: (status, run) for name, status, run in query(
        loaded, "select original_name, status, run_id from ops.submissions")}
    r2 = next(row for row in decided if row[0] == "KHM_2019_r2.xlsx")
    assert after["KHM_2019_r2.xlsx"] == r2[1:]  # the same decision, by the same run
    assert after["KHM_2019.xlsx"][1] != next(r for r in decided if r[0] == "KHM_2019.xlsx")[2]


def test_a_moved_home_keeps_working(tmp_path, loaded):
    """`mv data /srv/spf`: the state refers to archived files inside the home (and reads
    paths recorded absolute by an older version the same way), so a backfill re-reads them
    all and publishes the same."""
    from flows.backfill import backfill

    state = loaded.parent / "state" / "spf_state.duckdb"
    old = duckdb.connect(str(state))
    old.execute("update raw.ssi_files set archive_path = '/old/home/data/archive/' || "
                "archive_path where archive_path is not null")
    old.close()
    before = marts(loaded)
    moved = tmp_path / "srv" / "spf"
    moved.parent.mkdir()
    shutil.move(loaded.parent, moved)
    shutil.rmtree(tmp_path / "landing")

    summary = backfill(warehouse=str(moved / "spf.duckdb"))
    assert summary["ssi"]["reread"] == {"loaded": 3}
    assert summary["ssi"]["counts"] == {} and summary["ssi"]["landed"] == 0
    assert marts(moved / "spf.duckdb") == before
    recorded = query(moved / "state" / "spf_state.duckdb",
                     "select sha256, archive_path from raw.ssi_files")
    assert recorded and all(path == f"ssi/{sha[:2]}/{sha}.xlsx" for sha, path in recorded)
