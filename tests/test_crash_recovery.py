"""A crash loses nothing: a real `spf run` killed with SIGKILL at each step boundary, then a
run that finds and finishes what it left (the publication kept, its site written, the
submissions reviewed with their feedback workbooks, the page written); and a run refused
by the lock writes nothing.

The killed run lands a new good workbook and a bad one on a published installation;
$SPF_KILL_AT (warehouse/run/journal.py) names where it dies. Four of the eight boundaries
are tested (each case is two full runs, about a minute): with a build left behind and
with its publication recorded, before the rename; just after the rename and after the
page. A run killed at the others (loaded, gated; kept, reviewed) leaves a journal of the
same kind, which the next run finishes by the same path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import clone, query, worked_example
from filelock import FileLock

from ingest.paths import resolve
from warehouse.publication import kept, records
from warehouse.run import journal, pipeline
from warehouse.shared.errors import PipelineBusy

SPF = Path(sys.executable).with_name("spf")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """One workbook published; the next delivery (TLS good, LAO bad) waits in `incoming`."""
    from ingest.samples.workbook import write_ssi_workbook

    root = tmp_path_factory.mktemp("crash")
    write_ssi_workbook(root / "landing" / "KHM_2019.xlsx", **worked_example())
    assert pipeline.nightly(str(root / "wh" / "spf.duckdb"),
                            landing=str(root / "landing"))["published"]
    write_ssi_workbook(root / "landing" / "TLS_2019.xlsx", **worked_example(iso3="TLS"))
    bad = worked_example(iso3="LAO")
    bad["beneficiaries"][0]["total"] = "about 30000"
    write_ssi_workbook(root / "landing" / "LAO_2019.xlsx", **bad)
    return root


def killed_at(boundary: str, installed: Path, tmp_path: Path) -> tuple[Path, dict]:
    """A copy of the installation after `spf run` died at `boundary`; its journal."""
    root = clone(installed, tmp_path)
    warehouse = root / "wh" / "spf.duckdb"
    env = {**os.environ, journal.KILL_ENV: boundary, "PREFECT_API_URL": ""}
    done = subprocess.run([str(SPF), "run", "--landing", str(root / "landing"),
                           "--warehouse", str(warehouse)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == -9, done.stderr
    (pending,) = journal.pending(resolve(warehouse))
    return warehouse, pending


def assert_nothing_lost(warehouse: Path, killed: dict) -> None:
    paths = resolve(warehouse)
    assert journal.pending(paths) == []
    assert query(warehouse, "select distinct submission_id from marts.coverage_sdg131 "
                 "order by 1") == [("KHM-2019-r1",), ("TLS-2019-r1",)]
    # Every publication so far is kept, and readable as of its id.
    rows = kept.publications(paths)
    assert [r["publication_id"] for r in rows] == [
        records.publication_id(n) for n in range(1, len(rows) + 1)]
    for row in rows:
        found = kept.resolve_publication(paths, row["publication_id"])
        assert found == paths.publications / f"{row['publication_id']}.duckdb"
    # The killed run's submissions are reviewed: the bad one has its feedback workbook.
    assert len(list(paths.feedback.glob("LAO_2019.*.feedback.xlsx"))) == 1
    page = paths.docs / "runs" / f"{killed['run_id']}.html"
    assert page.exists() and "finished by run" in page.read_text()
    record = json.loads(page.with_suffix(".json").read_text())
    lao = next(r for r in record["review"] if r["file"] == "LAO_2019.xlsx")
    assert lao["status"] == "rejected" and lao["feedback"]
    # The programme's pages show the publication in place, the new country included.
    site = paths.home / "site"
    shown = json.loads((site / ".spf-site.json").read_text())
    assert shown["publication_id"] == pipeline.published_id(paths)
    assert (site / "countries" / "TLS.html").exists()
    assert not list((paths.home / "sites").glob(".*.partial"))


class TestBeforeTheRename:
    """Killed before its publication was in place: its loads are in the state, so the next
    run publishes them, then reviews the killed run's submissions on that publication."""

    @pytest.mark.parametrize("boundary", ["built", "recorded"])
    def test_the_next_run_publishes_and_finishes_it(self, boundary, installed, tmp_path):
        warehouse, killed = killed_at(boundary, installed, tmp_path)
        assert query(warehouse, "select count(*) from marts.coverage_sdg131 "
                     "where country_iso3 = 'TLS'") == [(0,)]
        summary = pipeline.nightly(str(warehouse), landing=str(tmp_path / "landing"))
        assert summary["published"] is True and summary["ssi"]["landed"] == 0
        assert_nothing_lost(warehouse, killed)


class TestAfterTheRename:
    """Killed once its publication was in place: the next run keeps it, reviews the killed
    run's submissions and writes its page before anything else; nothing new to publish."""

    @pytest.mark.parametrize("boundary", ["renamed", "sited", "reported"])
    def test_the_next_run_finishes_it(self, boundary, installed, tmp_path):
        warehouse, killed = killed_at(boundary, installed, tmp_path)
        pid = killed["pending_publication"]
        assert pid == pipeline.published_id(resolve(warehouse))
        summary = pipeline.nightly(str(warehouse), landing=str(tmp_path / "landing"))
        assert summary["published"] is False  # nothing new since
        assert_nothing_lost(warehouse, killed)
        assert pipeline.published_id(resolve(warehouse)) == pid


def test_a_run_refused_by_the_lock_writes_nothing(installed, tmp_path):
    root = clone(installed, tmp_path)
    paths = resolve(root / "wh" / "spf.duckdb")
    runs = paths.docs / "runs"
    before = {p.name: p.stat().st_mtime_ns for p in runs.iterdir()}
    with FileLock(str(paths.lock)):
        with pytest.raises(PipelineBusy):
            pipeline.nightly(str(paths.warehouse), landing=str(root / "landing"))
    assert {p.name: p.stat().st_mtime_ns for p in runs.iterdir()} == before
    assert journal.pending(paths) == []
