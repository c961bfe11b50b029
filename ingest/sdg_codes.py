"""The SDG codes SDG 1.3.1 is sent to the UN Statistics Division in: two committed seeds.

m49_countries.csv (country_iso3, m49, area_name): one row per entry of `pycountry.countries`.
`m49` is the country's ISO 3166-1 numeric code, which ISO takes from the UN M49 standard (for
countries and areas the two are the same number), as pycountry ships it, in M49's three
digits. `area_name` is the country's name in the code list CL_AREA (version 1.4) of the SDG
data structure of IAEG-SDGs, as published in the SDMX Global Registry (structure message
prepared 2021-06-24), where it has one; else the ISO short name. CL_AREA writes its codes
without leading zeros (Afghanistan `4`, not `004`): so does `spf export --format sdmx`.

sdg131_sdmx_series.csv (series, sdmx_series, sdmx_series_name): the SDG series code of each
ILOSTAT series of SDG 1.3.1 (../shared/specs/sdg-exchange.md, from the UN SDG metadata
1-3-1a), with the series' name in CL_SERIES (version 1.4) of the same structure.

Nothing here reaches the network. To rebuild m49_countries.csv from a copy of the SDG
structure (SDMX-ML 2.1, e.g. SDG_DSD.xml as UNSD publishes it):

    python -m ingest.sdg_codes /path/to/SDG_DSD.xml
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pycountry

from ingest.paths import SEEDS_DIR

M49_CSV = SEEDS_DIR / "m49_countries.csv"
M49_HEADER = ["country_iso3", "m49", "area_name"]
SDMX_NS = {"str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
           "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"}


def area_names(structure: Path) -> dict[str, str]:
    """M49 code (three digits) -> name, from the code list CL_AREA of an SDMX-ML 2.1 file."""
    from lxml import etree  # pysdmx's own XML parser (pysdmx[xml])

    tree = etree.parse(str(structure))
    codelist = tree.find(".//str:Codelist[@id='CL_AREA']", SDMX_NS)
    if codelist is None:
        raise ValueError(f"{structure.name}: no code list CL_AREA")
    return {code.get("id").zfill(3): code.findtext("com:Name", namespaces=SDMX_NS)
            for code in codelist.findall("str:Code", SDMX_NS) if code.get("id").isdigit()}


def m49_rows(names: dict[str, str]) -> list[tuple[str, str, str]]:
    """(ISO3, M49, name) for every pycountry country, sorted by ISO3."""
    return [(c.alpha_3, c.numeric, names.get(c.numeric) or c.name)
            for c in sorted(pycountry.countries, key=lambda c: c.alpha_3)]


def m49_codes() -> dict[str, str]:
    """ISO3 -> M49 code (three digits), from the committed seed."""
    with M49_CSV.open(newline="", encoding="utf-8") as handle:
        return {row["country_iso3"]: row["m49"] for row in csv.DictReader(handle)}


if __name__ == "__main__":
    rows = m49_rows(area_names(Path(sys.argv[1])))
    with M49_CSV.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([M49_HEADER, *rows])
    print(f"{M49_CSV}: {len(rows)} countries")
