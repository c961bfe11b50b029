"""The Social Security Inquiry as a source: workbooks from a landing folder
(`ingest/ssi.py`), gated by the `ssi__*` suites, one submission per country, year and
revision, reviewed one by one by statisticians."""

from __future__ import annotations

import duckdb

from expectations.sources import SSI as SUITES
from expectations.sources import SourceGate
from ingest import ssi
from ingest.outcomes import Report
from ingest.paths import SAMPLE_SSI_DIR, Paths
from warehouse.shared.summary import Scope, SourceSummary
from warehouse.sources.registry import Inputs, Source, folder, load, register

_LINEAGE = ("submission_id", "sha256", "source_row")


def ingest_ssi(paths: Paths, run_id: str, inputs: Inputs) -> SourceSummary:
    """Land and load new SSI workbooks of the landing folder (option `landing`); record
    whatever else is there. A file changed less than the settle time ago, or while it was
    read, is left for the next run."""
    landing = folder(inputs.get("landing"), "SSI landing folder")
    return load(paths, SUITES, f"{run_id}-ssi", lambda con, gate: ssi.ingest_landing(
        con, landing, paths.archive, run_id, gate, inputs.settle_seconds))


def reprocess_ssi(paths: Paths, run_id: str, scope: Scope, reread: bool, inputs: Inputs
                  ) -> SourceSummary:
    """Re-decide the archived SSI files of the scope (if `reread`), plus any new landing."""
    landing = folder(inputs.get("landing"), "SSI landing folder")
    years = scope["years"]
    span = (years[0] or 1900, years[1] or 9999) if years else None

    def step(con: duckdb.DuckDBPyConnection, gate: SourceGate) -> Report:
        found = ssi.land(con, landing, paths.archive, inputs.settle_seconds) \
            if landing else None
        return ssi.reprocess(con, run_id, paths.archive, found, span, scope["countries"],
                             reread, gate)

    return load(paths, SUITES, f"{run_id}-ssi-backfill", step)


SSI = register(Source(
    name="ssi", label="SSI", title="SSI workbooks", unit="file(s)",
    options=("landing",), sample={"landing": SAMPLE_SSI_DIR},
    ingest=ingest_ssi, reprocess=reprocess_ssi,
    published={
        "ssi_files": ("sha256", "original_name", "size_bytes", "received_at", "status",
                      "reason_code", "reason_message", "problems", "submission_id",
                      "country_iso3", "reference_year", "revision", "run_id", "processed_at"),
        "ssi_submissions": ("submission_id", "sha256", "country_iso3", "reference_year",
                            "revision", "language", "country_name", "submission_date",
                            "institution", "currency", "sheets", "loaded_at"),
        "ssi_context": (*_LINEAGE, "item", "total", "women", "men"),
        "ssi_schemes": (*_LINEAGE, "scheme_id", "scheme_name", "scheme_type", "institution",
                        "legal_basis", "start_year"),
        "ssi_contributors": (*_LINEAGE, "scheme_id", "function", "total", "women", "men"),
        "ssi_beneficiaries": (*_LINEAGE, "scheme_id", "function", "benefit_form", "total",
                              "women", "men"),
        "ssi_expenditure": (*_LINEAGE, "scheme_id", "function", "benefits_cash",
                            "benefits_kind", "admin"),
    },
    decisions="ssi_files", suites=SUITES, ops="ops.submissions",
    turned_away="""
        select 'ssi' as source, original_name as file, status, reason_code,
               reason_message as reason, left(sha256, 12) as id, processed_at
        from {table} where status in ('quarantined', 'rejected')""",
    accepted="select count(*) from raw.ssi_submissions",
    built_from=("submissions", "select coalesce(list(distinct submission_id order by "
                               "submission_id), []) from raw.ssi_submissions"),
    release=ssi.release, reviewed=True,
))
