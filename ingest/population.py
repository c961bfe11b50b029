"""Reference total population by country and year, for weights and population shares.

`marts.coverage_sdg131_regional.population_share_reporting` (and nothing else) is weighted by
it. The build writes one population into `raw.ref_population` (`warehouse/run/build.py`
`copy_raw`), which the dbt model `reference_population` (schema `ref`) reads: the bundled
World Bank seed by default, or an official UN WPP file an operator points the pipeline at
(`load_population`). Every row says where its figure comes from.

Rows (`COLUMNS`), one per entry of `pycountry.countries` and per year FIRST_YEAR-LAST_YEAR:
`country_iso3`, `year`; `population`, total population in persons (empty when the source has
no figure); `estimate_kind`: `published` (the source's figure for that year), `projected` (a
WPP Medium-variant projection: a published figure for a year after the revision's estimates),
`carried_forward` (the latest earlier published figure, for a year the source does not cover
yet) or `not_covered` (no figure); `source_year`, the year of the figure used; `world_population`,
the source's own world aggregate for the year (carried forward like the countries), against
which every build checks that the countries add up; `source`; `note`, why a figure is carried
forward or missing.

The bundled seed, dbt_project/seeds/reference_population.csv
--------------------------------------------------------------
Written by `python -m ingest.population build` from ingest/reference_data/world_bank_population.csv,
which is byte for byte `data/population.csv` of the public repository datasets/population
(https://github.com/datasets/population), commit 425fc447a53a26c767a15a7de60c4cc2478a0595 of
2026-03-06 ("Automated commit"; git blob 08c079b84671a3ca96d7b833f39fe46a3906d188, sha256
WORLD_BANK_SHA256). That data package republishes the World Bank's World Development Indicators
series SP.POP.TOTL, "Population, total" (https://data.worldbank.org/indicator/SP.POP.TOTL),
as one row per economy or aggregate and year (`Country Name`, `Country Code`, `Year`, `Value`),
1960-2024, under the Open Data Commons Public Domain Dedication and License v1.0 (ODC-PDDL-1.0,
http://opendatacommons.org/licenses/pddl/), as its datapackage.json and README say. The World
Bank itself gives as its sources the UN Population Division's World Population Prospects,
national censuses and statistical offices, Eurostat, the Pacific Community and the US Census
Bureau. The package's datapackage.json still says `version` 2023-03-30 and `last_updated`
2023-05-04: its automated quarterly refresh rewrites only data/population.csv, so the World
Bank's own update date of these figures is not recorded; the commit date is the date they
were taken.

Published figures cover 2010-2024 for the 215 pycountry codes the file has; 2025 and 2026
carry the 2024 figure forward (`carried_forward`, `source_year` 2024), and so does the world
total. The file's aggregates (WLD, AFE, ARB, HIC, ... 48 of them) are not countries: only WLD
is kept, as `world_population`. Two economies of the file have no ISO 3166 code and no row:
Kosovo (XKX, about 1.8 million) and the Channel Islands (CHI, about 0.17 million; Guernsey
and Jersey together). The countries add up to 0.31-0.36 % less than WLD each year, about
25 million: Kosovo, the Channel Islands and about the population of Taiwan, which WLD counts
but the file has no row for.

Codes the World Bank file does not cover (`not_covered`, population empty, reason in `note`;
`NOT_COVERED` below, which a test keeps equal to what the file lacks):
  no permanent population: ATA, BVT, HMD, SGS, ATF, IOT, UMI;
  in the Channel Islands (CHI), which has no ISO 3166 code: GGY, JEY;
  overseas departments of France, no figure of their own (the World Bank's FRA counts them):
    GLP, GUF, MTQ, MYT, REU;
  territories of another country, no figure of their own: ALA (FIN), SJM (NOR), CXR, CCK,
    NFK (AUS), BES (NLD);
  no figure of its own: TWN (which WLD appears to count, see above);
  not an economy of the World Bank's list: AIA, BLM, COK, ESH, FLK, MSR, NIU, PCN, SHN, SPM,
    TKL, VAT, WLF.
The populated ones among them (TWN, ESH, the French departments, ...) are thus in no region's
total: a share is of the population the source covers.

An official UN WPP file
-----------------------
`load_population` accepts the UN Population Division's World Population Prospects CSV
"TotalPopulationBySex" (WPP2024_TotalPopulationBySex.csv, or .csv.gz as the UN distributes
it; https://population.un.org/wpp/), as published: archived byte for byte
(`ingest.landing.archive_bytes`, source `population`), read as a stream (the real file is
some 220 MB: only the Medium variant's rows are kept), validated by the Great Expectations
suite expectations/suites/population__wpp.json through the `gate` it is given, and turned into
rows: `PopTotal` (thousands) x 1000, ISO3_code rows of pycountry codes only (WPP's XKX,
Kosovo, is dropped and listed), the World row (LocID 900) as `world_population`, years
FIRST_YEAR-LAST_YEAR; years from the revision's year on (2024 for WPP 2024, read from the
file name) are `projected`. A file that fails the gate or `check_population` is rejected
with every problem (`PopulationRejected`): it is never replaced by the bundled seed silently.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pycountry

from ingest.archive import stored
from ingest.landing import archive_bytes
from ingest.paths import REPO_ROOT, SEEDS_DIR
from ingest.problems import Problem, Rejected
from ingest.reference import focus_countries

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a night with nothing new needs none of it

REFERENCE_POPULATION_CSV = SEEDS_DIR / "reference_population.csv"
WORLD_BANK_CSV = REPO_ROOT / "ingest" / "reference_data" / "world_bank_population.csv"
WORLD_BANK_SHA256 = "7d2dd6a17f5ed7916de1f89a9c116791e64d207f2e2f6ce47c57e1ab46f0088a"
WORLD_BANK_COLUMNS = ["Country Name", "Country Code", "Year", "Value"]
WORLD_BANK_WORLD = "WLD"
WORLD_BANK_SOURCE = "World Bank SP.POP.TOTL (2026-03-06)"  # the date the figures were taken
WORLD_BANK_PROVENANCE = {
    "source": WORLD_BANK_SOURCE,
    "publisher": "World Bank, World Development Indicators",
    "indicator": "SP.POP.TOTL (Population, total)",
    "url": "https://data.worldbank.org/indicator/SP.POP.TOTL",
    "republished_by": "https://github.com/datasets/population (data/population.csv)",
    "version": "datasets/population commit 425fc447a53a26c767a15a7de60c4cc2478a0595 "
               "(2026-03-06)",
    "licence": "ODC-PDDL-1.0 (Open Data Commons Public Domain Dedication and License v1.0)",
}

COLUMNS = ["country_iso3", "year", "population", "estimate_kind", "source_year",
           "world_population", "source", "note"]
ESTIMATE_KINDS = ("published", "projected", "carried_forward", "not_covered")
FIRST_YEAR, LAST_YEAR = 2010, 2026  # LAST_YEAR: the current year when the seed was written
YEARS = range(FIRST_YEAR, LAST_YEAR + 1)
WORLD_TOLERANCE = 0.01  # the countries' total against the source's own world total, each year
COUNTRY_CODES = frozenset(c.alpha_3 for c in pycountry.countries)

_NO_PERMANENT = "no permanent population; the World Bank publishes no figure"
_CHANNEL = ("counted with {other} as the Channel Islands (CHI), which has no ISO 3166 code; "
            "no figure of its own")
_FRENCH = ("overseas department of France: no figure of its own (the World Bank's FRA counts "
           "the overseas departments)")
_PART_OF = "territory of {parent}: no figure of its own in the World Bank's data"
_NOT_LISTED = "not an economy of the World Bank's list: no figure"
NOT_COVERED = {
    **dict.fromkeys(("ATA", "BVT", "HMD", "SGS", "ATF", "IOT", "UMI"), _NO_PERMANENT),
    "GGY": _CHANNEL.format(other="JEY"), "JEY": _CHANNEL.format(other="GGY"),
    **dict.fromkeys(("GLP", "GUF", "MTQ", "MYT", "REU"), _FRENCH),
    "ALA": _PART_OF.format(parent="FIN"), "SJM": _PART_OF.format(parent="NOR"),
    **{code: _PART_OF.format(parent="AUS") for code in ("CXR", "CCK", "NFK")},
    "BES": _PART_OF.format(parent="NLD"),
    "TWN": "no figure of its own in the World Bank's data",
    **dict.fromkeys(("AIA", "BLM", "COK", "ESH", "FLK", "MSR", "NIU", "PCN", "SHN", "SPM",
                     "TKL", "VAT", "WLF"), _NOT_LISTED),
}

# The UN WPP CSV "TotalPopulationBySex": the columns read, and the suite that gates them.
WPP_REQUIRED = ("LocID", "ISO3_code", "LocTypeName", "Location", "Variant", "Time", "PopTotal")
WPP_VARIANT = "Medium"
WPP_WORLD_LOCID = 900
WPP_SUITE_TABLE = "wpp"  # suite population__wpp: the gate is called with {"wpp": frame}
WPP_PUBLISHER = "United Nations, Department of Economic and Social Affairs, Population Division"
WPP_URL = "https://population.un.org/wpp/"
ARCHIVE_SOURCE = "population"
# How a SourceSuites for the population gate identifies rows: every row carries the sha256 of
# its file (the unit a blocking failure rejects) and its line in the file.
GATE_UNIT, GATE_INDEX, GATE_ROW = "sha256", ("sha256", "source_row"), "source_row"

Gate = Callable[[dict[str, "pd.DataFrame"]], Mapping[str, list[Problem]]]
Row = dict[str, object]


class PopulationRejected(Rejected):
    """A population file that cannot weigh the marts, with every problem found."""


# --- rows from a source's figures --------------------------------------------------------------


def build_rows(figures: Mapping[tuple[str, int], int], world: Mapping[int, int], source: str,
               not_covered: Mapping[str, str] | None = None, projected_from: int | None = None,
               source_name: str = "the source") -> list[Row]:
    """One row per pycountry code and year of YEARS from a source's `figures` ((code, year) ->
    persons) and its `world` totals (year -> persons).

    A year without a figure takes the latest earlier one (`carried_forward`), or has none
    (`not_covered`, with the reason of `not_covered` for a code the source never covers, else
    "no figure in <source_name>"). Figures of years from `projected_from` on are `projected`.
    """
    not_covered = not_covered or {}
    by_code: dict[str, dict[int, int]] = defaultdict(dict)
    for (code, year), value in figures.items():
        by_code[code][year] = value

    def latest(series: Mapping[int, int], year: int) -> int | None:
        return max((y for y in series if y <= year), default=None)

    rows: list[Row] = []
    for code in sorted(COUNTRY_CODES):
        series = by_code.get(code, {})
        for year in YEARS:
            world_year = latest(world, year)
            row: Row = {"country_iso3": code, "year": year, "population": None,
                        "estimate_kind": "not_covered", "source_year": None,
                        "world_population": None if world_year is None else world[world_year],
                        "source": source, "note": None}
            used = latest(series, year)
            if used is None:
                row["note"] = not_covered.get(code) or f"no figure in {source_name}"
            elif used == year:
                row.update(population=series[year], source_year=year,
                           estimate_kind="projected" if projected_from is not None
                           and year >= projected_from else "published")
                if row["estimate_kind"] == "projected":
                    row["note"] = f"{source_name} projection (a published figure)"
            else:
                row.update(population=series[used], source_year=used,
                           estimate_kind="carried_forward",
                           note=f"latest published figure ({used}) carried forward")
            rows.append(row)
    return rows


def world_bank_rows(path: Path = WORLD_BANK_CSV) -> list[Row]:
    """The seed's rows from the World Bank file of datasets/population (WORLD_BANK_COLUMNS)."""
    figures: dict[tuple[str, int], int] = {}
    world: dict[int, int] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != WORLD_BANK_COLUMNS:
            raise ValueError(f"{path.name}: header is {reader.fieldnames}, "
                             f"not {WORLD_BANK_COLUMNS}")
        for row in reader:
            code, year = row["Country Code"], int(row["Year"])
            if year > LAST_YEAR:
                continue
            value = int(row["Value"])
            if code == WORLD_BANK_WORLD:
                world[year] = value
            elif code in COUNTRY_CODES:
                figures[(code, year)] = value
    return build_rows(figures, world, WORLD_BANK_SOURCE, NOT_COVERED, source_name="the file")


