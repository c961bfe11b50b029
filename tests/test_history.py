"""Every publication kept, compared and recoverable (warehouse/publication/), without Prefect
or dbt: small warehouse files are built here with DuckDB, shaped like the real marts."""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from ingest.paths import Paths
from warehouse.access.query import QueryError, run_query
from warehouse.publication import changes, diff, kept, publish, records, rollback, show

STORAGE = "v1.2.0"  # as every build (warehouse/run/build.py STORAGE_VERSION)

DDL = """
create schema marts; create schema raw; create schema ops;
create table marts.coverage_sdg131 (country_iso3 varchar, year integer, series varchar,
    sex varchar, numerator bigint, denominator bigint, coverage_pct double,
    submission_id varchar, revision integer, quality_flag varchar);
create table marts.results_people_impacted (outcome_id varchar, intervention_id varchar,
    country_iso3 varchar, outcome_type varchar, impact_category varchar, branch varchar,
    as_of date, persons bigint, women bigint, men bigint, expected_persons bigint,
    expected_date date);
create table marts.dim_country (country_iso3 varchar, country_name varchar,
    ilo_region varchar, phase1_focus boolean, phase2_focus boolean);
create table raw.ssi_submissions (submission_id varchar, country_iso3 varchar,
    reference_year integer, revision integer);
create table raw.rmt_fetches (fetch_id varchar, status varchar);
create table ops.build_info (key varchar, value varchar);
"""
PENSION = ("GHA", 2023, "SOC_CONTIG_PENSION", "SEX_T")
COVERAGE_1 = [
    (*PENSION, 750, 1000, 75.0, "GHA-2023-r1", 1, None),
    ("GHA", 2023, "SOC_CONTIG_TOTAL", "SEX_T", 400, 1000, 40.0, "GHA-2023-r1", 1, None),
    ("KHM", 2019, "SOC_CONTIG_PENSION", "SEX_T", 75_000, 100_000, 75.0, "KHM-2019-r1", 1, None),
    ("KHM", 2019, "SOC_CONTIG_UNE", "SEX_T", None, 100_000, None, "KHM-2019-r1", 1,
     "no_numerator"),
]
# The second publication: revision 2 of GHA-2023 changes one figure.
COVERAGE_2 = [(*PENSION, 950, 1000, 95.0, "GHA-2023-r2", 2, None), *COVERAGE_1[1:]]
COVERAGE_2[1] = (*COVERAGE_1[1][:7], "GHA-2023-r2", 2, None)
PEOPLE_1 = [
    ("OC-000001", "RMT-000001", "KHM", "better_access", "effective_coverage", "HEALTH",
     datetime(2017, 8, 31).date(), 910_000, None, None, 1_100_000, datetime(2017, 12, 31).date()),
    ("OC-000002", "RMT-000002", "LAO", "better_access", "effective_coverage", "OLD",
     datetime(2024, 6, 30).date(), 120_000, 60_000, 60_000, 150_000,
     datetime(2025, 12, 31).date()),
]
PEOPLE_2 = PEOPLE_1[:1]  # RMT-000002 came back as a tombstone: its outcome is gone
COUNTRIES = [("GHA", "Ghana", "Africa", False, True), ("KHM", "Cambodia", "Asia and the Pacific",
             True, True), ("LAO", "Lao PDR", "Asia and the Pacific", True, True)]
FIRST = {"coverage": COVERAGE_1, "people": PEOPLE_1,
         "submissions": ["GHA-2023-r1", "KHM-2019-r1"],
         "fetches": [("rmt-1-001", "loaded"), ("rmt-1-002", "quarantined")]}
SECOND = {"coverage": COVERAGE_2, "people": PEOPLE_2,
          "submissions": ["GHA-2023-r1", "GHA-2023-r2", "KHM-2019-r1"],
          "fetches": [("rmt-1-001", "loaded"), ("rmt-1-002", "quarantined"),
                      ("rmt-2-001", "loaded")]}
GHA_PENSION = ("select coverage_pct, revision from marts.coverage_sdg131 where "
               "country_iso3 = 'GHA' and series = 'SOC_CONTIG_PENSION'")


