"""Project-report ingest against a real HTTP server on 127.0.0.1 and real export folders.

Each test goes through `ingest_rmt`: archive, contract, GX gate and the
DuckDB state, as a nightly run does. The client's own retry timings are covered in
test_rmt_api.py; here small backoffs keep the retries quick.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import duckdb
import pytest
from conftest import FakeRmtApi, intervention, write_export
from werkzeug import Response

from flows.tasks import resolve_token
from ingest import rmt_api
from ingest.paths import resolve
from warehouse.review import quarantine
from warehouse.run import pipeline
from warehouse.shared.errors import RunFailed
from warehouse.sources.registry import Inputs
from warehouse.sources.rmt import ingest_rmt


def quick_fetch(base_url: str, updated_since: str | None) -> list:
    """The production fetch (token from the environment), with small backoffs and 2 retries."""
    return rmt_api.fetch_pages(base_url, resolve_token(), updated_since, page_size=2,
                               retries=2, backoff=0.01)


@pytest.fixture
def paths(tmp_path):
    return resolve(tmp_path / "wh" / "spf.duckdb")


def ingest(paths, api: FakeRmtApi, run_id: str = "r1") -> dict:
    return ingest_rmt(paths, run_id, Inputs({"rmt_url": api.url}, fetch_pages=quick_fetch))


def state(paths, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(paths.state_db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def versions(paths) -> list[tuple[str, str, bool]]:
    return [(i, u.strftime("%Y-%m-%dT%H:%M:%SZ"), d) for i, u, d in state(
        paths, "select intervention_id, updated_at, deleted from raw.rmt_interventions "
        "order by all")]


def mark(paths, api) -> str | None:
    con = duckdb.connect(str(paths.state_db), read_only=True)
    try:
        from ingest.state import rmt_high_water_mark
        return rmt_high_water_mark(con, api.url)
    finally:
        con.close()


def archived(paths, body: bytes) -> Path:
    sha = hashlib.sha256(body).hexdigest()
    return paths.archive / "rmt" / sha[:2] / f"{sha}.json"


def test_pages_load_then_only_what_changed(paths, rmt_api):
    rmt_api.interventions = [intervention(n, f"2017-10-2{n}T09:00:00Z") for n in range(1, 6)]
    first = ingest(paths, rmt_api)

    assert first["counts"] == {"loaded": 1} and first["new_versions"] == 5
    assert [r.get("page") for r in rmt_api.requests] == ["1", "2", "3"]
    assert "updated_since" not in rmt_api.requests[0]
    assert mark(paths, rmt_api) == "2017-10-25T09:00:00Z"
    for page in (1, 2, 3):  # every page body archived byte for byte
        body = rmt_api.body(page, None)
        assert archived(paths, body).read_bytes() == body
    assert state(paths, "select count(*) from raw.rmt_impact_snapshots") == [(10,)]

    # A later version of one intervention and a tombstone of another.
    rmt_api.requests.clear()
    rmt_api.interventions += [
        intervention(2, "2018-03-01T00:00:00Z", title="Revised"),
        {**intervention(3, "2018-03-02T00:00:00Z"), "deleted": True},
    ]
    second = ingest(paths, rmt_api, "r2")
    assert {r["updated_since"] for r in rmt_api.requests} == {"2017-10-25T09:00:00Z"}
    # The item at the old mark comes back (inclusive API): it is known and not loaded twice.
    assert second["counts"] == {"loaded": 1} and second["new_versions"] == 2
    assert mark(paths, rmt_api) == "2018-03-02T00:00:00Z"
    assert ("RMT-000002", "2018-03-01T00:00:00Z", False) in versions(paths)
    assert ("RMT-000003", "2018-03-02T00:00:00Z", True) in versions(paths)
    assert len(versions(paths)) == 7  # every version stays in raw

    # Nothing new: nothing recorded, so the state (and the warehouse) stays as it is.
    fetches = state(paths, "select count(*) from raw.rmt_fetches")
    third = ingest(paths, rmt_api, "r3")
    assert third["counts"] == {"unchanged": 1} and third["new_versions"] == 0
    assert state(paths, "select count(*) from raw.rmt_fetches") == fetches


@pytest.mark.parametrize("hiccup", [
    Response(b"slow down", status=429, headers={"Retry-After": "0"}),
    Response(b"oops", status=500),
    Response(b"bad gateway", status=502),
], ids=["429", "500", "502"])
def test_a_transient_error_is_retried_and_the_fetch_loads(paths, rmt_api, hiccup):
    rmt_api.interventions = [intervention(n) for n in range(1, 4)]
    rmt_api.script = [None, hiccup]  # page 1 fine, page 2 fails once, then fine
    summary = ingest(paths, rmt_api)
    assert summary["counts"] == {"loaded": 1} and summary["new_versions"] == 3
    assert [r["page"] for r in rmt_api.requests] == ["1", "2", "2"]


def test_a_server_error_that_persists_loads_nothing_and_keeps_the_mark(paths, rmt_api):
    rmt_api.interventions = [intervention(1, "2017-01-01T00:00:00Z")]
    ingest(paths, rmt_api)
    rmt_api.interventions += [intervention(n, "2018-01-01T00:00:00Z") for n in (2, 3, 4)]
    rmt_api.script = [None] + [Response(b"down", status=500)] * 3  # page 2: 1 try, 2 retries

    summary = ingest(paths, rmt_api, "r2")

    assert summary["counts"] == {"failed": 1}
    assert "page 2" in summary["error"] and "HTTP 500" in summary["error"]
    assert summary["rejected"][0]["reason_code"] == "fetch_failed"
    assert len(versions(paths)) == 1  # page 1 of the failed fetch was not loaded
    assert mark(paths, rmt_api) == "2017-01-01T00:00:00Z"
    page1 = rmt_api.body(1, "2017-01-01T00:00:00Z")
    assert archived(paths, page1).read_bytes() == page1  # kept for inspection all the same
    with pytest.raises(RunFailed, match="project reports not loaded: .*HTTP 500"):
        pipeline.fail_if_a_source_failed({"rmt": summary})

    rmt_api.requests.clear()
    assert ingest(paths, rmt_api, "r3")["new_versions"] == 3  # the next run catches up
    assert rmt_api.requests[0]["updated_since"] == "2017-01-01T00:00:00Z"


def test_truncated_json_fails_the_fetch_and_keeps_the_body(paths, rmt_api):
    """A whole HTTP answer (its Content-Length met) whose JSON stops short: the API failed.

    No project report is at fault, so it is no rejected delivery: the fetch fails with
    `not_json`, and the run fails once the rest is published. The body stays archived.
    """
    rmt_api.interventions = [intervention(n) for n in range(1, 5)]
    cut = rmt_api.body(2, None)[:-40]
    rmt_api.script = [None, Response(cut, content_type="application/json")]

    summary = ingest(paths, rmt_api)

    assert summary["counts"] == {"failed": 1}
    reason = summary["rejected"][0]
    assert reason["reason_code"] == "not_json"
    assert state(paths, "select status, reason_code from raw.rmt_fetches") == [
        ("failed", "not_json")]
    assert "page 2" in reason["reason"] and "not valid JSON" in reason["reason"]
    assert summary["error"] == reason["reason"].removeprefix(f"{rmt_api.url}: ")
    with pytest.raises(RunFailed, match="project reports not loaded: .*page 2 .*not valid JSON"):
        pipeline.fail_if_a_source_failed({"rmt": summary})
    assert len(rmt_api.requests) == 2  # a body is not asked for again
    assert versions(paths) == []
    assert mark(paths, rmt_api) is None
    assert archived(paths, cut).read_bytes() == cut


def test_a_refused_token_fails_clearly_and_never_shows_the_token(paths, rmt_api, monkeypatch,
                                                                  caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("SPF_RMT_TOKEN", "wrong-token-7e1c")
    summary = ingest(paths, rmt_api)
    assert summary["counts"] == {"failed": 1}
    assert summary["rejected"][0]["reason_code"] == "auth_failed"
    assert "HTTP 401" in summary["error"] and "SPF_RMT_TOKEN" in summary["error"]
    assert len(rmt_api.requests) == 1  # not retried
    everything = json.dumps(summary) + caplog.text + str(state(paths, "from raw.rmt_fetches"))
    assert "wrong-token-7e1c" not in everything


def test_a_contract_violation_names_page_item_and_field(paths, rmt_api):
    bad = intervention(7)
    bad["outcomes"][0]["impact_history"][1]["persons"] = -910_000
    rmt_api.interventions = [intervention(6), bad]
    summary = ingest(paths, rmt_api)
    assert summary["counts"] == {"rejected": 1}
    reason = summary["rejected"][0]
    assert reason["reason_code"] == "contract_violation"
    assert reason["reason"].endswith("page-0001.json!items[1] (RMT-000007) "
                                     "outcomes[0].impact_history[1].persons: -910000: Input "
                                     "should be greater than or equal to 0")
    assert versions(paths) == []


def test_an_unknown_thematic_area_rejects_the_fetch_naming_the_accepted_list(paths, tmp_path):
    """Thematic areas are a code list (seed thematic_areas, Table 4 of the phase-2 document)."""
    exports = tmp_path / "exports"
    write_export(exports / "2022-01-10", [
        intervention(1), intervention(2, thematic_areas=["social_health_protection", "health"])])
    summary = ingest_rmt(paths, "r1", Inputs({"rmt_dir": exports}))
    assert summary["counts"] == {"rejected": 1}
    (reason,) = summary["rejected"]
    assert reason["reason_code"] == "contract_violation"
    assert "page-0001.json!items[1] (RMT-000002) thematic_areas[1]: 'health': Input should " \
           "be 'social_health_protection', 'unemployment_protection', " in reason["reason"]
    assert "'emerging_challenges' or 'culture_of_social_protection'" in reason["reason"]
    assert versions(paths) == []  # the first, valid intervention of the fetch is not loaded


def test_the_quality_gate_quarantines_a_fetch_with_implausible_figures(paths, rmt_api):
    unit_error = intervention(8)
    unit_error["outcomes"][0]["impact_history"][1]["persons"] = 9_100_000_000
    rmt_api.interventions = [intervention(9), unit_error]
    summary = ingest(paths, rmt_api)
    assert summary["counts"] == {"quarantined": 1}
    reason = summary["rejected"][0]["reason"]
    assert reason.startswith("impact_snapshots: RMT-000008: rmt__impact_snapshots: "
                             "expect_column_values_to_be_between(persons) failed")
    assert "9100000000" in reason
    failed = [v for v in summary["validations"] if not v["passed"]]
    assert [v["suite"] for v in failed] == ["rmt__impact_snapshots"]
    assert Path(failed[0]["page"].removeprefix("file://")).exists()
    assert versions(paths) == [] and mark(paths, rmt_api) is None


def test_the_same_version_with_other_content_is_a_conflict(paths, rmt_api):
    rmt_api.interventions = [intervention(1)]
    ingest(paths, rmt_api)
    rmt_api.interventions = [intervention(1, title="Changed without a new updated_at")]
    rmt_api.requests.clear()
    summary = ingest(paths, rmt_api, "r2")
    assert summary["rejected"][0]["reason_code"] == "conflicting_version"
    assert "RMT-000001 version 2017-10-23T09:14:00Z" in summary["rejected"][0]["reason"]
    assert versions(paths) == [("RMT-000001", "2017-10-23T09:14:00Z", False)]


def test_an_export_loads_as_a_whole_or_not_at_all(paths, tmp_path, httpserver):
    api = FakeRmtApi(httpserver)
    api.interventions = [intervention(n) for n in range(1, 6)]
    exports = tmp_path / "exports"
    write_export(exports / "2017-11-01", api.interventions)
    bad_page = exports / "2017-11-01" / "page-0002.json"
    good_body = bad_page.read_bytes()
    bad_page.write_bytes(good_body.replace(b'"step": 3', b'"step": 4'))
    missing = exports / "2018-01-01"
    write_export(missing, api.interventions)
    (missing / "page-0003.json").unlink()

    summary = ingest_rmt(paths, "r1", Inputs({"rmt_dir": exports}))
    assert summary["counts"] == {"rejected": 2}
    reasons = {r["file"]: r["reason"] for r in summary["rejected"]}
    assert "2017-11-01/page-0002.json!items[0] (RMT-000003) " \
           "institutional_changes[0].step: 4: Input should be 1, 2 or 3" in reasons["2017-11-01"]
    assert "the last page (2) names a next page; the fetch is incomplete" in reasons["2018-01-01"]
    assert versions(paths) == []

    # Nothing changed: the same exports are not decided again.
    assert ingest_rmt(paths, "r2", Inputs({"rmt_dir": exports}))["counts"] == {}
    # The page is fixed in place: the export is decided again as a whole, and loads.
    bad_page.chmod(0o644)
    bad_page.write_bytes(good_body)
    fixed = ingest_rmt(paths, "r3", Inputs({"rmt_dir": exports}))
    assert fixed["counts"] == {"loaded": 1} and fixed["new_versions"] == 5
    # The rejected body stays in the archive.
    assert archived(paths, good_body.replace(b'"step": 3', b'"step": 4')).exists()


def test_a_quarantined_fetch_is_listed_and_can_be_released(paths, rmt_api):
    big = intervention(8, "2019-05-01T00:00:00Z")
    big["outcomes"][0]["impact_history"][1]["persons"] = 1_600_000_000
    rmt_api.interventions = [big]
    ingest(paths, rmt_api)

    columns, rows, origin = quarantine.status_rows(paths)
    listed = [dict(zip(columns, row, strict=True)) for row in rows]
    assert [(r["source"], r["file"], r["status"], r["reason_code"]) for r in listed] == [
        ("rmt", rmt_api.url, "quarantined", "failed_expectation")]
    fetch_id = listed[0]["id"]

    again = quarantine.release(paths, fetch_id, accept=False, note=None)
    assert again["status"] == "quarantined"  # validated again, still implausible
    with pytest.raises(RunFailed, match="no quarantined RMT fetch 'rmt-nope'"):
        quarantine.release(paths, "rmt-nope", accept=True, note="x")

    accepted = quarantine.release(paths, fetch_id, accept=True,
                                     note="national health insurance register, confirmed")
    assert accepted == {"file": f"{rmt_api.url} ({fetch_id})", "status": "loaded",
                        "reason": "national health insurance register, confirmed"}
    assert versions(paths) == [("RMT-000008", "2019-05-01T00:00:00Z", False)]
    assert mark(paths, rmt_api) == "2019-05-01T00:00:00Z"
    assert state(paths, "select status, reason_code from raw.rmt_fetches") == [
        ("loaded", "accepted_after_review")]
    assert quarantine.status_rows(paths)[1] == []


def test_pages_parsed_in_worker_processes_give_the_rows_of_one_pass(tmp_path, monkeypatch):
    """A large fetch's pages are validated and flattened in worker processes: the same rows,
    in the same order, as one pass over every page in the run's process."""
    import pandas as pd

    from ingest import rmt
    from ingest.paths import SAMPLE_RMT_DIR
    from ingest.rmt_contract import parse_page
    from ingest.rmt_landing import export_fetches
    from ingest.rmt_versions import flatten

    fetch = next(f for f in export_fetches(SAMPLE_RMT_DIR, tmp_path / "archive", "r1", set())
                 if len(f.pages) >= 3)
    monkeypatch.setattr(rmt, "PARALLEL_FROM", 1)
    in_workers, problems = rmt.parse(fetch)
    monkeypatch.setattr(rmt, "PARALLEL_FROM", 1000)
    here, _ = rmt.parse(fetch)
    assert not problems and [p.number for p in in_workers] == [1, 2, 3]
    one_pass = flatten([(page, *parse_page(Path(page.file.archive_path).read_bytes(),
                                           page.file.original_name)) for page in fetch.pages],
                       fetch.fetch_id)
    for table, frame in rmt.fetch_frames(in_workers, fetch.fetch_id).items():
        pd.testing.assert_frame_equal(frame, rmt.fetch_frames(here, fetch.fetch_id)[table])
        pd.testing.assert_frame_equal(frame, one_pass[table])
