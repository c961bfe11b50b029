"""Shared fixtures: an isolated Prefect API for flow tests, and workbook builders."""

from __future__ import annotations

import datetime as dt
import os
import shutil
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


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver on 127.0.0.1 (not 'localhost'): the API tests use loopback only."""
    return ("127.0.0.1", 0)


def intervention(number: int, updated_at: str = "2017-10-23T09:14:00Z", iso3: str | None = "KHM",
                 **changes) -> dict:
    """A project report as the RMT API sends it, modelled on the contract's example."""
    doc = {
        "id": f"RMT-{number:06d}",
        "title": "Extension of social health protection to NSSF members",
        "country_iso3": iso3, "level": "country" if iso3 else "global", "flagship": True,
        "thematic_areas": ["social_health_protection"], "start_date": "2016-01-01",
        "end_date": None, "updated_at": updated_at, "deleted": False,
        "funding": [{"partner": "EU-SPS", "year": 2017, "amount_usd": 1_200_000}],
        "institutional_changes": [{
            "id": f"IC-{number:06d}", "step": 3, "title": "NSSF health insurance launched",
            "status": "achieved", "achieved_on": "2016-11-01",
            "branches": ["HEALTH", "SICK", "MATERN"], "partners": ["AFD", "EU-SPS"]}],
        "outcomes": [{
            "id": f"OC-{number:06d}", "type": "better_access", "branch": "HEALTH",
            "expected_persons": 1_100_000, "expected_date": "2017-12-31",
            "impact_history": [
                {"as_of": "2017-01-01", "persons": 0, "women": None, "men": None},
                {"as_of": "2017-08-31", "persons": 910_000, "women": None, "men": None}]}],
        "outputs": [{"type": "persons_trained", "date": "2017-10-27", "count": 25,
                     "title": "TRANSFORM regional training of trainers"}],
    }
    doc.update(changes)
    return doc


def page_body(interventions: list[dict], page: int, since: str | None = None,
              page_size: int = 2) -> bytes:
    """Page `page` of the interventions updated since `since`, as the RMT API sends it."""
    import json

    items = sorted((i for i in interventions if since is None or i["updated_at"] >= since),
                   key=lambda i: (i["updated_at"], i["id"]))
    chunk = items[(page - 1) * page_size: page * page_size]
    last = page * page_size >= len(items)
    return json.dumps({"items": chunk, "page": page, "page_size": page_size,
                       "total": len(items), "next_page": None if last else page + 1},
                      ensure_ascii=False).encode()


def write_export(folder: Path, interventions: list[dict], page_size: int = 2) -> list[bytes]:
    """The API's pages as an export folder (what `spf run --rmt-dir` reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    bodies = []
    while not bodies or b'"next_page": null' not in bodies[-1]:
        bodies.append(page_body(interventions, len(bodies) + 1, None, page_size))
        (folder / f"page-{len(bodies):04d}.json").write_bytes(bodies[-1])
    return bodies


class FakeRmtApi:
    """The RMT API on a real HTTP server: pages of `interventions` changed since a date.

    `updated_since` is inclusive (>=), as an API may well be, so the item at the mark comes
    back on the next fetch. `script` holds canned responses (None: the real one) served, one
    per request, before the real ones.
    """

    PATH = "/api/v1/interventions"
    TOKEN = "test-token-3f9a-never-printed"

    def __init__(self, httpserver, page_size: int = 2):
        self.server = httpserver
        self.page_size = page_size
        self.interventions: list[dict] = []
        self.script: list = []
        self.requests: list[dict] = []
        httpserver.expect_request(self.PATH).respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def body(self, page: int, since: str | None) -> bytes:
        return page_body(self.interventions, page, since, self.page_size)

    def _handle(self, request):
        from werkzeug import Response

        args = request.args.to_dict()
        self.requests.append(args)
        if request.headers.get("Authorization") != f"Bearer {self.TOKEN}":
            return Response(b'{"error": "unauthorized"}', status=401)
        if self.script:
            reply = self.script.pop(0)
            if reply is not None:
                return reply
        return Response(self.body(int(args["page"]), args.get("updated_since")),
                        content_type="application/json")


@pytest.fixture
def rmt_api(httpserver, monkeypatch):
    """A fake RMT API and the token the pipeline reads from the environment."""
    monkeypatch.setenv("SPF_RMT_TOKEN", FakeRmtApi.TOKEN)
    return FakeRmtApi(httpserver)


def clone(source: Path, target: Path) -> Path:
    """A copy of a test installation (landing, warehouse and its home) for one test to change.

    The state's archive paths still point into `source`, whose archived files are read-only
    and never change, so a clone reads them as the original does. Sharing one published
    warehouse between tests this way saves a full pipeline run per test.
    """
    import shutil

    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    return target


def query(warehouse: Path, sql: str) -> list[tuple]:
    """Rows of `sql` on a warehouse, read-only, as analysts open it."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Selenium, its console and network logged
    (the pages' tests read both), one per test module."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), (
        "Debian's chromium and chromium-driver are needed: `make test` installs them")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