def build(path: Path, coverage, people, submissions, fetches, countries=COUNTRIES,
          extra_sql: str = "") -> Path:
    """A build as warehouse/run/build.py leaves it: marts, raw, ops.build_info, storage v1.2.0."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"attach '{path}' as b (storage_version '{STORAGE}')")
        con.execute("use b")
        con.execute(DDL)
        con.executemany("insert into marts.coverage_sdg131 values (?,?,?,?,?,?,?,?,?,?)",
                        coverage)
        con.executemany("insert into marts.results_people_impacted values "
                        "(?,?,?,?,?,?,?,?,?,?,?,?)", people)
        con.executemany("insert into marts.dim_country values (?,?,?,?,?)", countries)
        con.executemany("insert into raw.ssi_submissions values (?, ?, ?, ?)",
                        [(s, s[:3], int(s[4:8]), int(s[-1])) for s in submissions])
        con.executemany("insert into raw.rmt_fetches values (?, ?)", fetches)
        con.execute("insert into ops.build_info values ('run_id', 'test')")
        if extra_sql:
            con.execute(extra_sql)
    finally:
        con.close()
    return path


_BUILT: dict[int, Path] = {}
_TEMPLATES: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def templates(tmp_path_factory):
    """Where build_from keeps the builds it copies."""
    _TEMPLATES.append(tmp_path_factory.mktemp("templates"))
    yield
    _BUILT.clear()


def build_from(data: dict, target: Path) -> Path:
    """build(target, **data), made once per data set and copied (the tests publish a lot)."""
    if id(data) not in _BUILT:
        _BUILT[id(data)] = build(_TEMPLATES[-1] / f"{len(_BUILT)}.duckdb", **data)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_BUILT[id(data)], target)
    return target


def publish_next(paths: Paths, data: dict, kind: str = "nightly", note: str | None = None,
                 keep: int | None = None, run_id: str | None = None) -> str:
    """What a run does once its build passed the gate: record, publish, keep, prune."""
    build_from(data, paths.build)
    pid = records.record_publication(paths.build, paths.warehouse, run_id or f"run-{kind}",
                                     kind, note, None, kept=paths.publications)
    publish.publish(paths.build, paths.warehouse)
    kept.keep_publication(paths, pid)
    kept.prune(paths, keep)
    return pid


def rows(path: Path, sql: str) -> list[tuple]:
    return run_query(path, sql)[1]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def paths(tmp_path) -> Paths:
    home = tmp_path / "wh"
    home.mkdir()
    return Paths(warehouse=home / "spf.duckdb", home=home)


def publish_two(paths: Paths) -> Paths:
    """Two publications, two days apart: the second brings a revision and a tombstone."""
    clock = iter([datetime(2026, 11, 28, 2, 0, tzinfo=UTC), datetime(2026, 11, 30, 2, 0,
                                                                     tzinfo=UTC)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(records, "now", lambda: next(clock))
        assert publish_next(paths, FIRST, run_id="run-1") == "p0001"
        assert publish_next(paths, SECOND, run_id="run-2") == "p0002"
    return paths


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Paths:
    """publish_two, once for the tests that only read."""
    home = tmp_path_factory.mktemp("two") / "wh"
    home.mkdir()
    return publish_two(Paths(warehouse=home / "spf.duckdb", home=home))


@pytest.fixture
def two(published, tmp_path) -> Paths:
    """A copy of those two publications, for a test of its own that publishes again (`cp -a`
    keeps the hard link between the published file and its kept name)."""
    home = tmp_path / "wh"
    subprocess.run(["cp", "-a", str(published.home), str(home)], check=True)
    paths = Paths(warehouse=home / "spf.duckdb", home=home)
    assert paths.warehouse.stat().st_ino == (paths.publications / "p0002.duckdb").stat().st_ino
    return paths


# --- ops.publications --------------------------------------------------------------------

def test_each_publication_carries_the_history_and_what_it_was_built_from(published):
    table = records.history(published.warehouse)
    assert [(r["publication_id"], r["sequence"], r["run_id"], r["kind"]) for r in table] == [
        ("p0001", 1, "run-1", "nightly"), ("p0002", 2, "run-2", "nightly")]
    assert [r["published_at"] for r in table] == ["2026-11-28T02:00:00+00:00",
                                                  "2026-11-30T02:00:00+00:00"]
    first, second = table
    assert first["submissions"] == ["GHA-2023-r1", "KHM-2019-r1"]
    assert second["submissions"] == ["GHA-2023-r1", "GHA-2023-r2", "KHM-2019-r1"]
    assert first["fetches"] == ["rmt-1-001"]  # loaded only
    assert second["fetches"] == ["rmt-1-001", "rmt-2-001"]
    assert first["reporting_date"] is None and first["note"] is None
    marts = [{m["mart"]: m for m in r["marts"]} for r in table]
    assert {m: v["row_count"] for m, v in marts[1].items()} == {
        "coverage_sdg131": 4, "dim_country": 3, "results_people_impacted": 1}
    assert marts[0]["dim_country"]["checksum"] == marts[1]["dim_country"]["checksum"]
    assert marts[0]["coverage_sdg131"]["checksum"] != marts[1]["coverage_sdg131"]["checksum"]
    # the kept first publication still holds its own history only
    assert [r["publication_id"] for r in records.history(
        published.publications / "p0001.duckdb")] == ["p0001"]
    # and what analysts see is a plain table
    assert rows(published.warehouse, "select publication_id, kind, len(marts) "
                "from ops.publications order by sequence") == [
        ("p0001", "nightly", 3), ("p0002", "nightly", 3)]


def test_a_recorded_build_keeps_its_storage_version_and_is_published_as_today(paths):
    build(paths.build, **FIRST)
    pid = records.record_publication(paths.build, None, "run-1", "backfill", "2019-2022 again",
                                     "2026-06-30")
    assert pid == "p0001"
    assert not Path(f"{paths.build}.wal").exists()
    con = duckdb.connect()
    con.execute(f"attach '{paths.build}' as b (read_only)")
    assert con.execute("select tags from duckdb_databases() where database_name = 'b'"
                       ).fetchall() == [({"storage_version": f"{STORAGE}+"},)]
    con.close()
    publish.publish(paths.build, paths.warehouse)
    (row,) = records.history(paths.warehouse)
    assert (row["kind"], row["note"], row["reporting_date"]) == (
        "backfill", "2019-2022 again", "2026-06-30")
    with pytest.raises(ValueError, match="kind 'weekly'"):
        records.record_publication(paths.warehouse, None, "r", "weekly", None, None)


def test_the_checksum_changes_with_one_value_and_not_with_row_order(tmp_path):
    one = build(tmp_path / "one.duckdb", **FIRST)
    shuffled = build(tmp_path / "shuffled.duckdb", **{
        **FIRST, "coverage": FIRST["coverage"][::-1], "people": FIRST["people"][::-1]})
    touched = list(FIRST["coverage"])
    touched[2] = (*touched[2][:6], 75.00000001, *touched[2][7:])
    changed = build(tmp_path / "changed.duckdb", **{**FIRST, "coverage": touched})
    flag = list(FIRST["coverage"])
    flag[3] = (*flag[3][:9], "no_denominator")
    flagged = build(tmp_path / "flagged.duckdb", **{**FIRST, "coverage": flag})

    def sums(path):
        return {m["mart"]: (m["row_count"], m["checksum"]) for m in records.mart_checksums(path)}

    assert sums(one) == sums(shuffled)
    for other in (changed, flagged):
        assert sums(other)["coverage_sdg131"] != sums(one)["coverage_sdg131"]
        assert sums(other)["dim_country"] == sums(one)["dim_country"]
    assert len(sums(one)["coverage_sdg131"][1]) == 16


# --- diff --------------------------------------------------------------------------------

def test_diff_shows_exactly_the_revision_and_the_tombstone(published):
    result = show.diff_publications(published)  # the published one against the one before
    assert (result["from_publication"], result["to_publication"]) == ("p0001", "p0002")
    marts = {m["mart"]: m for m in result["marts"]}
    assert set(marts) == {"coverage_sdg131", "dim_country", "results_people_impacted"}
    coverage = marts["coverage_sdg131"]
    assert coverage["key"] == ["country_iso3", "year", "series", "sex"]
    assert (coverage["added"], coverage["removed"], coverage["changed"]) == (0, 0, 2)
    assert coverage["changed_rows"] == [
        {"key": {"country_iso3": "GHA", "year": 2023, "series": "SOC_CONTIG_PENSION",
                 "sex": "SEX_T"},
         "changes": {"numerator": {"old": 750, "new": 950},
                     "coverage_pct": {"old": 75.0, "new": 95.0},
                     "submission_id": {"old": "GHA-2023-r1", "new": "GHA-2023-r2"},
                     "revision": {"old": 1, "new": 2}}},
        {"key": {"country_iso3": "GHA", "year": 2023, "series": "SOC_CONTIG_TOTAL",
                 "sex": "SEX_T"},
         "changes": {"submission_id": {"old": "GHA-2023-r1", "new": "GHA-2023-r2"},
                     "revision": {"old": 1, "new": 2}}}]
    people = marts["results_people_impacted"]
    assert people["key"] == ["outcome_id"]
    assert (people["added"], people["removed"], people["changed"]) == (0, 1, 0)
    assert [r["outcome_id"] for r in people["removed_rows"]] == ["OC-000002"]
    assert people["removed_rows"][0]["persons"] == 120_000
    assert (people["rows_before"], people["rows"]) == (2, 1)
    countries = marts["dim_country"]
    assert (countries["added"], countries["removed"], countries["changed"]) == (0, 0, 0)

    only = show.diff_publications(published, "p0002", "p1", table="marts.coverage_sdg131")
    assert [m["mart"] for m in only["marts"]] == ["coverage_sdg131"]
    assert only["marts"][0]["changed_rows"][0]["changes"]["coverage_pct"] == {
        "old": 95.0, "new": 75.0}


def test_diff_output_as_table_csv_and_json(published):
    result = show.diff_publications(published)
    lines = list(csv.reader(io.StringIO(show.render_diff(result, "csv"))))
    assert lines[0] == ["mart", "change", "key", "column", "old", "new"]
    key = "country_iso3=GHA; year=2023; series=SOC_CONTIG_PENSION; sex=SEX_T"
    assert ["coverage_sdg131", "changed", key, "coverage_pct", "75.0", "95.0"] in lines
    removed = next(line for line in lines if line[1] == "removed")
    assert removed[:3] == ["results_people_impacted", "removed", "outcome_id=OC-000002"]
    assert "persons=120000" in removed[4]
    assert len(lines) == 1 + 4 + 2 + 1

    table = show.render_diff(result, "table")
    assert table.startswith("p0001 -> p0002\n")
    assert "coverage_sdg131" in table and "SOC_CONTIG_PENSION" in table

    parsed = json.loads(show.render_diff(result, "json"))
    assert parsed["marts"][0]["changed_rows"][0]["changes"]["revision"] == {"old": 1, "new": 2}
    assert parsed["marts"][2]["removed_rows"][0]["as_of"] == "2024-06-30"
    with pytest.raises(records.HistoryError, match="unknown format 'xml'"):
        show.render_diff(result, "xml")


def test_diff_adds_rows_marts_and_columns_and_limits_what_it_lists(tmp_path):
    old = build(tmp_path / "old.duckdb", **FIRST)
    more = [*FIRST["coverage"],
            ("TLS", 2022, "SOC_CONTIG_PENSION", "SEX_T", 10, 100, 10.0, "TLS-2022-r1", 1, None),
            ("TLS", 2022, "SOC_CONTIG_TOTAL", "SEX_T", 20, 100, 20.0, "TLS-2022-r1", 1, None)]
    new = build(tmp_path / "new.duckdb", **{**FIRST, "coverage": more}, extra_sql="""
        alter table marts.dim_country add column iso2 varchar;
        create table marts.results_funding as select 'EU' as partner, 2017 as year,
            1.5e6 as amount_usd, 1::bigint as interventions, 1::bigint as countries""")
    result = diff.diff(old, new, limit=1)
    marts = {m["mart"]: m for m in result["marts"]}
    assert marts["coverage_sdg131"]["added"] == 2
    assert marts["coverage_sdg131"]["added_rows"] == [
        {"country_iso3": "TLS", "year": 2022, "series": "SOC_CONTIG_PENSION", "sex": "SEX_T",
         "numerator": 10, "denominator": 100, "coverage_pct": 10.0,
         "submission_id": "TLS-2022-r1", "revision": 1, "quality_flag": None}]
    assert marts["coverage_sdg131"]["truncated"] is True
    assert marts["dim_country"]["columns_added"] == ["iso2"]
    assert marts["dim_country"]["changed"] == 0
    assert (marts["results_funding"]["status"], marts["results_funding"]["added"]) == ("added", 1)
    assert diff.diff(old, new, "results_funding")["marts"][0]["rows"] == 1
    with pytest.raises(records.HistoryError, match="no mart 'nonsense'.*coverage_sdg131"):
        diff.diff(old, new, "nonsense")


def test_a_mart_without_a_key_fails_clearly(tmp_path):
    old = build(tmp_path / "old.duckdb", **FIRST)
    new = build(tmp_path / "new.duckdb", **FIRST,
                extra_sql="create table marts.unkeyed as select 1 as x")
    with pytest.raises(records.HistoryError, match="marts.unkeyed has no unique key.*"
                       "unique_combination"):
        diff.diff(old, new)
    assert diff.diff(old, new, "coverage_sdg131")["marts"][0]["changed"] == 0
    summary = changes.summarize(old, new)  # the run summary still counts it
    assert summary["marts"]["unkeyed"] == {"rows_before": 0, "rows": 1, "added": None,
                                           "removed": None, "changed": None}


def test_the_grain_of_every_mart_is_read_from_the_dbt_tests():
    keys = diff.mart_keys()
    assert keys["coverage_sdg131"] == ["country_iso3", "year", "series", "sex"]
    assert keys["coverage_sdg131_regional"] == ["region", "year", "series", "sex"]
    assert keys["sp_expenditure"] == ["country_iso3", "year", "function"]
    assert keys["results_people_impacted"] == ["outcome_id"]
    assert keys["results_institutional_changes"] == ["change_id"]
    assert keys["results_country_steps"] == ["country_iso3", "phase", "step", "year"]
    assert keys["results_funding"] == ["partner", "year"]
    assert keys["dim_country"] == ["country_iso3"]
    assert keys["results_framework"] == ["indicator", "phase"]
    assert keys["results_thematic"] == ["thematic_area", "phase"]
    assert keys["results_outputs"] == ["intervention_id", "position"]
    from ingest.paths import DBT_PROJECT_DIR

    models = {p.stem for p in (DBT_PROJECT_DIR / "models" / "marts").glob("*.sql")}
    assert set(keys) == models  # every mart of the project can be diffed


def test_a_change_of_the_results_framework_is_said_in_its_unit(tmp_path):
    """The run summary says a framework figure as the annual report reads it."""
    table = """create table marts.results_framework as select * from (values
        ('countries_step_2', 1, {step2}, 'countries'),
        ('joint_results_pct', 1, {joint}, 'percent')) as t(indicator, phase, value, unit)"""
    old = build(tmp_path / "old.duckdb", **FIRST,
                extra_sql=table.format(step2="13.0", joint="79.7"))
    new = build(tmp_path / "new.duckdb", **FIRST,
                extra_sql=table.format(step2="14.0", joint="80.7"))
    said = changes.summarize(old, new)
    assert said["marts"]["results_framework"]["changed"] == 2
    assert said["highlights"]["results_framework"] == [
        "phase 1 countries_step_2: 13 → 14 countries",
        "phase 1 joint_results_pct: 79.7 % → 80.7 %"]


def test_the_run_summary_says_what_changed_in_words(published):
    said = kept.changes_since_previous(published)
    assert (said["from_publication"], said["to_publication"]) == ("p0001", "p0002")
    assert said["marts"]["coverage_sdg131"] == {"rows_before": 4, "rows": 4, "added": 0,
                                                   "removed": 0, "changed": 2}
    assert said["marts"]["results_people_impacted"]["removed"] == 1
    assert said["highlights"]["coverage_sdg131"] == [
        "GHA 2023 SOC_CONTIG_PENSION SEX_T 75.0 → 95.0, revision 2 of GHA-2023",
        "GHA 2023 SOC_CONTIG_TOTAL SEX_T 40.0 unchanged, revision 2 of GHA-2023"]
    assert said["highlights"]["results_people_impacted"] == [
        "OC-000002 (LAO, effective_coverage): removed (was 120,000 people as of 2024-06-30)"]
    assert "dim_country" not in said["highlights"]
    json.dumps(said)  # a part of the JSON-able run summary

    first = changes.summarize(None, published.publications / "p0001.duckdb")
    assert first["from_publication"] is None and first["to_publication"] == "p0001"
    assert first["marts"]["coverage_sdg131"]["added"] == 4


# --- kept publications, --as-of, pruning --------------------------------------------------

def test_as_of_reads_the_first_publication_after_the_second(published):
    assert rows(published.warehouse, GHA_PENSION) == [(95.0, 2)]
    assert rows(kept.resolve_publication(published, "p0001"), GHA_PENSION) == [(75.0, 1)]
    assert rows(kept.resolve_publication(published, "P1"), GHA_PENSION) == [(75.0, 1)]
    assert kept.resolve_publication(published, "2026-11-29").name == "p0001.duckdb"
    assert kept.resolve_publication(published, "2026-11-30").name == "p0002.duckdb"
    assert kept.resolve_publication(published, "2027-01-01").name == "p0002.duckdb"
    with pytest.raises(records.HistoryError, match=r"nothing was published on or before "
                       r"2026-11-27; kept: p0001 \(2026-11-28\), p0002 \(2026-11-30\)"):
        kept.resolve_publication(published, "2026-11-27")
    with pytest.raises(records.HistoryError, match=r"no publication p0009; kept: p0001"):
        kept.resolve_publication(published, "p9")
    with pytest.raises(records.HistoryError, match=r"'last week': expected a publication id"):
        kept.resolve_publication(published, "last week")
    # the same confinement as spf query
    first_kept = kept.resolve_publication(published, "p0001")
    with pytest.raises(QueryError, match="refused"):
        run_query(first_kept, "select * from read_text('/etc/hostname')")
    with pytest.raises(QueryError, match="refused"):
        run_query(first_kept, f"attach '{published.warehouse}' as other")


def test_kept_files_are_read_only_hard_links_that_keep_the_old_content(two):
    first, second = two.publications / "p0001.duckdb", two.publications / "p0002.duckdb"
    assert oct(first.stat().st_mode & 0o777) == oct(kept.KEPT)
    assert oct(second.stat().st_mode & 0o777) == oct(kept.KEPT)
    # the published file is replaced by a rename, never written: the link is the old inode
    assert second.stat().st_ino == two.warehouse.stat().st_ino
    assert first.stat().st_ino != two.warehouse.stat().st_ino
    assert rows(first, GHA_PENSION) == [(75.0, 1)]
    assert kept.keep_publication(two, "p0002") == second  # idempotent
    with pytest.raises(records.HistoryError, match="published warehouse is p0002, not p0001"):
        kept.keep_publication(two, "p0001")


def test_kept_files_are_copied_where_links_are_refused(paths, monkeypatch):
    def refuse(*args):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", refuse)
    publish_next(paths, FIRST)
    copy = paths.publications / "p0001.duckdb"
    assert copy.stat().st_ino != paths.warehouse.stat().st_ino
    assert oct(copy.stat().st_mode & 0o777) == oct(kept.KEPT)
    assert digest(copy) == digest(paths.warehouse)
    assert not list(paths.publications.glob(".*"))


def test_pruning_keeps_exactly_n(paths, monkeypatch):
    for _ in range(4):
        publish_next(paths, FIRST, keep=2)
    assert sorted(p.name for p in paths.publications.iterdir()) == [
        "p0003.duckdb", "p0004.duckdb"]
    assert [r["publication_id"] for r in records.history(paths.warehouse)] == [
        "p0001", "p0002", "p0003", "p0004"]  # the history keeps them all
    with pytest.raises(records.HistoryError, match=r"p0002 \(published \d{4}-\d\d-\d\d\) is no "
                       r"longer kept; kept: p0003"):
        kept.resolve_publication(paths, "p2")

    (paths.publications / ".p0005.duckdb.partial").write_bytes(b"killed mid-copy")
    monkeypatch.setenv(kept.KEEP_ENV, "1")
    assert kept.keep_count() == 1
    assert kept.prune(paths) == ["p0003"]
    assert sorted(p.name for p in paths.publications.iterdir()) == ["p0004.duckdb"]
    monkeypatch.setenv(kept.KEEP_ENV, "two")
    with pytest.raises(records.HistoryError, match="SPF_KEEP_PUBLICATIONS is 'two'"):
        kept.prune(paths)
    with pytest.raises(records.HistoryError, match="at least 1"):
        kept.prune(paths, 0)
    monkeypatch.delenv(kept.KEEP_ENV)
    assert kept.keep_count() == kept.DEFAULT_KEEP == 14


def test_after_publication_keeps_prunes_and_says_what_changed(paths):
    publish_next(paths, FIRST)
    build_from(SECOND, paths.build)
    pid = records.record_publication(paths.build, paths.warehouse, "run-2", "backfill",
                                     "KHM and LAO 2019-2022 resubmitted", "2026-11-30",
                                     kept=paths.publications)
    publish.publish(paths.build, paths.warehouse)
    changes = kept.after_publication(paths, pid, keep=1)
    assert sorted(p.name for p in paths.publications.iterdir()) == ["p0002.duckdb"]
    assert (changes["from_publication"], changes["to_publication"]) == ("p0001", "p0002")
    assert changes["highlights"]["coverage_sdg131"][0] == \
        "GHA 2023 SOC_CONTIG_PENSION SEX_T 75.0 → 95.0, revision 2 of GHA-2023"
    # the one before is pruned now: the next summary starts afresh, says so
    assert kept.changes_since_previous(paths)["from_publication"] is None


def test_ids_never_repeat_when_the_published_file_is_lost(two):
    two.warehouse.unlink()
    assert [r["publication_id"] for r in kept.publications(two)] == ["p0001", "p0002"]
    assert publish_next(two, FIRST) == "p0003"
    assert [r["publication_id"] for r in records.history(two.warehouse)] == ["p0003"]


# --- rollback ----------------------------------------------------------------------------

def test_a_rollback_publishes_a_kept_publication_again(two):
    source = two.publications / "p0001.duckdb"
    before = digest(source)
    done = rollback.rollback(two, "p0001", "revision 2 of GHA-2023 withdrawn by the focal point",
                            "run-rollback")
    assert (done["publication_id"], done["restores"]) == ("p0003", "p0001")
    assert rows(two.warehouse, GHA_PENSION) == [(75.0, 1)]
    table = records.history(two.warehouse)
    assert [(r["publication_id"], r["kind"], r["restores"]) for r in table] == [
        ("p0001", "nightly", None), ("p0002", "nightly", None), ("p0003", "rollback", "p0001")]
    assert table[-1]["note"] == "revision 2 of GHA-2023 withdrawn by the focal point"
    assert table[-1]["run_id"] == "run-rollback"
    assert table[-1]["marts"] == table[0]["marts"]  # the same content, checksum for checksum
    assert digest(source) == before  # copied, never written
    assert Path(done["kept"]) == two.publications / "p0003.duckdb"
    assert not two.build.exists()
    # what it changed, as for a run
    assert kept.changes_since_previous(two)["highlights"]["coverage_sdg131"][0] == \
        "GHA 2023 SOC_CONTIG_PENSION SEX_T 95.0 → 75.0, revision 1 of GHA-2023"

    with pytest.raises(records.HistoryError, match="needs a note"):
        rollback.rollback(two, "p0002", " ", "run-x")
    with pytest.raises(records.HistoryError, match="p0003 is the published warehouse already"):
        rollback.rollback(two, "p0003", "again", "run-x")
    with pytest.raises(records.HistoryError, match="no publication p0042"):
        rollback.rollback(two, "p0042", "why not", "run-x")


def test_a_rollback_waits_for_no_one(published):
    from filelock import FileLock

    from warehouse.shared.errors import PipelineBusy

    before = digest(published.warehouse)
    with FileLock(str(published.lock)):
        with pytest.raises(PipelineBusy, match="another spf run is writing"):
            rollback.rollback(published, "p0001", "why", "run-x")
    assert digest(published.warehouse) == before


READER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from warehouse.access.query import run_query
    path, stop, ready = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    seen, errors, queries = set(), [], 0
    while not stop.exists():
        try:
            _, rows = run_query(path, "select sum(coverage_pct), max(submission_id), "
                                "(select count(*) from marts.results_people_impacted) "
                                "from marts.coverage_sdg131")
            seen.add(rows[0])
            ready.touch()
        except Exception as error:
            errors.append(repr(error))
        queries += 1
        time.sleep(0.01)  # leave the rollback some of this machine's cores
    print(repr((sorted(seen), errors, queries)))
""")


