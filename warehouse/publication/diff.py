"""The diff engine: what changed between two warehouse files, mart by mart, on each
mart's grain (its dbt `unique` or `unique_combination` test). DuckDB joins the two files;
marts whose recorded checksums and columns are equal are not read."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import TypedDict

import duckdb

from ingest import dbt_contract
from warehouse.publication.records import (
    HistoryError,
    attached,
    catalog_of,
    literal,
    mart_names,
    quoted,
    read_history,
)


def as_text(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


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


def mart_keys() -> dict[str, list[str]]:
    """Each mart's grain as its dbt tests state it (ingest/dbt_contract.py), by mart name."""
    return {table.removeprefix("marts."): list(grain)
            for table, grain in dbt_contract.table_grains(("marts",)).items()}


def _mart_name(table: str) -> str:
    return table.strip().removeprefix("marts.")


class Comparison:
    """Two warehouse files attached read-only to one DuckDB; each mart diffed by a join."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.tables: dict[str, tuple[str, list[str], list[str], list[str]]] = {}
        self.catalogs = {db: catalog_of(con, db) for db in ("old_wh", "new_wh")}
        stored = {db: read_history(con, db, last=True) for db in ("old_wh", "new_wh")}
        self.ids = {db: rows[-1]["publication_id"] if rows else None
                    for db, rows in stored.items()}
        self.stored = {db: {m["mart"]: (m["row_count"], m["checksum"]) for m in rows[-1]["marts"]}
                       if rows else {} for db, rows in stored.items()}

    def marts(self) -> list[str]:
        return sorted(set(mart_names(self.catalogs["old_wh"]))
                      | set(mart_names(self.catalogs["new_wh"])))

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
        src_old = f"old_wh.marts.{quoted(mart)}" if old else \
            f"(select * from new_wh.marts.{quoted(mart)} limit 0)"
        src_new = f"new_wh.marts.{quoted(mart)}" if new else \
            f"(select * from old_wh.marts.{quoted(mart)} limit 0)"
        old, new = old or new, new or old
        common = [c for c in new if c in old]
        values = [c for c in common if c not in key]

        def side(alias: str, column: str) -> str:  # as text where the two types differ
            cast = "::varchar" if old[column] != new[column] else ""
            return f"{alias}.{quoted(column)}{cast}"

        def differs(column: str) -> str:
            return f"{side('o', column)} is distinct from {side('n', column)}"

        on = " and ".join(f"{side('o', k)} is not distinct from {side('n', k)}" for k in key)
        keys = [f"case when n.__spf_new then {side('n', k)} else {side('o', k)} end "
                f"as {quoted('key:' + k)}" for k in key]
        cells = [f"o.{quoted(c)} as {quoted('old:' + c)}" for c in old if c not in key] + \
                [f"n.{quoted(c)} as {quoted('new:' + c)}" for c in new if c not in key]
        flags = ", ".join(f"case when {differs(c)} then {literal(c)} end" for c in values)
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
        where = f"where __spf_change = {literal(change)}" if change else ""
        by = ", ".join(quoted("key:" + k) for k in key)
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
    with attached(old_wh=old, new_wh=new) as con:
        comparison = Comparison(con)
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
