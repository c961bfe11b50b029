"""`spf`: run the pipeline and query the published warehouse from a terminal.

The top layer: only it starts the flows. Each command imports what it needs when it runs,
so that `spf query` starts fast and `main` registers its exit handler before any library
registers its own (see `main`).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import sys
import tomllib
import traceback
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperArgument, TyperCommand

from ingest.paths import resolve
from ingest.terminal import printable


class _Command(TyperCommand):
    """A command whose help names its arguments without the type typer adds after them
    (`file <str>`): their names and help say what they are."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):
                param.display_type_rich = lambda ctx: None


# Plain help (no rich panels): it wraps to the terminal, and shows no `<bool>` after flags.
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="SPF Warehouse: social protection statistics and programme results.")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"spf {version('spf-warehouse')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version of SPF Warehouse and exit.")] = False,
) -> None:
    """SPF Warehouse: social protection statistics and programme results."""

WarehouseOpt = Annotated[Path | None, typer.Option(
    "--warehouse", metavar="FILE",
    help="Published DuckDB file (default: $SPF_WAREHOUSE or data/spf.duckdb).")]
SettleOpt = Annotated[float | None, typer.Option(
    "--settle", metavar="SECONDS", min=0,
    help="Leave files of the landing folder changed less than SECONDS ago for the next run "
         "(default: $SPF_SETTLE_SECONDS, else 0: none). A file that changes while it is "
         "landed is always left.")]


ReportingDateOpt = Annotated[str | None, typer.Option(
    "--reporting-date", metavar="YYYY-MM-DD",
    help="Report results as of this date, as an annual report did (default: today).")]
PopulationOpt = Annotated[Path | None, typer.Option(
    "--population", metavar="FILE",
    help="UN WPP TotalPopulationBySex CSV (.csv or .csv.gz) to weigh regional shares with "
         "(default: the file in the home's population/ folder, else the bundled World Bank "
         "seed); archived and validated first.")]
KeepOpt = Annotated[int | None, typer.Option(
    "--keep-publications", metavar="N", min=1,
    help="Keep the last N publications in the home for --as-of, diff and rollback "
         "(default: $SPF_KEEP_PUBLICATIONS, else 14); older ones are pruned.")]


def _fail(message: str) -> None:
    typer.echo(f"spf: {printable(' '.join(str(message).split()))}", err=True)
    raise typer.Exit(1)


@app.command(cls=_Command, short_help='Load what is new, rebuild, gate and publish (nightly).')
def run(
    landing: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Folder of SSI workbooks to land.")] = None,
    rmt_dir: Annotated[Path | None, typer.Option(
        metavar="DIR",
        help="Folder of Results Monitoring Tool exports (page files, a sub-folder per export).")
    ] = None,
    rmt_url: Annotated[str | None, typer.Option(
        metavar="URL",
        help="Base URL of the Results Monitoring Tool API (token from $SPF_RMT_TOKEN).")] = None,
    warehouse: WarehouseOpt = None,
    settle: SettleOpt = None,
    reporting_date: ReportingDateOpt = None,
    population: PopulationOpt = None,
    keep_publications: KeepOpt = None,
) -> None:
    """Run the nightly flow: load what is new, rebuild and gate the marts, publish.

    Given no source, it loads the bundled sample (SSI workbooks and project reports);
    given one or more, only those.
    """
    if rmt_dir and rmt_url:
        _fail("give --rmt-dir or --rmt-url, not both")
    _run_flow("nightly", landing=str(landing) if landing else None,
              rmt_dir=str(rmt_dir) if rmt_dir else None, rmt_url=rmt_url,
              warehouse=str(warehouse) if warehouse else None, settle_seconds=settle,
              reporting_date=reporting_date, population=str(population) if population else None,
              keep_publications=keep_publications)


