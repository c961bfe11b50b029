"""`ops.publications`: the record of every publication a warehouse file carries.

Each published warehouse carries one row per publication so far (the history of the
warehouse it replaced, plus its own row), saying when, by which run and why it was
published, what it was built from and, per mart, its row count and a content checksum.
Checksums are `sum(hash(row))` over the rows of a mart, computed by DuckDB: independent of
row order, changed by any one value. DuckDB does not promise the same `hash` across its
versions: after an upgrade, checksums differ from those of older publications even where
the rows do not, and a diff then compares the rows themselves.

Also the small tools the other modules of this room share: files attached read-only to a
fresh DuckDB, their catalogs, SQL quoting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypedDict

import duckdb

from warehouse.shared.errors import RunFailed
from warehouse.sources.registry import SOURCES

KINDS = ("nightly", "backfill", "rollback")


_ID = re.compile(r"p(\d{1,9})", re.IGNORECASE)


def _table() -> str:
    """ops.publications, with a list per source of what a publication was built from (its
    `built_from` column: submissions, fetches)."""
    built_from = "".join(f"    {column} varchar[] not null,\n"
                         for column, _ in (s.built_from for s in SOURCES.values()))
    return f"""
create or replace table ops.publications (
    publication_id varchar not null,    -- p0007: what spf diff, query --as-of, rollback take
    sequence integer not null,          -- 7
    published_at timestamptz not null,  -- when the row was written, just before the rename
    run_id varchar not null,
    kind varchar not null,              -- nightly | backfill | rollback
    reporting_date date,                -- the dbt var reporting_date; null: the build's today
    note varchar,                       -- why (an operator's note for a rollback)
    restores varchar,                   -- rollback: the publication published again
{built_from}    marts struct(mart varchar, row_count bigint, checksum varchar)[] not null
)"""


def table_docs() -> dict[str, tuple[str, dict[str, str]]]:
    """What ops.publications and ops.build_info hold, in words, as dbt's YAML says it of the
    tables dbt builds (these two are written here and in publish.py, not by dbt): the
    description sheet of `spf export --format xlsx` reads it."""
    built_from = {column: f"The {source.label} ids the publication was built from."
                  for source in SOURCES.values() for column in source.built_from[:1]}
    return {
        "ops.publications": (
            "Every publication of the warehouse so far, one row each: when, by which run and "
            "why it was published, what it was built from and, per mart, its rows and a "
            "content checksum (spf publications, spf diff, spf rollback).", {
                "publication_id": "The publication's id (p0007), as spf diff, spf query "
                                  "--as-of and spf rollback take it.",
                "sequence": "Its number (7).",
                "published_at": "When it was published (UTC).",
                "run_id": "The run that published it.",
                "kind": "nightly, backfill or rollback.",
                "reporting_date": "The date results are reported as of (blank: the day of "
                                  "the build).",
                "note": "Why, for a rollback: the operator's note.",
                "restores": "For a rollback: the publication published again.",
                **built_from,
                "marts": "Per mart: its name, rows and content checksum (16 hex digits).",
            }),
        "ops.build_info": (
            "What the published build rests on, one key a row: state and code versions, "
            "reporting date, population source, storage version, when it was built.", {
                "key": "What the row says (run_id, code_version, reporting_date, population, "
                       "storage_version, built_at, ...).",
                "value": "Its value (text or JSON).",
            }),
    }


class HistoryError(RunFailed):
    """A publication asked for does not exist, or cannot be compared or restored; the
    message says what exists."""


class MartChecksum(TypedDict):
    mart: str
    row_count: int
    checksum: str  # 16 hex digits: sum of DuckDB's hash of every row, modulo 2**64


class Publication(TypedDict):
    """One row of `ops.publications`, as JSON-able values, and where it is kept."""

    publication_id: str
    sequence: int
    published_at: str  # ISO 8601, UTC
    run_id: str
    kind: str
    reporting_date: str | None
    note: str | None
    restores: str | None
    submissions: list[str] | None  # what it was built from, a list per source (its
    fetches: list[str] | None  # `built_from` column); None where not read (see `history`)
    marts: list[MartChecksum]
    path: str | None  # the file that holds it (kept, or the published one), None if pruned


def now() -> datetime:
    return datetime.now(UTC)


def literal(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publication_id(sequence: int) -> str:
    return f"p{sequence:04d}"


def sequence_of(pid: str) -> int | None:
    match = _ID.fullmatch(pid.strip())
    return int(match.group(1)) if match else None


def settle(con: duckdb.DuckDBPyConnection) -> None:
    """Times in UTC; and a table that does not exist is an error, never a Python variable
    of that name (DuckDB's replacement scans would read one)."""
    con.execute("set TimeZone = 'UTC'")
    con.execute("set python_enable_replacements = false")


@contextmanager
def attached(**files: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory DuckDB with each file attached read-only under its alias.

    ATTACH, unlike `duckdb.connect(path)`, never reuses a database instance this process
    cached for a path since replaced by a rename (../shared/stack-notes.md).
    """
    con = duckdb.connect()
    try:
        settle(con)
        for alias, path in files.items():
            try:
                con.execute(f"attach {literal(path)} as {alias} (read_only)")
            except duckdb.Error as error:
                raise HistoryError(f"cannot open {path}: {str(error).strip()}") from None
        yield con
    finally:
        con.close()


Catalog = dict[tuple[str, str], dict[str, str]]  # (schema, table) -> column -> type


def catalog_of(con: duckdb.DuckDBPyConnection, db: str) -> Catalog:
    """Every table of `db` with its columns in order, in one query (catalog functions cost
    more than the small tables they describe)."""
    out: Catalog = {}
    for schema, table, column, kind in con.execute(
            "select schema_name, table_name, column_name, data_type from duckdb_columns() "
            "where database_name = ? order by schema_name, table_name, column_index",
            [db]).fetchall():
        out.setdefault((schema, table), {})[column] = kind
    return out


def mart_names(catalog: Catalog) -> list[str]:
    return sorted(table for schema, table in catalog if schema == "marts")


def checksums(con: duckdb.DuckDBPyConnection, db: str, catalog: Catalog | None = None,
               only: str | None = None) -> list[MartChecksum]:
    """Row count and order-independent content checksum of every mart of `db` (or only the
    mart `only`), one scan each."""
    out: list[MartChecksum] = []
    for mart in mart_names(catalog if catalog is not None else catalog_of(con, db)):
        if only is not None and mart != only:
            continue
        count, checksum = con.execute(
            "select count(*), printf('%016x', (coalesce(sum(hash(__spf_row)), 0) "
            f"% 18446744073709551616)::ubigint) from {db}.marts.{quoted(mart)} as __spf_row"
        ).fetchall()[0]
        out.append({"mart": mart, "row_count": count, "checksum": checksum})
    return out


def mart_checksums(warehouse: Path) -> list[MartChecksum]:
    """Row count and content checksum of every mart of a warehouse file (read-only)."""
    with attached(w=warehouse) as con:
        return checksums(con, "w")


def read_history(con: duckdb.DuckDBPyConnection, db: str, lists: bool = False,
             last: bool = False) -> list[Publication]:
    """The rows of `db`'s ops.publications, oldest first (`last`: only the newest). Their
    lists of submissions and fetches (thousands of ids a row at world scale, in every row
    of a long history) only when `lists` asks for them."""
    built_from = [column for column, _ in (s.built_from for s in SOURCES.values())]
    order = "desc limit 1" if last else ""
    try:
        present = [c for c in built_from if c in _publication_columns(con, db)]
        columns = "*" if lists or not present else f"* exclude ({', '.join(present)})"
        cursor = con.execute(f"select {columns} from {db}.ops.publications "
                             f"order by sequence {order}")
    except duckdb.CatalogException:
        return []
    names = [d[0] for d in cursor.description]
    rows = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        stamp = row["published_at"]
        rows.append(Publication(
            publication_id=row["publication_id"], sequence=row["sequence"],
            published_at=stamp.astimezone(UTC).isoformat(timespec="seconds"),
            run_id=row["run_id"], kind=row["kind"],
            reporting_date=row["reporting_date"].isoformat() if row.get("reporting_date")
            else None,
            note=row.get("note"), restores=row.get("restores"),
            **{column: list(row.get(column) or []) if lists else None
               for column in built_from},
            marts=[MartChecksum(**m) for m in row.get("marts") or []], path=None))
    return rows


def history(warehouse: Path, lists: bool = True) -> list[Publication]:
    """The `ops.publications` of a warehouse file, oldest first; empty if it has none.
    `lists`: with the submissions and fetches of each (else None)."""
    if not warehouse.exists():
        return []
    with attached(w=warehouse) as con:
        return read_history(con, "w", lists)


def latest_publication(warehouse: Path) -> Publication | None:
    if not warehouse.exists():
        return None
    with attached(w=warehouse) as con:
        rows = read_history(con, "w", last=True)
    return rows[-1] if rows else None


def record_publication(build_db: Path, previous: Path | None, run_id: str, kind: str,
                       note: str | None, reporting_date: date | str | None, *,
                       restores: str | None = None, kept: Path | None = None) -> str:
    """Write `ops.publications` into the build before it is published; return its new id.

    The table is the history of `previous` (the published warehouse the build will replace;
    None or a missing file: none yet) plus one row for this publication. Its sequence
    follows the highest of that history and of the files kept in `kept` (give
    `paths.publications`), so an id is never given twice even if the published file was
    lost. `restores`: for a rollback, the publication published again.
    """
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    if isinstance(reporting_date, str):
        reporting_date = date.fromisoformat(reporting_date)
    con = duckdb.connect(str(build_db))
    try:
        settle(con)
        con.execute("create schema if not exists ops")
        db = con.execute("select current_database()").fetchall()[0][0]
        # A rollback's build is a kept publication, whose own history stops where it did:
        # the history carried is always the one of the warehouse the build replaces.
        con.execute(_table())
        if previous is not None and Path(previous).exists():
            try:
                con.execute(f"attach {literal(previous)} as previous (read_only)")
            except duckdb.Error as error:
                raise HistoryError(f"cannot read the history of {previous}: "
                                   f"{str(error).strip()}") from None
            try:
                theirs = _publication_columns(con, "previous")
                if theirs:  # columns of both, should the table have changed since
                    ours = _publication_columns(con, db)
                    columns = ", ".join(quoted(c) for c in theirs if c in ours)
                    con.execute(f"insert into ops.publications ({columns}) select {columns} "
                                "from previous.ops.publications order by sequence")
            finally:
                con.execute("detach previous")
        catalog = catalog_of(con, db)
        sequence = 1 + max([con.execute("select coalesce(max(sequence), 0) from "
                                        "ops.publications").fetchall()[0][0],
                            *(kept_files(kept) if kept else {})])
        pid = publication_id(sequence)
        built_from = [_built_from(con, sql) for _, sql in
                      (source.built_from for source in SOURCES.values())]
        marts = checksums(con, db, catalog)
        con.execute(f"insert into ops.publications values "
                    f"({', '.join(['?'] * (9 + len(built_from)))})",
                    [pid, sequence, now(), run_id, kind, reporting_date, note, restores,
                     *built_from, marts])
        con.execute("checkpoint")
    finally:
        con.close()
    return pid


def _built_from(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """What a source's SQL says the build was built from; nothing if the build holds none
    of that source's raw tables."""
    try:
        return con.execute(sql).fetchall()[0][0]
    except duckdb.CatalogException:
        return []


def _publication_columns(con: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    try:
        cursor = con.execute(f"select * from {db}.ops.publications limit 0")
    except duckdb.CatalogException:
        return []
    names = [d[0] for d in cursor.description]
    cursor.fetchall()
    return names


def kept_files(folder: Path) -> dict[int, Path]:
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.glob("p*.duckdb"):
        sequence = sequence_of(path.stem)
        if sequence is not None:
            found[sequence] = path
    return found
