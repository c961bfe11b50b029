"""The marts gate: every mart of a build against its `marts__*` suites, before publication."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from expectations.gates import GateResult, Gates, load_suite, suite_names
from ingest import dbt_contract

# The tables a suite's query reads.
TABLE = re.compile(r"\b((?:marts|ops)\.\w+)")


def validate_marts(gates: Gates, build_db: Path, run_name: str,
                   tables: list[str] | None = None) -> list[GateResult]:
    """Validate the marts of `build_db`, read-only: all of them, or those of the suites
    that read one of `tables` (`marts.coverage_sdg131`, `ops.submission_checks`...).

    A suite validates the mart it is named after, or the rows of its `meta.query` when it
    checks relations between rows (e.g. sex splits against totals).
    """
    batches, grains = [], dbt_contract.table_grains()
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        for name in suite_names("marts__"):
            sql = load_suite(name).get("meta", {}).get("query") or \
                f"select * from marts.{name.removeprefix('marts__')}"
            if tables is not None and not set(TABLE.findall(sql.lower())) & set(tables):
                continue
            frame = con.execute(sql).df()
            # Failing rows are named by the grain of the table the suite reads, as its dbt
            # tests state it (ingest/dbt_contract.py).
            table = (TABLE.findall(sql.lower()) or [""])[0]
            batches.append((name, frame, [k for k in grains.get(table, ()) if k in frame.columns],
                            f"{table or name} of build {run_name.removesuffix('-marts')}"))
    finally:
        con.close()
    return gates.validate_all(batches, run_name=run_name)