@app.command(cls=_Command, short_help='Re-process a scope of years and countries, and publish.')
def backfill(
    years: Annotated[str, typer.Option(
        metavar="FROM:TO",
        help="Reference years to re-process, FROM:TO (e.g. 2016:2020) or one year.")],
    countries: Annotated[str | None, typer.Option(
        metavar="ISO3,...", help="Comma-separated ISO3 codes (default: every country).")] = None,
    sources: Annotated[str | None, typer.Option(
        metavar="NAME,...", help="Comma-separated source names (default: every source).")] = None,
    reread: Annotated[bool, typer.Option(
        help="Re-read archived files; --no-reread only rebuilds the marts.")] = True,
    landing: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Also land new SSI workbooks from this folder.")] = None,
    rmt_dir: Annotated[Path | None, typer.Option(
        metavar="DIR",
        help="Also load new Results Monitoring Tool exports from this folder.")] = None,
    rmt_url: Annotated[str | None, typer.Option(
        metavar="URL",
        help="Also fetch what changed from the RMT API (token from $SPF_RMT_TOKEN).")] = None,
    warehouse: WarehouseOpt = None,
    settle: SettleOpt = None,
    reporting_date: ReportingDateOpt = None,
    population: PopulationOpt = None,
    keep_publications: KeepOpt = None,
) -> None:
    """Re-process archived submissions and reports of a scope, rebuild, gate and publish.

    The same flow as the `backfill` deployment, run here without a Prefect server.
    """
    if rmt_dir and rmt_url:
        _fail("give --rmt-dir or --rmt-url, not both")
    first, _, last = years.partition(":")
    try:
        span = (int(first), int(last or first))
    except ValueError:
        _fail(f"--years {years!r}: expected FROM:TO, e.g. 2016:2020")
    _run_flow("backfill", years_from=span[0], years_to=span[1],
              countries=[c for c in (countries or "").split(",") if c.strip()] or None,
              sources=[s.strip() for s in (sources or "").split(",") if s.strip()] or None,
              reread=reread,
              landing=str(landing) if landing else None,
              rmt_dir=str(rmt_dir) if rmt_dir else None, rmt_url=rmt_url,
              warehouse=str(warehouse) if warehouse else None, settle_seconds=settle,
              reporting_date=reporting_date, population=str(population) if population else None,
              keep_publications=keep_publications)


def prefect_server() -> str | None:
    """The Prefect API this shell is configured for, as Prefect resolves it: $PREFECT_API_URL,
    else the active profile's (in $PREFECT_HOME/profiles.toml); None when there is none.

    Read without importing Prefect, which takes seconds."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    try:
        profiles = tomllib.loads((home / "profiles.toml").read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active", "ephemeral")
    return profiles.get("profiles", {}).get(active, {}).get("PREFECT_API_URL") or None


@contextlib.contextmanager
def _progress_bars():
    """Progress bars of long steps on the terminal (none when stderr is not one)."""
    from ingest import progress

    if not sys.stderr.isatty():
        yield
        return
    from rich.progress import Progress  # typer's own dependency

    with Progress(transient=True) as bars:
        tasks: dict[str, object] = {}

        def show(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bars.add_task(what, total=total)
            bars.update(tasks[what], completed=done)

        with progress.reporting(show):
            yield


class _Printable(logging.Formatter):
    """Log lines with the names they quote escaped for the terminal (ingest/terminal.py),
    the lines of a traceback kept apart."""

    def format(self, record: logging.LogRecord) -> str:
        return "\n".join(printable(line) for line in super().format(record).split("\n"))


def _terminal_log() -> logging.Logger:
    """The run's logger ("spf"), its lines on the terminal with their time and level."""
    handler = logging.StreamHandler()
    handler.setFormatter(_Printable("%(asctime)s | %(levelname)-7s | %(message)s", "%H:%M:%S"))
    log = logging.getLogger("spf")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return log


def _run_here(kind: str, parameters: dict) -> dict:
    """The run without a Prefect server: handed to the home's warm worker when one listens
    (`spf worker`), else run in this process (cold: the imports and dbt's parse first)."""
    from warehouse.run import worker

    log = _terminal_log()
    def cold() -> dict:
        from warehouse.run import pipeline
        from warehouse.sources.rmt import fetch_with_environment_token

        how = pipeline.Orchestration(fetch_pages=fetch_with_environment_token, log=log)
        with _progress_bars():
            return getattr(pipeline, kind)(how=how, **parameters)

    return worker.run(kind, parameters, cold, log)


