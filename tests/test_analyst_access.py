"""What analysts reach: the published warehouse, in a format their DuckDB 1.x tools open,
through `spf query` confined to it; never the pipeline's private state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import worked_example
from typer.testing import CliRunner

from ingest.paths import resolve
from warehouse.cli import app
from warehouse.run import build, pipeline

runner = CliRunner()
OLD_DUCKDB = "duckdb==1.5.*"


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A warehouse published from the worked example, by a run without Prefect."""
    from ingest.samples.workbook import write_ssi_workbook

    root = tmp_path_factory.mktemp("analyst")
    write_ssi_workbook(root / "landing" / "KHM.xlsx", **worked_example())
    warehouse = root / "wh" / "spf.duckdb"
    assert pipeline.nightly(str(warehouse), landing=str(root / "landing"))["published"]
    return warehouse


@pytest.fixture(scope="session")
def old_duckdb(tmp_path_factory) -> Path:
    """The Python of a virtual environment with a DuckDB 1.x client, kept between sessions."""
    venv = tmp_path_factory.getbasetemp().parent / "duckdb-1.x-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import duckdb; print(duckdb.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or not probe.stdout.startswith("1."):
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", OLD_DUCKDB], check=True)
    return python


READ_EVERY_MART = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
tables = [t for (t,) in con.execute(
    "select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()]
print(json.dumps({"version": duckdb.__version__, "rows": {
    t: con.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in tables},
    "first": {t: repr(con.execute(f"select * from marts.{t} order by all limit 1").fetchall())
              for t in tables}}))
"""


def test_a_duckdb_1x_client_reads_every_mart(published, old_duckdb):
    result = subprocess.run([str(old_duckdb), "-c", READ_EVERY_MART, str(published)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["version"].startswith("1.")
    con = duckdb.connect(str(published), read_only=True)
    try:
        marts = [t for (t,) in con.execute("select table_name from duckdb_tables() "
                                          "where schema_name = 'marts' order by 1").fetchall()]
        counts = {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in marts}
        tags = con.execute("select tags from duckdb_databases() where not internal").fetchall()
        info = dict(con.execute("select key, value from ops.build_info").fetchall())
    finally:
        con.close()
    assert len(marts) >= 12 and seen["rows"] == counts
    assert tags == [({"storage_version": f"{build.STORAGE_VERSION}+"},)]
    assert info["storage_version"] == build.STORAGE_VERSION


ATTEMPTS = {
    "attach the private state": "attach '{state}' as st (read_only); "
                                "select value from st.raw.ssi_cover where key = 'contact_email'",
    "read the state as a table": "select * from '{state}'",
    "read a system file": "select * from read_text('/etc/passwd')",
    "read a csv": "select * from read_csv('/etc/passwd')",
    "list files": "select * from glob('/etc/*')",
    "write a file": "copy (select 1) to '{out}'",
    "export the database": "export database '{out}'",
    "install an extension": "install httpfs",
    "undo the confinement": "set enable_external_access = true",
    "unlock the settings": "set lock_configuration = false",
}


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_spf_query_reaches_the_published_warehouse_and_nothing_else(published, tmp_path,
                                                                   attempt):
    out = tmp_path / "leak"
    sql = ATTEMPTS[attempt].format(state=resolve(published).state_db, out=out)
    result = runner.invoke(app, ["query", "--warehouse", str(published), sql])
    assert result.exit_code == 1
    assert result.output.startswith("spf: refused: ") and result.output.count("\n") == 1
    assert "@example.org" not in result.output and "root:" not in result.output
    assert not out.exists()


def test_spf_query_still_answers_questions_on_the_marts(published):
    result = runner.invoke(app, ["query", "--warehouse", str(published), "--format", "json",
                                 "select count(*) as n from marts.coverage_sdg131"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["n"] > 0


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_the_private_state_and_the_archive_are_their_owners_alone(published):
    paths = resolve(published)
    assert _mode(paths.state_db.parent) == 0o700 and _mode(paths.state_db) == 0o600
    archived = [p for p in paths.archive.rglob("*") if p.is_file()]
    assert archived and {_mode(p) for p in archived} == {0o400}
    assert {_mode(p) for p in paths.archive.rglob("*") if p.is_dir()} == {0o700}
    assert _mode(published) & 0o444 == 0o444  # the published warehouse: readable by all
    assert _mode(paths.docs / "index.html") & 0o444 == 0o444
    assert _mode(paths.dbt_docs / "index.html") & 0o444 == 0o444


def test_the_next_run_tightens_files_made_before(published):
    paths = resolve(published)
    loose = next(p for p in paths.archive.rglob("*.xlsx"))
    loose.chmod(0o644)
    paths.state_db.parent.chmod(0o755)
    paths.state_db.chmod(0o644)
    assert pipeline.nightly(str(published),
                            landing=str(published.parent.parent / "landing"))["published"] \
        is False
    assert _mode(loose) == 0o400
    assert _mode(paths.state_db.parent) == 0o700 and _mode(paths.state_db) == 0o600


def test_no_contact_email_reaches_what_others_read(published):
    """The published warehouse (every text column), Data Docs, run pages and logs."""
    email = worked_example()["cover"]["contact_email"]
    con = duckdb.connect(str(published), read_only=True)
    try:
        columns = con.execute("select schema_name, table_name, column_name from "
                              "duckdb_columns() where data_type = 'VARCHAR' and "
                              "schema_name not in ('information_schema', 'pg_catalog')"
                              ).fetchall()
        found = [f"{s}.{t}.{c}" for s, t, c in columns if con.execute(
            f'select count(*) from "{s}"."{t}" where contains("{c}", ?)', [email]
        ).fetchone()[0]]
    finally:
        con.close()
    assert found == []
    paths = resolve(published)
    readable = [p for folder in (paths.docs, paths.logs) for p in folder.rglob("*")
                if p.is_file()]
    assert readable and not [p for p in readable if email.encode() in p.read_bytes()]
    state = duckdb.connect(str(paths.state_db), read_only=True)
    try:  # the private state does keep it, so the checks above are not vacuous
        assert state.execute("select contact_email from raw.ssi_submissions").fetchall() == [
            (email,)]
    finally:
        state.close()


def test_spf_export_writes_what_analysts_open(published, tmp_path):
    result = runner.invoke(app, ["export", "coverage_sdg131", "--format", "csv", "--out",
                                 str(tmp_path), "--warehouse", str(published), "--no-progress"])
    assert result.exit_code == 0, result.output
    written = Path(result.output.strip())
    assert written.name == "marts.coverage_sdg131.csv" and written.read_text().startswith(
        "country_iso3,")
    ilostat = runner.invoke(app, ["export", "--format", "ilostat", "--out", str(tmp_path),
                                  "--warehouse", str(published), "--no-progress"])
    assert ilostat.exit_code == 0, ilostat.output
    bulk, dictionary, toc = (Path(line) for line in ilostat.output.splitlines())
    assert bulk.read_text().startswith(
        "ref_area,source,indicator,sex,classif1,time,obs_value,obs_status")
    assert "KHM,SSI:KHM-2019-r1,SDG_0131_SEX_SOC_RT,SEX_F,SOC_CONTIG_PENSION,2019,71.4," in \
        bulk.read_text()
    assert 'source,SSI:KHM-2019-r1,"ILO Social Security Inquiry (SSI): the workbook of ' \
        'Cambodia for reference year 2019, revision 1, received ' in dictionary.read_text()
    assert toc.read_text().splitlines()[1].startswith("KHM,Cambodia,")


def test_spf_export_sdmx_from_a_published_warehouse_reads_back(published, tmp_path):
    """The SDMX files of a real build (the worked example: Cambodia 2019), read back with
    sdmx1 and checked against the structure shipped with them and against the mart."""
    from test_export import expected_sdmx, read_back_sdmx

    result = runner.invoke(app, ["export", "--format", "sdmx", "--out", str(tmp_path),
                                 "--warehouse", str(published), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert [Path(line).name for line in result.output.splitlines()] == [
        "SDG_1_3_1.xml", "SDG_1_3_1.csv", "SDG_DSD_1_3_1.xml"]
    found = read_back_sdmx(tmp_path)
    expected = expected_sdmx(published)
    assert expected and found["SDG_1_3_1.xml"].keys() == found["SDG_1_3_1.csv"].keys() \
        == expected.keys()
    for key, record in found["SDG_1_3_1.csv"].items():
        want = dict(expected[key])
        assert float(record["OBS_VALUE"]) == float(want.pop("OBS_VALUE"))
        assert {k: v for k, v in record.items() if k != "OBS_VALUE"} == want
    pension_f = ("A", "G", "SI_COV_PENSN", "116", "F", *["_T"] * 10, "2019")
    assert float(found["SDG_1_3_1.xml"][pension_f]["OBS_VALUE"]) == 71.4
    # The message is the publication's: its id and time, not the moment of the export.
    header = (tmp_path / "SDG_1_3_1.xml").read_text()
    assert "<mes:ID>SDG_1_3_1_p0001_DATA</mes:ID>" in header


def test_every_exported_table_and_column_is_described(published, tmp_path):
    """The xlsx's about sheet describes every marts, ops and ref table of a real build and
    each of their columns (dbt's YAML, and the publication room's words for the two tables
    it writes), and reference tables export by name."""
    from openpyxl import load_workbook

    result = runner.invoke(app, ["export", "--all", "--format", "xlsx", "--out", str(tmp_path),
                                 "--warehouse", str(published), "--no-progress"])
    assert result.exit_code == 0, result.output
    book = load_workbook(Path(result.output.strip()), read_only=True)
    rows = [list(r) for r in book["about"].iter_rows(min_row=2, values_only=True)]
    tables = {r[1] for r in rows}
    assert {"marts.coverage_sdg131", "ops.publications", "ops.build_info",
            "ref.sdg131_series", "ref.m49_countries"} <= tables
    assert len(book.sheetnames) == len(tables) + 1
    undescribed = [(r[1], r[2]) for r in rows if not (r[4] or "").strip()]
    assert undescribed == []
    assert all(name == "about" or name.split(".")[0] in ("marts", "ops", "ref")
               for name in book.sheetnames)

    ref = runner.invoke(app, ["export", "ref.sdg131_sdmx_series", "--out", str(tmp_path),
                              "--warehouse", str(published), "--no-progress"])
    assert ref.exit_code == 0, ref.output
    assert Path(ref.output.strip()).read_text().splitlines()[1] == (
        "SOC_CONTIG_TOTAL,SI_COV_BENFTS,Proportion of population covered by at least one "
        "social protection benefit [1.3.1]")
