"""Build a new warehouse file from the raw layer: copy raw (without personal data), run dbt.

Each run builds into a fresh DuckDB file beside the published one; nothing here
touches the published warehouse (see warehouse/publication/publish.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ingest.paths import DBT_PROJECT_DIR, EXPECTATIONS_DIR
from ingest.population import bundled_population
from ingest.reference import countries
from warehouse.shared.errors import RunFailed
from warehouse.sources.registry import SOURCES

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a night with nothing new needs none of it

log = logging.getLogger(__name__)
# The on-disk format of every build, hence of the published warehouse: DuckDB 2.0 writes
# v2.0.0+ by default, which no 1.x client opens, and analysts' CLIs and drivers lag behind
# the library; v1.2.0 is read by DuckDB 1.2 and later (../shared/stack-notes.md).
STORAGE_VERSION = "v1.2.0"
_DBT_LOCK = threading.Lock()  # two dbt invocations in one process break each other


def code_version() -> str:
    """Hash of everything that shapes the marts: dbt project and quality suites."""
    digest = hashlib.sha256()
    for root in (DBT_PROJECT_DIR, EXPECTATIONS_DIR / "suites"):
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".sql", ".yml", ".csv", ".json"} and \
                    not {"target", "logs", "dbt_packages"} & set(path.parts):
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    # What a build copies of the raw layer shapes it too: a published file made with
    # another allow-list is rebuilt whole, not refreshed source by source.
    digest.update(json.dumps({s.name: s.published for s in SOURCES.values()},
                             sort_keys=True).encode())
    digest.update(EMAIL.encode())
    return digest.hexdigest()[:16]


# An e-mail address in a published text (a problem quoting a cell, a title) is masked: a
# second line behind each source's allow-list of columns, for free text that may hold one.
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
EMAIL_MASK = "[e-mail address removed]"


def source_versions(state_db: Path) -> dict[str, str]:
    """A fingerprint of each source's raw tables: it changes whenever a batch of that
    source is stored, so a build can refresh only the sources that changed."""
    con = duckdb.connect(str(state_db), read_only=True)
    try:
        tables = [t for (t,) in con.execute("select table_name from duckdb_tables() "
                                            "where schema_name = 'raw' order by 1").fetchall()]
        versions = {}
        for name, source in SOURCES.items():
            parts = [f"{t}:{con.execute(f'select count(*) from raw.{t}').fetchone()[0]}"
                     for t in tables if t.startswith(f"{name}_")]
            if source.decisions in tables:
                parts.append(str(con.execute(f"select max(processed_at) from "
                                             f"raw.{source.decisions}").fetchone()[0]))
            versions[name] = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    finally:
        con.close()
    return versions


def state_version(state_db: Path) -> str:
    """Fingerprint of the raw layer: changes whenever a batch is loaded."""
    return hashlib.sha256(json.dumps(source_versions(state_db), sort_keys=True).encode()
                          ).hexdigest()[:16]


def copy_published(warehouse: Path, build_db: Path) -> None:
    """Start a build from a copy of the published warehouse (which is never written)."""
    partial = build_db.with_name(f"{build_db.name}.partial")
    shutil.copyfile(warehouse, partial)
    os.chmod(partial, 0o644)
    os.replace(partial, build_db)


def refresh_raw(state_db: Path, build_db: Path, sources: list[str]) -> dict[str, int]:
    """Replace the raw tables of `sources` in an existing build by the state's."""
    con = duckdb.connect(str(build_db))
    try:
        con.execute(f"attach '{state_db}' as state (read_only)")
        return _copy_tables(con, sources)
    finally:
        con.close()


