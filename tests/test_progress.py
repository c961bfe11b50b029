"""Long steps say how far they are: to a terminal's progress bar, or as Prefect artifacts."""

from __future__ import annotations

import pytest
from conftest import worked_example

from ingest import progress, ssi


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