# --- the seed file -----------------------------------------------------------------------------


def write_seed(rows: Iterable[Row], path: Path = REFERENCE_POPULATION_CSV) -> None:
    """Write rows as the seed CSV: COLUMNS, sorted by code and year, "\\n" line ends."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in sorted(rows, key=lambda r: (r["country_iso3"], r["year"])):
            writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])


def build_seed(source: Path = WORLD_BANK_CSV, seed: Path = REFERENCE_POPULATION_CSV) -> list[str]:
    """Rewrite `seed` from the World Bank file `source`; return its problems (empty: sound)."""
    rows = world_bank_rows(source)
    write_seed(rows, seed)
    return check_population(rows)


def read_seed(path: Path = REFERENCE_POPULATION_CSV) -> list[Row]:
    """The rows of a seed file, typed (integers; None where empty)."""
    def number(text: str) -> int | None:
        return int(text) if text != "" else None

    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            raise ValueError(f"{path.name}: header is {reader.fieldnames}, not {COLUMNS}")
        return [{**row, "year": int(row["year"]), "population": number(row["population"]),
                 "source_year": number(row["source_year"]),
                 "world_population": number(row["world_population"]),
                 "note": row["note"] or None} for row in reader]


def as_frame(rows: Iterable[Row]) -> pd.DataFrame:
    """Rows as the frame `copy_raw` writes into raw.ref_population (nullable integers)."""
    import pandas as pd

    frame = pd.DataFrame.from_records(list(rows), columns=COLUMNS)
    for column in ("population", "source_year", "world_population"):
        frame[column] = frame[column].astype("Int64")
    frame["year"] = frame["year"].astype("int64")
    for column in ("country_iso3", "estimate_kind", "source", "note"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def summary(rows: list[Row]) -> dict:
    """What provenance says of a population's rows: years, carried-forward and missing ones."""
    kinds = Counter(r["estimate_kind"] for r in rows)
    published = [r["source_year"] for r in rows if r["estimate_kind"] in ("published",
                                                                          "projected")]
    covered = {r["country_iso3"] for r in rows if r["population"] is not None}
    return {
        "years": f"{FIRST_YEAR}-{LAST_YEAR}",
        "latest_published_year": max(published, default=None),
        "carried_forward_years": sorted({r["year"] for r in rows
                                         if r["estimate_kind"] == "carried_forward"}),
        "rows": dict(sorted(kinds.items())),
        "countries_with_figures": len(covered),
        "not_covered": sorted(COUNTRY_CODES - covered),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundled_population(seed: Path = REFERENCE_POPULATION_CSV) -> tuple[pd.DataFrame, dict]:
    """The bundled seed as raw.ref_population's frame, and its provenance for ops.build_info."""
    rows = read_seed(seed)
    provenance = {**WORLD_BANK_PROVENANCE,
                  "file": WORLD_BANK_CSV.relative_to(REPO_ROOT).as_posix(),
                  "sha256": _sha256(WORLD_BANK_CSV) if WORLD_BANK_CSV.exists() else None,
                  "seed": seed.relative_to(REPO_ROOT).as_posix()
                  if seed.is_relative_to(REPO_ROOT) else str(seed),
                  "seed_sha256": _sha256(seed), **summary(rows)}
    return as_frame(rows), provenance


# --- checks ------------------------------------------------------------------------------------


def check_population(rows: list[Row], focus: Iterable[str] | None = None) -> list[str]:
    """Problems of a population's rows (empty when it can weigh the marts): every pycountry
    code and year once; a figure, positive, exactly where one is claimed; one world total per
    year, which the countries match within WORLD_TOLERANCE; every focus country (both phases)
    with a figure every year. dbt tests on model reference_population repeat the last three
    on every build."""
    problems: list[str] = []
    if focus is None:
        focus = {code for codes in focus_countries().values() for code in codes}
    seen = Counter((r["country_iso3"], r["year"]) for r in rows)
    problems += [f"{code} {year}: {n} rows" for (code, year), n in sorted(seen.items()) if n > 1]
    expected = {(code, year) for code in COUNTRY_CODES for year in YEARS}
    problems += [f"{code} {year}: missing" for code, year in sorted(expected - seen.keys())]
    problems += [f"{code} {year}: not a pycountry code and year {FIRST_YEAR}-{LAST_YEAR}"
                 for code, year in sorted(seen.keys() - expected)]

    totals: dict[int, int] = defaultdict(int)
    worlds: dict[int, set] = defaultdict(set)
    figures = set()
    for r in rows:
        where = f"{r['country_iso3']} {r['year']}"
        population, kind = r["population"], r["estimate_kind"]
        if kind not in ESTIMATE_KINDS:
            problems.append(f"{where}: estimate_kind {kind!r} is not one of {ESTIMATE_KINDS}")
        if (population is None) != (kind == "not_covered"):
            problems.append(f"{where}: population {population!r} with estimate_kind {kind}")
        if not r["source"]:
            problems.append(f"{where}: no source")
        if population is not None:
            if population <= 0:
                problems.append(f"{where}: population {population} is not positive")
            totals[r["year"]] += population
            figures.add((r["country_iso3"], r["year"]))
        worlds[r["year"]].add(r["world_population"])

    for year in YEARS:
        world = worlds.get(year, {None})
        if len(world) != 1 or None in world:
            problems.append(f"world {year}: no single world total ({sorted(world, key=str)})")
            continue
        (total_world,) = world
        if abs(totals[year] / total_world - 1) > WORLD_TOLERANCE:
            problems.append(f"world {year}: countries add up to {totals[year]:,}, not within "
                            f"{WORLD_TOLERANCE:.0%} of the source's world total "
                            f"{total_world:,}")
    problems += [f"{code} {year}: focus country without a figure"
                 for code in sorted(focus) for year in YEARS if (code, year) not in figures]
    return problems


# --- the UN WPP file ---------------------------------------------------------------------------


def _number(text: str | None, kind: type) -> int | float | None:
    try:
        return kind(text) if text not in (None, "") else None
    except ValueError:
        return None


def read_wpp(path: Path, sha256: str = "", name: str | None = None) -> pd.DataFrame:
    """The Medium-variant rows of a WPP "TotalPopulationBySex" CSV (plain or gzip), read as a
    stream, as the population__wpp suite sees them: `sha256` (of the file), `source_row` (its
    line), LocID, ISO3_code (None for aggregates), LocTypeName, Location, Variant, Time,
    PopTotal (thousands; None where not a number) and `location_kind` (country, world or
    aggregate). Raises PopulationRejected when it is no such file; problems name the file
    `name` (by default its own)."""
    import pandas as pd

    name = name or path.name
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    rows = []
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in WPP_REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise PopulationRejected([Problem(
                    "not_wpp_population", f"no column {', '.join(missing)}: not a WPP "
                    "TotalPopulationBySex file", origin=name)])
            for row in reader:
                if (row["Variant"] or "").strip() != WPP_VARIANT:
                    continue
                iso3 = (row["ISO3_code"] or "").strip() or None
                locid = _number(row["LocID"], int)
                rows.append({
                    "sha256": sha256, "source_row": reader.line_num, "LocID": locid,
                    "ISO3_code": iso3, "LocTypeName": row["LocTypeName"],
                    "Location": row["Location"], "Variant": WPP_VARIANT,
                    "Time": _number(row["Time"], int), "PopTotal": _number(row["PopTotal"], float),
                    "location_kind": "country" if iso3 else
                    "world" if locid == WPP_WORLD_LOCID else "aggregate",
                })
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError, csv.Error) as exc:
        raise PopulationRejected([Problem("unreadable_file", f"cannot be read as a UTF-8 CSV "
                                          f"file: {exc}", origin=name)]) from exc
    if not rows:
        raise PopulationRejected([Problem("no_medium_variant", f"no row of the {WPP_VARIANT} "
                                          "variant", origin=name)])
    frame = pd.DataFrame.from_records(rows)
    return frame.astype({"LocID": "Int64", "Time": "Int64", "PopTotal": "float64"})


