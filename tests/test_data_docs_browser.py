"""Data Docs as statisticians see them: rendered by a real headless Chromium, offline."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import worked_example

pytestmark = pytest.mark.usefixtures("prefect_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
INDEX_ROWS = "#section-1-content-block-2-1-body-table tbody tr"  # the index's validations


@pytest.fixture(scope="module")
def browser():
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


def visit(browser, page: Path, ready: str | None = None) -> tuple[list[str], list[str]]:
    """Open `page` as a person would; return the console's errors and every request that
    left the file system (or failed), once the CSS selector `ready` is there."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get_log("browser"), browser.get_log("performance")  # forget the page before
    browser.get(page.as_uri())
    if ready:
        WebDriverWait(browser, 30).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ready)))
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    events = [json.loads(e["message"])["message"] for e in browser.get_log("performance")]
    requests = [e["params"]["request"]["url"] for e in events
                if e["method"] == "Network.requestWillBeSent"]
    failed = [e["params"].get("errorText", "") for e in events
              if e["method"] == "Network.loadingFailed"]
    return errors, [u for u in requests if not u.startswith(("file://", "data:"))] + failed


def test_the_failed_expectation_of_a_bad_submission_shows_in_chromium(
        tmp_path, write_workbook, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    from flows.nightly import nightly

    write_workbook("good.xlsx", **worked_example())
    implausible = worked_example(iso3="TLS")
    implausible["context"][0].update(total=50, women=None, men=None)
    write_workbook("units.xlsx", **implausible)
    summary = nightly(landing=str(tmp_path / "landing"),
                      warehouse=str(tmp_path / "wh" / "spf.duckdb"))

    # The run summary page links every validation; follow the failed one, as a person would.
    browser.get(Path(summary["report"]).as_uri())
    assert "SPF Warehouse run" in browser.title
    failed = browser.find_element(By.PARTIAL_LINK_TEXT, "ssi__context: FAILED")
    assert "quarantined" not in failed.text  # the link names the suite, the list the files
    assert "units.xlsx" in browser.find_element(By.TAG_NAME, "body").text
    failed.click()

    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "table")))
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "Expectation Suite: ssi__context" in text and "Status: Failed" in text
    # The expectation that failed, the value that failed it, and the row it came from.
    rule = ("If item == POP_TOTAL, then values must be greater than or equal to 1000.0 and "
            "less than or equal to 2000000000.0.")
    assert rule in text
    after = text[text.index(rule):]
    assert "1 unexpected values found" in after
    assert after.split("\n")[4:8] == ["50.0", "1", "TLS-2019-r1", "4"]
    cell = browser.find_element(
        By.XPATH, "(//*[contains(normalize-space(.), 'unexpected values found')])[last()]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    shot = tmp_path / "data_docs_failed_validation.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("SPF_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["SPF_SCREENSHOT_DIR"]) / shot.name)

    # Offline and whole: the index lists every validation of the run by the data it read,
    # the "Failed only" filter leaves the failed expectation, the suite's page opens.
    docs = Path(summary["report"]).parent.parent
    validations = [v for source in ("ssi", "marts_gate") for v in summary[source]["validations"]]
    errors, outside = visit(browser, docs / "index.html", INDEX_ROWS)
    assert errors == [] and outside == []
    shown = browser.find_element(By.CLASS_NAME, "pagination-info").text
    assert f"of {len(validations)} rows" in shown, shown
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "SSI submission TLS-2019-r1" in text or "2 SSI submissions: KHM-2019-r1, TLS-2019-r1" \
        in text
    page = next(Path(v["page"].removeprefix("file://")) for v in validations
                if v["suite"] == "ssi__context")
    errors, outside = visit(browser, page, "table")
    assert errors == [] and outside == []
    assert "Data asset: 2 SSI submissions: KHM-2019-r1, TLS-2019-r1" in \
        browser.find_element(By.TAG_NAME, "body").text
    passed = browser.find_elements(By.CSS_SELECTOR, "td .fa-check-circle")
    assert passed and passed[0].is_displayed()
    browser.find_element(By.XPATH, "//label[normalize-space(.)='Failed Only']").click()
    WebDriverWait(browser, 10).until(lambda _: not passed[0].is_displayed())
    assert rule in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.LINK_TEXT, "ssi__context").click()
    WebDriverWait(browser, 10).until(lambda d: "Expectation Suite Name" in d.find_element(
        By.TAG_NAME, "body").text)


def test_a_warning_level_expectation_shows_as_a_warning_in_chromium(tmp_path, write_workbook,
                                                                    browser):
    """A figure above 100 % fails a warning-level expectation: "passed" in the run summary,
    a warning sign and the word "warning" in Data Docs, and the page says it succeeded."""
    from selenium.webdriver.common.by import By

    from warehouse.run import pipeline

    above = worked_example(iso3="KGZ")
    above["beneficiaries"][1].update(total=95_000, women=48_000, men=47_000)
    write_workbook("above.xlsx", **above)
    summary = pipeline.nightly(str(tmp_path / "wh" / "spf.duckdb"),
                               landing=str(tmp_path / "landing"))
    coverage = next(v for v in summary["marts_gate"]["validations"]
                    if v["suite"] == "marts__coverage_sdg131")
    assert coverage["passed"] and coverage["warnings"] and not coverage["failures"]
    errors, outside = visit(browser, Path(coverage["page"].removeprefix("file://")), "table")
    assert errors == [] and outside == []
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "Status: ✔ Succeeded" in text or "Status: Succeeded" in text.replace("✔ ", "")
    warning = browser.find_element(By.CSS_SELECTOR, ".fa-exclamation-triangle")
    assert warning.is_displayed()
    row = warning.find_element(By.XPATH, "ancestor::tr[1]")
    assert "warning" in row.text and "values must be less than or equal to 100.0" in row.text
    assert not browser.find_elements(By.CSS_SELECTOR, "td .fa-times")


def test_the_dbt_docs_of_the_published_marts_open_in_chromium(tmp_path, write_workbook,
                                                              browser):
    """Analysts read what every mart column means in dbt's documentation site."""
    import yaml
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from ingest.paths import DBT_PROJECT_DIR, resolve
    from warehouse.run import pipeline

    write_workbook("good.xlsx", **worked_example())
    warehouse = tmp_path / "wh" / "spf.duckdb"
    assert pipeline.nightly(str(warehouse), landing=str(tmp_path / "landing"))["published"]
    marts = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / "_marts.yml").read_text())
    coverage = next(m for m in marts["models"] if m["name"] == "coverage_sdg131")
    described = next(c["description"] for c in coverage["columns"]
                     if c["name"] == "coverage_pct")

    page = resolve(warehouse).dbt_docs / "index.html"
    assert page.stat().st_mode & 0o004  # readable by all, as the warehouse is
    browser.get(page.as_uri() + "#!/model/model.spf.coverage_sdg131")
    WebDriverWait(browser, 60).until(
        lambda driver: "coverage_pct" in driver.find_element(By.TAG_NAME, "body").text)
    text = " ".join(browser.find_element(By.TAG_NAME, "body").text.split())
    assert " ".join(described.split()) in text
