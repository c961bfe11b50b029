"""Reference seeds: the ILO region of every country and the Flagship Programme's focus countries.

Both files live in dbt_project/seeds/ and are committed; nothing here reaches the network.

country_regions.csv (country_iso3, ilo_region): one row per entry of `pycountry.countries`, with
its ILO (ILOSTAT) region. It was built by `build_country_regions` from the UN M49 sub-region of
each code, read from the `UNregion` column of country_data.tsv in the country_converter package
(installed in a scratch venv only: the project does not depend on it at run time). To rebuild:

    python -m ingest.reference /path/to/country_converter/country_data.tsv

The M49 sub-regions map onto the five ILO regions as in `_BY_M49`; Western Asia is split into the
Arab States and the non-Arab countries that ILO counts in Europe and Central Asia. The territories
with no ILO data of their own are pinned in `_UNINHABITED` (mostly their M49 sub-region).

focus_countries.csv (country_iso3, phase): phase 1 is the 21 focus countries of the first phase
(2016-2020); phase 2 is Table 3 of the second-phase programme document (2021-2025), "List of
countries and territories pre-identified for in-country support" (../shared/seeds/003_*.txt):
26 Africa, 5 Americas, 4 Arab States, 10 Asia, 5 Europe and Central Asia. It is written from
the constants below by the same command, with or without the M49 file.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pycountry

from ingest.codes import ILO_REGIONS
from ingest.paths import SEEDS_DIR

REGIONS_CSV = SEEDS_DIR / "country_regions.csv"
FOCUS_CSV = SEEDS_DIR / "focus_countries.csv"

COUNTRY_CODES = frozenset(c.alpha_3 for c in pycountry.countries)

PHASE1_FOCUS = tuple(sorted((
    "CPV", "KHM", "CMR", "SLV", "HND", "IND", "IDN", "KGZ", "LAO", "MWI", "MOZ",
    "MMR", "NER", "PSE", "PAK", "PRY", "SEN", "TLS", "TGO", "VNM", "ZMB",
)))
PHASE2_FOCUS = tuple(sorted((
    # Africa (26)
    "AGO", "BDI", "BFA", "CIV", "CMR", "COD", "CPV", "EGY", "ETH", "GHA", "KEN", "MAR", "MDG",
    "MOZ", "MWI", "NGA", "RWA", "SDN", "SEN", "SLE", "SWZ", "TGO", "TZA", "UGA", "ZAF", "ZMB",
    # Americas (5), Arab States (4)
    "BRB", "ECU", "PRY", "SLV", "SUR", "IRQ", "JOR", "LBN", "PSE",
    # Asia (10), Europe and Central Asia (5)
    "IDN", "IND", "KHM", "LAO", "NPL", "PAK", "PHL", "TLS", "VNM", "WSM",
    "ALB", "KGZ", "TJK", "UKR", "UZB",
)))

ARAB_STATES = frozenset(
    {"BHR", "IRQ", "JOR", "KWT", "LBN", "OMN", "PSE", "QAT", "SAU", "SYR", "ARE", "YEM"}
)
# Western Asian countries that ILO counts in Europe and Central Asia.
_ECA_WESTERN_ASIA = frozenset({"ARM", "AZE", "CYP", "GEO", "ISR", "TUR"})

_BY_M49 = {
    **dict.fromkeys(("Northern Africa", "Eastern Africa", "Middle Africa", "Southern Africa",
                     "Western Africa"), "Africa"),
    **dict.fromkeys(("Caribbean", "Central America", "Northern America", "South America"),
                    "Americas"),
    **dict.fromkeys(("Eastern Europe", "Northern Europe", "Southern Europe", "Western Europe",
                     "Central Asia"), "Europe and Central Asia"),
    **dict.fromkeys(("Eastern Asia", "South-eastern Asia", "Southern Asia",
                     "Australia and New Zealand", "Melanesia", "Micronesia", "Polynesia"),
                    "Asia and the Pacific"),
}

# Territories without a population or ILO figures of their own, pinned here:
#   ATA Antarctica: no M49 sub-region; Asia and the Pacific, as the largest claim (Australia's)
#       and its neighbour HMD are there.
#   BVT Bouvet Island, SGS South Georgia: M49 South America -> Americas.
#   HMD Heard and McDonald Islands: M49 Australia and New Zealand -> Asia and the Pacific.
#   ATF French Southern Territories, IOT British Indian Ocean Territory: M49 Eastern Africa
#       -> Africa.
#   UMI US Minor Outlying Islands: M49 Micronesia -> Asia and the Pacific.
_UNINHABITED = {
    "ATA": "Asia and the Pacific", "BVT": "Americas", "SGS": "Americas",
    "HMD": "Asia and the Pacific", "ATF": "Africa", "IOT": "Africa",
    "UMI": "Asia and the Pacific",
}


def build_country_regions(m49_subregion: Mapping[str, str]) -> dict[str, str]:
    """ILO region of every pycountry ISO3, from a map ISO3 -> UN M49 sub-region name."""
    regions = {}
    for code in sorted(c.alpha_3 for c in pycountry.countries):
        if code in _UNINHABITED:
            regions[code] = _UNINHABITED[code]
        elif code in ARAB_STATES:
            regions[code] = "Arab States"
        elif code in _ECA_WESTERN_ASIA:
            regions[code] = "Europe and Central Asia"
        else:
            regions[code] = _BY_M49[m49_subregion[code]]
    return regions


# Names as the ILO writes them where the ISO short name's inverted form reads badly.
ILO_NAMES = {
    "PSE": "Occupied Palestinian Territory",
    "BOL": "Bolivia (Plurinational State of)",
    "VEN": "Venezuela (Bolivarian Republic of)",
    "IRN": "Iran (Islamic Republic of)",
    "FSM": "Micronesia (Federated States of)",
    "TWN": "Taiwan, China",
    "VGB": "British Virgin Islands",
    "VIR": "United States Virgin Islands",
}


def country_name(country) -> str:
    """The ISO short name in reading order, as UN bodies print it ('Republic of Korea')."""
    if country.alpha_3 in ILO_NAMES:
        return ILO_NAMES[country.alpha_3]
    name = country.name
    if ", " in name:
        head, tail = name.split(", ", 1)
        if tail.endswith((" of", " of the")):
            name = f"{tail.removeprefix('The ')} {head}"
    return name


def countries() -> list[dict[str, object]]:
    """Every ISO 3166-1 country from pycountry: code, name, official name, number."""
    return [{
        "country_iso3": c.alpha_3,
        "country_name": country_name(c),
        "official_name": getattr(c, "official_name", None) or c.name,
        "iso_numeric": c.numeric,
    } for c in sorted(pycountry.countries, key=lambda c: c.alpha_3)]


def _read(path: Path, header: list[str]) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != header:
        raise ValueError(f"{path.name}: header is not {','.join(header)}")
    return rows[1:]


def _write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([tuple(header), *rows])


def country_regions() -> dict[str, str]:
    """ISO3 -> ILO region, from the committed seed."""
    return dict(_read(REGIONS_CSV, ["country_iso3", "ilo_region"]))


def focus_countries() -> dict[int, tuple[str, ...]]:
    """Phase (1 or 2) -> sorted ISO3 codes, from the committed seed."""
    phases: dict[int, list[str]] = {}
    for code, phase in _read(FOCUS_CSV, ["country_iso3", "phase"]):
        phases.setdefault(int(phase), []).append(code)
    return {phase: tuple(sorted(codes)) for phase, codes in phases.items()}


def write_seeds(m49_tsv: Path | None = None) -> None:
    """Write focus_countries.csv, and country_regions.csv too when given country_data.tsv."""
    rows = [(c, "1") for c in PHASE1_FOCUS] + [(c, "2") for c in PHASE2_FOCUS]
    _write(FOCUS_CSV, ["country_iso3", "phase"], rows)
    if m49_tsv is not None:
        with m49_tsv.open(newline="", encoding="utf-8") as f:
            m49 = {r["ISO3"]: r["UNregion"] for r in csv.DictReader(f, delimiter="\t")}
        _write(REGIONS_CSV, ["country_iso3", "ilo_region"],
               sorted(build_country_regions(m49).items()))


def check_seeds() -> list[str]:
    """Problems in the committed seeds; empty when they are sound."""
    problems: list[str] = []
    iso3 = {c.alpha_3 for c in pycountry.countries}
    try:
        rows = _read(REGIONS_CSV, ["country_iso3", "ilo_region"])
        focus = focus_countries()
    except (OSError, ValueError) as exc:
        return [str(exc)]
    seen = Counter(code for code, _ in rows)
    problems += [f"country_regions: {c} appears {n} times" for c, n in seen.items() if n > 1]
    problems += [f"country_regions: {c} is missing" for c in sorted(iso3 - seen.keys())]
    problems += [f"country_regions: {c} is not an ISO3 code" for c in sorted(seen.keys() - iso3)]
    problems += [f"country_regions: {c} has unknown region {r!r}"
                 for c, r in rows if r not in ILO_REGIONS]
    expected = {1: (PHASE1_FOCUS, 21), 2: (PHASE2_FOCUS, 50)}
    if set(focus) != set(expected):
        problems.append(f"focus_countries: phases are {sorted(focus)}, not [1, 2]")
    for phase, (codes, count) in expected.items():
        if len(set(codes)) != count:
            problems.append(f"phase {phase}: {len(set(codes))} countries, not {count}")
        problems += [f"phase {phase}: {c} is not an ISO3 code" for c in codes if c not in iso3]
        if focus.get(phase) != codes:
            problems.append(f"focus_countries: phase {phase} differs from PHASE{phase}_FOCUS")
    return problems


if __name__ == "__main__":
    write_seeds(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    found = check_seeds()
    print("\n".join(found) or "seeds OK")
    sys.exit(1 if found else 0)
