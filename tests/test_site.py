"""The programme's pages (../shared/specs/site.md) as readers meet them, from the bundled
sample published by a real nightly run: every page there, the figures of the marts, no
personal data, every link resolving, nothing loaded from elsewhere, and in Chromium no
console error, no request outside the site and no serious accessibility violation."""

from __future__ import annotations

import csv
import http.server
import json
import os
import re
import shutil
import threading
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb
import pytest
from conftest import query
from typer.testing import CliRunner

from ingest.paths import resolve
from warehouse.cli import app
from warehouse.run import pipeline
from warehouse.site import charts, fmt, place

runner = CliRunner()
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """`make run`: the bundled SSI and RMT samples published by a nightly run."""
    warehouse = tmp_path_factory.mktemp("site") / "data" / "spf.duckdb"
    summary = pipeline.nightly(str(warehouse))
    assert summary["published"] and summary["site"]["written"]
    return warehouse


@pytest.fixture(scope="module")
def site(sample) -> Path:
    return resolve(sample).home / "site"


class Links(HTMLParser):
    """Every href, src and id of a page."""

    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.refs.append(value)
            if name == "id":
                self.ids.add(value)


def parsed(page: Path) -> Links:
    links = Links()
    links.feed(page.read_text())
    return links


def rows(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_run_writes_the_index_and_a_page_per_country_and_thematic_area(sample, site):
    assert (site / "index.html").is_file() and site.is_symlink()
    assert not Path(os.readlink(site)).is_absolute()  # the home may move
    focus = query(sample, "select country_iso3, phase1_focus from marts.dim_country "
                          "where phase1_focus or phase2_focus")
    assert sum(1 for _, phase1 in focus if phase1) == 21
    with_data = query(sample, "select country_iso3 from marts.coverage_sdg131 union "
                              "select country_iso3 from marts.sp_expenditure union "
                              "select country_iso3 from marts.results_interventions "
                              "where country_iso3 is not null")
    expected = {c for c, _ in focus} | {c for (c,) in with_data}
    assert {p.stem for p in (site / "countries").glob("*.html")} == expected
    areas = {a for (a,) in query(sample, "select thematic_area from ref.thematic_areas")}
    assert len(areas) == 16 and {p.stem for p in (site / "themes").glob("*.html")} == areas
    shown = place.shown(resolve(sample))
    assert shown["publication_id"] == pipeline.published_id(resolve(sample))
    assert os.stat(site / "index.html").st_mode & 0o004  # readable by all


def test_no_page_or_csv_holds_personal_data(sample, site):
    """The sample's contact e-mails are in the private state; none is on the site, nor any
    other e-mail address."""
    con = duckdb.connect(str(resolve(sample).state_db), read_only=True)
    try:
        emails = {e for (e,) in con.execute(
            "select contact_email from raw.ssi_submissions where contact_email is not null"
        ).fetchall()}
    finally:
        con.close()
    assert len(emails) >= 21
    files = [p for p in site.rglob("*") if p.is_file()]
    assert len(files) > 100
    for path in files:
        text = path.read_text()
        assert not any(e in text for e in emails), path
        assert not EMAIL.search(text), (path, EMAIL.search(text))


def test_every_link_resolves_and_nothing_comes_from_elsewhere(site):
    root = site.resolve()
    pages = sorted(root.rglob("*.html"))
    ids = {p: parsed(p).ids for p in pages}
    for page in pages:
        for ref in parsed(page).refs:
            parts = urlsplit(ref)
            assert not parts.scheme and not parts.netloc, (page, ref)  # relative only
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file() and root in target.parents, (page, ref)
            if parts.fragment:
                assert parts.fragment in ids[target], (page, ref)
    text = (site / "countries" / "KHM.html").read_text()
    assert "<script" not in text and "@import" not in (site / "style.css").read_text()


def test_cambodia_shows_the_figures_of_the_marts(sample, site):
    page = (site / "countries" / "KHM.html").read_text()
    for said in ("Cambodia", "Asia and the Pacific", "focus country of the programme in "
                 "phase 1 and phase 2", "Total population covered", "KHM-2019-r2",
                 "KHM-2022-r1", "RMT-000123", "step 3: operations and governance improved",
                 "Old-age pensions", "publication p0001"):
        assert said in page, said
    assert page.count("<svg") >= 5 and page.count('role="img"') == page.count("<svg")
    coverage = rows(site / "data" / "countries" / "KHM" / "coverage.csv")
    marts = dict(((y, s), v) for y, s, v in query(
        sample, "select year, series, coverage_pct from marts.coverage_sdg131 "
                "where country_iso3 = 'KHM' and sex = 'SEX_T'"))
    assert {(int(r["year"]), r["series"]): float(r["coverage_total_pct"]) for r in coverage
            if r["coverage_total_pct"]} == {k: v for k, v in marts.items() if v is not None}
    total = next(r for r in coverage if r["series"] == "SOC_CONTIG_TOTAL"
                 and r["year"] == "2022")
    assert fmt.pct(float(total["coverage_total_pct"])) in page  # 8.4 %: as people read it
    interventions = rows(site / "data" / "countries" / "KHM" / "interventions.csv")
    assert {r["intervention_id"] for r in interventions} == {i for (i,) in query(
        sample, "select intervention_id from marts.results_interventions "
                "where country_iso3 = 'KHM'")}
    changes = rows(site / "data" / "countries" / "KHM" / "institutional_changes.csv")
    assert len(changes) == query(sample, "select count(*) from "
                                 "marts.results_institutional_changes "
                                 "where country_iso3 = 'KHM'")[0][0]


def test_a_flagged_figure_says_its_flag_in_words(sample, site):
    flagged = query(sample, "select distinct country_iso3 from marts.coverage_sdg131 "
                            "where quality_flag = 'numerator_exceeds_denominator'")
    assert flagged  # KGZ and CPV in the sample
    for (iso3,) in flagged:
        page = (site / "countries" / f"{iso3}.html").read_text()
        assert "men: above 100 %: numerator exceeds denominator" in page
        assert "A hollow mark is a flagged figure" in page


def test_the_index_shows_the_phases_the_regions_and_the_framework(sample, site):
    page = (site / "index.html").read_text()
    steps = rows(site / "data" / "index" / "steps.csv")
    assert [(int(r["phase"]), int(r["step"]), int(r["achieved_countries"])) for r in steps] \
        == query(sample, "select phase, step, achieved_countries "
                         "from marts.results_phase_progress order by phase, step")
    assert "10 of 21" in page  # phase 1, step 1: 10 countries against a target of 21
    regions = rows(site / "data" / "index" / "sdg131_regions.csv")
    assert [r["region"] for r in regions] == ["World", "Africa", "Americas", "Arab States",
                                              "Asia and the Pacific",
                                              "Europe and Central Asia"]
    world = regions[0]
    (expected,) = query(sample, "select year, countries_reporting from "
                                "marts.coverage_sdg131_regional where region = 'World' and "
                                "series = 'SOC_CONTIG_TOTAL' and sex = 'SEX_T' "
                                "order by year desc limit 1")
    assert (int(world["year"]), int(world["countries_reporting"])) == expected
    assert "rests on 1 country" in page  # a region resting on one country says so
    framework = rows(site / "data" / "index" / "results_framework.csv")
    assert len(framework) == 12 and framework[0]["indicator"] == "impact_legal_coverage"
    assert page.count('href="countries/') == len(list((site / "countries").glob("*.html")))


def test_a_thematic_page_shows_its_interventions_by_phase(sample, site):
    page = (site / "themes" / "old_age_pensions.html").read_text()
    assert "<h1>Old-age pensions</h1>" in page
    ours = {i for (i,) in query(sample, "select intervention_id from "
                                        "marts.results_interventions where "
                                        "list_contains(thematic_areas, 'old_age_pensions')")}
    assert ours and all(i in page for i in ours)
    phases = rows(site / "data" / "themes" / "old_age_pensions" / "phases.csv")
    assert [(int(r["phase"]), int(r["interventions"]), int(r["persons"])) for r in phases] \
        == query(sample, "select phase, interventions, persons from marts.results_thematic "
                         "where thematic_area = 'old_age_pensions' order by phase")


def test_a_night_with_nothing_new_writes_nothing(sample, site):
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*")}
    link = os.readlink(site)
    summary = pipeline.nightly(str(sample))
    assert summary["published"] is False and "site" not in summary
    assert os.readlink(site) == link
    assert {p: p.stat().st_mtime_ns for p in site.rglob("*")} == before


def test_spf_site_writes_a_kept_publication_into_a_folder(sample, tmp_path):
    out = tmp_path / "public"
    done = runner.invoke(app, ["site", "--out", str(out), "--as-of", "p0001",
                               "--warehouse", str(sample)])
    assert done.exit_code == 0, done.output
    assert "site of p0001 written" in done.output
    assert (out / "countries" / "KHM.html").is_file()
    again = runner.invoke(app, ["site", "--out", str(out), "--warehouse", str(sample)])
    assert again.exit_code == 0, again.output  # a site written there before is replaced
    foreign = tmp_path / "elsewhere"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    refused = runner.invoke(app, ["site", "--out", str(foreign), "--warehouse", str(sample)])
    assert refused.exit_code == 1 and "not a site written by `spf site`" in refused.output
    assert (foreign / "notes.txt").read_text() == "mine"
    unknown = runner.invoke(app, ["site", "--out", str(tmp_path / "x"), "--as-of", "p0009",
                                  "--warehouse", str(sample)])
    assert unknown.exit_code == 1 and "no publication p0009" in unknown.output


def test_two_processes_write_the_same_site_as_one(sample, site, tmp_path, monkeypatch):
    """A large site is split between two processes (warehouse/site/render.py); the sample
    made that way is the one a run wrote, file for file."""
    from warehouse.site import render

    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    split = tmp_path / "split"
    summary = render.render_site(sample, split)
    one = {p.relative_to(site.resolve()): p.read_bytes()
           for p in site.resolve().rglob("*") if p.is_file() and p.name != render.MARKER}
    two = {p.relative_to(split): p.read_bytes()
           for p in split.rglob("*") if p.is_file() and p.name != render.MARKER}
    assert two == one and summary["files"] == len(one) + 1


def test_a_chart_marks_a_flagged_point_and_keeps_its_figures_readable():
    chart = charts.LineChart("Older persons", "reference year", "% covered", [
        charts.Line("Total", [(2019, 75.0, None), (2022, 104.4, "above 100 %: numerator "
                                                                 "exceeds denominator")])])
    geometry = charts.geometry(chart)
    assert geometry["flagged"]
    assert [t["label"] for t in geometry["y_ticks"]][0] == "0"
    assert float(geometry["y_ticks"][-1]["label"]) >= 104.4  # the axis holds every point
    drawing, flagged = charts.svg(chart, "c1")
    assert flagged and drawing.startswith('<svg class="chart"')
    assert '<title id="c1-t">Older persons</title>' in drawing
    hollow = drawing[drawing.index('fill="#fff"'):]
    assert hollow.split("</title>")[0].endswith(
        "<title>Total, 2022: 104.4 % (above 100 %: numerator exceeds denominator)")
    persons = charts.geometry(charts.BarChart("People", "persons", [
        charts.Bar("Phase 1", 11_615_200.0, "11,615,200", 30_000_000.0)], unit="persons"))
    assert persons["x_title"] == "persons (millions)" and persons["has_target"]


# -- in a real browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(site):
    """The site behind a static web server on loopback, as `python -m http.server` serves
    it."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Quiet, directory=str(site.resolve())))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def requests_made(driver) -> list[str]:
    return [message["params"]["request"]["url"] for entry in driver.get_log("performance")
            if (message := json.loads(entry["message"])["message"])["method"]
            == "Network.requestWillBeSent"]


def no_phase1_data(sample) -> str:
    """A focus country with no figure at all: its page says so, section by section."""
    (iso3,) = query(sample, "select country_iso3 from marts.dim_country where phase2_focus "
                            "and country_iso3 not in (select country_iso3 from "
                            "marts.country_profile where soc_contig_total_pct is not null "
                            "or funding_usd is not null) order by 1 limit 1")[0]
    return iso3


@pytest.mark.parametrize("kind", ["index", "country", "country without data", "theme"])
def test_every_kind_of_page_opens_clean_in_chromium(kind, sample, site, served, browser,
                                                     tmp_path):
    from axe_selenium_python import Axe

    page = {"index": "index.html", "country": "countries/KHM.html",
            "country without data": f"countries/{no_phase1_data(sample)}.html",
            "theme": "themes/old_age_pensions.html"}[kind]
    for base in (site.resolve().as_uri() + "/", served):
        browser.get_log("browser")
        browser.get_log("performance")
        browser.get(base + page)
        assert browser.execute_script("return document.readyState") == "complete"
        assert [e for e in browser.get_log("browser") if e["level"] in
                ("SEVERE", "WARNING")] == []
        outside = [u for u in requests_made(browser) if not u.startswith(base)]
        assert outside == [], outside
        assert browser.find_element("css selector", "h1").text
    axe = Axe(browser)
    axe.inject()
    found = axe.run()
    serious = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
               for v in found["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    shot = tmp_path / f"site_{kind.replace(' ', '_')}.png"
    browser.set_window_size(1280, min(browser.execute_script(
        "return document.documentElement.scrollHeight"), 8000))
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000
    if os.environ.get("SPF_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["SPF_SCREENSHOT_DIR"]) / shot.name)
    browser.set_window_size(1280, 1600)
