"""Every publication kept, compared and recoverable.

Each published warehouse carries `ops.publications`: one row per publication so far (the
history of the warehouse it replaced, plus its own row), saying when, by which run and
why it was published, what it was built from (SSI submissions, RMT fetches) and, per
mart, its row count and a content checksum. The last N publications (default 14,
`$SPF_KEEP_PUBLICATIONS`) stay in the home as read-only files, `publications/<id>.duckdb`,
which `spf query --as-of`, `spf diff` and `spf rollback` read.

In a run, after the marts gate passed:

    pid = record_publication(paths.build, paths.warehouse, run_id, kind, note, reporting_date,
                             kept=paths.publications)   # writes ops.publications into the build
    publish.publish(paths.build, paths.warehouse)      # the rename, as before
    keep_publication(paths, pid); prune(paths)          # or both at once: after_publication

Kept files are hard links to the published file when the home and the warehouse share a
filesystem (no copy, no space): a published file is never written in place, only replaced
by a rename, so the old inode, still linked from `publications/`, keeps the old content.
Both names then have mode 0444, the published warehouse too (it is one inode): only the
pipeline's user could write it anyway, and now not even that user by mistake (the DuckDB
CLI, say, opens read-write by default); the next publication renames a new file over it as
before. Where the home is on another filesystem, or links are refused, the file is copied.
A rollback copies a kept file (never links it: the copy is written to).

Checksums are `sum(hash(row))` over the rows of a mart, computed by DuckDB: independent of
row order, changed by any one value. DuckDB does not promise the same `hash` across its
versions: after an upgrade of DuckDB, checksums differ from those of older publications
even where the rows do not, and `diff` then compares the rows themselves (it only trusts
equal checksums, and only from files that recorded them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import NotRequired, TypedDict

import duckdb
import yaml

from ingest.paths import DBT_PROJECT_DIR, Paths
from warehouse import publish
from warehouse.query import format_rows
from warehouse.runs import RunFailed, writer_lock

KEEP_ENV = "SPF_KEEP_PUBLICATIONS"
DEFAULT_KEEP = 14
KINDS = ("nightly", "backfill", "rollback")
KEPT = 0o444  # kept publications are never written again
MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
FORMATS = ("table", "csv", "json")
_ID = re.compile(r"p(\d{1,9})", re.IGNORECASE)

_TABLE = """
create or replace table ops.publications (
    publication_id varchar not null,    -- p0007: what spf diff, query --as-of, rollback take
    sequence integer not null,          -- 7
    published_at timestamptz not null,  -- when the row was written, just before the rename
    run_id varchar not null,
    kind varchar not null,              -- nightly | backfill | rollback
    reporting_date date,                -- the dbt var reporting_date; null: the build's today
    note varchar,                       -- why (an operator's note for a rollback)
    restores varchar,                   -- rollback: the publication published again
    submissions varchar[] not null,     -- raw.ssi_submissions.submission_id built from
    fetches varchar[] not null,         -- raw.rmt_fetches.fetch_id (loaded) built from
    marts struct(mart varchar, row_count bigint, checksum varchar)[] not null
)"""


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
    submissions: list[str] | None  # None where not read (see `history`)
    fetches: list[str] | None
    marts: list[MartChecksum]
    path: str | None  # the file that holds it (kept, or the published one), None if pruned


class ChangedRow(TypedDict):
    key: dict
    changes: dict[str, dict]  # column -> {"old": ..., "new": ...}


class MartDiff(TypedDict):
    mart: str
    key: list[str]
    status: str  # present | added (not in the old file) | removed (not in the new one)
    rows_before: int
    rows: int
    added: int
    removed: int
    changed: int
    columns_added: list[str]
    columns_removed: list[str]
    added_rows: list[dict]  # at most `limit` of each, ordered by key
    removed_rows: list[dict]
    changed_rows: list[ChangedRow]
    truncated: bool  # some rows were left out by `limit`


class Diff(TypedDict):
    old: str
    new: str
    from_publication: str | None
    to_publication: str | None
    marts: list[MartDiff]


class MartChanges(TypedDict):
    rows_before: int
    rows: int
    added: int | None  # None: the mart has no key to match rows on (changed or not: checksum)
    removed: int | None
    changed: int | None


class PublicationChanges(TypedDict):
    """What a publication changed, for the run summary."""

    from_publication: str | None
    to_publication: str | None
    marts: dict[str, MartChanges]  # every mart of the new publication
    highlights: dict[str, list[str]]  # coverage and results marts: largest changes, in words
    error: NotRequired[str]  # after_publication: why there is no summary


class Rollback(TypedDict):
    publication_id: str  # the new publication (kind rollback)
    restores: str  # the one published again
    note: str
    run_id: str
    warehouse: str
    kept: str


# --- small helpers -------------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(UTC)


def _lit(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publication_id(sequence: int) -> str:
    return f"p{sequence:04d}"


def _sequence(pid: str) -> int | None:
    match = _ID.fullmatch(pid.strip())
    return int(match.group(1)) if match else None


def _settle(con: duckdb.DuckDBPyConnection) -> None:
    """Times in UTC; and a table that does not exist is an error, never a Python variable
    of that name (DuckDB's replacement scans would read one)."""
    con.execute("set TimeZone = 'UTC'")
    con.execute("set python_enable_replacements = false")


@contextmanager
def _attached(**files: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory DuckDB with each file attached read-only under its alias.

    ATTACH, unlike `duckdb.connect(path)`, never reuses a database instance this process
    cached for a path since replaced by a rename (../shared/stack-notes.md).
    """
    con = duckdb.connect()
    try:
        _settle(con)
        for alias, path in files.items():
            try:
                con.execute(f"attach {_lit(path)} as {alias} (read_only)")
            except duckdb.Error as error:
                raise HistoryError(f"cannot open {path}: {str(error).strip()}") from None
        yield con
    finally:
        con.close()


Catalog = dict[tuple[str, str], dict[str, str]]  # (schema, table) -> column -> type


def _catalog(con: duckdb.DuckDBPyConnection, db: str) -> Catalog:
    """Every table of `db` with its columns in order, in one query (catalog functions cost
    more than the small tables they describe)."""
    out: Catalog = {}
    for schema, table, column, kind in con.execute(
            "select schema_name, table_name, column_name, data_type from duckdb_columns() "
            "where database_name = ? order by schema_name, table_name, column_index",
            [db]).fetchall():
        out.setdefault((schema, table), {})[column] = kind
    return out


def _marts(catalog: Catalog) -> list[str]:
    return sorted(table for schema, table in catalog if schema == "marts")


def _checksums(con: duckdb.DuckDBPyConnection, db: str, catalog: Catalog | None = None,
               only: str | None = None) -> list[MartChecksum]:
    """Row count and order-independent content checksum of every mart of `db` (or only the
    mart `only`), one scan each."""
    out: list[MartChecksum] = []
    for mart in _marts(catalog if catalog is not None else _catalog(con, db)):
        if only is not None and mart != only:
            continue
        count, checksum = con.execute(
            "select count(*), printf('%016x', (coalesce(sum(hash(__spf_row)), 0) "
            f"% 18446744073709551616)::ubigint) from {db}.marts.{_q(mart)} as __spf_row"
        ).fetchall()[0]
        out.append({"mart": mart, "row_count": count, "checksum": checksum})
    return out


def mart_checksums(warehouse: Path) -> list[MartChecksum]:
    """Row count and content checksum of every mart of a warehouse file (read-only)."""
    with _attached(w=warehouse) as con:
        return _checksums(con, "w")


def _history(con: duckdb.DuckDBPyConnection, db: str, lists: bool = False,
             last: bool = False) -> list[Publication]:
    """The rows of `db`'s ops.publications, oldest first (`last`: only the newest). Their
    lists of submissions and fetches (thousands of ids a row at world scale, in every row
    of a long history) only when `lists` asks for them."""
    columns = "*" if lists else "* exclude (submissions, fetches)"
    order = "desc limit 1" if last else ""
    try:
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
            submissions=list(row["submissions"] or []) if lists else None,
            fetches=list(row["fetches"] or []) if lists else None,
            marts=[MartChecksum(**m) for m in row.get("marts") or []], path=None))
    return rows


def history(warehouse: Path, lists: bool = True) -> list[Publication]:
    """The `ops.publications` of a warehouse file, oldest first; empty if it has none.
    `lists`: with the submissions and fetches of each (else None)."""
    if not warehouse.exists():
        return []
    with _attached(w=warehouse) as con:
        return _history(con, "w", lists)


def _latest(warehouse: Path) -> Publication | None:
    if not warehouse.exists():
        return None
    with _attached(w=warehouse) as con:
        rows = _history(con, "w", last=True)
    return rows[-1] if rows else None


def _kept_files(folder: Path) -> dict[int, Path]:
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.glob("p*.duckdb"):
        sequence = _sequence(path.stem)
        if sequence is not None:
            found[sequence] = path
    return found


# --- 1. ops.publications -------------------------------------------------------------------

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
        _settle(con)
        con.execute("create schema if not exists ops")
        db = con.execute("select current_database()").fetchall()[0][0]
        # A rollback's build is a kept publication, whose own history stops where it did:
        # the history carried is always the one of the warehouse the build replaces.
        con.execute(_TABLE)
        if previous is not None and Path(previous).exists():
            try:
                con.execute(f"attach {_lit(previous)} as previous (read_only)")
            except duckdb.Error as error:
                raise HistoryError(f"cannot read the history of {previous}: "
                                   f"{str(error).strip()}") from None
            try:
                theirs = _publication_columns(con, "previous")
                if theirs:  # columns of both, should the table have changed since
                    ours = _publication_columns(con, db)
                    columns = ", ".join(_q(c) for c in theirs if c in ours)
                    con.execute(f"insert into ops.publications ({columns}) select {columns} "
                                "from previous.ops.publications order by sequence")
            finally:
                con.execute("detach previous")
        catalog = _catalog(con, db)
        sequence = 1 + max([con.execute("select coalesce(max(sequence), 0) from "
                                        "ops.publications").fetchall()[0][0],
                            *(_kept_files(kept) if kept else {})])
        pid = publication_id(sequence)
        submissions = con.execute(
            "select coalesce(list(distinct submission_id order by submission_id), []) "
            "from raw.ssi_submissions").fetchall()[0][0] \
            if ("raw", "ssi_submissions") in catalog else []
        fetches = con.execute(
            "select coalesce(list(distinct fetch_id order by fetch_id), []) "
            "from raw.rmt_fetches where status = 'loaded'").fetchall()[0][0] \
            if ("raw", "rmt_fetches") in catalog else []
        marts = _checksums(con, db, catalog)
        con.execute("insert into ops.publications values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [pid, sequence, _now(), run_id, kind, reporting_date, note, restores,
                     submissions, fetches, marts])
        con.execute("checkpoint")
    finally:
        con.close()
    return pid


def _publication_columns(con: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    try:
        cursor = con.execute(f"select * from {db}.ops.publications limit 0")
    except duckdb.CatalogException:
        return []
    names = [d[0] for d in cursor.description]
    cursor.fetchall()
    return names


# --- 2. kept publications ------------------------------------------------------------------

def keep_count(given: int | None = None) -> int:
    """How many publications to keep: `given`, else $SPF_KEEP_PUBLICATIONS, else 14."""
    if given is None:
        text = os.environ.get(KEEP_ENV, "").strip()
        if not text:
            return DEFAULT_KEEP
        try:
            given = int(text)
        except ValueError:
            raise HistoryError(f"${KEEP_ENV} is {text!r}: expected a whole number of "
                               "publications to keep, e.g. 14") from None
    if given < 1:
        raise HistoryError(f"keep {given} publications: at least 1 (the published one) "
                           "is always kept")
    return given


def keep_publication(paths: Paths, publication_id: str | None = None) -> Path:
    """Keep the published warehouse as `publications/<its id>.duckdb`, read-only; return it.

    Call it right after the rename, under the writer lock. `publication_id`, if given, must
    be the published one's (what record_publication returned). Idempotent: a publication
    already kept is left as it is.
    """
    latest = _latest(paths.warehouse) if paths.warehouse.exists() else None
    if latest is None:
        raise HistoryError(f"{paths.warehouse} has no ops.publications: nothing to keep")
    pid = latest["publication_id"]
    if publication_id is not None and _normal(publication_id) != pid:
        raise HistoryError(f"the published warehouse is {pid}, not {publication_id}")
    folder = paths.publications
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{pid}.duckdb"
    if target.exists():
        held = _latest(target)
        if held and held["publication_id"] == pid:
            return target
        raise HistoryError(f"{target} exists but holds "
                           f"{held['publication_id'] if held else 'no publication'}; "
                           "not replaced")
    partial = folder / f".{pid}.duckdb.partial"
    partial.unlink(missing_ok=True)
    try:
        os.link(paths.warehouse, partial)
    except OSError:  # another filesystem, or no hard links here: a copy
        shutil.copyfile(paths.warehouse, partial)
        _fsync(partial)
    held = _latest(partial)
    if not held or held["publication_id"] != pid:  # replaced meanwhile: never keep a mix-up
        partial.unlink(missing_ok=True)
        raise HistoryError(f"{paths.warehouse} changed while {pid} was being kept")
    os.chmod(partial, KEPT)
    os.replace(partial, target)
    _fsync(folder)
    return target


def prune(paths: Paths, keep: int | None = None) -> list[str]:
    """Remove kept publications but the last `keep` (default keep_count()), and copies left
    half-made by a killed run; return the ids removed. The published one is never removed."""
    keep = keep_count(keep)
    folder = paths.publications
    for stale in folder.glob(".p*.duckdb.partial") if folder.is_dir() else []:
        stale.unlink(missing_ok=True)
    kept = _kept_files(folder)
    current = _latest(paths.warehouse) if paths.warehouse.exists() else None
    protect = _sequence(current["publication_id"]) if current else None
    removed = []
    for sequence in sorted(kept)[:-keep]:
        if sequence != protect:
            kept[sequence].unlink(missing_ok=True)
            removed.append(kept[sequence].stem)
    if removed:
        _fsync(folder)
    return removed


def publications(paths: Paths) -> list[Publication]:
    """Every publication so far, oldest first, each with the file that holds it (`path`:
    its kept file, or the published warehouse; None once pruned); without their lists of
    submissions and fetches (`history` reads those)."""
    kept = _kept_files(paths.publications)
    rows = history(paths.warehouse, lists=False)
    if not rows and kept:  # the published file is gone: the newest kept one knows the most
        rows = history(kept[max(kept)], lists=False)
    known = {r["sequence"] for r in rows}
    for sequence in sorted(set(kept) - known):  # kept but unknown to that history
        latest = _latest(kept[sequence])
        if latest:
            rows.append(latest)
    rows.sort(key=lambda r: r["sequence"])
    current = rows[-1]["publication_id"] if rows and paths.warehouse.exists() else None
    for row in rows:
        path = kept.get(row["sequence"])
        if path is None and row["publication_id"] == current:
            path = paths.warehouse
        row["path"] = str(path) if path else None
    return rows


def _normal(ref: str) -> str:
    sequence = _sequence(ref)
    return publication_id(sequence) if sequence is not None else ref.strip()


def _available(rows: list[Publication]) -> str:
    kept = [f"{r['publication_id']} ({r['published_at'][:10]})" for r in rows if r["path"]]
    if not kept:
        return "no publication is kept yet"
    return "kept: " + ", ".join(kept)


def resolve_publication(paths: Paths, ref: str) -> Path:
    """The file of publication `ref`: an id (`p0007`, `p7`), or a date (`2026-11-30`: the
    last one published on or before that day, UTC). A clear error naming what is kept
    otherwise."""
    rows = publications(paths)
    sequence = _sequence(ref)
    if sequence is not None:
        row = next((r for r in rows if r["sequence"] == sequence), None)
        pid = publication_id(sequence)
        if row is None:
            raise HistoryError(f"no publication {pid}; {_available(rows)}")
    else:
        try:
            day = date.fromisoformat(ref.strip())
        except ValueError:
            raise HistoryError(f"{ref!r}: expected a publication id (e.g. p0007) or a date "
                               f"(YYYY-MM-DD); {_available(rows)}") from None
        before = [r for r in rows if date.fromisoformat(r["published_at"][:10]) <= day]
        if not before:
            raise HistoryError(f"nothing was published on or before {day}; "
                               f"{_available(rows)}")
        row = max(before, key=lambda r: (r["published_at"], r["sequence"]))
        pid = row["publication_id"]
    if row["path"] is None:
        raise HistoryError(f"{pid} (published {row['published_at'][:10]}) is no longer kept; "
                           f"{_available(rows)}")
    return Path(row["path"])


def after_publication(paths: Paths, publication_id: str, keep: int | None = None,
                      top: int = 5) -> PublicationChanges:
    """The steps after the rename, in one call, under the writer lock: keep the publication,
    say what it changed against the kept one before it (for the run summary), then prune
    the old ones. A summary that cannot be made says why in `error` rather than fail a run
    that has published."""
    kept = keep_publication(paths, publication_id)
    keep = keep_count(keep)
    rows = [r for r in publications(paths) if r["path"]]
    earlier = [r for r in rows if r["sequence"] < (_sequence(publication_id) or 0)]
    try:
        changes = summarize(Path(earlier[-1]["path"]) if earlier else None, kept, top)
    except (HistoryError, duckdb.Error) as error:
        changes = PublicationChanges(
            from_publication=earlier[-1]["publication_id"] if earlier else None,
            to_publication=_normal(publication_id), marts={}, highlights={},
            error=" ".join(str(error).split()))
    prune(paths, keep)
    return changes


# --- 3. diff -------------------------------------------------------------------------------

def mart_keys(marts_dir: Path = MARTS_DIR) -> dict[str, list[str]]:
    """Each mart's grain as dbt tests it: a `unique` column test or a `unique_combination`
    test (the shortest, where a mart has several), read from the marts' YAML files."""
    keys: dict[str, list[str]] = {}
    for path in sorted(marts_dir.glob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        for model in document.get("models") or []:
            candidates = []
            for test in (model.get("data_tests") or model.get("tests") or []):
                if isinstance(test, dict):
                    for name, spec in test.items():
                        if name.split(".")[-1] in {"unique_combination",
                                                   "unique_combination_of_columns"}:
                            args = (spec or {}).get("arguments", spec) or {}
                            columns = args.get("columns") or args.get("combination_of_columns")
                            if columns:
                                candidates.append(list(columns))
            for column in model.get("columns") or []:
                for test in (column.get("data_tests") or column.get("tests") or []):
                    name = test if isinstance(test, str) else next(iter(test), None)
                    if name == "unique":
                        candidates.append([column["name"]])
            if candidates:
                keys[model["name"]] = min(candidates, key=len)
    return keys


def _mart_name(table: str) -> str:
    return table.strip().removeprefix("marts.")


class _Comparison:
    """Two warehouse files attached read-only to one DuckDB; each mart diffed by a join."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.tables: dict[str, tuple[str, list[str], list[str], list[str]]] = {}
        self.catalogs = {db: _catalog(con, db) for db in ("old_wh", "new_wh")}
        stored = {db: _history(con, db, last=True) for db in ("old_wh", "new_wh")}
        self.ids = {db: rows[-1]["publication_id"] if rows else None
                    for db, rows in stored.items()}
        self.stored = {db: {m["mart"]: (m["row_count"], m["checksum"]) for m in rows[-1]["marts"]}
                       if rows else {} for db, rows in stored.items()}

    def marts(self) -> list[str]:
        return sorted(set(_marts(self.catalogs["old_wh"])) | set(_marts(self.catalogs["new_wh"])))

    def columns(self, db: str, mart: str) -> dict[str, str]:
        return self.catalogs[db].get(("marts", mart), {})

    def compare(self, mart: str, key: list[str] | None) -> MartDiff:
        """Counts of one mart's changes; the rows that differ go to a temporary table."""
        old, new = self.columns("old_wh", mart), self.columns("new_wh", mart)
        status = "added" if not old else "removed" if not new else "present"
        if not key:
            raise HistoryError(f"marts.{mart} has no unique key to match its rows on: give it "
                               "a `unique` or `unique_combination` test in "
                               "dbt_project/models/marts/*.yml")
        for name, columns in (("old", old), ("new", new)):
            missing = [k for k in key if columns and k not in columns]
            if missing:
                raise HistoryError(f"marts.{mart}: key column(s) {', '.join(missing)} not in "
                                   f"the {name} file")
        result = MartDiff(mart=mart, key=key, status=status, rows_before=0, rows=0, added=0,
                          removed=0, changed=0,
                          columns_added=[c for c in new if c not in old] if old else [],
                          columns_removed=[c for c in old if c not in new] if new else [],
                          added_rows=[], removed_rows=[], changed_rows=[], truncated=False)
        same = self.stored["old_wh"].get(mart)
        if same and same == self.stored["new_wh"].get(mart) and old == new:
            result["rows_before"] = result["rows"] = same[0]  # equal checksums: unchanged
            return result
        src_old = f"old_wh.marts.{_q(mart)}" if old else \
            f"(select * from new_wh.marts.{_q(mart)} limit 0)"
        src_new = f"new_wh.marts.{_q(mart)}" if new else \
            f"(select * from old_wh.marts.{_q(mart)} limit 0)"
        old, new = old or new, new or old
        common = [c for c in new if c in old]
        values = [c for c in common if c not in key]

        def side(alias: str, column: str) -> str:  # as text where the two types differ
            cast = "::varchar" if old[column] != new[column] else ""
            return f"{alias}.{_q(column)}{cast}"

        def differs(column: str) -> str:
            return f"{side('o', column)} is distinct from {side('n', column)}"

        on = " and ".join(f"{side('o', k)} is not distinct from {side('n', k)}" for k in key)
        keys = [f"case when n.__spf_new then {side('n', k)} else {side('o', k)} end "
                f"as {_q('key:' + k)}" for k in key]
        cells = [f"o.{_q(c)} as {_q('old:' + c)}" for c in old if c not in key] + \
                [f"n.{_q(c)} as {_q('new:' + c)}" for c in new if c not in key]
        flags = ", ".join(f"case when {differs(c)} then {_lit(c)} end" for c in values)
        changed = f"list_filter([{flags}], lambda x: x is not null)" if values else "[]::varchar[]"
        any_change = " or ".join(differs(c) for c in values) or "false"
        table = f"_spf_diff_{len(self.tables)}"
        self.con.execute(f"""
            create temp table {table} as
            select case when o.__spf_old is null then 'added'
                        when n.__spf_new is null then 'removed' else 'changed' end
                       as __spf_change,
                   {', '.join(keys + cells)}, {changed} as __spf_changed
            from (select *, true as __spf_old from {src_old}) as o
            full join (select *, true as __spf_new from {src_new}) as n on {on}
            where o.__spf_old is null or n.__spf_new is null or ({any_change})""")
        counts = dict(self.con.execute(f"select __spf_change, count(*) from {table} "
                                       "group by 1").fetchall())
        result["rows_before"] = self.con.execute(f"select count(*) from {src_old}"
                                                 ).fetchall()[0][0]
        result["rows"] = self.con.execute(f"select count(*) from {src_new}").fetchall()[0][0]
        for change in ("added", "removed", "changed"):
            result[change] = counts.get(change, 0)
        self.tables[mart] = (table, key, [c for c in old if c not in key],
                             [c for c in new if c not in key])
        return result

    def rows(self, mart: str, change: str | None = None, order: str | None = None,
             limit: int | None = None) -> list[tuple[str, dict, dict, dict, list[str]]]:
        """Rows of a compared mart's differences: (change, key, old values, new values,
        changed columns), ordered by `order` (SQL over the temp table) then the key."""
        table, key, old_columns, new_columns = self.tables[mart]
        where = f"where __spf_change = {_lit(change)}" if change else ""
        by = ", ".join(_q("key:" + k) for k in key)
        cursor = self.con.execute(
            f"select * from {table} {where} order by {order + ', ' if order else ''}{by}"
            + (f" limit {int(limit)}" if limit is not None else ""))
        names = [d[0] for d in cursor.description]
        out = []
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            out.append((row["__spf_change"], {k: row["key:" + k] for k in key},
                        {c: row["old:" + c] for c in old_columns},
                        {c: row["new:" + c] for c in new_columns}, row["__spf_changed"]))
        return out


def diff(old: Path, new: Path, table: str | None = None, limit: int | None = None) -> Diff:
    """What changed from warehouse file `old` to `new`: per mart (or only `table`), rows
    added, removed and changed, matched on the mart's grain (mart_keys()), with the old and
    new values of every changed column. `limit`: at most that many rows of each kind per
    mart (counts are always complete). DuckDB joins the two files; marts whose recorded
    checksums and columns are equal are not read."""
    keys = mart_keys()
    with _attached(old_wh=old, new_wh=new) as con:
        comparison = _Comparison(con)
        names = comparison.marts()
        if table is not None:
            wanted = _mart_name(table)
            if wanted not in names:
                raise HistoryError(f"no mart {wanted!r} in either file; marts: "
                                   f"{', '.join(names)}")
            names = [wanted]
        out = []
        for mart in names:
            result = comparison.compare(mart, keys.get(mart))
            if mart in comparison.tables:
                for change in ("added", "removed", "changed"):
                    rows = comparison.rows(mart, change, limit=limit)
                    if change == "changed":
                        result["changed_rows"] = [
                            ChangedRow(key=k, changes={c: {"old": o[c], "new": n[c]}
                                                       for c in cols})
                            for _, k, o, n, cols in rows]
                    else:
                        result[f"{change}_rows"] = [{**k, **(n if change == "added" else o)}
                                                    for _, k, o, n, _ in rows]
                    if len(rows) < result[change]:
                        result["truncated"] = True
            out.append(result)
        return Diff(old=str(old), new=str(new), from_publication=comparison.ids["old_wh"],
                    to_publication=comparison.ids["new_wh"], marts=out)


def diff_publications(paths: Paths, from_ref: str | None = None, to_ref: str | None = None,
                      table: str | None = None, limit: int | None = None) -> Diff:
    """`diff` between two publications (ids or dates, as resolve_publication takes them);
    by default the published one against the one before it."""
    new = resolve_publication(paths, to_ref) if to_ref else paths.warehouse
    if not new.exists():
        raise HistoryError(f"no published warehouse at {new}; run `spf run` first")
    if from_ref:
        old = resolve_publication(paths, from_ref)
    else:
        target = _latest(new)
        rows = publications(paths)
        earlier = [r for r in rows if r["path"] and target
                   and r["sequence"] < target["sequence"]]
        if not earlier:
            name = target["publication_id"] if target else new.name
            raise HistoryError(f"nothing published before {name} is kept to compare it "
                               f"with; {_available(rows)}")
        old = Path(earlier[-1]["path"])
    return diff(old, new, table, limit)


def _text(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def _key_text(key: dict) -> str:
    return "; ".join(f"{k}={_text(v)}" for k, v in key.items())


def diff_lines(result: Diff) -> tuple[list[str], list[tuple]]:
    """Every difference as one line: (mart, change, key, column, old, new). An added or
    removed row is one line, its values in `new` or `old`; a changed row one line per
    changed column."""
    columns = ["mart", "change", "key", "column", "old", "new"]
    lines: list[tuple] = []
    for mart in result["marts"]:
        name = mart["mart"]
        for row in mart["added_rows"]:
            key = {k: row[k] for k in mart["key"]}
            rest = "; ".join(f"{c}={_text(v)}" for c, v in row.items() if c not in key)
            lines.append((name, "added", _key_text(key), "", "", rest))
        for row in mart["removed_rows"]:
            key = {k: row[k] for k in mart["key"]}
            rest = "; ".join(f"{c}={_text(v)}" for c, v in row.items() if c not in key)
            lines.append((name, "removed", _key_text(key), "", rest, ""))
        for row in mart["changed_rows"]:
            for column, change in row["changes"].items():
                lines.append((name, "changed", _key_text(row["key"]), column,
                              _text(change["old"]), _text(change["new"])))
    return columns, lines


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def render_diff(result: Diff, fmt: str = "table") -> str:
    """`spf diff` output: a table (counts per mart, then each difference), CSV (each
    difference, diff_lines), or JSON (the whole Diff)."""
    if fmt == "json":
        return json.dumps(result, default=_json_default, ensure_ascii=False, indent=2) + "\n"
    if fmt not in FORMATS:
        raise HistoryError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    columns, lines = diff_lines(result)
    if fmt == "csv":
        return format_rows(columns, lines, "csv")
    head = (f"{result['from_publication'] or result['old']} -> "
            f"{result['to_publication'] or result['new']}\n")
    counts = [(m["mart"], ", ".join(m["key"]), m["rows_before"], m["rows"], m["added"],
               m["removed"], m["changed"],
               "; ".join(filter(None, [
                   m["status"] if m["status"] != "present" else "",
                   "columns added: " + ", ".join(m["columns_added"]) if m["columns_added"]
                   else "",
                   "columns removed: " + ", ".join(m["columns_removed"])
                   if m["columns_removed"] else "",
                   "rows left out (--limit)" if m["truncated"] else ""])))
              for m in result["marts"]]
    text = head + format_rows(["mart", "key", "rows before", "rows", "added", "removed",
                               "changed", "note"], counts, "table")
    if lines:
        cut = [tuple(_cut(cell) for cell in line) for line in lines]
        text += "\n" + format_rows(columns, cut, "table")
        if cut != lines:
            text += f"(values longer than {WIDEST} characters cut: --format csv or json " \
                    "gives them whole)\n"
    return text


WIDEST = 120  # a cell of `spf diff`'s table, before it is cut


def _cut(cell):
    return cell[:WIDEST - 1] + "…" if isinstance(cell, str) and len(cell) > WIDEST else cell


# --- the run summary: what changed, in words ---------------------------------------------

def _pct(row: dict) -> str:
    value = row.get("coverage_pct")
    if value is None:
        flag = row.get("quality_flag")
        return "missing" + (f" ({flag})" if flag else "")
    return f"{value:.1f}"


def _count(value) -> str:
    return "none" if value is None else f"{value:,.0f}"


def _plural(value, noun: str) -> str:
    return f"{_count(value)} {noun}{'' if value == 1 else 's'}"


@dataclass(frozen=True)
class _Telling:
    """How a statistician reads a row of one mart: its name, the measure that matters
    (ranked by absolute change), and what to say after the measure."""

    measure: str | None
    where: Callable[[dict], str]
    value: Callable[[dict], str]
    after: Callable[[dict], str] = lambda row: ""
    said: tuple[str, ...] = ()  # columns `after` already tells


# The columns chosen for each mart: the figure the mart exists to publish.
TELLING: dict[str, _Telling] = {
    # coverage_pct, with the revision that brought it (a column of the mart)
    "coverage_sdg131": _Telling(
        "coverage_pct",
        lambda r: f"{r['country_iso3']} {r['year']} {r['series']} {r['sex']}", _pct,
        lambda r: f", revision {r.get('revision')} of {r['country_iso3']}-{r['year']}",
        ("revision", "submission_id")),
    # coverage_pct of the region, with how many countries it stands on
    "coverage_sdg131_regional": _Telling(
        "coverage_pct", lambda r: f"{r['region']} {r['year']} {r['series']} {r['sex']}", _pct,
        lambda r: f" ({_count(r.get('countries_reporting'))} countries reporting)",
        ("countries_reporting",)),
    # countries that achieved the step, against the target
    "results_phase_progress": _Telling(
        "achieved_countries",
        lambda r: f"phase {r['phase']} step {r['step']}"
                  + (f" ({r['step_name']})" if r.get("step_name") else "") + ":",
        lambda r: _count(r.get("achieved_countries")),
        lambda r: f" countries achieved (target {_count(r.get('target_countries'))})"),
    # people impacted, against the target
    "results_impact_summary": _Telling(
        "persons", lambda r: f"phase {r['phase']} {r['impact_category']}:",
        lambda r: _count(r.get("persons")),
        lambda r: f" people impacted (target {_count(r.get('target_persons'))})"),
    # an outcome's people impacted at its latest snapshot
    "results_people_impacted": _Telling(
        "persons",
        lambda r: f"{r['outcome_id']} ({r.get('country_iso3') or 'regional or global'}, "
                  f"{r.get('impact_category')}):",
        lambda r: _count(r.get("persons")),
        lambda r: f" people as of {_text(r.get('as_of'))}"),
    # whether a focus country achieved a step in a year
    "results_country_steps": _Telling(
        "achieved",
        lambda r: f"{r['country_iso3']} phase {r['phase']} step {r['step']} in {r['year']}:",
        lambda r: "achieved" if r.get("achieved") else "not achieved",
        lambda r: f" ({_plural(r.get('changes'), 'change')})"),
    # an institutional change exists or not (no measure: new and removed ones first)
    "results_institutional_changes": _Telling(
        None,
        lambda r: f"{r['change_id']} ({r.get('country_iso3') or 'regional or global'}, "
                  f"step {r.get('step')}, achieved on {_text(r.get('achieved_on'))}):",
        lambda r: r.get("title") or "", lambda r: ""),
    # US dollars mobilized
    "results_funding": _Telling(
        "amount_usd", lambda r: f"{r['partner']} {r['year']}:",
        lambda r: "none" if r.get("amount_usd") is None else f"US${r['amount_usd']:,.0f}",
        lambda r: f" ({_plural(r.get('interventions'), 'intervention')})"),
}


def _sentence(telling: _Telling, change: str, key: dict, old: dict, new: dict,
              changed: list[str]) -> str:
    before, after = {**key, **old}, {**key, **new}
    where = telling.where(after if change != "removed" else before)
    if change == "added":
        return f"{where} new: {telling.value(after)}{telling.after(after)}"
    if change == "removed":
        return f"{where} removed (was {telling.value(before)}{telling.after(before)})"
    if telling.measure in changed:
        return f"{where} {telling.value(before)} → {telling.value(after)}{telling.after(after)}"
    others = "; ".join(f"{c} {_text(old.get(c))} → {_text(new.get(c))}" for c in changed
                       if c not in telling.said)
    if telling.measure is None:
        return f"{where} {others}{telling.after(after)}"
    return (f"{where} {telling.value(after)} unchanged" + (f" ({others})" if others else "")
            + telling.after(after))


def summarize(old: Path | None, new: Path, top: int = 5) -> PublicationChanges:
    """For a run summary: per mart (of either file), its rows and how many were added,
    removed and changed since `old` (None: the first publication), and for the coverage and results
    marts (TELLING) the `top` largest changes in words, e.g. "GHA 2023 SOC_CONTIG_PENSION
    SEX_T 75.0 → 95.0, revision 2 of GHA-2023". Changed and removed rows come first, by the
    absolute change of the mart's measure (TELLING; a removed row counts as its whole
    value), new rows after them (the run summary's source part lists what came in). A mart
    without a key gets counts of rows only (its checksum says whether it changed)."""
    if old is None:
        with _attached(new_wh=new) as con:
            counts = {m["mart"]: MartChanges(rows_before=0, rows=m["row_count"],
                                             added=m["row_count"], removed=0, changed=0)
                      for m in _checksums(con, "new_wh")}
            latest = _history(con, "new_wh", last=True)
        return PublicationChanges(from_publication=None,
                                  to_publication=latest[-1]["publication_id"] if latest
                                  else None, marts=counts, highlights={})
    keys = mart_keys()
    with _attached(old_wh=old, new_wh=new) as con:
        comparison = _Comparison(con)
        marts: dict[str, MartChanges] = {}
        highlights: dict[str, list[str]] = {}
        for mart in comparison.marts():  # those of either file: a mart may go
            if not keys.get(mart):  # rows cannot be matched: the checksum says if it changed
                before, after = (next(iter(_checksums(con, db, comparison.catalogs[db], mart)),
                                      None) for db in ("old_wh", "new_wh"))
                marts[mart] = MartChanges(
                    rows_before=before["row_count"] if before else 0,
                    rows=after["row_count"] if after else 0, added=None, removed=None,
                    changed=0 if before == after else None)
                continue
            result = comparison.compare(mart, keys[mart])
            marts[mart] = MartChanges(rows_before=result["rows_before"], rows=result["rows"],
                                      added=result["added"], removed=result["removed"],
                                      changed=result["changed"])
            telling = TELLING.get(mart)
            if telling is None or mart not in comparison.tables or top <= 0:
                continue
            measure = telling.measure
            _, _, old_columns, new_columns = comparison.tables[mart]
            # Revisions and removals first (the run summary's source part already says what
            # came in new), each by how much its measure moved.
            order = "__spf_change = 'added'"
            if measure and measure in old_columns and measure in new_columns:
                o, n = (f"coalesce(try_cast({_q(side + ':' + measure)} as double), 0)"
                        for side in ("old", "new"))
                order += f", abs({n} - {o}) desc"
            else:  # no measure: removed, then changed
                order += ", __spf_change = 'changed'"
            rows = comparison.rows(mart, order=order, limit=top)
            if rows:
                highlights[mart] = [_sentence(telling, *row) for row in rows]
        return PublicationChanges(from_publication=comparison.ids["old_wh"],
                                  to_publication=comparison.ids["new_wh"], marts=marts,
                                  highlights=highlights)


def changes_since_previous(paths: Paths, top: int = 5) -> PublicationChanges | None:
    """summarize() of the published warehouse against the kept publication before it;
    None when nothing is published."""
    if not paths.warehouse.exists():
        return None
    latest = _latest(paths.warehouse)
    earlier = [r for r in publications(paths)
               if r["path"] and latest and r["sequence"] < latest["sequence"]]
    return summarize(Path(earlier[-1]["path"]) if earlier else None, paths.warehouse, top)


# --- 4. rollback ---------------------------------------------------------------------------

def rollback(paths: Paths, publication_id: str, note: str, run_id: str,
             keep: int | None = None) -> Rollback:
    """Publish a kept earlier publication again, atomically, under the writer lock.

    Its file is copied to the build path beside the published warehouse, given its
    `ops.publications` row (kind rollback, the operator's `note`, the history of the
    warehouse it replaces), then published by the same checkpoint, fsync and rename as a
    run. The state and the archive are not touched: the next run rebuilds from the state
    as usual. A rollback killed before the rename leaves the published warehouse as it was
    (the build is the only file written; the next run or rollback discards it).
    """
    if not (note or "").strip():
        raise HistoryError("a rollback needs a note saying why (kept in ops.publications)")
    with writer_lock(paths):
        source = resolve_publication(paths, publication_id)
        restored = _latest(source)
        if restored is None:
            raise HistoryError(f"{source} has no ops.publications")
        current = _latest(paths.warehouse) if paths.warehouse.exists() else None
        if current and current["publication_id"] == restored["publication_id"]:
            raise HistoryError(f"{restored['publication_id']} is the published warehouse "
                               "already")
        publish.discard(paths.build)
        try:
            shutil.copyfile(source, paths.build)  # a copy: a link would write the kept file
            pid = record_publication(paths.build, paths.warehouse, run_id, "rollback",
                                     note.strip(), restored["reporting_date"],
                                     restores=restored["publication_id"],
                                     kept=paths.publications)
            publish.publish(paths.build, paths.warehouse)
        finally:
            publish.discard(paths.build)
        kept = keep_publication(paths, pid)
        prune(paths, keep)
    return Rollback(publication_id=pid, restores=restored["publication_id"], note=note.strip(),
                    run_id=run_id, warehouse=str(paths.warehouse), kept=str(kept))