def wpp_revision(name: str) -> int | None:
    """The WPP revision a file name says (WPP2024_TotalPopulationBySex.csv.gz: 2024)."""
    found = re.search(r"WPP[ _-]?((?:19|20)\d\d)", name, re.IGNORECASE)
    return int(found.group(1)) if found else None


def wpp_source(revision: int | None) -> str:
    return f"UN WPP {revision}, {WPP_VARIANT} variant" if revision else \
        f"UN WPP, {WPP_VARIANT} variant"


def wpp_rows(frame: pd.DataFrame, revision: int | None) -> tuple[list[Row], list[str]]:
    """Rows from a gated WPP frame, and the ISO3 codes it has that are not pycountry's."""
    import pandas as pd

    years = frame[frame.Time.between(FIRST_YEAR, LAST_YEAR)]
    countries = years[years.location_kind == "country"]
    figures = {(code, int(year)): round(total * 1000) for code, year, total in
               zip(countries.ISO3_code, countries.Time, countries.PopTotal, strict=True)
               if code in COUNTRY_CODES and pd.notna(total)}
    world_rows = years[(years.location_kind == "world") & years.PopTotal.notna()]
    world = {int(y): round(t * 1000) for y, t in zip(world_rows.Time, world_rows.PopTotal,
                                                     strict=True)}
    dropped = sorted(set(countries.ISO3_code) - COUNTRY_CODES)
    rows = build_rows(figures, world, wpp_source(revision),
                      projected_from=revision, source_name=f"WPP {revision or ''}".strip())
    return rows, dropped


