"""The run frame and the order of a run's steps, without Prefect: plain calls, real parts."""

from __future__ import annotations

import pytest
from conftest import query, worked_example
from filelock import FileLock

from ingest.paths import resolve
from warehouse.review import submissions
from warehouse.run import pipeline, steps
from warehouse.shared.errors import PipelineBusy, RunFailed
from warehouse.shared.summary import SourceSummary
from warehouse.site import place
from warehouse.sources.ssi import ingest_ssi


class Recorder:
    """Runs each step as a plain call and remembers which ran, in order."""

    def __init__(self) -> None:
        self.steps: list[str] = []

    def __call__(self, step, *args, **kwargs):
        self.steps.append(step.__name__)
        return step(*args, **kwargs)


def test_a_nightly_run_without_prefect_publishes_then_stays_quiet(tmp_path, write_workbook):
    write_workbook("KHM.xlsx", **worked_example())
    warehouse = tmp_path / "wh" / "spf.duckdb"
    recorder = Recorder()
    how = pipeline.Orchestration(run=recorder)

    first = pipeline.nightly(str(warehouse), landing=str(tmp_path / "landing"), how=how)
    assert first["published"] is True and first["ssi"]["counts"] == {"loaded": 1}
    assert recorder.steps == [ingest_ssi.__name__, steps.build_marts.__name__,
                              steps.validate_marts.__name__, steps.publish_marts.__name__,
                              place.write_site.__name__,
                              submissions.review_submissions.__name__,
                              pipeline.write_report.__name__]
    assert query(warehouse, "select count(distinct country_iso3) from marts.coverage_sdg131"
                 ) == [(1,)]
    assert (resolve(warehouse).docs / "runs" / f"{first['run_id']}.html").exists()

    recorder.steps.clear()
    second = pipeline.nightly(str(warehouse), landing=str(tmp_path / "landing"), how=how)
    assert second["published"] is False and second["ssi"]["counts"] == {}
    assert recorder.steps == [ingest_ssi.__name__, pipeline.write_report.__name__]  # no pages


def test_a_failed_run_still_leaves_its_summary_page(tmp_path):
    warehouse = tmp_path / "wh" / "spf.duckdb"
    with pytest.raises(RunFailed, match="SSI landing folder .* does not exist"):
        pipeline.nightly(str(warehouse), landing=str(tmp_path / "absent"))
    page = (resolve(warehouse).docs / "runs" / "latest.html").read_text()
    assert "FAILED: SSI landing folder" in page
    assert not warehouse.exists()


def test_the_frame_turns_a_second_writer_away_before_any_step(tmp_path):
    warehouse = tmp_path / "wh" / "spf.duckdb"
    recorder = Recorder()
    with FileLock(str(resolve(warehouse).lock)):
        with pytest.raises(PipelineBusy, match="try again when it has finished"):
            with pipeline.run_frame(str(warehouse), "nightly",
                                    pipeline.Orchestration(run=recorder)):
                pytest.fail("the body of a run that has no lock must not run")
    assert recorder.steps == []  # not even a page: the run holding the lock writes its own


def test_a_source_failure_fails_the_run_after_the_rest(tmp_path):
    warehouse = tmp_path / "wh" / "spf.duckdb"
    with pytest.raises(RunFailed, match="project reports not loaded: the API is down"):
        with pipeline.run_frame(str(warehouse), "nightly", pipeline.Orchestration()) as (
                _, _, summary):
            summary["rmt"] = SourceSummary(source="rmt", landed=1, counts={"failed": 1},
                                           rejected=[], validations=[], error="the API is down")
            summary["published"] = True
    page = (resolve(warehouse).docs / "runs" / "latest.html").read_text()
    assert f"published {warehouse}" in page and "1 new page(s) (1 failed)" in page


def test_expected_failures_are_logged_in_one_line_and_bugs_with_their_traceback():
    """The filter the flows put on Prefect's run loggers (flows/nightly.py)."""
    import io
    import logging

    from ingest.rmt_api import AuthFailed
    from warehouse.shared.errors import GateBlocked

    stream = io.StringIO()
    logger = logging.getLogger("spf-test.expected-failures")
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(stream))
    pipeline.without_expected_tracebacks(logger.name)
    pipeline.without_expected_tracebacks(logger.name)  # once is enough: idempotent
    assert logger.filters == [pipeline.EXPECTED_FAILURE_TRACEBACKS]
    for error in (RunFailed("nothing to publish"), PipelineBusy("another spf run"),
                  GateBlocked("marts gate failed", {}), AuthFailed("RMT API refused")):
        try:
            raise error
        except Exception as exc:
            logger.error("Task run failed with exception: %r", exc, exc_info=True)
    expected = stream.getvalue()
    assert "Traceback" not in expected and len(expected.splitlines()) == 4
    assert "RunFailed('nothing to publish')" in expected.splitlines()[0]
    try:
        {}["a bug"]
    except KeyError:
        logger.exception("Encountered exception during execution")
    assert "Traceback (most recent call last)" in stream.getvalue()[len(expected):]
    assert "KeyError: 'a bug'" in stream.getvalue()


def test_nothing_to_publish_says_what_was_left_for_the_next_run(tmp_path, write_workbook):
    write_workbook("KHM.xlsx", **worked_example())  # written just now
    with pytest.raises(RunFailed, match=(
            r"^nothing to publish: no submission or project report has been accepted; "
            r"1 left for the next run: changed less than 3600 s ago: KHM.xlsx$")):
        pipeline.nightly(str(tmp_path / "wh" / "spf.duckdb"), landing=str(tmp_path / "landing"),
                         settle_seconds=3600)
