"""The raw layer: the pipeline's private DuckDB state, one table per parsed sheet or object.

SSI tables hold every accepted submission (every revision), each row carrying its
submission id, its file's sha256 and the spreadsheet row it came from; `ssi_files`
records every landed workbook and what became of it. RMT tables hold every version of
every intervention, each row carrying its version (id, updated_at), fetch and page
sha256; `rmt_fetches` and `rmt_pages` record every fetch and page body. Nothing here is
shown to analysts directly; each build copies what the marts need (without personal data).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from ingest.paths import PRIVATE_DIR, PRIVATE_FILE

SSI_DDL = """
create schema if not exists raw;
create table if not exists raw.ssi_files (
    sha256 varchar not null,
    original_name varchar not null,
    size_bytes bigint,
    received_at timestamptz,
    archive_path varchar,
    status varchar not null,          -- loaded | duplicate | rejected
    reason_code varchar,
    reason_message varchar,
    problems json,                    -- every problem found: code, sheet, cell, value, message
    submission_id varchar,
    country_iso3 varchar,
    reference_year integer,
    revision integer,
    run_id varchar,
    processed_at timestamptz default current_timestamp,
    primary key (sha256, original_name)
);
create table if not exists raw.ssi_submissions (
    submission_id varchar primary key,
    sha256 varchar not null,
    country_iso3 varchar not null,
    reference_year integer not null,
    revision integer not null,
    language varchar,
    country_name varchar,
    submission_date date,
    institution varchar,
    contact_email varchar,            -- personal data: stays in the raw layer
    currency varchar,
    sheets varchar[],                 -- codes of the sheets present (some are optional)
    run_id varchar,
    loaded_at timestamptz default current_timestamp
);
create table if not exists raw.ssi_cover (
    submission_id varchar not null, sha256 varchar not null,
    cell varchar, key varchar, label varchar, value varchar
);
create table if not exists raw.ssi_context (
    submission_id varchar not null, sha256 varchar not null, source_row integer,
    item varchar, total double, women double, men double, extra json
);
create table if not exists raw.ssi_schemes (
    submission_id varchar not null, sha256 varchar not null, source_row integer,
    scheme_id varchar, scheme_name varchar, scheme_type varchar, institution varchar,
    legal_basis varchar, start_year integer, extra json
);
create table if not exists raw.ssi_contributors (
    submission_id varchar not null, sha256 varchar not null, source_row integer,
    scheme_id varchar, function varchar, total bigint, women bigint, men bigint, extra json
);
create table if not exists raw.ssi_beneficiaries (
    submission_id varchar not null, sha256 varchar not null, source_row integer,
    scheme_id varchar, function varchar, benefit_form varchar,
    total bigint, women bigint, men bigint, extra json
);
create table if not exists raw.ssi_expenditure (
    submission_id varchar not null, sha256 varchar not null, source_row integer,
    scheme_id varchar, function varchar,
    benefits_cash double, benefits_kind double, admin double, extra json
);
"""

RMT_DDL = """
create schema if not exists raw;
create table if not exists raw.rmt_fetches (
    fetch_id varchar primary key,
    route varchar not null,            -- api | export
    origin varchar not null,           -- API base URL, or export folder under the landing area
    updated_since varchar,             -- what the API was asked for (the high-water mark then)
    content_sha256 varchar,            -- of an export folder's (name, sha256) list
    status varchar not null,           -- loaded | rejected | quarantined | failed
    reason_code varchar,
    reason_message varchar,
    problems json,
    pages integer,
    items integer,                     -- intervention versions in the pages
    new_versions integer,              -- of which not loaded before
    high_water_mark timestamptz,       -- latest updated_at in the pages
    run_id varchar,
    processed_at timestamptz
);
create table if not exists raw.rmt_pages (
    sha256 varchar not null, original_name varchar not null, fetch_id varchar not null,
    page integer, url varchar, size_bytes bigint, received_at timestamptz,
    archive_path varchar, status varchar not null
);
create table if not exists raw.rmt_interventions (
    intervention_id varchar not null, updated_at timestamptz not null,
    fetch_id varchar not null, page_sha256 varchar not null, version_sha256 varchar not null,
    deleted boolean not null, title varchar, country_iso3 varchar, level varchar,
    flagship boolean, thematic_areas varchar[], start_date date, end_date date,
    document json                      -- the item exactly as sent, fields unknown to us included
);
create table if not exists raw.rmt_funding (
    intervention_id varchar not null, updated_at timestamptz not null,
    fetch_id varchar not null, page_sha256 varchar not null,
    position integer, partner varchar, year integer, amount_usd double
);
create table if not exists raw.rmt_institutional_changes (
    intervention_id varchar not null, updated_at timestamptz not null,
    fetch_id varchar not null, page_sha256 varchar not null,
    change_id varchar, step integer, title varchar, status varchar, achieved_on date,
    branches varchar[], partners varchar[]
);
create table if not exists raw.rmt_outcomes (
    intervention_id varchar not null, updated_at timestamptz not null,
    fetch_id varchar not null, page_sha256 varchar not null,
    outcome_id varchar, outcome_type varchar, branch varchar,
    expected_persons bigint, expected_date date
);
create table if not exists raw.rmt_impact_snapshots (
    intervention_id varchar not null, updated_at timestamptz not null,
    fetch_id varchar not null, page_sha256 varchar not null,
    outcome_id varchar, as_of date, persons bigint, women bigint, men bigint
);
create table if not exists raw.rmt_outputs (
    intervention_id varchar not null, updated_at timestamptz not null,
    fetch_id varchar not null, page_sha256 varchar not null,
    position integer, output_type varchar, output_date date, count bigint, title varchar
);
"""

SSI_TABLES = ("context", "schemes", "contributors", "beneficiaries", "expenditure")

# What every build copies of the raw layer: the columns the dbt models read, and nothing
# else. An allow-list, so that what the state keeps for itself (contact e-mails, cover cells
# under any label, a workbook's extra columns, project reports as sent, archive paths, the
# URLs pages were fetched from) never reaches the published warehouse, whatever new field
# a sender adds. A model that needs another column adds it here.
_LINEAGE = ("submission_id", "sha256", "source_row")
_VERSION = ("intervention_id", "updated_at")
PUBLISHED = {
    "ssi_files": ("sha256", "original_name", "size_bytes", "received_at", "status",
                  "reason_code", "reason_message", "problems", "submission_id", "country_iso3",
                  "reference_year", "revision", "run_id", "processed_at"),
    "ssi_submissions": ("submission_id", "sha256", "country_iso3", "reference_year",
                        "revision", "language", "country_name", "submission_date",
                        "institution", "currency", "sheets", "loaded_at"),
    "ssi_context": (*_LINEAGE, "item", "total", "women", "men"),
    "ssi_schemes": (*_LINEAGE, "scheme_id", "scheme_name", "scheme_type", "institution",
                    "legal_basis", "start_year"),
    "ssi_contributors": (*_LINEAGE, "scheme_id", "function", "total", "women", "men"),
    "ssi_beneficiaries": (*_LINEAGE, "scheme_id", "function", "benefit_form", "total",
                          "women", "men"),
    "ssi_expenditure": (*_LINEAGE, "scheme_id", "function", "benefits_cash", "benefits_kind",
                        "admin"),
    "rmt_fetches": ("fetch_id", "route", "origin", "updated_since", "status", "reason_code",
                    "reason_message", "problems", "pages", "items", "new_versions",
                    "high_water_mark", "run_id", "processed_at"),
    "rmt_pages": ("sha256", "original_name", "fetch_id", "page", "size_bytes", "received_at",
                  "status"),
    "rmt_interventions": (*_VERSION, "fetch_id", "page_sha256", "deleted", "title",
                          "country_iso3", "level", "flagship", "thematic_areas", "start_date",
                          "end_date"),
    "rmt_funding": (*_VERSION, "page_sha256", "position", "partner", "year", "amount_usd"),
    "rmt_institutional_changes": (*_VERSION, "page_sha256", "change_id", "step", "title",
                                  "status", "achieved_on", "branches", "partners"),
    "rmt_outcomes": (*_VERSION, "page_sha256", "outcome_id", "outcome_type", "branch",
                     "expected_persons", "expected_date"),
    "rmt_impact_snapshots": (*_VERSION, "page_sha256", "outcome_id", "as_of", "persons",
                             "women", "men"),
    "rmt_outputs": (*_VERSION, "page_sha256", "position", "output_type", "output_date",
                    "count", "title"),
}
# An e-mail address in a published text (a problem quoting a cell, a title) is masked:
# a second line behind the allow-list, for free text that may hold one.
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
EMAIL_MASK = "[e-mail address removed]"


def published_select(table: str, types: dict[str, str]) -> str:
    """The select list copying `table` into a build: its PUBLISHED columns, with e-mail
    addresses masked in every text (`types`: column -> DuckDB type, from the state)."""
    def text(value: str) -> str:
        return f"regexp_replace({value}, '{EMAIL}', '{EMAIL_MASK}', 'g')"

    def masked(column: str) -> str:
        kind, name = types[column].upper(), f'"{column}"'
        if kind == "VARCHAR":
            return f"{text(name)} as {name}"
        if kind == "JSON":
            return f"{text(f'{name}::varchar')}::json as {name}"
        if kind == "VARCHAR[]":
            return f"list_transform({name}, lambda x: {text('x')}) as {name}"
        return name
    return ", ".join(masked(c) for c in PUBLISHED[table])


def connect_state(path: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the pipeline's state database for writing, private to its
    owner (it holds personal data)."""
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    os.chmod(path, PRIVATE_FILE)
    con.execute(SSI_DDL)
    con.execute(RMT_DDL)
    _archive_paths_inside_the_home(con)
    _urls_without_user_info(con)
    return con