def test_a_rollback_is_atomic_for_readers(two, tmp_path):
    state = "select sum(coverage_pct), max(submission_id), (select count(*) from " \
            "marts.results_people_impacted) from marts.coverage_sdg131"
    old, new = rows(two.publications / "p0001.duckdb", state)[0], rows(two.warehouse, state)[0]
    stop = tmp_path / "stop"
    ready = [tmp_path / f"ready-{n}" for n in range(2)]
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(two.warehouse), str(stop),
                                 str(flag)], stdout=subprocess.PIPE, text=True)
               for flag in ready]
    deadline = time.monotonic() + 30
    while not all(flag.exists() for flag in ready):  # both are reading
        assert time.monotonic() < deadline and all(r.poll() is None for r in readers)
        time.sleep(0.02)
    for n in range(4):
        rollback.rollback(two, "p0001" if n % 2 == 0 else "p0002", f"back and forth {n}",
                         f"run-{n}")
        time.sleep(0.1)
    stop.touch()
    for reader in readers:
        seen, errors, queries = eval(reader.communicate(timeout=60)[0])  # noqa: S307
        assert errors == []
        assert queries > 10
        assert set(seen) == {old, new}  # the whole old warehouse or the whole new one
    assert len(records.history(two.warehouse)) == 6


KILLABLE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from ingest.paths import Paths
    from warehouse.publication import publish, records, rollback
    warehouse, home, marker, when = sys.argv[1:5]

    def stall():
        Path(marker).touch()
        time.sleep(120)

    if when == "before-rename":  # the build is complete: only the rename is left
        publish.publish = lambda *args: stall()
    else:  # while record_publication writes into the build (its connection open)
        checksums = records.checksums
        records.checksums = lambda *args: (checksums(*args), stall())[0]
    rollback.rollback(Paths(Path(warehouse), Path(home)), "p0001", "killed", "run-killed")
