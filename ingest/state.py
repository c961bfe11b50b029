"""What the pipeline's state already records, as each source's decisions need it.

Read-only queries on the raw layer (`ingest/raw.py`): which files and fetches were
seen and what became of them, what is loaded, and the archived deliveries a release
or a backfill decides again. Deciding is done elsewhere, on what these return.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ingest.archive import located
from ingest.landing import LandedFile
from ingest.outcomes import ACCEPTED_AFTER_REVIEW

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a night with nothing new needs none of it

Connection = duckdb.DuckDBPyConnection


# --- SSI workbooks ---------------------------------------------------------------------------

# Entries turned away before parsing: no bytes to read (a folder, a link), a name that is
# not a spreadsheet's, or one that cannot be recorded as it is (ingest/landing.py). Their
# bytes, if any, are nobody's first copy, and no backfill parses them.
TURNED_AWAY_BY_NAME = ("unsupported_format", "bad_file_name", "name_too_long")
NOT_PARSED = ("(archive_path is null or coalesce(reason_code, '') in "
              f"{TURNED_AWAY_BY_NAME!r})")


def ssi_landed(con: Connection) -> set[tuple[str, str]]:
    """(sha256, original name) of everything landed so far, workbook or not."""
    return set(con.execute("select sha256, original_name from raw.ssi_files").fetchall())


def landed_unchanged(con: Connection, source: str) -> dict[str, tuple[tuple[int, ...], str]]:
    """name -> (status key, sha256) of the files of `source` the last landing pass found
    unchanged (ingest/landing.py `Landing.unchanged`)."""
    return {name: ((size, int(mtime), int(ctime), int(inode), int(device)), sha)
            for name, size, mtime, ctime, inode, device, sha in con.execute(
                "select name, size_bytes, mtime_ns, ctime_ns, inode, device, sha256 "
                "from landing.unchanged where source = ?", [source]).fetchall()}


def ssi_first_outcomes(con: Connection, redo: set[str]) -> dict[str, tuple[str, str]]:
    """sha256 -> (status, original name) of the first decision on each file not in `redo`,
    of those that went to the parser."""
    return {sha: (status, name) for sha, status, name in con.execute(
        "select sha256, arg_min(status, processed_at), arg_min(original_name, processed_at) "
        f"from raw.ssi_files where not {NOT_PARSED} group by sha256").fetchall()
        if sha not in redo}


def ssi_loaded_identities(con: Connection, redo: set[str]) -> dict[tuple, tuple[str, str]]:
    """(iso3, year, revision) -> (sha256, original name) of what is loaded, but `redo`."""
    return {(iso3, year, rev): (sha, name) for iso3, year, rev, sha, name in con.execute("""
        select s.country_iso3, s.reference_year, s.revision, s.sha256, any_value(f.original_name)
        from raw.ssi_submissions s join raw.ssi_files f using (sha256)
        where f.status = 'loaded'
        group by all""").fetchall() if sha not in redo}


def ssi_archived(con: Connection, archive: Path, where: str = "true",
                 params: list | None = None) -> list[LandedFile]:
    """Landed SSI files recorded in the state, oldest delivery first, at their place in
    `archive` (the home's, wherever it is now)."""
    rows = con.execute(f"""
        select sha256, original_name, size_bytes, received_at, archive_path
        from raw.ssi_files where {where}
        order by received_at, original_name""", params or []).fetchall()
    return [LandedFile("ssi", sha, name, size, received.isoformat(),
                       str(path) if (path := located(archive, recorded)) else None)
            for sha, name, size, received, recorded in rows]


def ssi_in_scope(con: Connection, years: tuple[int, int] | None, countries: list[str] | None
                 ) -> list[str]:
    """The sha256 of archived workbooks whose submission is in the scope.

    A file's identity is what any of its names recorded (a duplicate's copy names none), so
    a copy of a file in scope is in scope and a copy of one outside is not. Files no name
    could identify are in no scope but the whole archive (no years, no countries), where a
    fixed parser may now read them.
    """
    return [sha for (sha,) in con.execute(f"""
        select sha256 from raw.ssi_files
        where not {NOT_PARSED}
        group by sha256
        having case
            when max(country_iso3) is null or max(reference_year) is null
                then $years is null and $countries is null
            else ($years is null or max(reference_year) between $years[1] and $years[2])
                and ($countries is null or list_contains($countries, max(country_iso3)))
        end
        order by sha256""", {"years": list(years) if years else None,
                             "countries": countries}).fetchall()]


def ssi_accepted(con: Connection) -> dict[str, str]:
    """Files a statistician accepted despite the gate (sha256 -> their reason)."""
    return dict(con.execute("select sha256, any_value(reason_message) from raw.ssi_files "
                            "where reason_code = ? group by 1", [ACCEPTED_AFTER_REVIEW]
                            ).fetchall())


# --- RMT fetches -----------------------------------------------------------------------------

def rmt_decided_exports(con: Connection) -> set[tuple[str, str]]:
    """(origin, content sha256) of every export folder decided so far."""
    return set(con.execute("select origin, content_sha256 from raw.rmt_fetches "
                           "where route = 'export'").fetchall())


def rmt_high_water_mark(con: Connection, base_url: str) -> str | None:
    """The latest `updated_at` loaded from this API, as the `updated_since` of the next fetch."""
    mark = con.execute("select max(high_water_mark) from raw.rmt_fetches where route = 'api' "
                       "and origin = ? and status = 'loaded'", [base_url]).fetchall()[0][0]
    return mark.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if mark else None


def rmt_seen_versions(con: Connection, versions: pd.DataFrame, redo: set[str]
                      ) -> tuple[list[tuple], set[tuple]]:
    """Of `versions` (intervention_id, updated_at, version_sha256): the (id, updated_at) seen
    with other content, and those already loaded, leaving out the rows of fetches in `redo`."""
    con.register("_versions", versions[["intervention_id", "updated_at", "version_sha256"]])
    try:
        con.execute("""
            create or replace temp table _known as
            select intervention_id, updated_at, version_sha256 from raw.rmt_interventions
            where not list_contains(?, fetch_id)""", [sorted(redo)])
        clashes = con.execute("""
            select intervention_id, updated_at
            from (select * from _versions union all select * from _known)
            group by all having count(distinct version_sha256) > 1
            order by all""").fetchall()
        loaded = set(con.execute("select intervention_id, updated_at from _versions "
                                 "intersect select intervention_id, updated_at from _known"
                                 ).fetchall())
        con.execute("drop table _known")
    finally:
        con.unregister("_versions")
    return clashes, loaded


def rmt_fetch(con: Connection, fetch_id: str, archive: Path) -> tuple[tuple, list[tuple]]:
    """A recorded fetch (route, origin, updated_since, content sha256) and its pages
    (sha256, name, size, received at, archive path in `archive`, page number, url), by name."""
    fetch = con.execute("select route, origin, updated_since, content_sha256 "
                        "from raw.rmt_fetches where fetch_id = ?", [fetch_id]).fetchall()[0]
    pages = con.execute("select sha256, original_name, size_bytes, received_at, archive_path, "
                        "page, url from raw.rmt_pages where fetch_id = ? order by original_name",
                        [fetch_id]).fetchall()
    return fetch, [(sha, name, size, received,
                    str(path) if (path := located(archive, recorded)) else None, page, url)
                   for sha, name, size, received, recorded, page, url in pages]


def rmt_is_quarantined(con: Connection, fetch_id: str) -> bool:
    return bool(con.execute("select 1 from raw.rmt_fetches where fetch_id = ? and "
                            "status = 'quarantined'", [fetch_id]).fetchall())


def rmt_decided(con: Connection) -> list[tuple[str, str | None]]:
    """Every fetch that did not fail, in the order first decided, with a statistician's
    reason when they accepted it despite the gate."""
    return con.execute("""
        select fetch_id, case when reason_code = ? then reason_message end
        from raw.rmt_fetches where status != 'failed'
        order by fetch_id""", [ACCEPTED_AFTER_REVIEW]).fetchall()  # ids sort by first run