def _run_flow(kind: str, **parameters) -> None:
    """Run the nightly or the backfill flow and print its summary; one line and exit code 1
    when it fails.

    On a Prefect server (see `prefect_server`) the run is a flow run there, with its tasks,
    logs and artifact. Without one, the same steps run as plain calls: Prefect's temporary
    server would cost seconds at every start and keep nothing once the command exits.
    """
    from warehouse.run import worker

    try:
        if prefect_server():
            if kind == "nightly":
                from flows.nightly import nightly as flow
            else:
                from flows.backfill import backfill as flow
            from flows.tasks import send_pending_events

            try:
                summary = flow(**parameters)
            finally:
                send_pending_events()
        else:
            summary = _run_here(kind, parameters)
    except Exception as error:  # the flow logged it: in one line if expected, else with its
        # traceback (flows/nightly.py); the operator gets one line here too
        if isinstance(error, worker.WorkerGone):
            pass
        elif isinstance(error, worker.HandedOverFailure):
            if not error.expected:
                sys.stderr.write(error.traceback)
        elif not prefect_server():
            from warehouse.run import pipeline

            if not isinstance(error, pipeline.EXPECTED_FAILURES):
                traceback.print_exc()
        message = str(error)
    else:
        message = None
    if message is not None:
        page = resolve(parameters.get("warehouse")).docs / "runs" / "latest.html"
        _fail(f"run failed: {message}" + (f" (summary: {page})" if page.exists() else ""))
    from warehouse.run.report import terminal

    typer.echo(terminal(summary))
    if not Path(summary["warehouse"]).exists():
        _fail("run published nothing: no warehouse exists")


@app.command(cls=_Command,
             short_help="Deliveries turned away (quarantined, rejected), a line each.")
def status(
    warehouse: WarehouseOpt = None,
    reporting: Annotated[int | None, typer.Option(
        "--reporting", metavar="YEAR",
        help="Instead: the countries with no accepted SSI submission for YEAR, focus "
             "countries first, with what became of their deliveries.")] = None,
    details: Annotated[bool, typer.Option(
        "--details", help="A table with each reason in full, the file's id and when it was "
                          "decided (wider than a terminal).")] = False,
) -> None:
    """List quarantined and rejected deliveries, one line each: source, status, id, file
    and reason code, cut to the terminal's width; --details gives the reasons in full.

    Control characters in names and reasons show escaped (`ingest.terminal.printable`)."""
    from ingest.terminal import printable
    from warehouse.shared.tables import format_rows

    if reporting is not None:
        from warehouse.access.query import QueryError
        from warehouse.review.submissions import missing_reports

        try:
            columns, rows = missing_reports(resolve(warehouse).warehouse, reporting)
        except QueryError as error:
            _fail(printable(" ".join(str(error).split())))
        if not rows:
            typer.echo(f"every country has an accepted submission for {reporting}")
            return
        sys.stdout.write(format_rows(columns, rows, "table"))
        typer.echo(f"{len(rows)} countries without an accepted submission for {reporting} "
                   "(published warehouse). `spf feedback ID --out FILE` writes what to send "
                   "back for a rejected or quarantined one.")
        return
    from warehouse.review import quarantine
    from warehouse.shared.errors import RunFailed

    try:
        columns, rows, origin = quarantine.status_rows(resolve(warehouse))
    except RunFailed as error:
        _fail(printable(" ".join(str(error).split())))
    import shutil
    import textwrap

    width = shutil.get_terminal_size().columns
    if not rows:
        typer.echo(f"nothing quarantined or rejected ({origin})")
    elif details:
        sys.stdout.write(format_rows(columns, rows, "table"))
        typer.echo(f"read from the {origin}. After a fix, release a quarantined file or fetch "
                   "with `spf release ID` (validated again) or, once its figures are "
                   "confirmed, `spf release ID --accept --note WHY`; the next `spf run` "
                   "publishes it. Rejected ones must be sent again, corrected: `spf feedback "
                   "ID --out FILE` writes what to send back.")
    else:
        shown = [[printable(str(row[columns.index(c)] or ""))
                  for c in ("source", "status", "id", "file", "reason_code")] for row in rows]
        pads = [max(len(line[i]) for line in shown) for i in range(4)]
        for line in shown:
            typer.echo(_fit("  ".join([*(f"{v:<{p}}" for v, p in zip(line, pads, strict=False)),
                                       line[4]]), width))
        typer.echo(textwrap.fill(
            f"{len(rows)} turned away (read from the {origin}); `spf status --details` gives "
            "each reason in full. `spf release ID` takes a quarantined one out of quarantine; "
            "`spf feedback ID --out FILE` writes what to send back.", width))
    from warehouse.review.items import open_items

    needing = open_items(resolve(warehouse))
    if not needing:
        typer.echo("\nno submission needs feedback")
        return
    typer.echo()
    typer.echo(textwrap.fill(
        f"{len(needing)} submission(s) need feedback (rejected, quarantined, or with a "
        "warning or a flagged figure), as the review page lists them:", width))
    shown = [[printable(str(v or "")) for v in (i.key, i.file, i.status, i.what)]
             for i in needing]
    pads = [max(len(line[k]) for line in shown) for k in range(3)]
    for line in shown:
        typer.echo(_fit("  ".join([*(f"{v:<{p}}" for v, p in zip(line, pads, strict=False)),
                                   line[3]]), width))
    typer.echo(textwrap.fill(
        "`spf feedback ID --out FILE` writes what to send back; `spf accept ID --note WHY` "
        "settles one that needs nothing more.", width))


