"""Data Docs as statisticians see them: rendered by a real headless Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import worked_example

pytestmark = pytest.mark.usefixtures("prefect_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


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
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


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
