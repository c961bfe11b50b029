"""Publications as operators and statisticians meet them after real runs: what tonight's load
changed, the warehouse as it was, a way back, and the review page of the run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import query, worked_example
from typer.testing import CliRunner

from warehouse.cli import app
from warehouse.run import pipeline

runner = CliRunner()
PENSION = ("select sex, round(coverage_pct, 1), revision from marts.coverage_sdg131 "
           "where series = 'SOC_CONTIG_PENSION' order by sex")


@pytest.fixture(scope="module")
def two_publications(tmp_path_factory) -> tuple[Path, dict]:
    """KHM 2019 revision 1, then revision 2 with more pensioners: two publications."""
    from ingest.samples.workbook import write_ssi_workbook

    root = tmp_path_factory.mktemp("publications")
    landing, warehouse = root / "landing", root / "wh" / "spf.duckdb"
    write_ssi_workbook(landing / "KHM_2019_r1.xlsx", **worked_example())
    assert pipeline.nightly(str(warehouse), landing=str(landing))["published"]
    revised = worked_example(revision=2)
    revised["beneficiaries"][0].update(total=50_000, women=20_000, men=30_000)
    write_ssi_workbook(landing / "KHM_2019_r2.xlsx", **revised)
    second = pipeline.nightly(str(warehouse), landing=str(landing))
    assert second["published"]
    return warehouse, second


def test_the_run_summary_says_what_the_publication_changed(two_publications):
    warehouse, second = two_publications
    changes = second["publication"]
    assert (changes["from_publication"], changes["to_publication"]) == ("p0001", "p0002")
    assert changes["marts"]["coverage_sdg131"]["changed"] > 0
    said = " ".join(changes["highlights"]["coverage_sdg131"])
    assert "KHM 2019 SOC_CONTIG_PENSION SEX_T 75.0 → 95.0, revision 2 of KHM-2019" in said
    page = Path(second["report"]).read_text()
    assert "What this publication changed" in page and "75.0 → 95.0" in page


def test_spf_diff_shows_exactly_the_revision(two_publications):
    warehouse, _ = two_publications
    result = runner.invoke(app, ["diff", "--table", "coverage_sdg131", "--format", "json",
                                 "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    diff = json.loads(result.output)
    (mart,) = diff["marts"]
    assert (mart["added"], mart["removed"]) == (0, 0) and mart["changed"] > 0
    pension = next(row for row in mart["changed_rows"] if row["key"] == {
        "country_iso3": "KHM", "year": 2019, "series": "SOC_CONTIG_PENSION", "sex": "SEX_T"})
    assert pension["changes"]["revision"] == {"old": 1, "new": 2}
    assert round(pension["changes"]["coverage_pct"]["new"], 1) == 95.0


def test_as_of_reads_the_first_publication_after_the_second(two_publications):
    warehouse, _ = two_publications
    now = runner.invoke(app, ["query", "--warehouse", str(warehouse), "-f", "json", PENSION])
    before = runner.invoke(app, ["query", "--warehouse", str(warehouse), "-f", "json",
                                 "--as-of", "p0001", PENSION])
    assert now.exit_code == 0 and before.exit_code == 0, before.output
    assert [row["revision"] for row in json.loads(now.output)] == [2, 2, 2]
    assert [row["revision"] for row in json.loads(before.output)] == [1, 1, 1]
    leak = runner.invoke(app, ["query", "--warehouse", str(warehouse), "--as-of", "p0001",
                               "select * from read_text('/etc/passwd')"])
    assert leak.exit_code == 1 and leak.output.startswith("spf: refused: ")


def test_a_rollback_publishes_the_first_again_and_the_next_run_rebuilds(two_publications,
                                                                         tmp_path):
    warehouse, _ = two_publications
    done = runner.invoke(app, ["rollback", "p0001", "--note", "revision 2 under review",
                               "--warehouse", str(warehouse)])
    assert done.exit_code == 0, done.output
    assert "p0001 published again as p0003" in done.output
    assert [r[2] for r in query(warehouse, PENSION)] == [1, 1, 1]
    assert query(warehouse, "select kind, restores, note from ops.publications "
                 "order by sequence") == [("nightly", None, None), ("nightly", None, None),
                                          ("rollback", "p0001", "revision 2 under review")]
    listed = runner.invoke(app, ["publications", "--warehouse", str(warehouse), "-f", "json"])
    assert [r["publication"] for r in json.loads(listed.output)] == ["p0001", "p0002", "p0003"]
    # Its pages come back with it: the site shows p0003, with revision 1's figures.
    site = warehouse.parent / "site"
    assert "its pages: " in done.output
    assert json.loads((site / ".spf-site.json").read_text())["publication_id"] == "p0003"
    coverage = (site / "data" / "countries" / "KHM" / "coverage.csv").read_text()
    assert "KHM-2019-r1" in coverage and "KHM-2019-r2" not in coverage
    assert "a rollback to p0001" in (site / "index.html").read_text()
    rebuilt = pipeline.nightly(str(warehouse), landing=str(warehouse.parent.parent / "landing"),
                               keep_publications=2)
    assert rebuilt["published"] is True  # from the state, as the README says
    assert [r[2] for r in query(warehouse, PENSION)] == [2, 2, 2]
    kept = sorted(p.name for p in (warehouse.parent / "publications").glob("*.duckdb"))
    assert kept == ["p0003.duckdb", "p0004.duckdb"]  # the option prunes to the last two


def test_keep_publications_must_keep_at_least_the_published_one(tmp_path):
    refused = runner.invoke(app, ["run", "--keep-publications", "0", "--landing",
                                  str(tmp_path), "--warehouse", str(tmp_path / "spf.duckdb")])
    assert refused.exit_code == 2 and "--keep-publications" in refused.output
    assert not (tmp_path / "spf.duckdb").exists()


def test_the_review_page_lists_every_submission_of_the_run(tmp_path, write_workbook):
    implausible = worked_example(iso3="TLS")
    implausible["context"][0].update(total=50, women=None, men=None)
    write_workbook("TLS_units.xlsx", **implausible)
    bad = worked_example(iso3="SEN", year=2022)
    bad["beneficiaries"][0]["total"] = "lots"
    write_workbook("SEN_2022.xlsx", **bad)
    write_workbook("KHM_2019.xlsx", **worked_example())
    summary = pipeline.nightly(str(tmp_path / "wh" / "spf.duckdb"),
                               landing=str(tmp_path / "landing"))
    rows = {r["file"]: r for r in summary["review"]}
    assert {name: r["status"] for name, r in rows.items()} == {
        "KHM_2019.xlsx": "loaded", "SEN_2022.xlsx": "rejected", "TLS_units.xlsx": "quarantined"}
    assert rows["SEN_2022.xlsx"]["problems"] == ["Beneficiaries!D4: 'lots' is not a number"]
    for name in ("SEN_2022.xlsx", "TLS_units.xlsx"):
        feedback = Path(rows[name]["feedback"])
        assert feedback.exists() and feedback.stat().st_mode & 0o077 == 0  # private
    assert rows["KHM_2019.xlsx"]["feedback"] is None
    # The run's page lists the two that need feedback, each linked to its own page of the
    # review (docs/review.html), which lists them too; KHM needs none.
    page = Path(summary["report"]).read_text()
    assert "Submissions of this run that need feedback" in page
    assert "2 of the run&#x27;s 3 submission(s) need feedback" in page
    assert "<td>SEN</td><td>2022</td><td>1</td>" in page and ".feedback.xlsx" in page
    assert "<td>KHM</td>" not in page
    review = Path(summary["report"]).parent.parent / "review.html"
    assert "TLS-2019-r1" in review.read_text() and "SEN_2022.xlsx" in review.read_text()
    assert "KHM" not in review.read_text()
    assert len(list(review.with_name("review").glob("*.html"))) == 2