def published_select(columns: tuple[str, ...], types: dict[str, str]) -> str:
    """The select list copying a raw table into a build: the allowed `columns`, with e-mail
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
    return ", ".join(masked(c) for c in columns)


def _copy_tables(con: duckdb.DuckDBPyConnection, sources: Iterable[str]) -> dict[str, int]:
    """Copy the state's raw tables of `sources` into the build: the allowed columns only
    (each source's `published`, warehouse/sources/), e-mail addresses masked."""
    copied = {}
    types: dict[str, dict[str, str]] = {}
    for table, column, kind in con.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where database_name = 'state' and schema_name = 'raw'").fetchall():
        types.setdefault(table, {})[column] = kind
    for name in sources:
        for table, columns in sorted(SOURCES[name].published.items()):
            if table not in types:  # nothing of it stored yet
                continue
            con.execute(f"create or replace table raw.{table} as select "
                        f"{published_select(columns, types[table])} from state.raw.{table}")
            copied[table] = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
    con.execute("detach state")
    return copied


def copy_raw(state_db: Path, build_db: Path, population: pd.DataFrame | None = None
             ) -> dict[str, int]:
    """Create `build_db`, in STORAGE_VERSION, with the raw layer of `state_db` (no personal
    data) and reference data. The file keeps its storage version when dbt reopens it.

    `population` (rows of ingest/population.py, e.g. from `load_population`) becomes
    raw.ref_population, which weighs the regional marts; by default, the bundled seed."""
    import pandas as pd

    build_db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"attach '{build_db}' as build (storage_version '{STORAGE_VERSION}')")
        con.execute("use build")
        con.execute(f"attach '{state_db}' as state (read_only)")
        con.execute("create schema if not exists raw")
        copied = _copy_tables(con, list(SOURCES))
        frame = pd.DataFrame.from_records(countries())
        con.register("_countries", frame)
        con.execute("create table raw.ref_countries as select * from _countries")
        con.unregister("_countries")
        con.register("_population", bundled_population()[0] if population is None
                     else population)
        con.execute("create table raw.ref_population as select * from _population")
        con.unregister("_population")
    finally:
        con.close()
    return copied


# Commands that run from a parsed manifest; the others (unit tests with their own
# selection, `parse` itself) parse as usual.
_FROM_MANIFEST = {"build", "docs"}
_MANIFESTS: dict[tuple[str, ...], object] = {}


def _parsed(common: list[str]):
    """dbt's manifest of the project as it is now, parsed once per process and arguments
    (the variables among them): parsing costs about a second a build, and a warm worker
    builds many times. A changed model, test or seed changes `code_version`, hence the key,
    so the project is parsed again."""
    from dbt.cli.main import dbtRunner

    key = (code_version(), *common)
    if key not in _MANIFESTS:
        result = dbtRunner().invoke(["parse", *common])
        if not result.success:
            return None  # the build parses itself and reports what is wrong
        _MANIFESTS.clear()
        _MANIFESTS[key] = result.result
    return _MANIFESTS[key]


