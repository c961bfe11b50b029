"""The `spf` command line: run, query in three formats, and one-line failures."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import worked_example
from typer.testing import CliRunner

from warehouse.cli import app

runner = CliRunner()
SPF = str(Path(sys.executable).with_name("spf"))


def spf(*args: str) -> subprocess.CompletedProcess:
    """The installed console script in its own process, on the test harness's Prefect API."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    return subprocess.run([SPF, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, prefect_api):
    """One warehouse published by the real console script, shared by the query tests."""
    from ingest.samples.workbook import write_ssi_workbook

    root = tmp_path_factory.mktemp("cli")
    write_ssi_workbook(root / "landing" / "worked.xlsx", **worked_example())
    target = root / "wh" / "spf.duckdb"
    result = spf("run", "--landing", str(root / "landing"), "--warehouse", str(target))
    assert result.returncode == 0, result.stderr
    assert f"published {target}" in result.stdout
    return target


SQL = ("select sex, round(coverage_pct, 1) as pct from marts.coverage_sdg131 "
       "where series = 'SOC_CONTIG_PENSION' order by sex")


def test_query_formats(warehouse):
    table = runner.invoke(app, ["query", "--warehouse", str(warehouse), SQL])
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0].split() == ["sex", "|", "pct"]
    assert lines[2].split() == ["SEX_F", "|", "71.4"]
    assert lines[-1] == "(3 rows)"

    as_csv = runner.invoke(app, ["query", "--warehouse", str(warehouse), "--format", "csv", SQL])
    assert list(csv.reader(io.StringIO(as_csv.output))) == [
        ["sex", "pct"], ["SEX_F", "71.4"], ["SEX_M", "79.5"], ["SEX_T", "75.0"]]

    as_json = runner.invoke(app, ["query", "--warehouse", str(warehouse), "-f", "json", SQL])
    assert json.loads(as_json.output) == [
        {"sex": "SEX_F", "pct": 71.4}, {"sex": "SEX_M", "pct": 79.5},
        {"sex": "SEX_T", "pct": 75.0}]


def test_query_is_read_only(warehouse):
    result = runner.invoke(app, ["query", "--warehouse", str(warehouse),
                                 "drop table marts.coverage_sdg131"])
    assert result.exit_code == 1
    assert "read-only" in result.output
    again = runner.invoke(app, ["query", "--warehouse", str(warehouse),
                                "select count(*) from marts.coverage_sdg131"])
    assert again.exit_code == 0


def test_bad_sql_and_missing_warehouse_fail_with_one_line(tmp_path, warehouse):
    bad = runner.invoke(app, ["query", "--warehouse", str(warehouse), "select * from nowhere"])
    assert bad.exit_code == 1
    assert bad.output.startswith("spf: ") and bad.output.count("\n") == 1
    missing = runner.invoke(app, ["query", "--warehouse", str(tmp_path / "none.duckdb"),
                                  "select 1"])
    assert missing.exit_code == 1
    assert "no published warehouse" in missing.output


def test_run_that_fails_exits_non_zero_with_a_reason(tmp_path, prefect_api):
    result = spf("run", "--landing", str(tmp_path / "absent"),
                 "--warehouse", str(tmp_path / "wh" / "spf.duckdb"))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("spf: run failed: SSI landing folder")
    assert "does not exist (summary: " in last
    assert "Traceback" not in result.stderr  # an expected failure: its line, no traceback

    # Prefect still records the run as failed, with the reason, and logs it without one.
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        run = next(r for r in client.read_flow_runs(limit=200)
                   if r.parameters.get("landing") == str(tmp_path / "absent"))
        logs = "\n".join(entry.message for entry in client.read_logs(
            LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))))
    assert run.state.is_failed()
    assert "SSI landing folder" in run.state.message and "does not exist" in run.state.message
    assert "Encountered exception during execution: RunFailed(" in logs
    assert "Traceback" not in logs


