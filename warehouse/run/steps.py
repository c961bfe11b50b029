"""The publication steps of a run: build the marts, gate them, publish them atomically.

A build is a new DuckDB file beside the published one (`Paths.build`); it becomes the
published warehouse only by the rename in `publish_marts`, after its gate passed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from expectations.gates import GateFailed, gates_for
from expectations.marts import validate_marts as validate
from expectations.sources import POPULATION, SourceGate
from ingest import population
from ingest.paths import Paths
from ingest.problems import describe
from warehouse.publication import kept, publish, records
from warehouse.run import build, journal
from warehouse.shared import summary
from warehouse.shared.errors import GateBlocked, RunFailed
from warehouse.shared.summary import BuildSummary, GateSummary, Rejection, validations
from warehouse.sources.registry import SOURCES

POPULATION_SUFFIXES = (".csv", ".csv.gz")


@dataclass(frozen=True)
class BuildOptions:
    """What a build is made with besides the state: the date results are reported as of,
    and the population file that weighs regional shares (None: the bundled seed); and how
    many publications to keep once it is published."""

    reporting_date: date
    population: Path | None = None
    keep_publications: int = kept.DEFAULT_KEEP

    @classmethod
    def resolve(cls, paths: Paths, reporting_date: str | date | None = None,
                population_file: str | Path | None = None,
                keep_publications: int | None = None) -> BuildOptions:
        """The options of a run: as given, else today, the one population file placed in
        the home's `population/` folder (else the bundled seed) and $SPF_KEEP_PUBLICATIONS
        (else 14). A mistake stops the run."""
        if isinstance(reporting_date, str):
            try:
                reporting_date = date.fromisoformat(reporting_date)
            except ValueError:
                raise RunFailed(f"reporting date {reporting_date!r}: expected YYYY-MM-DD, "
                                "e.g. 2017-12-31") from None
        if population_file is None:
            placed = sorted(p for p in paths.population.glob("*") if p.is_file()
                            and p.name.lower().endswith(POPULATION_SUFFIXES)) \
                if paths.population.is_dir() else []
            if len(placed) > 1:
                raise RunFailed(f"{paths.population} holds {len(placed)} population files "
                                f"({', '.join(p.name for p in placed)}): keep one")
            population_file = placed[0] if placed else None
        if population_file is not None and not Path(population_file).is_file():
            raise RunFailed(f"population file {population_file} does not exist")
        return cls(reporting_date or datetime.now(UTC).date(),
                   Path(population_file) if population_file else None,
                   kept.keep_count(keep_publications))

    def population_sha256(self) -> str:
        """The sha256 of the population file the build rests on (the seed by default)."""
        path = self.population or population.REFERENCE_POPULATION_CSV
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def is_current(paths: Paths, options: BuildOptions) -> bool:
    """True when the published warehouse was built from this state, with this code and
    population, as of a reporting date that shows the same results as this one's.

    Results depend on the reporting date only through the dates of changes achieved and
    of impact snapshots: when none falls between the two dates, the marts are the same,
    so a quiet night is not a rebuild just because the calendar moved.
    """
    info = publish.build_info(paths.warehouse)
    if not (info and paths.state_db.exists()
            and info.get("state_version") == build.state_version(paths.state_db)
            and info.get("code_version") == build.code_version()
            and info.get("population_sha256") == options.population_sha256()):
        return False
    built = info.get("reporting_date")
    return built == options.reporting_date.isoformat() or (
        built is not None and not _dated_between(paths, date.fromisoformat(built),
                                                 options.reporting_date))


def _dated_between(paths: Paths, one: date, other: date) -> bool:
    """Whether any result of a source reported as of a date (an achieved change, an impact
    snapshot) is dated after the earlier of the two dates and on or before the later one."""
    low, high = sorted((one, other))
    con = duckdb.connect(str(paths.state_db), read_only=True)
    try:
        return any(con.execute(source.dated, [low, high]).fetchall()[0][0]
                   for source in SOURCES.values() if source.dated)
    finally:
        con.close()


def ensure_something_to_publish(paths: Paths, rejected: list[Rejection]) -> None:
    """Stop a run that would publish an empty warehouse, saying why (`rejected`: this run's)."""
    con = duckdb.connect(str(paths.state_db), read_only=True)
    try:
        tables = {t for (t,) in con.execute("select table_name from duckdb_tables() "
                                            "where schema_name = 'raw'").fetchall()}
        accepted = sum(con.execute(source.accepted).fetchone()[0]
                       for source in SOURCES.values()
                       if any(t.startswith(f"{source.name}_") for t in tables))
    finally:
        con.close()
    if not accepted:
        reasons = "; ".join(f"{r['file']}: {r['reason']}" for r in rejected[:3])
        raise RunFailed("nothing to publish: no submission or project report has been accepted"
                        + (f" ({reasons})" if reasons else ""))


def _population(paths: Paths, run_id: str, options: BuildOptions):
    """The population frame and provenance of the build, and its gate's validations."""
    if options.population is None:
        frame, provenance = population.bundled_population()
        return frame, provenance, []
    gate = SourceGate(gates_for(paths.gx_root, paths.docs), POPULATION, f"{run_id}-population")
    try:
        frame, provenance = population.load_population(options.population, paths.archive, gate)
    except population.PopulationRejected as rejected:
        raise RunFailed(f"population file {options.population.name} rejected: "
                        f"{describe(rejected.problems)}") from None
    return frame, provenance, validations(gate.results)


def changed_sources(paths: Paths, options: BuildOptions) -> list[str] | None:
    """The sources a build must refresh on top of the published warehouse, or None when it
    must build everything: nothing published yet, another code, population or storage
    version (a method change), or a published file that does not say what it rests on.

    The marts of a source depend only on its raw tables, the code, the population and,
    for project reports, the reporting date: a source whose fingerprint is the same as
    the published build's is left as it is.
    """
    info = publish.build_info(paths.warehouse)
    if not info or "source_versions" not in info or \
            info.get("code_version") != build.code_version() or \
            info.get("population_sha256") != options.population_sha256() or \
            info.get("storage_version") != build.STORAGE_VERSION:
        return None
    built = json.loads(info["source_versions"])
    now = build.source_versions(paths.state_db)
    changed = [s for s in SOURCES if built.get(s) != now[s]]
    if info.get("reporting_date") != options.reporting_date.isoformat():
        # Results as of another date (`is_current`): the sources reported as of one.
        changed += [s.name for s in SOURCES.values() if s.reporting_date and s.name not in changed]
    return changed or None


def build_marts(paths: Paths, run_id: str, options: BuildOptions, full: bool = False
                ) -> BuildSummary:
    """Build a new warehouse file beside the published one: the raw layer with its reference
    population, `dbt build` as of the reporting date, then dbt's documentation site.

    Work follows what changed: when one source changed, the build starts from a copy of
    the published warehouse, refreshes that source's raw tables and builds only the dbt
    nodes of its selector (`source:ssi+`); a first build, a backfill (`full`) and a method
    change build everything.
    """
    target = paths.build
    publish.discard(target)
    refresh = None if full else changed_sources(paths, options)
    dbt_vars = {"reporting_date": options.reporting_date.isoformat()}
    command = ["build", "--exclude-resource-type", "unit_test"]
    if refresh is None:
        frame, provenance, checked = _population(paths, run_id, options)
        copied = build.copy_raw(paths.state_db, target, population=frame)
    else:
        build.copy_published(paths.warehouse, target)
        copied = build.refresh_raw(paths.state_db, target, refresh)
        provenance = json.loads(publish.build_info(paths.warehouse)["population"])
        checked = []
        selectors = [s for name in refresh if (s := SOURCES[name].dbt_selector)]
        command += ["--select", *selectors] if selectors else ["--select", "none"]
    outcome = build.run_dbt(target, paths.logs, paths.dbt_target, command, dbt_vars)
    if not outcome.success:
        publish.discard(target)
        raise RunFailed("dbt build failed: " + "; ".join(outcome.failures[:5]))
    publish.record_build(target, {
        "run_id": run_id, "state_version": build.state_version(paths.state_db),
        "source_versions": build.source_versions(paths.state_db),
        "code_version": build.code_version(), "raw_rows": copied, "dbt": outcome.counts,
        "refreshed": refresh or list(SOURCES), "storage_version": build.STORAGE_VERSION,
        "reporting_date": options.reporting_date.isoformat(),
        "population": provenance, "population_sha256": options.population_sha256(),
    })
    build.generate_docs(target, paths.logs, paths.dbt_target, dbt_vars)
    return BuildSummary(build=str(target), raw_rows=copied, dbt=outcome.counts,
                        refreshed=refresh or list(SOURCES), rebuilt=outcome.models,
                        reporting_date=options.reporting_date.isoformat(),
                        population=provenance["source"], population_validations=checked)


def validate_marts(paths: Paths, run_id: str, rebuilt: list[str] | None = None
                   ) -> GateSummary:
    """Validate the marts of the build with their `marts__*` suites (only those `rebuilt`
    when given: the others are as the published warehouse's, gated when they were built);
    a blocking failure discards the build and stops publication."""
    results = validate(gates_for(paths.gx_root, paths.docs), paths.build, f"{run_id}-marts",
                       rebuilt)
    summary = GateSummary(validations=validations(results))
    if not all(r.passed for r in results):
        publish.discard(paths.build)
        raise GateBlocked(str(GateFailed(results)), summary)
    return summary


def publish_marts(paths: Paths, run_id: str, kind: str, options: BuildOptions,
                  summary: dict | None = None, note: str | None = None
                  ) -> summary.PublicationChanges:
    """Record the publication in the build, replace the published warehouse by it and its
    dbt documentation by the build's, keep it among the last publications, and say what it
    changed against the one before.

    `summary`, the run's so far, is journaled with the publication's id before the rename
    (warehouse/run/journal.py): should the run die after it, the next one finishes the rest."""
    publication = records.record_publication(
        paths.build, paths.warehouse, run_id, kind, note, options.reporting_date,
        kept=paths.publications)
    journal.kill_point("recorded")
    if summary is not None:
        journal.save(paths, {**summary, "pending_publication": publication})
    publish.publish(paths.build, paths.warehouse)
    journal.kill_point("renamed")
    return after_publishing(paths, publication, options.keep_publications)


def after_publishing(paths: Paths, publication: str, keep: int | None = None
                     ) -> summary.PublicationChanges:
    """What follows the rename: the build's dbt documentation in place, the publication
    kept, compared with the one before, the oldest pruned. Done again by the next run
    when a crash cut it off (warehouse/run/pipeline.py `finish_interrupted`)."""
    publish.replace_file(paths.dbt_target / "static_index.html", paths.dbt_docs / "index.html")
    return kept.after_publication(paths, publication, keep)


def discard_build(paths: Paths) -> None:
    publish.discard(paths.build)
