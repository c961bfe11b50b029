"""The nightly flow: land and load what is new, build the marts, gate them, publish."""

from __future__ import annotations

from prefect import flow

from flows.tasks import orchestration
from warehouse import pipeline


@flow(name="spf-nightly", log_prints=True)
def nightly(landing: str | None = None, rmt_dir: str | None = None, rmt_url: str | None = None,
            warehouse: str | None = None) -> dict:
    """Load new SSI workbooks and project reports, then rebuild, gate and publish the marts.

    With no source given, the bundled sample data; with one, only the sources given. The
    warehouse defaults to $SPF_WAREHOUSE or data/spf.duckdb.
    """
    return pipeline.nightly(warehouse, landing, rmt_dir, rmt_url, how=orchestration())
