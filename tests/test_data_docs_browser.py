"""The pages statisticians open, as a real headless Chromium renders them, offline: the run's
page, Data Docs, the review and a submission's page, the index of runs, dbt's docs.

One nightly run (as a Prefect flow) serves every test: a good workbook, one quarantined by a
blocking expectation (TLS, a population of 50), one whose pension coverage is above 100 %
(KGZ, flagged); then a night with nothing new and a run with a mistyped reporting date.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import worked_example

pytestmark = pytest.mark.usefixtures("prefect_api")
INDEX_ROWS = "#section-1-content-block-2-1-body-table tbody tr"  # the index's validations
RULE = ("If item == POP_TOTAL, then values must be greater than or equal to 1000.0 and "
        "less than or equal to 2000000000.0.")


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    """The nightly flow on three workbooks; returns (its summary, the warehouse's paths)."""
    from flows.nightly import nightly
    from ingest.paths import resolve
    from ingest.samples.workbook import write_ssi_workbook

    root = tmp_path_factory.mktemp("night")
    landing = root / "landing"
    landing.mkdir()
    write_ssi_workbook(landing / "good.xlsx", **worked_example())
    implausible = worked_example(iso3="TLS")
    implausible["context"][0].update(total=50, women=None, men=None)
    write_ssi_workbook(landing / "units.xlsx", **implausible)
    above = worked_example(iso3="KGZ")  # 125,000 older persons paid for 100,000
    above["beneficiaries"][1].update(total=95_000, women=48_000, men=47_000)
    write_ssi_workbook(landing / "above.xlsx", **above)
    warehouse = root / "wh" / "spf.duckdb"
    summary = nightly(landing=str(landing), warehouse=str(warehouse))
    assert summary["published"]
    return summary, resolve(warehouse), landing


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


def body(browser) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "body").text


