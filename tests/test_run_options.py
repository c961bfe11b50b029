"""What a run is built with besides the state: the reporting date and the reference population.

The runs go through `warehouse.pipeline` without Prefect (the flows pass the same options
through; tests/test_cli.py and tests/test_prefect_server.py run the flows).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from conftest import query, worked_example

from ingest.paths import REPO_ROOT, resolve
from warehouse.run import pipeline
from warehouse.shared.errors import RunFailed

WPP_EXCERPT = REPO_ROOT / "tests" / "fixtures" / "WPP2024_TotalPopulationBySex_excerpt.csv"
CAMBODIA_SHI = "select as_of, persons from marts.results_people_impacted " \
               "where outcome_id = 'OC-000789'"


@pytest.fixture(scope="module")
def sample_as_of_2017(tmp_path_factory) -> Path:
    """The bundled sample, published as of the 2017 annual report's date."""
    warehouse = tmp_path_factory.mktemp("asof") / "wh" / "spf.duckdb"
    summary = pipeline.nightly(str(warehouse), reporting_date="2017-12-31")
    assert summary["published"] and summary["build"]["reporting_date"] == "2017-12-31"
    return warehouse


def test_results_as_a_past_annual_report_saw_them(sample_as_of_2017):
    """Seed 000: "As of August 2017, approximately 910,000 workers were registered"."""
    assert query(sample_as_of_2017, CAMBODIA_SHI) == [(dt.date(2017, 8, 31), 910_000)]
    info = dict(query(sample_as_of_2017, "select key, value from ops.build_info"))
    assert info["reporting_date"] == "2017-12-31"
    changes = query(sample_as_of_2017, "select max(achieved_on) from "
                    "marts.results_institutional_changes")[0][0]
    assert changes <= dt.date(2017, 12, 31)
    page = (resolve(sample_as_of_2017).docs / "runs" / "latest.html").read_text()
    assert "results as of 2017-12-31" in page


def test_as_of_today_the_latest_snapshot_counts(sample_as_of_2017):
    summary = pipeline.nightly(str(sample_as_of_2017))
    assert summary["published"] is True  # results dated after 2017 now count: rebuilt
    assert summary["build"]["reporting_date"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert query(sample_as_of_2017, CAMBODIA_SHI) == [(dt.date(2024, 12, 31), 2_310_000)]
    # The next day, or the next run today, nothing is dated in between: nothing to rebuild.
    assert pipeline.nightly(str(sample_as_of_2017))["published"] is False


def test_a_bad_reporting_date_stops_the_run_before_any_work(tmp_path):
    with pytest.raises(RunFailed, match="reporting date '31/12/2017': expected YYYY-MM-DD"):
        pipeline.nightly(str(tmp_path / "wh" / "spf.duckdb"), reporting_date="31/12/2017")
    assert not (tmp_path / "wh" / "state").exists()


@pytest.fixture(scope="module")
def weighed_by_wpp(tmp_path_factory) -> Path:
    """The worked example, with regional shares weighed by the UN WPP excerpt."""
    from ingest.samples.workbook import write_ssi_workbook

    root = tmp_path_factory.mktemp("wpp")
    write_ssi_workbook(root / "landing" / "KHM.xlsx", **worked_example())
    warehouse = root / "wh" / "spf.duckdb"
    summary = pipeline.nightly(str(warehouse), landing=str(root / "landing"),
                               population=str(WPP_EXCERPT))
    assert summary["published"] and summary["build"]["population"].startswith("UN WPP")
    return warehouse


def test_an_official_population_file_is_archived_gated_and_named(weighed_by_wpp):
    info = dict(query(weighed_by_wpp, "select key, value from ops.build_info"))
    provenance = json.loads(info["population"])
    assert provenance["publisher"].startswith("United Nations")
    assert provenance["file"] == WPP_EXCERPT.name
    archived = weighed_by_wpp.parent / "archive" / provenance["archive_path"]
    assert archived.read_bytes() == WPP_EXCERPT.read_bytes()
    sources = query(weighed_by_wpp, "select distinct population_source from "
                    "marts.coverage_sdg131_regional")
    assert len(sources) == 1 and sources[0][0].startswith("UN WPP")
    # The same file again: nothing new to build.
    assert pipeline.nightly(str(weighed_by_wpp), landing=str(weighed_by_wpp.parent.parent /
                                                             "landing"),
                            population=str(WPP_EXCERPT))["published"] is False


def test_a_population_file_placed_in_the_home_is_used(weighed_by_wpp, tmp_path):
    """Swapping back to the bundled seed rebuilds; a file in population/ is taken up."""
    landing = str(weighed_by_wpp.parent.parent / "landing")
    back = pipeline.nightly(str(weighed_by_wpp), landing=landing)
    assert back["published"] is True and back["build"]["population"].startswith("World Bank")
    placed = resolve(weighed_by_wpp).population
    placed.mkdir()
    shutil.copy(WPP_EXCERPT, placed / WPP_EXCERPT.name)
    again = pipeline.nightly(str(weighed_by_wpp), landing=landing)
    assert again["published"] is True and again["build"]["population"].startswith("UN WPP")


def test_a_missing_population_file_stops_the_run(tmp_path):
    with pytest.raises(RunFailed, match="population file .*nowhere.csv does not exist"):
        pipeline.nightly(str(tmp_path / "wh" / "spf.duckdb"),
                         population=str(tmp_path / "nowhere.csv"))