""")


@pytest.mark.parametrize("when", ["while-writing", "before-rename"])
def test_a_killed_rollback_leaves_the_published_warehouse_as_it_was(two, tmp_path, when):
    before, kept = digest(two.warehouse), sorted(os.listdir(two.publications))
    marker = tmp_path / "stalled"
    killed = subprocess.Popen([sys.executable, "-c", KILLABLE, str(two.warehouse),
                               str(two.home), str(marker), when], stderr=subprocess.PIPE,
                              text=True)
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert killed.poll() is None, killed.stderr.read()[-2000:]
        assert time.monotonic() < deadline, "the rollback never got there"
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    killed.wait()

    assert digest(two.warehouse) == before
    assert rows(two.warehouse, GHA_PENSION) == [(95.0, 2)]
    assert two.build.exists()  # the only file it wrote
    assert sorted(os.listdir(two.publications)) == kept

    done = rollback.rollback(two, "p0001", "after the kill", "run-again")
    assert done["publication_id"] == "p0003"
    assert rows(two.warehouse, GHA_PENSION) == [(75.0, 1)]
    assert not two.build.exists() and not Path(f"{two.build}.wal").exists()
    assert [r["note"] for r in records.history(two.warehouse)] == [None, None, "after the kill"]


# --- at world scale ----------------------------------------------------------------------

def test_diff_of_half_a_million_rows(tmp_path):
    """500,000 coverage rows, shuffled; 500 removed, 500 added, 999 changed. Prints the time."""
    def world(path: Path, first: int, sql_pct: str, shuffle: bool = True) -> Path:
        con = duckdb.connect()
        con.execute(f"attach '{path}' as b (storage_version '{STORAGE}')")
        con.execute("use b")
        con.execute("create schema marts")
        con.execute(f"""create table marts.coverage_sdg131 as
            select printf('C%03d', i // 1000) as country_iso3,
                   (1950 + (i % 1000) // 10)::integer as year,
                   'SOC_CONTIG_' || ((i % 10) // 2) as series,
                   case when i % 2 = 0 then 'SEX_T' else 'SEX_F' end as sex,
                   i::bigint as numerator, 1000000::bigint as denominator,
                   {sql_pct} as coverage_pct,
                   printf('C%03d', i // 1000) || '-r1' as submission_id, 1 as revision,
                   null::varchar as quality_flag
            from range({first}, {first} + 500000) t(i) {'order by hash(i)' if shuffle else ''}
            """)
        con.close()
        return path

    old = world(tmp_path / "old.duckdb", 0, "(i % 1000) / 10.0")
    new = world(tmp_path / "new.duckdb", 500,
                "(i % 1000) / 10.0 + case when i % 500 = 0 then 1 else 0 end", shuffle=False)
    start = time.perf_counter()
    full = diff.diff(old, new)["marts"][0]
    took = time.perf_counter() - start
    print(f"\ndiff of 500,000 rows: {took:.2f} s (all "
          f"{full['added'] + full['removed'] + full['changed']} differences listed)")
    assert (full["added"], full["removed"], full["changed"]) == (500, 500, 999)
    assert len(full["changed_rows"]) == 999 and len(full["added_rows"]) == 500
    assert full["changed_rows"][0]["changes"] == {"coverage_pct": {"old": 50.0, "new": 51.0}}
    assert took < 30

    start = time.perf_counter()
    checksums = records.mart_checksums(old)
    print(f"checksum of 500,000 rows: {time.perf_counter() - start:.2f} s")
    assert checksums[0]["row_count"] == 500_000