def screenshot(browser, tmp_path: Path, name: str) -> None:
    """A picture of the page, kept where $SPF_SCREENSHOT_DIR says (to look at)."""
    shot = tmp_path / name
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("SPF_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["SPF_SCREENSHOT_DIR"]) / shot.name)


def local_links_resolve(browser, page: Path) -> None:
    """Every link of the page opened leads to a file that exists."""
    from urllib.parse import unquote, urlparse

    from selenium.webdriver.common.by import By

    for a in browser.find_elements(By.CSS_SELECTOR, "a[href]"):
        href = a.get_attribute("href")
        if href.startswith("file://"):
            target = Path(unquote(urlparse(href).path))
            assert target.exists(), f"{page.name}: {a.text!r} leads to {target}, which is missing"
        else:
            assert href.startswith(("javascript:", "data:")) or "#" in href, href


def test_the_failed_expectation_of_a_bad_submission_shows_in_chromium(night, browser,
                                                                      tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    summary, _, _ = night
    # The run summary page links every validation; follow the failed one, as a person would.
    errors, outside = visit(browser, Path(summary["report"]))
    assert errors == [] and outside == []
    assert "SPF Warehouse run" in browser.title
    failed = browser.find_element(By.PARTIAL_LINK_TEXT, "ssi__context: FAILED")
    assert "quarantined" not in failed.text  # the link names the suite, the list the files
    assert "units.xlsx" in body(browser)
    failed.click()

    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "table")))
    text = body(browser)
    assert "Expectation Suite: ssi__context" in text and "Status: Failed" in text
    # The expectation that failed, the value that failed it, and the row it came from.
    assert RULE in text
    after = text[text.index(RULE):]
    assert "1 unexpected values found" in after
    assert after.split("\n")[4:8] == ["50.0", "1", "TLS-2019-r1", "4"]
    cell = browser.find_element(
        By.XPATH, "(//*[contains(normalize-space(.), 'unexpected values found')])[last()]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    screenshot(browser, tmp_path, "data_docs_failed_validation.png")


def test_data_docs_open_offline_whole_and_filter(night, browser, tmp_path):
    """The index lists every validation of the run by the data it read, with nothing from
    outside; a validation's "Failed only" filter leaves the failed expectation; the suite's
    page opens."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    summary, paths, _ = night
    validations = [v for part in ("ssi", "marts_gate") for v in summary[part]["validations"]]
    errors, outside = visit(browser, paths.docs / "index.html", INDEX_ROWS)
    assert errors == [] and outside == []
    shown = browser.find_element(By.CLASS_NAME, "pagination-info").text
    assert f"of {len(validations)} rows" in shown, shown
    assert "3 SSI submissions: KGZ-2019-r1, KHM-2019-r1, TLS-2019-r1" in body(browser)
    screenshot(browser, tmp_path, "data_docs_index.png")

    page = next(Path(v["page"].removeprefix("file://")) for v in validations
                if v["suite"] == "ssi__context")
    errors, outside = visit(browser, page, "table")
    assert errors == [] and outside == []
    local_links_resolve(browser, page)
    assert "Data asset: 3 SSI submissions: KGZ-2019-r1, KHM-2019-r1, TLS-2019-r1" in body(browser)
    passed = browser.find_elements(By.CSS_SELECTOR, "td .fa-check-circle")
    assert passed and passed[0].is_displayed()
    browser.find_element(By.XPATH, "//label[normalize-space(.)='Failed Only']").click()
    WebDriverWait(browser, 10).until(lambda _: not passed[0].is_displayed())
    assert RULE in body(browser)
    browser.find_element(By.LINK_TEXT, "ssi__context").click()
    WebDriverWait(browser, 10).until(lambda _: "Expectation Suite Name" in body(browser))


def test_a_warning_level_expectation_shows_as_a_warning_in_chromium(night, browser):
    """A figure above 100 % fails a warning-level expectation: "passed" in the run summary,
    a warning sign and the word "warning" in Data Docs, and the page says it succeeded."""
    from selenium.webdriver.common.by import By

    summary, _, _ = night
    coverage = next(v for v in summary["marts_gate"]["validations"]
                    if v["suite"] == "marts__coverage_sdg131")
    assert coverage["passed"] and coverage["warnings"] and not coverage["failures"]
    errors, outside = visit(browser, Path(coverage["page"].removeprefix("file://")), "table")
    assert errors == [] and outside == []
    assert "Status: Succeeded" in body(browser).replace("✔ ", "")
    warning = browser.find_element(By.CSS_SELECTOR, ".fa-exclamation-triangle")
    assert warning.is_displayed()
    row = warning.find_element(By.XPATH, "ancestor::tr[1]")
    assert "warning" in row.text and "values must be less than or equal to 100.0" in row.text
    assert not browser.find_elements(By.CSS_SELECTOR, "td .fa-times")


def test_the_review_lists_what_needs_feedback_each_with_its_own_page(night, browser, tmp_path):
    """review.html: the quarantined TLS and the flagged KGZ, not the good KHM; KGZ's page
    shows its figures above 100 % rounded, its own validation results and its workbook; TLS's
    page the expectation its own row failed."""
    from selenium.webdriver.common.by import By

    _, paths, _ = night
    review = paths.docs / "review.html"
    errors, outside = visit(browser, review, "table")
    assert errors == [] and outside == []
    local_links_resolve(browser, review)
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert len(rows) == 2, rows
    assert rows[0].startswith("KGZ 2019 1 KGZ-2019-r1 above.xlsx loaded 3 flagged figures")
    assert rows[1].startswith("TLS 2019 1") and "quarantined: 1 problem" in rows[1]
    screenshot(browser, tmp_path, "review.png")

    browser.find_element(By.LINK_TEXT, "KGZ-2019-r1").click()
    page = Path(browser.current_url.removeprefix("file://"))
    errors, outside = visit(browser, page, "table")
    assert errors == [] and outside == []
    local_links_resolve(browser, page)
    text = body(browser)
    assert "Flagged figures (3)" in text
    assert ("KGZ 2019 SOC_CONTIG_PENSION SEX_M 147.7 %: numerator exceeds denominator "
            "(65,000 covered for 44,000 in the population)") in text
    assert "Problems" not in text and "Warnings" not in text
    suites = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr")]
    # The suites of the sheets it has (the worked example has no expenditure sheet).
    assert [r.split()[0] for r in suites] == ["ssi__context", "ssi__schemes",
                                              "ssi__contributors", "ssi__beneficiaries"]
    assert all(" passed " in r for r in suites), suites
    workbook = browser.find_element(By.LINK_TEXT, "The feedback workbook").get_attribute("href")
    assert workbook.endswith(".feedback.xlsx") and Path(workbook.removeprefix("file://")).exists()
    screenshot(browser, tmp_path, "review_submission.png")

    browser.get(review.as_uri())
    browser.find_element(By.XPATH, "//tbody/tr[2]/td[4]/a").click()
    text = body(browser)
    assert "quarantined" in text and "Problems (1)" in text
    context = next(r for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr")
                   if r.text.startswith("ssi__context"))
    assert "failed" in context.text and "rows 4: ssi__context" in context.text
    assert "[critical]" in context.text


def test_a_quiet_night_and_a_failed_run_leave_the_review_as_it_was(night, browser, tmp_path):
    """The next night brings nothing and a mistyped run fails: review.html is the same page,
    the index of runs lists all three runs newest first, latest.html is the last run's."""
    from selenium.webdriver.common.by import By

    from flows.nightly import nightly
    from warehouse.run import pipeline
    from warehouse.shared.errors import RunFailed

    summary, paths, landing = night
    review = paths.docs / "review.html"
    before = review.read_bytes()
    quiet = nightly(landing=str(landing), warehouse=str(paths.warehouse))
    assert not quiet["published"]
    with pytest.raises(RunFailed, match="reporting date"):
        pipeline.nightly(str(paths.warehouse), landing=str(landing),
                         reporting_date="2026-13-01")
    assert review.read_bytes() == before

    index = paths.docs / "runs" / "index.html"
    errors, outside = visit(browser, index, "table")
    assert errors == [] and outside == []
    local_links_resolve(browser, index)
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert len(rows) == 3
    assert "failed" in rows[0] and "reporting date '2026-13-01'" in rows[0]
    assert "unchanged" in rows[1] and "SSI: 0 new file(s)" in rows[1]
    assert "published" in rows[2] and "SSI: 3 new file(s) (2 loaded, 1 quarantined)" in rows[2]
    screenshot(browser, tmp_path, "runs_index.png")
    errors, outside = visit(browser, paths.docs / "runs" / "latest.html")
    assert errors == [] and outside == []
    assert "FAILED: reporting date" in body(browser)
    assert "the review page (as it was" in body(browser)


def test_the_dbt_docs_of_the_published_marts_open_in_chromium(night, browser):
    """Analysts read what every mart column means, and its type, in dbt's documentation
    site; its front page says what each mart is for."""
    import yaml
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from ingest.paths import DBT_PROJECT_DIR

    _, paths, _ = night
    marts = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / "_marts.yml").read_text())
    coverage = next(m for m in marts["models"] if m["name"] == "coverage_sdg131")
    described = next(c["description"] for c in coverage["columns"]
                     if c["name"] == "coverage_pct")

    page = paths.dbt_docs / "index.html"
    assert page.stat().st_mode & 0o004  # readable by all, as the warehouse is
    browser.get(page.as_uri() + "#!/model/model.spf.coverage_sdg131")
    WebDriverWait(browser, 60).until(lambda driver: "coverage_pct" in body(driver))
    text = " ".join(body(browser).split())
    assert " ".join(described.split()) in text
    # Column types, from the catalog of the published build.
    assert "coverage_pct DOUBLE" in text and "country_iso3 VARCHAR" in text

    # The front page says what each mart is for and which contract it follows.
    browser.get(page.as_uri() + "#!/overview")
    WebDriverWait(browser, 60).until(
        lambda driver: "What each mart is for, and the contract it follows" in body(driver))
    assert "marts.coverage_sdg131_regional" in body(browser)

    # The code of a model reads whole (a comment once hid most of it as an HTML tag).
    browser.get(page.as_uri() + "#!/model/model.spf.country_profile")
    WebDriverWait(browser, 60).until(lambda driver: "from latest_coverage" in " ".join(
        c.get_attribute("textContent") for c in driver.find_elements(By.TAG_NAME, "code")))
