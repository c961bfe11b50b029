"""Shared fixtures: an isolated Prefect API for flow tests, and workbook builders."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

# Isolate Prefect before it is imported anywhere: its own home, no telemetry.
os.environ.setdefault("PREFECT_HOME", str(Path(os.environ.get("TMPDIR", "/tmp")) /
                                          f"spf-test-prefect-{os.getpid()}"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW"] = "ignore"
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("SPF_HOME", None)
os.environ.pop("SPF_WAREHOUSE", None)


@pytest.fixture(scope="session")
def prefect_api():
    """A Prefect test harness for flows run in-process (heartbeats off: 0.1 s per run)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


def cover(iso3="KHM", year=2019, revision=1, **extra) -> dict:
    return {"country_iso3": iso3, "country_name": "Test country", "reference_year": year,
            "revision": revision, "submission_date": dt.date(year + 1, 3, 1),
            "institution": "Ministry of Labour", "contact_email": "focal.point@example.org",
            "currency": "USD", **extra}


def worked_example(iso3="KHM", year=2019, revision=1, **changes) -> dict:
    """The worked example of ../shared/specs/sdg131-method.md as writer arguments."""
    args = {
        "cover": cover(iso3, year, revision),
        "context": [
            {"item": "POP_TOTAL", "total": 1_000_000, "women": 510_000, "men": 490_000},
            {"item": "POP_PENSIONABLE", "total": 100_000, "women": 56_000, "men": 44_000},
        ],
        "schemes": [
            {"scheme_id": "NSSF", "scheme_name": "National Social Security Fund",
             "scheme_type": "SI", "institution": "NSSF", "legal_basis": "Law 2002",
             "start_year": 2002},
            {"scheme_id": "USP", "scheme_name": "Universal social pension",
             "scheme_type": "UNI", "institution": "Ministry", "legal_basis": "Decree 2010",
             "start_year": 2010},
        ],
        "beneficiaries": [
            {"scheme_id": "NSSF", "function": "OLD", "benefit_form": "CASH_PERIODIC",
             "total": 30_000, "women": 12_000, "men": 18_000},
            {"scheme_id": "USP", "function": "OLD", "benefit_form": "CASH_PERIODIC",
             "total": 45_000, "women": 28_000, "men": 17_000},
        ],
        "contributors": [
            {"scheme_id": "NSSF", "function": None, "total": 200_000, "women": 80_000,
             "men": 120_000},
        ],
    }
    args.update(changes)
    return args


@pytest.fixture
def write_workbook(tmp_path):
    """Write a workbook into tmp_path/landing with the sample writer; returns its path."""
    from ingest.samples.workbook import write_ssi_workbook

    def write(name: str, folder: Path | None = None, **kwargs) -> Path:
        target = (folder or tmp_path / "landing") / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return write_ssi_workbook(target, **kwargs)

    return write