def _close_dbt_database() -> None:
    """Close the DuckDB file dbt-duckdb keeps open between nodes, releasing its lock.

    `keep_open: true` spares a reopen of the database for every node (seconds per
    build); dbt-duckdb has no public call to close it afterwards, and its
    `close_all_connections` drops the environment without closing the database.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager

    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()
            manager._ENV = None


@dataclass
class DbtOutcome:
    success: bool
    failures: list[str]
    counts: dict[str, int]
    models: list[str] = field(default_factory=list)  # schema.name of every model built
    skipped: list[str] = field(default_factory=list)  # dbt tests the marts gate checks


# A dbt test and the Great Expectations expectation that checks the same rule, with the
# arguments that must agree.
_SAME_RULE = {
    "unique": ("expect_column_values_to_be_unique", "column_name", "column"),
    "not_null": ("expect_column_values_to_not_be_null", "column_name", "column"),
    "accepted_values": ("expect_column_values_to_be_in_set", "column_name", "column"),
    "unique_combination": ("expect_compound_columns_to_be_unique", "columns", "column_list"),
}


def checked_by_the_gate(manifest) -> list[str]:
    """The dbt tests of marts whose rule a `marts__*` suite of the marts gate checks on the
    same mart, as blocking (unique, not null, accepted values, a unique combination): each
    rule is checked once, by the gate, whose results statisticians read in Data Docs.
    Tests of other layers, and of rules the gate does not check, still run in the build."""
    from expectations.gates import BLOCKING, load_suite, suite_names

    gated = set()
    for name in suite_names("marts__"):
        suite = load_suite(name)
        if suite.get("meta", {}).get("query"):
            continue  # a suite over a query checks its rows, not the mart's
        mart = name.removeprefix("marts__")
        for expectation in suite["expectations"]:
            if expectation.get("severity") != BLOCKING:
                continue  # a rule the gate only warns about stays a dbt error
            kwargs = expectation.get("kwargs", {})
            key = kwargs.get("column") or tuple(kwargs.get("column_list") or ())
            values = tuple(sorted(map(str, kwargs.get("value_set") or ())))
            gated.add((mart, expectation["type"], key, values))
    skipped = []
    for node in manifest.nodes.values():
        metadata = getattr(node, "test_metadata", None)
        if node.resource_type != "test" or metadata is None or metadata.name not in _SAME_RULE:
            continue
        model = manifest.nodes.get(getattr(node, "attached_node", None) or "")
        if model is None or model.schema != "marts":
            continue
        expectation, argument, _ = _SAME_RULE[metadata.name]
        arguments = {**metadata.kwargs, **(metadata.kwargs.get("arguments") or {})}
        key = node.column_name if argument == "column_name" else \
            tuple(arguments.get(argument) or ())
        values = tuple(sorted(map(str, arguments.get("values") or ())))
        if (model.name, expectation, key, values) in gated:
            skipped.append(node.name)
    return sorted(skipped)


def run_dbt(build_db: Path, logs: Path, target: Path, args: list[str] | None = None,
            dbt_vars: dict | None = None) -> DbtOutcome:
    """`dbt build` into `build_db`, in process; failures are read from the node results.

    dbt unit tests check the models' SQL, not the data: they need not run in every
    build, and tests/test_dbt_unit_tests.py runs them with `args`. `dbt_vars` are the
    project's variables (e.g. `reporting_date`). The project is parsed once per process
    and variables (`_parsed`): a warm worker (warehouse/run/worker.py) builds again and
    again from the manifest it holds.
    """
    from dbt.cli.main import dbtRunner

    command = args or ["build", "--exclude-resource-type", "unit_test"]
    # dbt's debug log file costs more than its warnings and errors are worth in a build.
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
              "--log-path", str(logs), "--target-path", str(target),
              "--quiet", "--no-use-colors", "--log-level-file", "warn",
              *(["--vars", json.dumps(dbt_vars, sort_keys=True)] if dbt_vars else [])]
    skipped: list[str] = []
    with _DBT_LOCK:
        previous = os.environ.get("SPF_BUILD_DB")
        os.environ["SPF_BUILD_DB"] = str(build_db)
        try:
            manifest = _parsed(common) if command[0] in _FROM_MANIFEST else None
            if manifest is not None and args is None:
                skipped = checked_by_the_gate(manifest)
                command = [*command, *(["--exclude", *skipped] if skipped else [])]
            result = dbtRunner(manifest=manifest).invoke([*command, *common])
        finally:
            _close_dbt_database()
            if previous is None:
                os.environ.pop("SPF_BUILD_DB", None)
            else:
                os.environ["SPF_BUILD_DB"] = previous
    failures, counts, models = [], {}, []
    for node in getattr(result.result, "results", None) or []:
        status = str(node.status)
        counts[status] = counts.get(status, 0) + 1
        if node.node.resource_type == "model" and status == "success":
            models.append(f"{node.node.schema}.{node.node.name}")
        if status in {"error", "fail", "runtime error"}:
            failures.append(f"{node.node.resource_type} {node.node.name}: {status}: "
                            f"{(node.message or '').strip()}")
    if not result.success and not failures:
        failures.append(f"dbt {' '.join(command)} failed: {result.exception}")
    if skipped:
        counts["left to the marts gate"] = len(skipped)
    return DbtOutcome(result.success, failures, counts, sorted(models), skipped)


def generate_docs(build_db: Path, logs: Path, target: Path, dbt_vars: dict | None = None
                  ) -> Path:
    """dbt's documentation site of `build_db` (models, columns, tests, lineage) as one page
    that opens from the file system (`--static`: no server, no fetch of its JSON).

    From the manifest the build has just parsed, without a new compilation (seconds saved
    on every build), and the catalog of the build, the file that is published: every
    column's type as DuckDB has it, beside its description from the YAML (which
    tests/test_nightly_rmt.py keeps complete for every mart)."""
    outcome = run_dbt(build_db, logs, target, dbt_vars=dbt_vars,
                      args=["docs", "generate", "--static", "--no-compile"])
    page = target / "static_index.html"
    if not outcome.success or not page.exists():
        raise RunFailed("dbt docs generate failed: " + "; ".join(outcome.failures[:3]))
    return page