@app.command(cls=_Command, short_help='Write the feedback workbook of an SSI submission.')
def feedback(
    file: Annotated[str, typer.Argument(help="SSI file name, sha256 prefix or submission id "
                                             "(e.g. TGO-2022-r2), as `spf status` shows them.")],
    out: Annotated[Path, typer.Option(
        "--out", metavar="FILE",
        help="The workbook to write (.xlsx) for the country's focal point.")],
    language: Annotated[str | None, typer.Option(
        metavar="LANG", help="en, fr, es or pt (default: the submission's own).")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Write the feedback workbook of an SSI submission that needs feedback (rejected,
    quarantined, or with a warning or a flagged figure: any on the review page): every
    problem, warning and flagged figure with what to do, in the submission's language, then a
    copy of its sheets with the cells concerned highlighted and commented."""
    from warehouse.review.feedback import feedback_for
    from warehouse.shared.errors import RunFailed

    if out.suffix.lower() != ".xlsx":
        _fail(f"--out {out}: the feedback workbook is an .xlsx file")
    try:
        result = feedback_for(resolve(warehouse), file, out, language=language)
    except RunFailed as error:
        _fail(str(error))
    counts = {kind: sum(i.kind == kind for i in result.items)
              for kind in ("error", "warning", "flagged")}
    typer.echo(f"{result.path}: {printable(result.file)} ({result.status}), "
               f"{counts['error']} problem(s), {counts['warning']} warning(s) "
               f"and {counts['flagged']} flagged figure(s), in {result.language}")


@app.command(cls=_Command, short_help='Take a quarantined file or fetch out of quarantine.')
def release(
    file: Annotated[str, typer.Argument(help="SSI file name or sha256 prefix, or RMT fetch "
                                             "id, as `spf status` shows them.")],
    accept: Annotated[bool, typer.Option(
        help="Load without validating again (figures confirmed by a statistician).")] = False,
    note: Annotated[str | None, typer.Option(
        metavar="TEXT", help="Why it was accepted (kept in ops).")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Take a quarantined file or fetch out of quarantine, from the archive (not the landing)."""
    from warehouse.review import quarantine
    from warehouse.shared.errors import RunFailed

    if accept and not note:
        _fail("--accept needs --note saying who confirmed the figures and why")
    try:
        result = quarantine.release(resolve(warehouse), file, accept, note)
    except RunFailed as error:
        _fail(str(error))
    typer.echo(printable(f"{result['file']}: {result['status']}"
                         + (f" ({result['reason']})" if result["reason"] else "")))
    if result["status"] != "loaded":
        raise typer.Exit(1)
    typer.echo("run `spf run` (or wait for the nightly run) to publish it")


@app.command(cls=_Command, short_help="Settle an item of the review page, with a note.")
def accept(
    file: Annotated[str, typer.Argument(help="SSI file name, sha256 prefix or submission id, "
                                             "as the review page shows them.")],
    note: Annotated[str, typer.Option(metavar="WHY", help="Who looked at it, and why it "
                                      "needs nothing more (kept in the state).")],
    warehouse: WarehouseOpt = None,
) -> None:
    """Settle an item of the review page with a statistician's note: a submission with
    warnings or flagged figures confirmed by the country, or a rejected file that will not
    be sent again. It leaves the review page (docs/review.html), rewritten now."""
    from warehouse.review.items import accept as settle
    from warehouse.review.pages import write_review
    from warehouse.shared.errors import RunFailed

    paths = resolve(warehouse)
    try:
        item = settle(paths, file, note)
        page = write_review(paths)
    except RunFailed as error:
        _fail(str(error))
    typer.echo(printable(f"{item.file} ({item.key}): settled; {page} rewritten"))


@app.command(cls=_Command, short_help='Run one read-only SQL statement on the warehouse.')
def query(
    sql: Annotated[str, typer.Argument(help="SQL, e.g. \"select * from marts.dim_country\"")],
    warehouse: WarehouseOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT",
                                        help="table, csv or json")] = "table",
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="PUBLICATION|DATE",
        help="Query a kept publication instead: its id (e.g. p0007, see `spf publications`) "
             "or a date (the last one published on or before that day, UTC).")] = None,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", metavar="SECONDS", min=0,
        help="Stop the query after SECONDS (default: 60; 0: no limit). Time waiting for the "
             "output's reader (a pager, a pipe) does not count.")] = None,
    max_rows: Annotated[int | None, typer.Option(
        "--max-rows", metavar="N", min=0,
        help="Rows shown in a table (default: 1000; 0: all), with how many there are; csv "
             "and json give every row.")] = None,
) -> None:
    """Run one SQL statement read-only against the published warehouse (or a kept
    publication) and print the result. Nothing but that file can be read or written.

    A query may use a quarter of the machine's memory, at most 2 GiB, and never spills to
    disk. Control characters in a table's cells (and in csv written to a terminal) show
    escaped."""
    from ingest.terminal import printable
    from warehouse.access.query import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT, QueryError, stream_query
    from warehouse.shared.errors import RunFailed

    paths = resolve(warehouse)
    try:
        target = paths.warehouse
        if as_of:
            from warehouse.publication.kept import resolve_publication

            target = resolve_publication(paths, as_of)
        sys.stdout.flush()
        stream_query(target, sql, format, sys.stdout.buffer,
                     timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
                     max_rows=DEFAULT_MAX_ROWS if max_rows is None else max_rows,
                     escape=sys.stdout.isatty(), encoding=sys.stdout.encoding or "utf-8")
    except (QueryError, RunFailed) as error:
        _fail(printable(" ".join(str(error).split())))


