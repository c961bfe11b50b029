"""A source is one unit: a third source, defined here and nowhere else (the ILO's record of
ratifications of Convention No. 102 as CSV files), registered and run end to end by the
same runs as SSI and RMT: landed and archived, gated by its own suite (quarantine
included), loaded, copied into the build by its own allow-list, built incrementally on
its own when only it changed, recorded in ops.publications, listed by `spf status` and
said in the run summary; no shared module changed for it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import query, worked_example

from expectations import gates
from expectations.sources import SourceGate, SourceSuites
from ingest import raw
from ingest.landing import LandedFile, land_directory
from ingest.outcomes import Outcome, Report, apply_gate
from ingest.paths import Paths, resolve
from warehouse.review.quarantine import status_rows
from warehouse.run import pipeline, report
from warehouse.sources import registry
from warehouse.sources.registry import Inputs, Source, load

DDL = """
create table if not exists raw.c102_files (
    sha256 varchar, original_name varchar, archive_path varchar, status varchar,
    reason_code varchar, reason_message varchar, run_id varchar, processed_at timestamptz);
create table if not exists raw.c102_ratifications (
    sha256 varchar, line integer, country_iso3 varchar, ratified_on date, registrar varchar);
"""
SUITE = {"name": "c102__ratifications", "meta": {"about": "Ratifications of C102."},
         "expectations": [{
             "type": "expect_column_values_to_be_between", "severity": "critical",
             "kwargs": {"column": "year", "min_value": 1952, "max_value": 2100},
             "meta": {"why": "C102 was adopted in 1952."}}]}


@dataclass(kw_only=True)
class Ratifications(Outcome):
    landed: LandedFile
    rows: list[dict]

    key = unit = property(lambda self: self.landed.sha256)
    name = property(lambda self: self.landed.original_name)
    files = property(lambda self: 1)


def _ingest(con: duckdb.DuckDBPyConnection, folder: Path, archive: Path, run_id: str,
            gate: SourceGate) -> Report:
    """Land the CSV files, read them, gate them, store them: the four steps of a source."""
    con.execute(DDL)
    known = set(con.execute("select sha256, original_name from raw.c102_files").fetchall())
    found = land_directory(folder, archive, "c102", known, (".csv",))
    outcomes = []
    for landed in found.files:
        rows = list(csv.DictReader(io.StringIO(Path(landed.archive_path).read_text())))
        outcomes.append(Ratifications(status="loaded", landed=landed, rows=[
            {"sha256": landed.sha256, "line": n, **row} for n, row in enumerate(rows, 2)]))
    frame = pd.DataFrame([{**r, "year": int(r["ratified_on"][:4])}
                          for o in outcomes for r in o.rows])
    failures = gate({"ratifications": frame}) if len(frame) else {}
    apply_gate(outcomes, failures, {})
    raw.write_batch(con, [
        ("raw.c102_files", [{"sha256": o.key, "original_name": o.name,
                             "archive_path": o.landed.archive_path, "status": o.status,
                             "reason_code": o.reason_code, "reason_message": o.reason_message,
                             "run_id": run_id, "processed_at": pd.Timestamp.now("UTC")}
                            for o in outcomes]),
        ("raw.c102_ratifications", [r for o in outcomes if o.status == "loaded"
                                    for r in o.rows])])
    return Report(outcomes)


SUITES = SourceSuites("c102", unit="sha256", index=("sha256", "line"), row="line",
                      row_prefix="lines ")


def ingest_c102(paths: Paths, run_id: str, inputs: Inputs):
    folder = registry.folder(inputs.get("c102_dir"), "C102 folder")
    return load(paths, SUITES, f"{run_id}-c102",
                lambda con, gate: _ingest(con, folder, paths.archive, run_id, gate))


C102 = Source(
    name="c102", label="C102", title="Ratifications of Convention No. 102", unit="file(s)",
    options=("c102_dir",), sample={}, ingest=ingest_c102, reprocess=lambda *a: None,
    published={"c102_files": ("sha256", "original_name", "status", "reason_code",
                              "reason_message", "run_id", "processed_at"),
               "c102_ratifications": ("sha256", "line", "country_iso3", "ratified_on")},
    decisions="c102_files", suites=SUITES, ops="raw.c102_files",
    turned_away="""select 'c102' as source, original_name as file, status, reason_code,
                          reason_message as reason, left(sha256, 12) as id, processed_at
                   from {table} where status != 'loaded'""",
    accepted="select count(*) from raw.c102_ratifications",
    built_from=("ratifications", "select coalesce(list(distinct sha256 order by sha256), []) "
                                 "from raw.c102_files where status = 'loaded'"),
    selector="")  # no dbt model reads it yet: a build of it alone runs no node


@pytest.fixture
def third_source(tmp_path, monkeypatch):
    """C102 registered (and its suite beside the others) for this test only."""
    suites = tmp_path / "suites"
    shutil.copytree(gates.SUITES_DIR, suites)
    (suites / "c102__ratifications.json").write_text(json.dumps(SUITE))
    monkeypatch.setattr(gates, "SUITES_DIR", suites)
    gates.gates_for.cache_clear()
    registry.register(C102)
    yield
    registry.unregister("c102")
    gates.gates_for.cache_clear()


def test_a_third_source_runs_end_to_end(tmp_path, third_source, write_workbook):
    write_workbook("KHM_2019.xlsx", **worked_example())
    ratified = tmp_path / "c102"
    ratified.mkdir()
    (ratified / "2024.csv").write_text("country_iso3,ratified_on,registrar\n"
                                       "KHM,2024-05-02,registrar@ilo.org\n")
    (ratified / "typo.csv").write_text("country_iso3,ratified_on,registrar\n"
                                       "TLS,1925-05-02,registrar@ilo.org\n")
    warehouse = tmp_path / "wh" / "spf.duckdb"

    first = pipeline.nightly(str(warehouse), landing=str(tmp_path / "landing"),
                             inputs={"c102_dir": str(ratified)})
    assert first["published"] is True
    assert first["c102"]["counts"] == {"loaded": 1, "quarantined": 1}
    assert first["build"]["refreshed"] == ["ssi", "rmt", "c102"]  # a first build: all
    ((sha,),) = query(warehouse, "select sha256 from raw.c102_files "
                      "where original_name = '2024.csv'")
    assert query(warehouse, "select * from raw.c102_ratifications") == [
        (sha, 2, "KHM", dt.date(2024, 5, 2))]
    # Its gate's verdict is recorded, and `spf status` lists it with the others.
    (problem,) = [r for r in first["c102"]["rejected"] if r["file"] == "typo.csv"]
    assert problem["status"] == "quarantined" and problem["reason"].startswith(
        "ratifications: lines 2: c102__ratifications: expect_column_values_to_be_between(year)")
    columns, rows, _ = status_rows(resolve(warehouse))
    assert ("c102", "typo.csv", "quarantined") in {
        (r[columns.index("source")], r[columns.index("file")], r[columns.index("status")])
        for r in rows}
    # The run summary says it as it says the others.
    lines = report.terminal(first).splitlines()
    assert "C102: 2 new file(s) (1 loaded, 1 quarantined)" in lines
    assert any(line.startswith("  quarantined: typo.csv: ratifications: lines 2: ")
               for line in lines)

    # A night that brings only a new C102 file builds only what depends on it.
    (ratified / "2025.csv").write_text("country_iso3,ratified_on,registrar\n"
                                       "LAO,2025-01-15,registrar@ilo.org\n")
    second = pipeline.nightly(str(warehouse), landing=str(tmp_path / "landing"),
                              inputs={"c102_dir": str(ratified)})
    assert second["published"] is True and second["ssi"]["landed"] == 0
    assert second["build"]["refreshed"] == ["c102"] and second["build"]["rebuilt"] == []
    assert query(warehouse, "select country_iso3 from raw.c102_ratifications order by 1") == [
        ("KHM",), ("LAO",)]
    ((built_from,),) = query(warehouse, "select ratifications from ops.publications "
                             "order by sequence desc limit 1")
    assert len(built_from) == 2
    # What only the state keeps (the registrar's address, the archive path) stays there.
    assert "registrar" not in {c for (c,) in query(
        warehouse, "select column_name from duckdb_columns() where table_name like 'c102_%'")}
