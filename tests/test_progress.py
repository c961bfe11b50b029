"""Long steps say how far they are: to a terminal's progress bar, or as Prefect artifacts."""

from __future__ import annotations

import threading

import pytest
from conftest import worked_example

from ingest import progress, raw, ssi


def test_parsing_many_workbooks_reports_its_progress(tmp_path, write_workbook):
    paths = [str(write_workbook(f"KHM_{year}.xlsx", **worked_example(year=year)))
             for year in range(2000, 2000 + ssi.PARALLEL_FROM + 4)]
    seen: list[tuple[str, int, int]] = []
    with progress.reporting(lambda what, done, total: seen.append((what, done, total))):
        parsed = ssi.parse(paths)
    assert len(parsed) == len(paths)
    assert seen and seen[-1] == ("parsing workbooks", len(paths), len(paths))
    assert [done for _, done, _ in seen] == sorted({done for _, done, _ in seen})
    progress.advance("after the block", 1, 1)  # nobody listens any more: nothing happens
    assert seen[-1][0] == "parsing workbooks"


def test_the_gate_gets_ready_in_this_thread_while_another_waits_on_the_parsers(
        tmp_path, write_workbook):
    """A batch worth worker processes: the gate's `prepare` (its imports) runs in the
    calling thread while a second one waits on the parsing processes and reports their
    progress; the gate then checks every workbook, and they load."""
    count = ssi.PARALLEL_FROM + 2
    for year in range(2000, 2000 + count):
        write_workbook(f"KHM_{year}.xlsx", **worked_example(year=year))
    seen: list[tuple[str, str]] = []

    class Gate:
        def prepare(self) -> None:
            seen.append(("prepare", threading.current_thread().name))

        def __call__(self, frames):
            seen.append(("gate", str(frames["beneficiaries"].submission_id.nunique())))
            return {}

    con = raw.connect_state(tmp_path / "state" / "spf_state.duckdb")
    try:
        with progress.reporting(lambda what, done, total: seen.append(
                (what, threading.current_thread().name))):
            report = ssi.ingest_landing(con, tmp_path / "landing", tmp_path / "archive", "run",
                                        gate=Gate())
    finally:
        con.close()
    assert report.counts() == {"loaded": count}
    assert seen[0] == ("prepare", threading.main_thread().name)
    parsing = [name for what, name in seen if what == "parsing workbooks"]
    assert parsing and all(name.startswith("parse") for name in parsing)
    assert seen[-1] == ("gate", str(count))


@pytest.mark.usefixtures("prefect_api")
def test_progress_shows_as_a_prefect_progress_artifact():
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.tasks import ProgressArtifacts

    @flow
    def long_step() -> None:
        with progress.reporting(ProgressArtifacts()):
            for done in (10, 50, 100):
                progress.advance("parsing workbooks", done, 100)

    long_step()
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["spf-parsing-workbooks"])))
    assert artifacts and artifacts[0].type == "progress"
    assert float(artifacts[0].data) == 100.0