def test_run_where_everything_is_rejected_publishes_nothing(tmp_path, write_workbook,
                                                           prefect_api):
    bad = worked_example()
    bad["beneficiaries"][0]["total"] = "lots"
    write_workbook("bad.xlsx", **bad)
    result = spf("run", "--landing", str(tmp_path / "landing"),
                 "--warehouse", str(tmp_path / "wh" / "spf.duckdb"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        "spf: run failed: nothing to publish: no submission or project report has been accepted "
        "(bad.xlsx: "
        "Beneficiaries!D4: 'lots' is not a number) (summary: ")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "wh" / "spf.duckdb").exists()


def test_another_run_holding_the_lock_is_said_in_one_line(tmp_path, prefect_api):
    from filelock import FileLock

    from ingest.paths import resolve

    target = tmp_path / "wh" / "spf.duckdb"
    paths = resolve(target)
    paths.home.mkdir(parents=True)
    (tmp_path / "landing").mkdir()
    with FileLock(str(paths.lock)):
        result = spf("run", "--landing", str(tmp_path / "landing"), "--warehouse", str(target))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"spf: run failed: another spf run is writing to {paths.home}")


def test_settle_leaves_young_files_for_the_next_run_and_says_so(tmp_path, write_workbook,
                                                               prefect_api):
    write_workbook("worked.xlsx", **worked_example())  # written just now
    target = str(tmp_path / "wh" / "spf.duckdb")
    left = "1 left for the next run: changed less than 3600 s ago: worked.xlsx"
    for command in (["run"], ["backfill", "--years", "2019", "--sources", "ssi"]):
        result = spf(*command, "--landing", str(tmp_path / "landing"), "--settle", "3600",
                     "--warehouse", target)
        assert result.returncode == 1, command
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith(
            f"spf: run failed: nothing to publish: no submission or project report has been "
            f"accepted; {left} (summary: "), command
    assert not (tmp_path / "wh" / "spf.duckdb").exists()
    assert not (tmp_path / "wh" / "archive").exists()  # nothing was landed


def test_a_bug_still_shows_its_traceback(tmp_path, prefect_api):
    """Tracebacks are for bugs: an exception nobody expected (here the run's home is under
    a file, so making its folder fails) is logged with its traceback, then the one line."""
    (tmp_path / "landing").mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    result = spf("run", "--landing", str(tmp_path / "landing"),
                 "--warehouse", str(tmp_path / "a-file" / "spf.duckdb"))
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "FileExistsError" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "spf: run failed: [Errno 17] File exists")


# --- the command line as analysts expect one -------------------------------------------------

COMMANDS = ["run", "backfill", "status", "feedback", "release", "accept", "query", "export",
            "tables", "diff", "rollback", "site", "publications", "worker"]


def test_version():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"spf {version('spf-warehouse')}\n"


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_fits_80_columns_with_whole_sentences_and_no_type_noise(command):
    result = CliRunner().invoke(app, [*([command] if command else []), "--help"],
                                env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert "<" not in result.output                   # no <bool>, <str>, <path> after names
    if command is None:
        listed = lines[lines.index("Commands:") + 1:]
        assert [line.split()[0] for line in listed] == COMMANDS
        for line in listed:                           # a whole sentence each, never cut
            assert line.endswith(".") and not line.endswith("..."), line


def test_tables_lists_each_mart_on_one_line_described_by_dbt(warehouse):
    from ingest.dbt_contract import descriptions

    result = CliRunner().invoke(app, ["tables", "--warehouse", str(warehouse)],
                                env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    names = [line.split()[0] for line in lines]
    assert "marts.coverage_sdg131" in names and all(n.startswith("marts.") for n in names)
    assert all(len(line) <= 80 for line in lines)
    described = descriptions()["marts.dim_country"][0]
    line = lines[names.index("marts.dim_country")]
    shown = line.split(None, 1)[1].removesuffix("…")
    assert described.startswith(shown) and len(shown) > 20
    everything = runner.invoke(app, ["tables", "--all", "--warehouse", str(warehouse)])
    listed = [line.split()[0] for line in everything.output.splitlines()]
    assert {"ops.submissions", "ref.m49_countries"} <= set(listed)