def _urls_without_user_info(con: duckdb.DuckDBPyConnection) -> None:
    """URLs recorded with a user name and password (before ingest/redaction.py kept them
    out) recorded without them."""
    userinfo = "^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@"
    for table, column in (("raw.rmt_fetches", "origin"), ("raw.rmt_pages", "url")):
        con.execute(f"update {table} set {column} = regexp_replace({column}, '{userinfo}', "
                    f"'\\1') where regexp_matches({column}, '{userinfo}')")


def _archive_paths_inside_the_home(con: duckdb.DuckDBPyConnection) -> None:
    """Archive paths recorded absolute (before they were kept inside the home) made
    relative to the archive folder, as ingest/archive.py records them now."""
    for table in ("raw.ssi_files", "raw.rmt_pages"):
        con.execute(f"update {table} set archive_path = "
                    "regexp_extract(archive_path, '([^/]+/[^/]+/[^/]+)$', 1) "
                    "where starts_with(archive_path, '/')")


def append(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict] | pd.DataFrame) -> int:
    """Insert `rows` (a frame, or dicts keyed by column name) into `table` in one statement."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame.from_records(rows)
    if frame.empty:
        return 0
    con.register("_rows", frame)
    try:
        con.execute(f"insert into {table} by name select * from _rows")
    finally:
        con.unregister("_rows")
    return len(frame)


def write_batch(con: duckdb.DuckDBPyConnection,
                rows: Iterable[tuple[str, list[dict] | pd.DataFrame]], replace: Iterable[str] = (),
                key: str = "", keys: set[str] = frozenset()) -> None:
    """Insert `rows` (table, rows) in one transaction, after deleting the rows of `keys`.

    `replace` names the tables whose rows with `key` in `keys` are deleted first, so a
    re-decided batch ends with exactly one set of rows; a failure leaves the state as it was.
    """
    con.execute("begin transaction")
    try:
        if keys:
            for table in replace:
                con.execute(f"delete from {table} where list_contains(?, {key})", [sorted(keys)])
        for table, batch in rows:
            append(con, table, batch)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
