"""The warm worker (warehouse/run/worker.py): `spf run` hands its run to `spf worker` when
one listens for the home, and two runs in one warm worker publish the marts two cold runs
publish; without a worker, or with one that is not the home's, the run is cold and says so.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import worked_example

from ingest.paths import resolve
from warehouse.run import pipeline, worker

SPF = Path(sys.executable).with_name("spf")
ENV = {**os.environ, "PREFECT_API_URL": ""}


def deliver(landing: Path, night: int) -> None:
    """Night 1: KHM 2019; night 2: a revision of it (one figure changed) and TLS 2019."""
    from ingest.samples.workbook import write_ssi_workbook

    if night == 1:
        write_ssi_workbook(landing / "KHM_2019.xlsx", **worked_example())
    else:
        revised = worked_example(revision=2)
        revised["beneficiaries"][0]["total"] = 41000
        write_ssi_workbook(landing / "KHM_2019_r2.xlsx", **revised)
        write_ssi_workbook(landing / "TLS_2019.xlsx", **worked_example(iso3="TLS"))


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, without what names the run that built them."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        found = {}
        for (table,) in con.execute("select table_name from duckdb_tables() where "
                                    "schema_name = 'marts' order by 1").fetchall():
            columns = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = 'marts' "
                "and table_name = ? order by column_index", [table]).fetchall()
                if not c.endswith(("_at", "run_id"))]
            found[table] = con.execute(
                f"select {', '.join(columns)} from marts.{table} order by all").fetchall()
        return found
    finally:
        con.close()


@pytest.fixture(scope="module")
def cold(tmp_path_factory) -> dict[str, list[tuple]]:
    """Two nights run here, without a worker."""
    root = tmp_path_factory.mktemp("cold")
    warehouse = root / "wh" / "spf.duckdb"
    for night in (1, 2):
        deliver(root / "landing", night)
        pipeline.nightly(str(warehouse), landing=str(root / "landing"),
                         reporting_date="2026-12-01")
    return marts(warehouse)


def start_worker(warehouse: Path) -> tuple[subprocess.Popen, str]:
    """`spf worker` for the home, once it says it is ready; what it said until then."""
    said = []
    process = subprocess.Popen([str(SPF), "worker", "--warehouse", str(warehouse)], env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        said.append(line)
        if "ready" in line:
            return process, "".join(said)
        if not line and process.poll() is not None:
            break
    process.kill()
    pytest.fail(f"spf worker did not start: {process.stdout.read()}")


def spf_run(landing: Path, warehouse: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(SPF), "run", "--landing", str(landing), "--warehouse",
                           str(warehouse), "--reporting-date", "2026-12-01"], env=ENV,
                          capture_output=True, text=True, timeout=300)


def test_two_runs_in_one_warm_worker_publish_what_two_cold_runs_publish(cold, tmp_path):
    warehouse = tmp_path / "wh" / "spf.duckdb"
    warehouse.parent.mkdir(parents=True)
    process, log = start_worker(warehouse)
    try:
        for night in (1, 2):
            deliver(tmp_path / "landing", night)
            done = spf_run(tmp_path / "landing", warehouse)
            assert done.returncode == 0, done.stderr
            assert "handed to the warm worker" in done.stderr
            assert "published" in done.stdout
        assert process.poll() is None  # one process served both
    finally:
        process.terminate()
        log += process.communicate(timeout=30)[0]
    assert log.count("ready") == 1 and log.count("nightly run ended") == 2, log
    assert "Traceback" not in log and "leaked" not in log, log
    assert marts(warehouse) == cold
    assert ("TLS",) in {(row[0],) for row in cold["coverage_sdg131"]}


def test_without_a_worker_the_run_is_cold_and_says_so(tmp_path):
    warehouse = tmp_path / "wh" / "spf.duckdb"
    paths = resolve(warehouse)
    # A key left by a worker that is gone: nothing listens, so nothing is handed over.
    worker._new_key(paths)
    assert worker.connect(paths) is None
    (tmp_path / "empty").mkdir()
    done = subprocess.run([str(SPF), "run", "--landing", str(tmp_path / "empty"),
                           "--warehouse", str(warehouse)], env=ENV, capture_output=True,
                          text=True, timeout=300)
    assert "no warm worker" in done.stderr and "running here, cold" in done.stderr


def test_a_client_without_the_homes_key_is_refused(tmp_path):
    """The socket is named after the home; only who can read its private key may use it."""
    from multiprocessing.connection import Client

    paths = resolve(tmp_path / "wh" / "spf.duckdb")
    paths.home.mkdir(parents=True)
    served = subprocess.Popen([sys.executable, "-c", (
        "from ingest.paths import resolve; from warehouse.run import "
        "worker; worker.warm_up = lambda: None; "
        f"worker.serve(resolve({str(paths.warehouse)!r}), once=1, "
        "ready=lambda: print('ready', flush=True))")],
        stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert served.stdout.readline().strip() == "ready"
        with pytest.raises(Exception, match="digest|authentication|closed"):
            Client(worker.address(paths), family="AF_UNIX", authkey=b"not the key").send(1)
        assert worker.key_file(paths).stat().st_mode & 0o077 == 0
    finally:
        served.kill()
        served.wait()