def load_population(path: Path, archive: Path, gate: Gate) -> tuple[pd.DataFrame, dict]:
    """An official UN WPP "TotalPopulationBySex" CSV as raw.ref_population's frame, and its
    provenance for ops.build_info.

    The file is archived byte for byte first (`archive/population/<sha256[:2]>/...`), then
    read from the archive as a stream; `gate` (a SourceGate on the `population` suites, unit
    GATE_UNIT, index GATE_INDEX) validates its Medium-variant rows with population__wpp.
    Raises PopulationRejected with every problem when the gate blocks it or the rows fail
    `check_population` (the world check above all): never a silent fallback.
    """
    data = path.read_bytes()
    suffix = ".csv.gz" if data[:2] == b"\x1f\x8b" else ".csv"
    landed = archive_bytes(archive, ARCHIVE_SOURCE, data, path.name, suffix)
    del data
    frame = read_wpp(Path(landed.archive_path), landed.sha256, path.name)
    blocked = gate({WPP_SUITE_TABLE: frame})
    problems = [p for found in blocked.values() for p in found]
    if problems:
        raise PopulationRejected(problems)
    revision = wpp_revision(path.name)
    rows, dropped = wpp_rows(frame, revision)
    found = check_population(rows)
    if found:
        raise PopulationRejected([Problem("population_check_failed", p, origin=path.name)
                                  for p in found])
    provenance = {
        "source": wpp_source(revision), "publisher": WPP_PUBLISHER,
        "dataset": "World Population Prospects, TotalPopulationBySex (PopTotal, thousands, "
                   f"x 1000), {WPP_VARIANT} variant",
        "version": f"WPP {revision}" if revision else "WPP (revision not in the file name)",
        "url": WPP_URL, "file": path.name, "sha256": landed.sha256,
        "size_bytes": landed.size_bytes, "archive_path": stored(landed.archive_path),
        "received_at": landed.received_at, "projected_from": revision,
        "dropped_codes": dropped, **summary(rows),
    }
    return as_frame(rows), provenance


# --- command line ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.population",
                                     description="Build or check the reference population seed.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="rewrite the seed from the World Bank file")
    build.add_argument("source", nargs="?", type=Path, default=WORLD_BANK_CSV)
    build.add_argument("--seed", type=Path, default=REFERENCE_POPULATION_CSV)
    check = commands.add_parser("check", help="check the seed")
    check.add_argument("--seed", type=Path, default=REFERENCE_POPULATION_CSV)
    args = parser.parse_args(argv)
    if args.command == "build":
        problems = build_seed(args.source, args.seed)
    else:
        problems = check_population(read_seed(args.seed))
    print("\n".join(problems) or f"{args.seed}: OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
