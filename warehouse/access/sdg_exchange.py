"""SDG 1.3.1 as the custodian sends it to the UN SDG Global Database: SDMX files.

The contract is ../shared/specs/sdg-exchange.md. `write` makes three files from
`marts.coverage_sdg131`, one observation per country, year, series and sex with a figure:

- `SDG_1_3_1.xml`: an SDMX-ML 2.1 structure-specific data message (every dimension on the
  observation, `AllDimensions`), for dataflow DF_SDG_GLH of agency IAEG-SDGs;
- `SDG_1_3_1.csv`: the same observations in SDMX-CSV 2.0;
- `SDG_DSD_1_3_1.xml`: the structure they use (data structure SDG_DSD, the dataflow, the
  concepts, and the code lists cut to the codes used), so that a receiver, or a test, checks
  the data without a network.

Structure facts (component order, code list ids, versions and labels, which attributes are
mandatory) are those of the SDG data structure of IAEG-SDGs, version 1.4, as the SDMX Global
Registry published it (structure message of 2021-06-24). Two differences with the contract's
table, both from that structure: REF_AREA is written as CL_AREA writes M49 codes, without
leading zeros (Afghanistan `4`; Ghana `288`), and OBS_STATUS, mandatory there, is sent
(`A` normal value; `U` low reliability for a figure ILOSTAT marks unreliable).

pysdmx (the BIS's SDMX library) writes the three files from one model; tests read them back
with sdmx1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest import codes, sdg_codes

DATA_XML = "SDG_1_3_1.xml"
DATA_CSV = "SDG_1_3_1.csv"
STRUCTURE_XML = "SDG_DSD_1_3_1.xml"

AGENCY = "IAEG-SDGs"
DSD_ID, DSD_VERSION = "SDG_DSD", "1.4"
DATAFLOW_ID, DATAFLOW_VERSION = "DF_SDG_GLH", "1.0"
CONCEPTS_ID, CONCEPTS_VERSION = "SDG_CONCEPTS", "1.0"
SENDER = ("ILO", "International Labour Organization")
RECEIVER = ("UNSD", "United Nations Statistics Division")

# Dimension -> (agency, code list, version, code list name), in the structure's order.
DIMENSIONS = {
    "FREQ": ("SDMX", "CL_FREQ", "2.0", "Frequency"),
    "REPORTING_TYPE": (AGENCY, "CL_REPORTING_TYPE", "1.0", "Reporting type code list"),
    "SERIES": (AGENCY, "CL_SERIES", "1.4", "SDG Series Code List"),
    "REF_AREA": (AGENCY, "CL_AREA", "1.4", "SDG reference area code list"),
    "SEX": (AGENCY, "CL_SEX", "1.1", "Sex code list"),
    "AGE": (AGENCY, "CL_AGE", "1.1", "SDG age group code list"),
    "URBANISATION": (AGENCY, "CL_URBANISATION", "1.0", "Degree of urbanisation code list"),
    "INCOME_WEALTH_QUANTILE": (AGENCY, "CL_QUANTILE", "1.1",
                               "Income/wealth quantile code list"),
    "EDUCATION_LEV": (AGENCY, "CL_EDUCATION_LEV", "1.0", "SDG Education Level code list"),
    "OCCUPATION": (AGENCY, "CL_OCCUPATION", "1.1", "SDG Occupation code list"),
    "CUST_BREAKDOWN": (AGENCY, "CL_CUST_BREAKDOWN", "1.4", "SDG custom breakdown code list"),
    "COMPOSITE_BREAKDOWN": (AGENCY, "CL_COMP_BREAKDOWN", "1.4",
                            "SDG composite breakdown code list"),
    "DISABILITY_STATUS": (AGENCY, "CL_DISABILITY", "1.0", "Disability status code list"),
    "ACTIVITY": (AGENCY, "CL_ACTIVITY", "1.4", "Economic activity code list"),
    "PRODUCT": (AGENCY, "CL_PRODUCT", "1.0", "SDG Type of product code list"),
}
# Attribute -> (required, attached to the series (else the observation), code list or None).
ATTRIBUTES = {
    "OBS_STATUS": (True, False, ("SDMX", "CL_OBS_STATUS", "2.1", "Observation Status")),
    "UNIT_MULT": (True, False, ("SDMX", "CL_UNIT_MULT", "1.1", "Unit Multiplier")),
    "UNIT_MEASURE": (True, True, (AGENCY, "CL_UNIT_MEASURE", "1.3",
                                  "SDG Unit of Measure code list")),
    "NATURE": (False, False, (AGENCY, "CL_NATURE", "1.0", "Nature code list")),
    "TIME_DETAIL": (False, False, None),
    "COMMENT_OBS": (False, False, None),
    "SOURCE_DETAIL": (False, False, None),
}
CONCEPT_NAMES = {
    "FREQ": "Frequency of observation", "REPORTING_TYPE": "Reporting type",
    "SERIES": "SDG Series", "REF_AREA": "Reference area", "SEX": "Sex", "AGE": "Age",
    "URBANISATION": "Degree of urbanisation",
    "INCOME_WEALTH_QUANTILE": "Income or wealth quantile", "EDUCATION_LEV": "Education level",
    "OCCUPATION": "Occupation", "CUST_BREAKDOWN": "Custom Breakdown",
    "COMPOSITE_BREAKDOWN": "Composite breakdown", "DISABILITY_STATUS": "Disability status",
    "ACTIVITY": "Economic activity", "PRODUCT": "Type of product",
    "TIME_PERIOD": "Time period", "OBS_VALUE": "Observation value",
    "OBS_STATUS": "Observation status", "UNIT_MULT": "Unit multiplier",
    "UNIT_MEASURE": "Unit of measure", "NATURE": "Nature of data points",
    "TIME_DETAIL": "Time period details", "COMMENT_OBS": "Observation-level footnotes",
    "SOURCE_DETAIL": "Source details",
}
# The labels of the fixed codes, by code list (SERIES and REF_AREA come from their seeds).
CODE_NAMES = {
    "CL_FREQ": {"A": "Annual"},
    "CL_REPORTING_TYPE": {"G": "Global"},
    "CL_SEX": {"_T": "Both sexes or no breakdown by sex", "F": "Female", "M": "Male"},
    "CL_AGE": {"_T": "All age ranges or no breakdown by age"},
    "CL_URBANISATION": {"_T": "Total"},
    "CL_QUANTILE": {"_T": "Total (national average) or no breakdown"},
    "CL_EDUCATION_LEV": {"_T": "Total or no breakdown by education level"},
    "CL_OCCUPATION": {"_T": "All occupations or no breakdown by Occupation"},
    "CL_CUST_BREAKDOWN": {"_T": "No breakdown"},
    "CL_COMP_BREAKDOWN": {"_T": "No breakdown"},
    "CL_DISABILITY": {"_T": "No breakdown"},
    "CL_ACTIVITY": {"_T": "No breakdown"},
    "CL_PRODUCT": {"_T": "No breakdown"},
    "CL_OBS_STATUS": {"A": "Normal value", "U": "Low reliability"},
    "CL_UNIT_MULT": {"0": "Units"},
    "CL_UNIT_MEASURE": {"PT": "Percent"},
    "CL_NATURE": {"C": "Country Data"},
}
SEX = {"SEX_T": "_T", "SEX_F": "F", "SEX_M": "M"}
# The same value on every observation (the contract's table).
FIXED = {"FREQ": "A", "REPORTING_TYPE": "G",
         **dict.fromkeys(list(DIMENSIONS)[5:], "_T"),
         "UNIT_MEASURE": "PT", "UNIT_MULT": "0", "NATURE": "C"}
SOURCE_DETAIL = "ILO Social Security Inquiry, submission {}"
COLUMNS = [*DIMENSIONS, "TIME_PERIOD", "OBS_VALUE", *ATTRIBUTES]


class MappingError(ValueError):
    """A figure of the mart has a code the SDG structure cannot carry; says which seed to fix."""


@dataclass(frozen=True)
class Message:
    """The observations (one dict per observation, COLUMNS as keys) and the header facts."""

    observations: list[dict[str, str | float | None]]
    message_id: str
    prepared: dt.datetime


def observations(con: duckdb.DuckDBPyConnection) -> Message:
    """The SDMX observations of `marts.coverage_sdg131` (figures with a value only)."""
    series = dict(zip(codes.seed_column("sdg131_sdmx_series", "series"),
                      codes.seed_column("sdg131_sdmx_series", "sdmx_series"), strict=True))
    m49 = sdg_codes.m49_codes()
    flags = codes.quality_flags("coverage_sdg131")
    order = {code: i for i, code in enumerate(codes.SERIES)}
    rows = con.execute("""
        select country_iso3, year, series, sex, round(coverage_pct, 1), submission_id,
            quality_flag
        from marts.coverage_sdg131
        where coverage_pct is not null
    """).fetchall()
    rows.sort(key=lambda r: (r[0], order.get(r[2], len(order)), r[2],
                             list(SEX).index(r[3]) if r[3] in SEX else 9, r[3], r[1]))
    found = []
    for iso3, year, code, sex, value, submission, flag in rows:
        if code not in series:
            raise MappingError(f"series {code} has no SDG series code: add it to the seed "
                               "dbt_project/seeds/sdg131_sdmx_series.csv")
        if iso3 not in m49:
            raise MappingError(f"country {iso3} has no M49 code: add it to the seed "
                               "dbt_project/seeds/m49_countries.csv")
        if sex not in SEX:
            raise MappingError(f"sex {sex} is not one of {', '.join(SEX)}")
        if flag is not None and flag not in flags:
            raise MappingError(f"quality_flag {flag} is not described: add it to the seed "
                               "dbt_project/seeds/quality_flags.csv")
        quality = flags[flag] if flag is not None else None
        found.append({**FIXED, "SERIES": series[code], "REF_AREA": str(int(m49[iso3])),
                      "SEX": SEX[sex], "TIME_PERIOD": str(year), "OBS_VALUE": float(value),
                      "OBS_STATUS": "U" if quality and quality.ilostat_obs_status == "U"
                      else "A",
                      "TIME_DETAIL": str(year),
                      "COMMENT_OBS": quality.words if quality else None,
                      "SOURCE_DETAIL": SOURCE_DETAIL.format(submission)})
    publication, prepared = _publication(con)
    return Message([{c: o.get(c) for c in COLUMNS} for o in found],
                   f"SDG_1_3_1_{publication}", prepared)


def _publication(con: duckdb.DuckDBPyConnection) -> tuple[str, dt.datetime]:
    """The publication the files come from and when it was made (the message's id and
    prepared time: the same warehouse gives the same files)."""
    tables = {r[0] for r in con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_catalog = current_database()").fetchall()}
    if "ops.publications" in tables:
        row = con.execute("select publication_id, published_at from ops.publications "
                          "order by sequence desc limit 1").fetchall()
        if row:
            return row[0][0], row[0][1].astimezone(dt.UTC).replace(microsecond=0)
    if "ops.build_info" in tables:
        row = con.execute("select value from ops.build_info where key = 'built_at'").fetchall()
        if row:
            built = dt.datetime.fromisoformat(row[0][0]).astimezone(dt.UTC)
            return f"build{built:%Y%m%dT%H%M%SZ}", built
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return f"export{now:%Y%m%dT%H%M%SZ}", now


# --- the structure ------------------------------------------------------------------------

def _urn(kind: str, agency: str, ident: str, version: str) -> str:
    package = {"Codelist": "codelist", "ConceptScheme": "conceptscheme"}[kind]
    return f"urn:sdmx:org.sdmx.infomodel.{package}.{kind}={agency}:{ident}({version})"


def structures(message: Message) -> tuple[list, object]:
    """The artefacts of SDG_DSD_1_3_1.xml (code lists of the codes used, concepts, data
    structure, dataflow) and the dataflow's pysdmx Schema that the data files use."""
    from pysdmx.model import (
        Code,
        Codelist,
        Component,
        Components,
        Concept,
        ConceptScheme,
        Dataflow,
        DataStructureDefinition,
        DataType,
        Role,
        Schema,
    )

    names = {cl: dict(labels) for cl, labels in CODE_NAMES.items()}
    names["CL_SERIES"] = dict(zip(codes.seed_column("sdg131_sdmx_series", "sdmx_series"),
                                  codes.seed_column("sdg131_sdmx_series", "sdmx_series_name"),
                                  strict=True))
    names["CL_AREA"] = {str(int(m49)): name for m49, name in zip(
        codes.seed_column("m49_countries", "m49"),
        codes.seed_column("m49_countries", "area_name"), strict=True)}

    concept_urn = _urn("ConceptScheme", AGENCY, CONCEPTS_ID, CONCEPTS_VERSION).replace(
        "ConceptScheme=", "Concept=")
    concepts = ConceptScheme(
        id=CONCEPTS_ID, agency=AGENCY, version=CONCEPTS_VERSION, name="SDG Concept Scheme",
        is_partial=True, items=[Concept(id=c, name=n, urn=f"{concept_urn}.{c}")
                                for c, n in CONCEPT_NAMES.items()])
    concept = {c.id: c for c in concepts.items}
    lists: dict[str, Codelist] = {}

    def codelist(component: str, spec: tuple[str, str, str, str]) -> Codelist:
        agency, ident, version, title = spec
        used = sorted({str(o[component]) for o in message.observations},
                      key=lambda code: list(names[ident]).index(code)
                      if code in names[ident] else len(names[ident]))
        unknown = [code for code in used if code not in names[ident]]
        if unknown:
            raise MappingError(f"{component} {', '.join(unknown)} is not in {ident}")
        lists[ident] = Codelist(
            id=ident, agency=agency, version=version, name=title, is_partial=True,
            urn=_urn("Codelist", agency, ident, version),
            items=[Code(id=code, name=names[ident][code]) for code in used])
        return lists[ident]

    series_key = ",".join(DIMENSIONS)
    components = [Component(id=d, required=True, role=Role.DIMENSION, concept=concept[d],
                            local_dtype=DataType.STRING, local_codes=codelist(d, spec))
                  for d, spec in DIMENSIONS.items()]
    components.append(Component(id="TIME_PERIOD", required=True, role=Role.DIMENSION,
                                concept=concept["TIME_PERIOD"], local_dtype=DataType.PERIOD))
    components.append(Component(id="OBS_VALUE", required=True, role=Role.MEASURE,
                                concept=concept["OBS_VALUE"], local_dtype=DataType.DOUBLE))
    for attribute, (required, on_series, spec) in ATTRIBUTES.items():
        components.append(Component(
            id=attribute, required=required, role=Role.ATTRIBUTE, concept=concept[attribute],
            local_dtype=DataType.STRING, attachment_level=series_key if on_series else "O",
            local_codes=codelist(attribute, spec) if spec else None))
    parts = Components(components)
    dsd = DataStructureDefinition(
        id=DSD_ID, agency=AGENCY, version=DSD_VERSION, name="SDG DSD",
        description="Data Structure Definition for Sustainable Development Goals Indicators "
                    "(the components and codes SDG 1.3.1 uses)",
        components=parts)
    flow = Dataflow(id=DATAFLOW_ID, agency=AGENCY, version=DATAFLOW_VERSION,
                    name="SDG global data reported by custodian agencies",
                    structure=dsd.short_urn)
    schema = Schema(context="dataflow", agency=AGENCY, id=DATAFLOW_ID,
                    version=DATAFLOW_VERSION, components=parts)
    return [*lists.values(), concepts, dsd, flow], schema


