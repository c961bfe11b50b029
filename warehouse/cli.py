"""`spf`: run the pipeline and query the published warehouse from a terminal.

The top layer: only it starts the flows. Each command imports what it needs when it runs,
so that `spf query` starts fast and `main` registers its exit handler before any library
registers its own (see `main`).
"""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ingest.paths import resolve

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="SPF Warehouse: social protection statistics and programme results.")

WarehouseOpt = Annotated[Path | None, typer.Option(
    "--warehouse", help="Published DuckDB file (default: $SPF_WAREHOUSE or data/spf.duckdb).")]
SettleOpt = Annotated[float | None, typer.Option(
    "--settle", metavar="SECONDS", min=0,
    help="Leave files of the landing folder changed less than SECONDS ago for the next run "
         "(default: $SPF_SETTLE_SECONDS, else 0: none). A file that changes while it is "
         "landed is always left.")]


def _fail(message: str) -> None:
    typer.echo(f"spf: {' '.join(str(message).split())}", err=True)
    raise typer.Exit(1)


@app.command()
def run(
    landing: Annotated[Path | None, typer.Option(
        help="Folder of SSI workbooks to land.")] = None,
    rmt_dir: Annotated[Path | None, typer.Option(
        help="Folder of Results Monitoring Tool exports (page files, a sub-folder per export).")
    ] = None,
    rmt_url: Annotated[str | None, typer.Option(
        help="Base URL of the Results Monitoring Tool API (token from $SPF_RMT_TOKEN).")] = None,
    warehouse: WarehouseOpt = None,
    settle: SettleOpt = None,
) -> None:
    """Run the nightly flow: load what is new, rebuild and gate the marts, publish.

    Given no source, it loads the bundled sample (SSI workbooks and project reports);
    given one or more, only those.
    """
    if rmt_dir and rmt_url:
        _fail("give --rmt-dir or --rmt-url, not both")
    from flows.nightly import nightly

    _run_flow(nightly, landing=str(landing) if landing else None,
              rmt_dir=str(rmt_dir) if rmt_dir else None, rmt_url=rmt_url,
              warehouse=str(warehouse) if warehouse else None, settle_seconds=settle)


@app.command()
def backfill(
    years: Annotated[str, typer.Option(
        help="Reference years to re-process, FROM:TO (e.g. 2016:2020) or one year.")],
    countries: Annotated[str | None, typer.Option(
        help="Comma-separated ISO3 codes (default: every country).")] = None,
    sources: Annotated[str, typer.Option(help="Comma-separated: ssi, rmt.")] = "ssi,rmt",
    reread: Annotated[bool, typer.Option(
        help="Re-read archived files; --no-reread only rebuilds the marts.")] = True,
    landing: Annotated[Path | None, typer.Option(
        help="Also land new SSI workbooks from this folder.")] = None,
    rmt_dir: Annotated[Path | None, typer.Option(
        help="Also load new Results Monitoring Tool exports from this folder.")] = None,
    rmt_url: Annotated[str | None, typer.Option(
        help="Also fetch what changed from the RMT API (token from $SPF_RMT_TOKEN).")] = None,
    warehouse: WarehouseOpt = None,
    settle: SettleOpt = None,
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
    from flows.backfill import backfill as backfill_flow

    _run_flow(backfill_flow, years_from=span[0], years_to=span[1],
              countries=[c for c in (countries or "").split(",") if c.strip()] or None,
              sources=[s.strip() for s in sources.split(",") if s.strip()], reread=reread,
              landing=str(landing) if landing else None,
              rmt_dir=str(rmt_dir) if rmt_dir else None, rmt_url=rmt_url,
              warehouse=str(warehouse) if warehouse else None, settle_seconds=settle)


def _run_flow(flow, **parameters) -> None:
    """Run a flow and print its summary; one line and exit code 1 when it fails."""
    try:
        summary = flow(**parameters)
    except Exception as error:  # the flow logged it: in one line if expected, else with its
        # traceback (flows/nightly.py); the operator gets one line here too
        message = str(error)
    else:
        message = None
    if message is not None:
        page = resolve(parameters.get("warehouse")).docs / "runs" / "latest.html"
        _fail(f"run failed: {message}" + (f" (summary: {page})" if page.exists() else ""))
    from warehouse.report import terminal

    typer.echo(terminal(summary))
    if not Path(summary["warehouse"]).exists():
        _fail("run published nothing: no warehouse exists")


@app.command()
def status(warehouse: WarehouseOpt = None) -> None:
    """List quarantined and rejected deliveries with their file names and reasons."""
    from warehouse import quarantine
    from warehouse.query import format_rows
    from warehouse.runs import RunFailed

    try:
        columns, rows, origin = quarantine.status_rows(resolve(warehouse))
    except RunFailed as error:
        _fail(str(error))
    if not rows:
        typer.echo(f"nothing quarantined or rejected ({origin})")
        return
    sys.stdout.write(format_rows(columns, rows, "table"))
    typer.echo(f"read from the {origin}. After a fix, release a quarantined file or fetch "
               "with `spf release ID` (validated again) or, once its figures are confirmed, "
               "`spf release ID --accept --note WHY`; the next `spf run` publishes it. "
               "Rejected ones must be sent again, corrected.")


@app.command()
def release(
    file: Annotated[str, typer.Argument(help="SSI file name or sha256 prefix, or RMT fetch "
                                             "id, as `spf status` shows them.")],
    accept: Annotated[bool, typer.Option(
        help="Load without validating again (figures confirmed by a statistician).")] = False,
    note: Annotated[str | None, typer.Option(help="Why it was accepted (kept in ops).")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Take a quarantined file or fetch out of quarantine, from the archive (not the landing)."""
    from warehouse import quarantine
    from warehouse.runs import RunFailed

    if accept and not note:
        _fail("--accept needs --note saying who confirmed the figures and why")
    try:
        result = quarantine.release(resolve(warehouse), file, accept, note)
    except RunFailed as error:
        _fail(str(error))
    typer.echo(f"{result['file']}: {result['status']}"
               + (f" ({result['reason']})" if result["reason"] else ""))
    if result["status"] != "loaded":
        raise typer.Exit(1)
    typer.echo("run `spf run` (or wait for the nightly run) to publish it")


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL, e.g. \"select * from marts.dim_country\"")],
    warehouse: WarehouseOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json")] = "table",
) -> None:
    """Run SQL read-only against the published warehouse and print the result."""
    from warehouse.query import QueryError, format_rows, run_query

    try:
        columns, rows = run_query(resolve(warehouse).warehouse, sql)
        sys.stdout.write(format_rows(columns, rows, format))
    except QueryError as error:
        _fail(str(error))


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