@app.command(cls=_Command, short_help='Write tables as csv, parquet or xlsx, or SDG 1.3.1 files.')
def export(
    tables: Annotated[list[str] | None, typer.Argument(
        metavar="TABLE", help="Tables to export: coverage_sdg131 (a mart), "
        "marts.coverage_sdg131, ops.submissions, ref.sdg131_series.", show_default=False)] = None,
    all_tables: Annotated[bool, typer.Option(
        "--all", help="Every marts.*, ops.* and ref.* table.")] = False,
    format: Annotated[str, typer.Option(
        "--format", "-f", metavar="FORMAT",
        help="csv or parquet (a file per table), xlsx (one workbook, a sheet per table, and "
             "a sheet describing them), ilostat (SDG 1.3.1 in ILOSTAT's layout, with its "
             "dictionary and table of contents), sdmx (SDG 1.3.1 for the UN SDG Global "
             "Database: SDMX-ML, SDMX-CSV and their structure).")
    ] = "csv",
    out: Annotated[Path, typer.Option(
        "--out", "-o", metavar="DIR",
        help="Folder to write into (created if missing).")] = Path("."),
    progress: Annotated[bool, typer.Option(
        help="Progress bar, one step per table, when standard error is a terminal.")] = True,
    warehouse: WarehouseOpt = None,
) -> None:
    """Export tables of the published warehouse as files, read-only; prints each file written."""
    from warehouse.access.export import ExportError
    from warehouse.access.export import export as export_tables

    try:
        written = export_tables(resolve(warehouse).warehouse, tables, all_tables=all_tables,
                                fmt=format, out=out, progress=progress)
    except ExportError as error:
        _fail(f"export failed: {error}")
    for path in written:
        typer.echo(str(path))


