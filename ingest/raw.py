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
from typing import TYPE_CHECKING

import duckdb

from ingest.paths import PRIVATE_DIR, PRIVATE_FILE

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a night with nothing new needs none of it

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
-- A statistician's note settling an item of the review page (`spf accept`): the file's
-- bytes, what they said and when. Private: a note may name people.
create table if not exists raw.ssi_review_notes (
    sha256 varchar primary key,
    note varchar not null,
    noted_at timestamptz default current_timestamp
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

# The status of each landed file found unchanged (ingest/landing.py `unchanged_key`), so
# that the next pass need not read it again. Outside `raw`: it is no source's data, and a
# build neither copies it nor counts it as a change.
LANDING_DDL = """
create schema if not exists landing;
create table if not exists landing.unchanged (
    source varchar not null, name varchar not null, size_bytes bigint not null,
    mtime_ns hugeint not null, ctime_ns hugeint not null, inode hugeint not null,
    device hugeint not null, sha256 varchar not null, primary key (source, name)
);
"""


def remember_unchanged(con: duckdb.DuckDBPyConnection, source: str,
                       found: dict[str, tuple[tuple[int, ...], str]],
                       before: dict[str, tuple[tuple[int, ...], str]]) -> None:
    """Keep what a landing pass found unchanged (`Landing.unchanged`) for the next, when it
    differs from what the pass started from (`before`): a quiet night writes nothing."""
    if found == before:
        return
    rows = [(name, *key, sha) for name, (key, sha) in sorted(found.items())]
    con.execute("begin transaction")
    try:
        con.execute("delete from landing.unchanged where source = ?", [source])
        if rows:  # one statement of lists, not a statement per file
            names, sizes, mtimes, ctimes, inodes, devices, shas = zip(*rows, strict=True)
            con.execute("""
                insert into landing.unchanged
                select $source, unnest($names), unnest($sizes), unnest($mtimes)::hugeint,
                       unnest($ctimes)::hugeint, unnest($inodes)::hugeint,
                       unnest($devices)::hugeint, unnest($shas)""",
                {"source": source, "names": list(names), "sizes": list(sizes),
                 # as text: an inode or a device number may not fit in a BIGINT
                 "mtimes": list(map(str, mtimes)), "ctimes": list(map(str, ctimes)),
                 "inodes": list(map(str, inodes)), "devices": list(map(str, devices)),
                 "shas": list(shas)})
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


SSI_TABLES = ("context", "schemes", "contributors", "beneficiaries", "expenditure")

def connect_state(path: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the pipeline's state database for writing, private to its
    owner (it holds personal data)."""
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    os.chmod(path, PRIVATE_FILE)
    con.execute(SSI_DDL)
    con.execute(RMT_DDL)
    con.execute(LANDING_DDL)
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
    import pandas as pd

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
