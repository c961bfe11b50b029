"""The reference population: the bundled World Bank seed and its generator, the official UN WPP
file's reader and suite, and the checks that would catch a wrong source.

tests/fixtures/WPP2024_TotalPopulationBySex_excerpt.csv is in the layout of the UN's WPP 2024
TotalPopulationBySex CSV (with its byte order mark; World, an aggregate, 55 countries, Kosovo,
other variants, years outside 2010-2026), but its figures are NOT the UN's: they are the
World Bank seed's divided by 1000 (grown by 1 % a year after 2024), and the World row is the
sum of the rows it has.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from pathlib import Path

import duckdb
import pytest
import yaml

from ingest import population, raw
from ingest.paths import DBT_PROJECT_DIR, REPO_ROOT
from ingest.reference import focus_countries

WPP_EXCERPT = REPO_ROOT / "tests" / "fixtures" / "WPP2024_TotalPopulationBySex_excerpt.csv"
UPSTREAM_BLOB = "08c079b84671a3ca96d7b833f39fe46a3906d188"  # datasets/population@425fc447
FOCUS = sorted({code for codes in focus_countries().values() for code in codes})


def _seed() -> dict[tuple[str, int], dict]:
    return {(r["country_iso3"], r["year"]): r for r in population.read_seed()}


# --- the committed source and seed -------------------------------------------------------------


def test_source_file_is_byte_for_byte_the_published_one() -> None:
    data = population.WORLD_BANK_CSV.read_bytes()
    assert hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == UPSTREAM_BLOB
    assert hashlib.sha256(data).hexdigest() == population.WORLD_BANK_SHA256
    assert data.startswith(b"Country Name,Country Code,Year,Value\r\n")


def test_committed_seed_is_what_the_generator_writes(tmp_path: Path) -> None:
    seed = tmp_path / "reference_population.csv"
    assert population.main(["build", str(population.WORLD_BANK_CSV), "--seed", str(seed)]) == 0
    assert seed.read_bytes() == population.REFERENCE_POPULATION_CSV.read_bytes()


def test_seed_has_no_problems() -> None:
    assert population.check_population(population.read_seed()) == []
    assert population.main(["check"]) == 0


def test_seed_rows_say_where_each_figure_comes_from() -> None:
    rows = population.read_seed()
    assert list(rows[0]) == population.COLUMNS
    assert {r["source"] for r in rows} == {population.WORLD_BANK_SOURCE}
    covered = {r["country_iso3"] for r in rows if r["population"] is not None}
    assert len(covered) == 215
    for row in rows:
        code, year, kind = row["country_iso3"], row["year"], row["estimate_kind"]
        if code not in covered:
            assert (kind, row["population"], row["source_year"]) == ("not_covered", None, None)
            assert row["note"] == population.NOT_COVERED[code]
        elif year <= 2024:
            assert (kind, row["source_year"], row["note"]) == ("published", year, None)
        else:
            assert (kind, row["source_year"]) == ("carried_forward", 2024)
            assert row["note"] == "latest published figure (2024) carried forward"
    values = _seed()
    assert values[("KHM", 2026)]["population"] == values[("KHM", 2024)]["population"]
    assert values[("KHM", 2026)]["world_population"] == values[("KHM", 2024)]["world_population"]


def test_seed_matches_the_source_where_published() -> None:
    values = _seed()
    with population.WORLD_BANK_CSV.open(newline="", encoding="utf-8") as handle:
        source = {(r["Country Code"], int(r["Year"])): int(r["Value"])
                  for r in csv.DictReader(handle) if 2010 <= int(r["Year"])}
    for (code, year), row in values.items():
        if row["estimate_kind"] == "published":
            assert row["population"] == source[(code, year)]
        assert row["world_population"] == source[("WLD", min(year, 2024))]


def test_codes_not_covered_are_listed_with_a_reason_and_documented() -> None:
    rows = population.read_seed()
    without = {r["country_iso3"] for r in rows} - \
        {r["country_iso3"] for r in rows if r["population"] is not None}
    assert without == set(population.NOT_COVERED)
    assert len(without) == 34
    for code in without:
        assert code in population.__doc__, f"{code} is not listed in ingest/population.py"
    assert not set(FOCUS) & without


def test_file_is_sorted_and_small() -> None:
    keys = list(_seed())
    assert keys == sorted(keys)
    assert population.REFERENCE_POPULATION_CSV.stat().st_size < 450_000


@pytest.mark.parametrize(
    ("code", "year", "low", "high"),
    [
        ("IND", 2022, 1.40e9, 1.45e9),
        ("CHN", 2020, 1.40e9, 1.42e9),
        ("USA", 2020, 0.33e9, 0.34e9),
        ("NGA", 2024, 0.22e9, 0.24e9),
        ("KHM", 2019, 16.0e6, 17.0e6),
        ("CPV", 2020, 0.5e6, 0.6e6),
        ("TLS", 2020, 1.2e6, 1.4e6),
        ("UKR", 2023, 35e6, 40e6),
    ],
)
def test_spot_values(code: str, year: int, low: float, high: float) -> None:
    assert low <= _seed()[(code, year)]["population"] <= high


def test_dbt_tests_use_the_same_years_and_tolerance() -> None:
    spec = yaml.safe_load((DBT_PROJECT_DIR / "models" / "staging" / "ref" /
                           "_ref__population.yml").read_text())
    tests = spec["models"][0]["data_tests"]
    args = [t[name]["arguments"] for t in tests for name in t if name.startswith("population_")]
    assert {a.get("tolerance") for a in args} - {None} == {population.WORLD_TOLERANCE}
    assert {(a["first_year"], a["last_year"]) for a in args if "first_year" in a} == \
        {(population.FIRST_YEAR, population.LAST_YEAR)}


# --- checks that catch a wrong source ---------------------------------------------------------


def _doctored_source(tmp_path: Path, change) -> Path:
    lines = population.WORLD_BANK_CSV.read_text(encoding="utf-8").splitlines()
    out = [lines[0]] + [change(line) for line in lines[1:]]
    path = tmp_path / "population.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _times(code: str, year: str, factor: float):
    def change(line: str) -> str:
        *name, iso3, year_text, value = line.split(",")
        if iso3 == code and year_text == year:
            value = str(round(int(value) * factor))
        return ",".join([*name, iso3, year_text, value])
    return change


def test_world_check_fails_on_a_doctored_source(tmp_path: Path) -> None:
    doctored = _doctored_source(tmp_path, _times("IND", "2015", 1.5))
    problems = population.build_seed(doctored, tmp_path / "seed.csv")
    assert [p for p in problems if p.startswith("world")] == [
        p for p in problems if p.startswith("world 2015: countries add up to ")]
    assert len(problems) == 1
    assert population.main(["check", "--seed", str(tmp_path / "seed.csv")]) == 1


def test_world_check_fails_on_a_source_in_thousands(tmp_path: Path) -> None:
    def thousands(line: str) -> str:
        *rest, value = line.split(",")
        return ",".join([*rest, value if ",WLD," in line else str(int(value) // 1000 or 1)])

    problems = population.check_population(population.world_bank_rows(
        _doctored_source(tmp_path, thousands)))
    assert sum(p.startswith("world ") for p in problems) == len(population.YEARS)


def test_check_reports_a_broken_population() -> None:
    rows = population.read_seed()
    broken = [r for r in rows if (r["country_iso3"], r["year"]) != ("AFG", 2010)]
    broken.append(dict(broken[-1]))
    for row in broken:
        if (row["country_iso3"], row["year"]) == ("ZAF", 2015):
            row["population"] = -row["population"]
        if row["country_iso3"] == "KHM" and row["year"] == 2020:
            row.update(population=None, estimate_kind="not_covered")
        if (row["country_iso3"], row["year"]) == ("FRA", 2011):
            row["estimate_kind"] = "guessed"
    problems = population.check_population(broken)
    assert "AFG 2010: missing" in problems
    assert "ZWE 2026: 2 rows" in problems
    assert any(p.startswith("ZAF 2015: population -") for p in problems)
    assert "KHM 2020: focus country without a figure" in problems
    assert any(p.startswith("FRA 2011: estimate_kind 'guessed'") for p in problems)


def test_dbt_world_check_stops_a_build_on_a_doctored_population(tmp_path: Path) -> None:
    """The dbt tests on model reference_population, as every build runs them."""
    from warehouse.run import build

    state, target = tmp_path / "state.duckdb", tmp_path / "build.duckdb"
    raw.connect_state(state).close()
    frame, _ = population.bundled_population()
    doctored = frame.copy()
    world_2019 = (doctored.year == 2019) & (doctored.country_iso3 == "CHN")
    doctored.loc[world_2019, "population"] = doctored.loc[world_2019, "population"] * 2
    build.copy_raw(state, target, population=doctored)
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select count(*) from raw.ref_population").fetchone()[0] == \
            len(frame)
    outcome = build.run_dbt(target, tmp_path / "logs", tmp_path / "target", args=[
        "build", "--select", "+reference_population", "focus_countries", "stg_ref__countries",
        "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test"])
    assert not outcome.success
    assert len(outcome.failures) == 1, outcome.failures
    assert "population_adds_up_to_world" in outcome.failures[0]


# --- the official UN WPP file -------------------------------------------------------------------


@pytest.fixture(scope="module")
def gates(tmp_path_factory):
    from expectations.gates import Gates

    root = tmp_path_factory.mktemp("gx")
    return Gates(root / "gx", root / "docs")


def _gate(gates):
    from expectations.sources import SourceGate, SourceSuites

    suites = SourceSuites("population", unit=population.GATE_UNIT, index=population.GATE_INDEX,
                          row=population.GATE_ROW, row_prefix="rows ")
    return SourceGate(gates, suites, "test-population")


def _excerpt_lines() -> list[str]:
    return WPP_EXCERPT.read_text(encoding="utf-8-sig").splitlines()


def _write(tmp_path: Path, lines: list[str], name: str = WPP_EXCERPT.name) -> Path:
    path = tmp_path / name
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def test_wpp_reader_keeps_the_medium_variant(tmp_path: Path) -> None:
    frame = population.read_wpp(WPP_EXCERPT, "abc")
    assert set(frame.Variant) == {"Medium"}
    assert frame.source_row.min() == 2 and (frame.sha256 == "abc").all()
    world = frame[frame.location_kind == "world"]
    assert sorted(world.Time) == list(range(2009, 2028))
    assert set(frame[frame.location_kind == "aggregate"].LocID) == {903}
    assert "Côte d'Ivoire" in set(frame.Location)
    assert "Congo, The Democratic Republic of the" in set(frame.Location)
    khm = frame[(frame.ISO3_code == "KHM") & (frame.Time == 2025)]
    assert len(khm) == 1  # the Low variant's row is left out
    assert population.wpp_revision("WPP2024_TotalPopulationBySex.csv.gz") == 2024
    assert population.wpp_revision("population.csv") is None


def test_load_population_archives_gates_and_converts(tmp_path: Path, gates) -> None:
    gate = _gate(gates)
    frame, provenance = population.load_population(WPP_EXCERPT, tmp_path / "archive", gate)
    assert [r.passed for r in gate.results] == [True]
    assert gate.results[0].suite == "population__wpp"
    # Recorded inside the archive, so a moved home still finds it.
    assert provenance["archive_path"].startswith("population/")
    archived = tmp_path / "archive" / provenance["archive_path"]
    assert archived.read_bytes() == WPP_EXCERPT.read_bytes()
    assert provenance["sha256"] == hashlib.sha256(WPP_EXCERPT.read_bytes()).hexdigest()
    assert provenance["source"] == "UN WPP 2024, Medium variant"
    assert provenance["version"] == "WPP 2024" and provenance["publisher"].startswith("United")
    assert provenance["dropped_codes"] == ["XKX"]
    assert list(frame.columns) == population.COLUMNS
    rows = {(r.country_iso3, r.year): r for r in frame.itertuples()}
    khm_2019 = next(line for line in _excerpt_lines()
                    if ",KHM," in line and ",Medium,2019," in line)
    assert rows[("KHM", 2019)].population == round(float(khm_2019.split(",")[16]) * 1000)
    assert rows[("KHM", 2019)].estimate_kind == "published"
    assert rows[("KHM", 2024)].estimate_kind == "projected"
    assert rows[("TWN", 2020)].estimate_kind == "not_covered"
    assert set(frame.source) == {"UN WPP 2024, Medium variant"}
    assert ("XKX", 2020) not in rows


def test_load_population_reads_the_gzip_the_un_distributes(tmp_path: Path, gates) -> None:
    packed = tmp_path / "WPP2024_TotalPopulationBySex.csv.gz"
    packed.write_bytes(gzip.compress(WPP_EXCERPT.read_bytes(), mtime=0))
    frame, provenance = population.load_population(packed, tmp_path / "archive", _gate(gates))
    plain, _ = population.load_population(WPP_EXCERPT, tmp_path / "archive", _gate(gates))
    assert provenance["archive_path"].endswith(".csv.gz")
    assert frame.equals(plain)


def test_wpp_file_in_persons_is_rejected_by_the_suite(tmp_path: Path, gates) -> None:
    lines = _excerpt_lines()
    fields = lines[1].split(",")
    fields[16] = str(round(float(fields[16]) * 1000))  # the World row in persons
    lines[1] = ",".join(fields)
    with pytest.raises(population.PopulationRejected) as rejected:
        population.load_population(_write(tmp_path, lines), tmp_path / "archive", _gate(gates))
    problem = rejected.value.problems[0]
    assert problem.table == "wpp" and problem.message.startswith("rows 2: population__wpp")
    assert "expect_column_values_to_be_between(PopTotal)" in problem.message


def test_wpp_duplicate_country_year_is_rejected(tmp_path: Path, gates) -> None:
    lines = _excerpt_lines()
    lines.append(next(line for line in lines if ",KHM," in line and ",Medium,2019," in line))
    with pytest.raises(population.PopulationRejected, match="expect_compound_columns_to_be_unique"):
        population.load_population(_write(tmp_path, lines), tmp_path / "archive", _gate(gates))


def test_wpp_world_that_does_not_add_up_is_rejected(tmp_path: Path, gates) -> None:
    lines = _excerpt_lines()
    for index, line in enumerate(lines):
        fields = line.split(",")
        if fields[1] == "900" and fields[12] == "2015" and fields[11] == "Medium":
            fields[16] = f"{float(fields[16]) * 1.05:.3f}"
            lines[index] = ",".join(fields)
    with pytest.raises(population.PopulationRejected) as rejected:
        population.load_population(_write(tmp_path, lines), tmp_path / "archive", _gate(gates))
    assert [p.message.split(":")[0] for p in rejected.value.problems] == ["world 2015"]


def test_not_a_wpp_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(population.PopulationRejected) as rejected:
        population.load_population(population.WORLD_BANK_CSV, tmp_path / "archive",
                                   lambda frames: {})
    assert str(rejected.value).startswith("world_bank_population.csv: no column LocID, ISO3_code")


# --- how the population reaches the build -----------------------------------------------------


def test_copy_raw_writes_the_bundled_population_by_default(tmp_path: Path) -> None:
    from warehouse.run import build

    state, target = tmp_path / "state.duckdb", tmp_path / "build.duckdb"
    raw.connect_state(state).close()
    build.copy_raw(state, target)
    with duckdb.connect(str(target), read_only=True) as con:
        columns = [c[0] for c in con.execute("describe raw.ref_population").fetchall()]
        counts = con.execute("select count(*), count(population), count(note), "
                             "any_value(source) from raw.ref_population").fetchone()
    assert columns == population.COLUMNS
    assert counts == (4233, 3655, 1008, population.WORLD_BANK_SOURCE)


def test_a_year_before_the_source_publishes_flagged_not_blocked(tmp_path: Path, write_workbook):
    """A country may send a year the population source has no figure for (the World Bank
    seed starts in 2010): its coverage is published, its regional rows have no share and no
    source and say why, and the build is not stopped."""
    from conftest import query, worked_example

    from warehouse.run import pipeline

    write_workbook("KHM_2008.xlsx", **worked_example(year=2008))
    write_workbook("KHM_2019.xlsx", **worked_example(year=2019))
    warehouse = tmp_path / "wh" / "spf.duckdb"
    assert pipeline.nightly(str(warehouse), landing=str(tmp_path / "landing"))["published"]
    rows = query(warehouse, """
        select year, countries_reporting, population_share_reporting is null,
               population_source is null, quality_flag
        from marts.coverage_sdg131_regional
        where region = 'World' and series = 'SOC_CONTIG_TOTAL' and sex = 'SEX_T'
        order by year""")
    # 2019: Cambodia alone holds far less than half of the world's people (issue 26).
    assert rows == [(2008, 1, True, True, "population_not_covered"),
                    (2019, 1, False, False, "low_population_coverage")]
