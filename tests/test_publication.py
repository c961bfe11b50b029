"""Safe publication: gates block, kills and concurrent runs never damage what analysts read."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from conftest import clone, worked_example
from filelock import FileLock
from typer.testing import CliRunner

from ingest.paths import resolve

pytestmark = pytest.mark.usefixtures("prefect_api")
SPF = str(Path(sys.executable).with_name("spf"))


def run_nightly(warehouse: Path, landing: Path) -> dict:
    from flows.nightly import nightly

    return nightly(landing=str(landing), warehouse=str(warehouse))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def countries(warehouse: Path) -> list[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return [r[0] for r in con.execute("select distinct country_iso3 from "
                                          "marts.coverage_sdg131 order by 1").fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def published_once(tmp_path_factory, prefect_api):
    """A warehouse published from the worked example (KHM), built once for the module."""
    from ingest.samples.workbook import write_ssi_workbook

    root = tmp_path_factory.mktemp("published")
    write_ssi_workbook(root / "landing" / "KHM.xlsx", **worked_example())
    run_nightly(root / "wh" / "spf.duckdb", root / "landing")
    return root


@pytest.fixture
def published(tmp_path, published_once):
    """This test's own copy of that warehouse, its home and its landing, to add to."""
    return clone(published_once, tmp_path) / "wh" / "spf.duckdb"


def test_a_mart_error_blocks_publication_and_keeps_the_old_warehouse(
        tmp_path, write_workbook, published, monkeypatch):
    from expectations import gates

    strict = tmp_path / "suites"
    shutil.copytree(gates.SUITES_DIR, strict)
    (strict / "marts__coverage_sdg131_reviewed.json").write_text(json.dumps({
        "name": "marts__coverage_sdg131_reviewed",
        "meta": {"query": "select * from marts.coverage_sdg131"},
        "expectations": [{
            "type": "expect_column_values_to_be_in_set", "severity": "critical",
            "kwargs": {"column": "country_iso3", "value_set": ["KHM"]},
            "meta": {"why": "Only countries whose figures were reviewed may be published."}}]}))
    monkeypatch.setattr(gates, "SUITES_DIR", strict)
    before = digest(published)
    write_workbook("TLS.xlsx", **worked_example(iso3="TLS"))

    with pytest.raises(Exception, match="marts__coverage_sdg131_reviewed: "
                       r"expect_column_values_to_be_in_set\(country_iso3\) failed"):
        run_nightly(published, tmp_path / "landing")

    assert digest(published) == before
    assert countries(published) == ["KHM"]
    assert not list(published.parent.glob(".spf.build*"))
    page = (resolve(published).docs / "runs" / "latest.html").read_text()
    assert "FAILED: quality gate failed" in page
    assert "marts__coverage_sdg131_reviewed: FAILED" in page


def test_a_run_killed_mid_build_leaves_the_published_warehouse_unchanged(
        tmp_path, write_workbook, published):
    from prefect.settings import PREFECT_API_URL

    before = digest(published)
    write_workbook("TLS.xlsx", **worked_example(iso3="TLS"))
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    run = subprocess.Popen([SPF, "run", "--landing", str(tmp_path / "landing"),
                            "--warehouse", str(published)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(published.parent.glob(".spf.build*.duckdb")):
        assert run.poll() is None, run.stderr.read()[-3000:]
        assert time.monotonic() < deadline, "no build started"
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()

    assert digest(published) == before
    assert countries(published) == ["KHM"]
    assert list(published.parent.glob(".spf.build*.duckdb"))  # the killed build's leftovers

    summary = run_nightly(published, tmp_path / "landing")
    assert summary["published"] is True
    assert countries(published) == ["KHM", "TLS"]
    assert not list(published.parent.glob(".spf.build*"))


READER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from warehouse.access.query import run_query
    path, stop = Path(sys.argv[1]), Path(sys.argv[2])
    seen, errors, queries = set(), [], 0
    while not stop.exists():
        try:
            _, rows = run_query(path, "select count(*), count(distinct country_iso3), "
                                "max(submission_id) from marts.coverage_sdg131")
            seen.add(rows[0])
        except Exception as error:
            errors.append(repr(error))
        queries += 1
    print(repr((sorted(seen), errors, queries)))
""")


def test_readers_query_without_error_while_a_run_publishes(tmp_path, write_workbook, published):
    old = duckdb.connect(str(published), read_only=True)
    old_state = old.execute("select count(*), count(distinct country_iso3), max(submission_id) "
                            "from marts.coverage_sdg131").fetchall()[0]
    old.close()
    write_workbook("TLS.xlsx", **worked_example(iso3="TLS"))
    stop = tmp_path / "stop"
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(published), str(stop)],
                                stdout=subprocess.PIPE, text=True) for _ in range(2)]
    time.sleep(1.5)
    run_nightly(published, tmp_path / "landing")
    time.sleep(1.0)
    stop.touch()
    for reader in readers:
        seen, errors, queries = eval(reader.communicate(timeout=60)[0])  # noqa: S307
        assert errors == []
        assert queries > 20
        # Each query saw either the whole old warehouse or the whole new one.
        assert seen[0] == old_state or seen[-1] == old_state
        assert set(seen) <= {old_state, (old_state[0] * 2, 2, "TLS-2019-r1")}
        assert (old_state[0] * 2, 2, "TLS-2019-r1") in seen


def test_a_second_writer_is_turned_away_with_a_clear_message(tmp_path, published):
    from warehouse.shared.errors import PipelineBusy

    before = digest(published)
    with FileLock(str(resolve(published).lock)):
        with pytest.raises(PipelineBusy, match="another spf run is writing to"):
            run_nightly(published, tmp_path / "landing")
    assert digest(published) == before


def test_quarantine_status_and_release(tmp_path, write_workbook, published):
    from warehouse.cli import app

    implausible = worked_example(iso3="TLS")
    implausible["context"][0].update(total=50, women=None, men=None)
    write_workbook("units.xlsx", **implausible)
    run_nightly(published, tmp_path / "landing")
    assert countries(published) == ["KHM"]

    runner = CliRunner()
    status = runner.invoke(app, ["status", "--details", "--warehouse", str(published)])
    assert status.exit_code == 0
    line = next(row for row in status.output.splitlines() if "units.xlsx" in row)
    assert "quarantined" in line and "failed_expectation" in line
    assert "expect_column_values_to_be_between(total)" in line

    again = runner.invoke(app, ["release", "units.xlsx", "--warehouse", str(published)])
    assert again.exit_code == 1  # validated again, and still implausible
    assert "units.xlsx: quarantined" in again.output

    refused = runner.invoke(app, ["release", "units.xlsx", "--accept",
                                  "--warehouse", str(published)])
    assert refused.exit_code == 1 and "--accept needs --note" in refused.output

    accepted = runner.invoke(app, ["release", "units.xlsx", "--accept", "--note",
                                   "population in thousands confirmed by the focal point",
                                   "--warehouse", str(published)])
    assert accepted.exit_code == 0, accepted.output
    assert "units.xlsx: loaded" in accepted.output

    run_nightly(published, tmp_path / "landing")
    assert countries(published) == ["KHM", "TLS"]
    con = duckdb.connect(str(published), read_only=True)
    assert con.execute("select status, reason_code, reason_message from ops.submissions "
                       "where original_name = 'units.xlsx'").fetchall() == [
        ("loaded", "accepted_after_review",
         "population in thousands confirmed by the focal point")]
    con.close()
    archived = list((resolve(published).archive / "ssi").rglob("*.xlsx"))
    assert digest(tmp_path / "landing" / "units.xlsx") in {p.stem for p in archived}