def write(message: Message, targets: dict[str, Path]) -> None:
    """Write the files of `message`: `targets` maps each file name (DATA_XML, DATA_CSV,
    STRUCTURE_XML) to the path to write it at."""
    import pandas as pd
    from pysdmx.io import write_sdmx
    from pysdmx.io.format import Format
    from pysdmx.io.pd import PandasDataset
    from pysdmx.model import Organisation
    from pysdmx.model.message import Header

    artefacts, schema = structures(message)

    def header(suffix: str) -> Header:
        return Header(id=f"{message.message_id}_{suffix}", prepared=message.prepared,
                      sender=Organisation(id=SENDER[0], name=SENDER[1]),
                      receiver=[Organisation(id=RECEIVER[0], name=RECEIVER[1])])

    write_sdmx(artefacts, Format.STRUCTURE_SDMX_ML_2_1,
               output_path=str(targets[STRUCTURE_XML]), header=header("DSD"))
    frame = pd.DataFrame(message.observations, columns=COLUMNS)
    dataset = PandasDataset(structure=schema, data=frame)
    write_sdmx([dataset], Format.DATA_SDMX_ML_2_1_STR, output_path=str(targets[DATA_XML]),
               header=header("DATA"), dimension_at_observation="AllDimensions")
    write_sdmx([dataset], Format.DATA_SDMX_CSV_2_0_0, output_path=str(targets[DATA_CSV]))
