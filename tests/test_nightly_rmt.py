"""Project reports end to end: sample exports and a real HTTP API through the nightly flow."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import intervention, query, worked_example

from ingest.paths import SAMPLE_RMT_DIR

pytestmark = pytest.mark.usefixtures("prefect_api")
FIXTURE = Path(__file__).parent / "fixtures" / "annual_report_2017_country_steps.csv"


@pytest.fixture(scope="module")
def sample(tmp_path_factory, prefect_api):
    """The bundled sample exports, loaded by the nightly flow into a fresh warehouse."""
    from flows.nightly import nightly

    warehouse = tmp_path_factory.mktemp("rmt") / "wh" / "spf.duckdb"
    summary = nightly(rmt_dir=str(SAMPLE_RMT_DIR), warehouse=str(warehouse))
    return warehouse, summary


def test_the_2017_annual_report_table_is_reproduced(sample):
    warehouse, summary = sample
    assert summary["published"] is True
    assert summary["rmt"]["counts"] == {"loaded": 2}
    with FIXTURE.open() as handle:
        expected = sorted((r["country_iso3"], int(r["step"]), int(r["year"]),
                           r["achieved"] == "true") for r in csv.DictReader(handle))
    assert len(expected) == 21 * 3 * 2
    assert query(warehouse, """
        select country_iso3, step, year, achieved from marts.results_country_steps
        where phase = 1 and year in (2016, 2017) order by all""") == expected


def test_phase_one_achievements_and_impact_match_the_programme_document(sample):
    warehouse, _ = sample
    # Table 1 of the second-phase programme document: step 1 in 10 countries, 2 in 13, 3 in 16.
    assert query(warehouse, "select step, focus_countries, target_countries, "
                 "achieved_countries from marts.results_phase_progress where phase = 1 "
                 "order by step") == [(1, 21, 21, 10), (2, 21, 14, 13), (3, 21, 7, 16)]
    # Table 2: legal 11.6, effective 10.9, comprehensive and adequate 2.6 million people.
    rows = query(warehouse, "select impact_category, round(persons / 1e6, 1) "
                 "from marts.results_impact_summary where phase = 1 and impact_category != "
                 "'better_access' order by 1")
    assert rows == [("comprehensive_adequate", 2.6), ("effective_coverage", 10.9),
                    ("legal_coverage", 11.6)]


def test_the_results_framework_gives_tables_1_and_2_of_the_programme_document(sample):
    """Phase 1 of marts.results_framework, which counts every country (Table 7's wording),
    is Table 1 (step 1 in 10 countries, 2 in 13, 3 in 16) and Table 2 (legal coverage 11.6,
    effective coverage 10.9, more comprehensive and adequate protection 2.6 million, this
    last the outcome types adequacy and comprehensiveness together) of seed 003."""
    warehouse, _ = sample
    rows = {indicator: (value, unit, target, countries) for indicator, value, unit, target,
            countries in query(warehouse, "select indicator, value, unit, target, countries "
                               "from marts.results_framework where phase = 1")}
    assert {k: v for k, v in rows.items() if k.startswith("countries_step_")} == {
        "countries_step_1": (10, "countries", 21, 10),
        "countries_step_2": (13, "countries", 14, 13),
        "countries_step_3": (16, "countries", 7, 16)}
    millions = {k: round(rows[k][0] / 1e6, 1) for k in rows if k.startswith("impact_")}
    assert millions["impact_legal_coverage"] == 11.6
    assert millions["impact_effective_coverage"] == 10.9
    adequate = rows["impact_adequacy"][0] + rows["impact_comprehensiveness"][0]
    assert round(adequate / 1e6, 1) == 2.6
    # To the person, as ingest/samples/rmt/README.md derives them.
    assert (rows["impact_legal_coverage"][0], rows["impact_effective_coverage"][0], adequate) \
        == (11_615_200, 10_900_200, 2_601_100)
    assert query(warehouse, "select step, achieved_countries from marts.results_phase_progress "
                 "where phase = 1 order by step") == [(1, 10), (2, 13), (3, 16)]


def sample_interventions() -> list[dict]:
    """The live interventions of the sample: each export folder in date order, a later
    version replacing the earlier, tombstones removed."""
    current: dict[str, dict] = {}
    for export in sorted(p for p in SAMPLE_RMT_DIR.iterdir() if p.is_dir()):
        for page in sorted(export.glob("page-*.json")):
            for item in json.loads(page.read_bytes())["items"]:
                current[item["id"]] = item
    return [d for d in current.values() if not d["deleted"]]


def phase_of(day: str | None) -> int | None:
    if day and "2016-01-01" <= day <= "2020-12-31":
        return 1
    if day and "2021-01-01" <= day <= "2025-12-31":
        return 2
    return None


def framework_by_hand() -> dict[tuple[str, int], dict]:
    """marts.results_framework recomputed in plain Python from the committed JSON pages, by
    the counting rules of ../shared/specs/results-framework.md restated here."""
    figures = defaultdict(lambda: {"value": 0, "women": None, "men": None,
                                   "persons_with_sex_split": 0, "countries": set()})
    for d in sample_interventions():
        country = d["country_iso3"]
        for o in d["outcomes"]:
            latest: dict[int, dict] = {}
            for snap in o["impact_history"]:
                phase = phase_of(snap["as_of"])
                if phase and (phase not in latest or snap["as_of"] > latest[phase]["as_of"]):
                    latest[phase] = snap
            for phase, snap in latest.items():
                f = figures[f"impact_{o['type']}", phase]
                f["value"] += snap["persons"]
                if snap["women"] is not None and snap["men"] is not None:
                    f["women"] = (f["women"] or 0) + snap["women"]
                    f["men"] = (f["men"] or 0) + snap["men"]
                    f["persons_with_sex_split"] += snap["persons"]
                f["countries"].add(country)
        for c in d["institutional_changes"]:
            phase = phase_of(c["achieved_on"]) if c["status"] == "achieved" else None
            if phase and country:
                figures[f"countries_step_{c['step']}", phase]["countries"].add(country)
                joint = figures["joint_results_pct", phase]
                joint.setdefault("changes", []).append(bool(c["partners"]))
                joint["countries"].add(country)
        for out in d["outputs"]:
            phase = phase_of(out["date"])
            indicator = {"knowledge_product": "knowledge_products",
                         "persons_trained": "persons_trained",
                         "ratification": "ratification_countries"}.get(out["type"])
            if phase and indicator:
                f = figures[indicator, phase]
                f["value"] += {"knowledge_products": 1, "persons_trained": out["count"],
                               "ratification_countries": 0 if country else out["count"]
                               }[indicator]
                f["countries"].add(country)
    for (indicator, _), f in figures.items():
        f["countries"].discard(None)
        if indicator.startswith(("countries_step_", "ratification_")):
            f["value"] += len(f["countries"])
        if indicator == "joint_results_pct":
            f["value"] = round(100 * sum(f["changes"]) / len(f["changes"]), 1)
        f["countries"] = len(f["countries"])
    return figures


def test_every_figure_of_the_results_framework_is_the_sample_counted_by_hand(sample):
    warehouse, _ = sample
    by_hand = framework_by_hand()
    rows = query(warehouse, "select indicator, phase, value, women, men, "
                 "persons_with_sex_split, countries from marts.results_framework")
    assert len(rows) == 12 * 2
    for indicator, phase, value, women, men, with_split, countries in rows:
        expected = by_hand.get((indicator, phase))
        assert expected, f"{indicator} phase {phase}: nothing in the sample"
        assert (value, countries) == (expected["value"], expected["countries"]), \
            (indicator, phase)
        if indicator.startswith("impact_"):
            assert (women, men, with_split) == (expected["women"], expected["men"],
                                                expected["persons_with_sex_split"]), indicator
            assert with_split <= value
        else:
            assert (women, men, with_split) == (None, None, None), indicator
    # The sample has impact with a sex split, without one, and rows that mix both.
    impact = [(r[2], r[5]) for r in rows if r[0].startswith("impact_")]
    assert any(0 < split < value for value, split in impact)


def test_the_results_framework_counts_every_country_in_phase_2(sample):
    """Mongolia, in neither focus list, rolled out its one-stop shops (step 3) in 2022: it
    counts in the framework's countries, not in the focus countries' progress."""
    warehouse, _ = sample
    assert query(warehouse, """
        select f.value - p.achieved_countries from marts.results_framework as f
        inner join marts.results_phase_progress as p on p.phase = f.phase and p.step = 3
        where f.indicator = 'countries_step_3' and f.phase = 2""") == [(1,)]
    assert query(warehouse, "select phase, count(*) from marts.results_institutional_changes "
                 "where country_iso3 = 'MNG' and phase is not null group by all") == [(2, 1)]


RESULTS_FRAMEWORK_MARTS = ("results_framework", "results_impact_by_branch", "results_outputs",
                          "results_interventions", "results_thematic")


def test_the_results_framework_marts_are_exported_for_analysts(sample, tmp_path):
    """`spf export` writes the framework's marts as the other results marts: a CSV each,
    every row, lists (thematic areas, steps) as text, and a sheet each in a workbook."""
    from warehouse.access.export import export

    warehouse, _ = sample
    files = export(warehouse, list(RESULTS_FRAMEWORK_MARTS), fmt="csv", out=tmp_path,
                   progress=False)
    assert sorted(p.name for p in files) == sorted(f"marts.{m}.csv" for m in
                                                   RESULTS_FRAMEWORK_MARTS)
    for mart in RESULTS_FRAMEWORK_MARTS:
        with (tmp_path / f"marts.{mart}.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == query(warehouse, f"select count(*) from marts.{mart}")[0][0] > 0
    with (tmp_path / "marts.results_thematic.csv").open(newline="", encoding="utf-8") as f:
        assert {r["thematic_area"] for r in csv.DictReader(f)} >= {"gender_equality", "financing"}
    with (tmp_path / "marts.results_interventions.csv").open(newline="", encoding="utf-8") as f:
        khm = {r["intervention_id"]: r for r in csv.DictReader(f)}["RMT-000123"]
    assert khm["thematic_areas"] == "[social_health_protection, informal_economy]"
    assert khm["steps_achieved"] == "[2, 3]"
    (book,) = export(warehouse, list(RESULTS_FRAMEWORK_MARTS), fmt="xlsx", out=tmp_path,
                     progress=False)
    from openpyxl import load_workbook
    assert set(load_workbook(book, read_only=True).sheetnames) == {
        "about", *(f"marts.{m}"[:31] for m in RESULTS_FRAMEWORK_MARTS)}


def test_later_versions_replace_and_tombstones_remove(sample):
    warehouse, _ = sample
    # RMT-000015 was deleted in the second export: gone from the marts, kept in raw.
    assert query(warehouse, "select updated_at::date::varchar, deleted from "
                 "raw.rmt_interventions where intervention_id = 'RMT-000015' order by 1") == [
        ("2018-03-09", False), ("2021-03-02", True)]
    for mart in ("results_institutional_changes", "results_people_impacted"):
        assert query(warehouse, f"select count(*) from marts.{mart} "
                     "where intervention_id = 'RMT-000015'") == [(0,)]
    # RMT-000123's later version achieved IC-000003 and reported more people; its outcome
    # shows the latest snapshot once, not a sum over the two versions' histories.
    assert query(warehouse, "select step, achieved_on::varchar, phase from "
                 "marts.results_institutional_changes where change_id = 'IC-000003'") == [
        (2, "2023-07-01", 2)]
    assert query(warehouse, "select as_of::varchar, persons from marts.results_people_impacted "
                 "where outcome_id = 'OC-000789'") == [("2024-12-31", 2_310_000)]


def test_every_results_mart_is_published_and_traceable(sample):
    warehouse, _ = sample
    tables = {t for (t,) in query(warehouse, "select table_name from duckdb_tables() "
                                  "where schema_name = 'marts'")}
    assert {"results_institutional_changes", "results_country_steps", "results_phase_progress",
            "results_people_impacted", "results_impact_summary", "results_funding",
            "dim_branch", "country_profile", *RESULTS_FRAMEWORK_MARTS} <= tables
    # Every change traces to an archived page body.
    pages = {p for (p,) in query(warehouse, "select distinct page_sha256 from "
                                 "marts.results_institutional_changes")}
    archive = warehouse.parent / "archive" / "rmt"
    assert pages and all((archive / p[:2] / f"{p}.json").exists() for p in pages)
    assert query(warehouse, "select phase1_steps_achieved, funding_usd > 0 from "
                 "marts.country_profile where country_iso3 = 'KHM'") == [([1, 2, 3], True)]


def test_a_second_run_with_nothing_new_changes_nothing(sample):
    from flows.nightly import nightly

    warehouse, _ = sample
    before = warehouse.stat().st_mtime_ns
    summary = nightly(rmt_dir=str(SAMPLE_RMT_DIR), warehouse=str(warehouse))
    assert summary["rmt"]["landed"] == 0 and summary["published"] is False
    assert warehouse.stat().st_mtime_ns == before


def test_the_api_route_publishes_then_stays_quiet(tmp_path, rmt_api):
    from flows.nightly import nightly

    rmt_api.interventions = [intervention(n, f"2017-10-2{n}T09:00:00Z") for n in range(1, 4)]
    warehouse = tmp_path / "wh" / "spf.duckdb"
    first = nightly(rmt_url=rmt_api.url, warehouse=str(warehouse))
    assert first["published"] is True and first["rmt"]["new_versions"] == 3
    assert query(warehouse, "select count(*) from marts.results_institutional_changes") == [(3,)]
    second = nightly(rmt_url=rmt_api.url, warehouse=str(warehouse))
    assert second["rmt"]["counts"] == {"unchanged": 1}
    assert second["published"] is False
    assert rmt_api.requests[-1]["updated_since"] == "2017-10-23T09:00:00Z"


def test_an_api_failure_publishes_the_rest_and_fails_the_run(tmp_path, rmt_api, write_workbook,
                                                            monkeypatch):
    """`spf run` with a refused token: SSI still publishes; the exit code says it failed."""
    from prefect.settings import PREFECT_API_URL

    write_workbook("KHM.xlsx", **worked_example())
    warehouse = tmp_path / "wh" / "spf.duckdb"
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(),
           "SPF_RMT_TOKEN": "expired-token-41c2"}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("spf")), "run", "--landing",
         str(tmp_path / "landing"), "--rmt-url", rmt_api.url, "--warehouse", str(warehouse)],
        capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("spf: run failed: project reports not loaded: RMT API refused the "
                           "token (HTTP 401)")
    assert "expired-token-41c2" not in result.stdout + result.stderr
    assert len(rmt_api.requests) == 1  # a refused token is not retried, by HTTP or by Prefect
    assert query(warehouse, "select distinct country_iso3 from marts.coverage_sdg131") == [
        ("KHM",)]
    assert query(warehouse, "select status, reason_code from ops.rmt_fetches") == [
        ("failed", "auth_failed")]


def test_every_published_mart_column_is_documented(sample):
    """Analysts read column meanings in dbt docs: no mart column goes without one."""
    import yaml

    from ingest.paths import DBT_PROJECT_DIR

    documented = {}
    for path in (DBT_PROJECT_DIR / "models" / "marts").glob("_*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            documented[model["name"]] = {c["name"] for c in model.get("columns", [])
                                         if (c.get("description") or "").strip()}
    warehouse, _ = sample
    missing = [f"{t}.{c}" for t, c in query(warehouse, "select table_name, column_name from "
                                          "duckdb_columns() where schema_name = 'marts'")
               if c not in documented.get(t, set())]
    assert missing == []