@app.command(cls=_Command, short_help="List the marts, a line each (--all: ops, ref too).")
def tables(
    all_tables: Annotated[bool, typer.Option(
        "--all", help="Also the operators' ops.* and the reference ref.* tables.")] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """List the tables of the published warehouse, one line each: its name and the first
    sentence of its description (as the dbt project and dbt docs describe it). Lines are
    cut to the terminal's width."""
    import shutil

    from warehouse.access.export import ExportError, table_list

    schemas = ("marts", "ops", "ref") if all_tables else ("marts",)
    try:
        listed = table_list(resolve(warehouse).warehouse, schemas)
    except ExportError as error:
        _fail(str(error))
    width = shutil.get_terminal_size().columns
    pad = max((len(name) for name, _ in listed), default=0) + 2
    for name, description in listed:
        typer.echo(_fit(f"{name:<{pad}}{description}", width))


def _fit(line: str, width: int) -> str:
    """`line` cut to `width` characters, at a space where there is one, with an ellipsis."""
    if len(line) <= width:
        return line
    cut = line[:max(width - 1, 1)]
    space = cut.rfind(" ", width // 2)
    return (cut[:space] if space > 0 else cut).rstrip(" ,;:(") + "…"


@app.command(cls=_Command, short_help='What changed between two publications, mart by mart.')
def diff(
    from_: Annotated[str | None, typer.Option(
        "--from", metavar="PUBLICATION|DATE",
        help="The earlier publication (default: the one before --to).")] = None,
    to: Annotated[str | None, typer.Option(
        "--to", metavar="PUBLICATION|DATE",
        help="The later publication (default: the published warehouse).")] = None,
    table: Annotated[str | None, typer.Option(
        "--table", metavar="MART", help="Only this mart, e.g. coverage_sdg131.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT",
                                        help="table, csv or json")] = "table",
    limit: Annotated[int | None, typer.Option(
        min=0, metavar="N",
        help="Rows listed per mart and kind of change (default: 20 in a table, all in csv and "
             "json; 0: all). Counts are always complete.")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """What changed between two publications, mart by mart: rows added, removed and changed
    (with old and new values), matched on each mart's grain as its dbt tests define it.

    By default, the published warehouse against the publication before it.
    """
    from warehouse.publication import show
    from warehouse.shared.errors import RunFailed

    if format not in show.FORMATS:
        _fail(f"unknown format {format!r}; use one of {', '.join(show.FORMATS)}")
    shown = limit if limit is not None else (20 if format == "table" else 0)
    try:
        result = show.diff_publications(resolve(warehouse), from_, to, table, shown or None)
    except RunFailed as error:
        _fail(str(error))
    sys.stdout.write(show.render_diff(result, format))


@app.command(cls=_Command, short_help='Publish a kept earlier publication again.')
def rollback(
    publication: Annotated[str, typer.Argument(
        metavar="PUBLICATION", help="A kept publication: its id (e.g. p0007) or a date.")],
    note: Annotated[str, typer.Option(metavar="TEXT", help="Why (kept in ops.publications).")],
    warehouse: WarehouseOpt = None,
) -> None:
    """Publish a kept earlier publication again, atomically (readers never see a half-made
    warehouse). The state and the archive are untouched: the next run rebuilds from them
    as usual."""
    from warehouse.publication import rollback
    from warehouse.shared.errors import RunFailed
    from warehouse.shared.lock import new_run_id
    from warehouse.site import place

    try:
        done = rollback.rollback(resolve(warehouse), publication, note, new_run_id(),
                                 then=place.write_site)
    except RunFailed as error:
        _fail(str(error))
    typer.echo(f"{done['restores']} published again as {done['publication_id']} "
               f"({done['warehouse']}); the next `spf run` rebuilds from the state as usual")
    if done["then"]:
        typer.echo(f"its pages: {done['then']['path']}/index.html")


@app.command(cls=_Command, short_help="Write the programme's pages: index, countries, themes.")
def site(
    out: Annotated[Path | None, typer.Option(
        metavar="DIR",
        help="Folder to write the site into (default: the home's site/, as a run does).")
    ] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="PUBLICATION",
        help="A kept publication (id, e.g. p0007, or a date) instead of the published "
             "warehouse; needs --out.")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Write the programme's pages (index, countries, thematic areas, CSV) of the published
    warehouse, or of a kept publication, as a static site: open its index.html, or serve
    the folder with any static web server."""
    from warehouse.shared.errors import RunFailed
    from warehouse.shared.lock import writer_lock
    from warehouse.site import place

    paths = resolve(warehouse)
    try:
        if out is None:
            if as_of:
                raise RunFailed("--as-of needs --out: the home's site/ always shows the "
                                "published warehouse")
            with writer_lock(paths):
                done = place.write_site(paths)
            if done is None:
                raise RunFailed(f"nothing is published at {paths.warehouse} (run `spf run`)")
        else:
            done = place.write_site_to(paths, out, as_of)
    except RunFailed as error:
        _fail(str(error))
    state = "written" if done["written"] else "already up to date"
    typer.echo(f"site of {done['publication_id']} {state}: {done['pages']:,} pages "
               f"({done['countries']:,} countries, {done['themes']:,} thematic areas) in "
               f"{done['path']}; open {done['path']}/index.html")


@app.command(cls=_Command, short_help='List every publication and whether it is kept.')
def publications(
    warehouse: WarehouseOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT",
                                        help="table, csv or json")] = "table",
) -> None:
    """List every publication: id, when, kind, run, note, and whether it is still kept."""
    from warehouse.access.query import QueryError
    from warehouse.publication import kept
    from warehouse.shared.errors import RunFailed
    from warehouse.shared.tables import format_rows

    try:
        rows = kept.publications(resolve(warehouse))
        columns = ["publication", "published_at", "kind", "run_id", "reporting_date",
                   "restores", "note", "kept"]
        sys.stdout.write(format_rows(columns, [
            (r["publication_id"], r["published_at"], r["kind"], r["run_id"],
             r["reporting_date"], r["restores"], r["note"], r["path"] is not None)
            for r in rows], format))
    except (QueryError, RunFailed) as error:
        _fail(str(error))


@app.command(name="worker", cls=_Command,
             short_help="Keep a warm runner that spf run and spf backfill hand runs to.")
def worker_command(warehouse: WarehouseOpt = None) -> None:
    """Keep a warm runner for the home: `spf run` and `spf backfill` hand it their runs,
    which then skip the seconds of imports and parsing a cold run pays first.

    Runs until stopped (Ctrl-C, or SIGTERM from a service manager); see the README.
    """
    from warehouse.run import worker

    log = _terminal_log()
    log.propagate = False  # the libraries it warms up configure the root logger too

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # a service manager's stop ends it as Ctrl-C does
    try:
        worker.serve(resolve(warehouse))
    except KeyboardInterrupt:
        typer.echo("warm worker stopped", err=True)


def main() -> None:
    """Console entry point (`spf`)."""
    # DuckDB 2.0's nanobind bindings print "leaked objects" reports at interpreter shutdown
    # when a failed flow's traceback (kept by Prefect) still references a closed connection.
    # Registered before Prefect imports, this runs after every other exit handler (Prefect
    # stops its temporary server in one) and skips that shutdown noise.
    status = [0]

    def leave() -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status[0])

    atexit.register(leave)
    # The temporary Prefect server of a server-less run must not try to phone home.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        app()
    except SystemExit as exit_:
        status[0] = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        raise


if __name__ == "__main__":
    main()
