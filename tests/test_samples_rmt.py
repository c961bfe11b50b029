"""The bundled project-report sample (ingest/samples/rmt/): reproducible to the byte, valid
against the contract, and faithful to the seeds.

Every figure is computed here in plain Python straight from the committed JSON pages, not
from the generator's structures, and compared with what the seeds report: the 2016-2017
country-by-step table of the 2017 annual report (transcribed independently in
tests/fixtures/annual_report_2017_country_steps.csv), the 2016-2019 "Programme results" table
of the 2019 progress report (transcribed below), and Tables 1 and 2 of the phase-2
programme document. The rules (contract, windows, impact categories) are restated here from
shared/specs/project-reports.md rather than imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import time
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import pycountry
import pytest
from benchmarks.synthetic_rmt import synthetic_pages  # tests/benchmarks/

from ingest.samples import generate_rmt

SAMPLE_DIR = Path(generate_rmt.__file__).resolve().parent / "rmt"
FIXTURE = Path(__file__).parent / "fixtures" / "annual_report_2017_country_steps.csv"
FULL, INCREMENTAL = "2021-01-15", "2025-06-30"
SINCE = "2021-01-15T00:00:00Z"
PAGE_NAME = re.compile(r"page-(\d{4})\.json")

PHASE1 = ("2016-01-01", "2020-12-31")
PHASE1_FOCUS = {"CPV", "KHM", "CMR", "SLV", "HND", "IND", "IDN", "KGZ", "LAO", "MWI", "MOZ",
                "MMR", "NER", "PSE", "PAK", "PRY", "SEN", "TLS", "TGO", "VNM", "ZMB"}
CATEGORY = {"legal_coverage": "legal_coverage", "effective_coverage": "effective_coverage",
            "adequacy": "comprehensive_adequate", "comprehensiveness": "comprehensive_adequate",
            "better_access": "better_access"}
BRANCHES = {"CHILD", "MATERN", "SICK", "HEALTH", "DIS", "OLD", "SURV", "UNE", "INJ", "SA", "LTC"}
OUTPUT_TYPES = {"knowledge_product", "persons_trained", "ratification", "other"}
THEMATIC_AREAS = {  # Table 4 of seed 003
    "social_health_protection", "unemployment_protection", "old_age_pensions",
    "informal_economy", "disability_inclusion", "migrants_refugees", "just_transition",
    "gender_equality", "social_dialogue", "statistics_monitoring", "financing",
    "rights_based_systems", "actuarial_governance", "digital_transformation",
    "emerging_challenges", "culture_of_social_protection"}
INTERVENTION_KEYS = {"id", "title", "country_iso3", "level", "flagship", "thematic_areas",
                     "start_date", "end_date", "updated_at", "deleted", "funding",
                     "institutional_changes", "outcomes", "outputs"}
ENVELOPE_KEYS = {"items", "page", "page_size", "total", "next_page"}

# Seed 002 (2019 progress report), "Programme results": step numbers achieved per year.
SEED_002_RESULTS = {
    "CPV": {2016: {3}, 2017: {3}, 2018: {2}, 2019: {3}},
    "CMR": {2017: {3}, 2018: {1, 3}},
    "MWI": {2018: {1}, 2019: {2}},
    "MOZ": {2016: {1, 2}, 2018: {3}, 2019: {1}},
    "NER": {2018: {2}},
    "SEN": {2019: {3}},
    "TGO": {2019: {1}},
    "ZMB": {2017: {1}, 2018: {2, 3}, 2019: {3}},
    "PSE": {2016: {2}, 2017: {3}},
    "KHM": {2016: {2, 3}, 2017: {1, 3}, 2018: {2}, 2019: {2}},
    "IND": {2016: {2}, 2019: {2}},
    "IDN": {2017: {3}, 2019: {2, 3}},
    "LAO": {2016: {3}, 2019: {1, 3}},
    "MMR": {2017: {3}, 2019: {3}},
    "PAK": {2016: {1}, 2017: {3}, 2019: {1}},
    "TLS": {2016: {2}, 2017: {2}, 2019: {1}},
    "VNM": {2017: {1}, 2018: {1}, 2019: {1}},
    "KGZ": {2018: {2}, 2019: {3}},
    "SLV": {2017: {2}, 2019: {2}},
    "HND": {2019: {3}},
    "PRY": {2019: {3}},
}


# ----------------------------------------------------------------------------- reading


def page_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if PAGE_NAME.fullmatch(p.name))


@cache
def pages(export: str) -> tuple[dict, ...]:
    files = page_files(SAMPLE_DIR / export)
    return tuple(json.loads(p.read_bytes().decode("utf-8")) for p in files)


@cache
def items(export: str) -> tuple[dict, ...]:
    return tuple(item for body in pages(export) for item in body["items"])


@cache
def state(after_incremental: bool) -> dict[str, dict]:
    """The current interventions: the full export, then (optionally) the incremental one
    applied on top (a later version replaces the earlier one entirely; tombstones leave)."""
    current = {d["id"]: d for d in items(FULL)}
    if after_incremental:
        for d in items(INCREMENTAL):
            current[d["id"]] = d
    return {k: d for k, d in current.items() if not d["deleted"]}


STATES = pytest.mark.parametrize("after_incremental", [False, True],
                                 ids=["full-export", "after-incremental"])


def in_phase1(day: str) -> bool:
    return PHASE1[0] <= day <= PHASE1[1]


def achieved(docs: dict[str, dict]):
    """(country, step, achieved_on) of every achieved change."""
    for d in docs.values():
        for c in d["institutional_changes"]:
            if c["status"] == "achieved" and c["achieved_on"]:
                yield d["country_iso3"], c["step"], c["achieved_on"]


# ----------------------------------------------------------------------------- contract


def is_date(value) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    dt.date.fromisoformat(value)
    return True


def is_count(value) -> bool:
    return type(value) is int and value >= 0


def check_intervention(d: dict) -> None:
    """Assert that one intervention follows shared/specs/project-reports.md."""
    assert set(d) == INTERVENTION_KEYS, d.get("id")
    ref = d["id"]
    assert isinstance(ref, str) and re.fullmatch(r"RMT-\d{6,}", ref)
    assert isinstance(d["title"], str) and d["title"].strip(), ref
    assert d["level"] in {"country", "regional", "global"}, ref
    if d["level"] == "country":
        iso3 = d["country_iso3"]
        assert isinstance(iso3, str) and pycountry.countries.get(alpha_3=iso3), ref
    else:
        assert d["country_iso3"] is None, ref
    assert type(d["flagship"]) is bool and type(d["deleted"]) is bool, ref
    assert isinstance(d["thematic_areas"], list)
    assert set(d["thematic_areas"]) <= THEMATIC_AREAS, ref
    assert is_date(d["start_date"]), ref
    assert d["end_date"] is None or (is_date(d["end_date"]) and d["end_date"] >= d["start_date"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", d["updated_at"]), ref
    dt.datetime.fromisoformat(d["updated_at"].replace("Z", "+00:00"))
    last_day = d["updated_at"][:10]
    for f in d["funding"]:
        assert set(f) == {"partner", "year", "amount_usd"}, ref
        assert isinstance(f["partner"], str) and f["partner"], ref
        assert type(f["year"]) is int and 2000 <= f["year"] <= 2030, ref
        assert is_count(f["amount_usd"]), ref
    for c in d["institutional_changes"]:
        assert set(c) == {"id", "step", "title", "status", "achieved_on", "branches",
                          "partners"}, ref
        assert re.fullmatch(r"IC-\d{6,}", c["id"]), ref
        assert c["step"] in (1, 2, 3) and type(c["step"]) is int, ref
        assert isinstance(c["title"], str) and c["title"], ref
        assert c["status"] in {"achieved", "in_progress"}, ref
        if c["status"] == "achieved":
            assert is_date(c["achieved_on"]) and c["achieved_on"] <= last_day, c["id"]
        else:
            assert c["achieved_on"] is None, c["id"]
        assert isinstance(c["branches"], list) and set(c["branches"]) <= BRANCHES, c["id"]
        assert isinstance(c["partners"], list)
        assert all(isinstance(p, str) and p for p in c["partners"]), c["id"]
    for o in d["outcomes"]:
        assert set(o) == {"id", "type", "branch", "expected_persons", "expected_date",
                          "impact_history"}, ref
        assert re.fullmatch(r"OC-\d{6,}", o["id"]), ref
        assert o["type"] in CATEGORY and o["branch"] in BRANCHES, o["id"]
        assert is_count(o["expected_persons"]) and is_date(o["expected_date"]), o["id"]
        days = [s["as_of"] for s in o["impact_history"]]
        assert days == sorted(set(days)), o["id"]
        for s in o["impact_history"]:
            assert set(s) == {"as_of", "persons", "women", "men"}, o["id"]
            assert is_date(s["as_of"]) and s["as_of"] <= last_day, o["id"]
            assert is_count(s["persons"]), o["id"]
            for part in ("women", "men"):
                assert s[part] is None or is_count(s[part]), o["id"]
            if s["women"] is not None and s["men"] is not None:
                assert s["women"] + s["men"] == s["persons"], (o["id"], s)
    for p in d["outputs"]:
        assert set(p) == {"type", "date", "count", "title"}, ref
        assert p["type"] in OUTPUT_TYPES and is_count(p["count"]), ref
        assert is_date(p["date"]) and p["date"] <= last_day, ref
        assert isinstance(p["title"], str) and p["title"], ref


def check_envelopes(bodies: list[dict], page_size: int) -> int:
    """Assert the page envelope of a whole fetch; return the number of items."""
    assert bodies
    total = sum(len(b["items"]) for b in bodies)
    for n, body in enumerate(bodies, 1):
        assert set(body) == ENVELOPE_KEYS
        assert body["page"] == n and body["page_size"] == page_size
        assert body["total"] == total
        assert body["next_page"] == (n + 1 if n < len(bodies) else None)
        assert isinstance(body["items"], list)
        if n < len(bodies):
            assert len(body["items"]) == page_size
        else:
            assert 0 < len(body["items"]) <= page_size or total == 0
    return total


# ----------------------------------------------------------------------------- the files


def test_regenerating_gives_the_committed_bytes(tmp_path):
    generate_rmt.write_sample(tmp_path)
    for export in (FULL, INCREMENTAL):
        committed = page_files(SAMPLE_DIR / export)
        fresh = page_files(tmp_path / export)
        assert [p.name for p in committed] == [p.name for p in fresh], export
        for a, b in zip(committed, fresh, strict=True):
            assert a.read_bytes() == b.read_bytes(), f"{export}/{a.name} is stale: regenerate"
    assert not any(p.name == "README.md" for p in tmp_path.rglob("*"))


def test_regenerating_removes_stale_pages(tmp_path):
    stale = tmp_path / FULL / "page-0099.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    generate_rmt.write_sample(tmp_path)
    assert not stale.exists()


def test_sample_is_small_and_documented():
    files = [p for p in SAMPLE_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 1_000_000
    assert (SAMPLE_DIR / "README.md").is_file()
    assert {p.parent.name for p in files if p.suffix == ".json"} == {FULL, INCREMENTAL}


@pytest.mark.parametrize("export", [FULL, INCREMENTAL])
def test_pages_follow_the_envelope(export):
    files = page_files(SAMPLE_DIR / export)
    assert [p.name for p in files] == [f"page-{n:04d}.json" for n in range(1, len(files) + 1)]
    for p in files:
        raw = p.read_bytes()
        assert raw.endswith(b"}\n") and raw.decode("utf-8")
    total = check_envelopes(list(pages(export)), page_size=50)
    assert total == len(items(export))
    if export == FULL:
        assert len(files) >= 3  # a full export of several pages


@pytest.mark.parametrize("export", [FULL, INCREMENTAL])
def test_every_intervention_follows_the_contract(export):
    for d in items(export):
        check_intervention(d)


def test_ids_are_unique_and_stable():
    owner: dict[str, str] = {}
    for export in (FULL, INCREMENTAL):
        docs = items(export)
        assert len({d["id"] for d in docs}) == len(docs), export
        seen: set[str] = set()
        for d in docs:
            sub = [c["id"] for c in d["institutional_changes"]] + [o["id"] for o in d["outcomes"]]
            assert not seen & set(sub) and len(set(sub)) == len(sub), d["id"]
            seen |= set(sub)
            for ref in sub:  # a change or outcome keeps its intervention across versions
                assert owner.setdefault(ref, d["id"]) == d["id"], ref


def test_exports_are_full_then_incremental():
    full, incremental = items(FULL), items(INCREMENTAL)
    assert all(d["updated_at"] < SINCE for d in full)
    assert all(d["updated_at"] > SINCE for d in incremental)
    assert all(d["updated_at"] <= "2025-06-30T23:59:59Z" for d in incremental)
    for docs in (full, incremental):  # served in updated_at order, as a high-water mark needs
        keys = [(d["updated_at"], d["id"]) for d in docs]
        assert keys == sorted(keys)
    assert not any(d["deleted"] for d in full)


# ----------------------------------------------------------------------------- seed tables


def fixture_table() -> dict[tuple[str, int, int], bool]:
    with FIXTURE.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and set(rows[0]) == {"country_iso3", "step", "year", "achieved"}
    table = {(r["country_iso3"], int(r["step"]), int(r["year"])): r["achieved"] == "true"
             for r in rows}
    assert all(r["achieved"] in {"true", "false"} for r in rows)
    assert len(table) == len(rows) == 21 * 3 * 2
    assert {k[0] for k in table} == PHASE1_FOCUS
    return table


def test_fixture_matches_the_report_totals():
    """The annual report's own totals: 5, 6 and 8 countries per step over 2016-2017 (seed
    001's Total row) and 3 / 2 / 7 countries in 2017 (the three 'ACHIEVEMENTS' sections)."""
    table = fixture_table()
    for step, countries in ((1, 5), (2, 6), (3, 8)):
        assert len({c for (c, s, _), a in table.items() if a and s == step}) == countries
    for step, countries in ((1, 3), (2, 2), (3, 7)):
        assert sum(a for (c, s, y), a in table.items() if s == step and y == 2017) == countries


@STATES
def test_country_by_step_table_of_the_2017_annual_report(after_incremental):
    years = defaultdict(set)
    for country, step, day in achieved(state(after_incremental)):
        years[country, step].add(int(day[:4]))
    computed = {(c, s, y): y in years[c, s] for c in PHASE1_FOCUS for s in (1, 2, 3)
                for y in (2016, 2017)}
    assert computed == fixture_table()


@STATES
def test_programme_results_table_of_the_2019_progress_report(after_incremental):
    computed = defaultdict(lambda: defaultdict(set))
    for country, step, day in achieved(state(after_incremental)):
        if country in PHASE1_FOCUS and "2016" <= day[:4] <= "2019":
            computed[country][int(day[:4])].add(step)
    assert {c: dict(v) for c, v in computed.items()} == SEED_002_RESULTS


@STATES
def test_phase1_step_achievement_is_table_1(after_incremental):
    countries = defaultdict(set)
    for country, step, day in achieved(state(after_incremental)):
        if country in PHASE1_FOCUS and in_phase1(day):
            countries[step].add(country)
    assert {s: len(c) for s, c in countries.items()} == {1: 10, 2: 13, 3: 16}


def test_changes_that_must_not_count_are_there():
    """Traps for the marts: outside the window, outside the focus list, not achieved."""
    docs = state(True)
    countries = defaultdict(set)
    for country, step, day in achieved(docs):
        if country in PHASE1_FOCUS and in_phase1(day):
            countries[step].add(country)
    traps = [(c, s, day) for c, s, day in achieved(docs)
             if c not in countries[s] and (c in PHASE1_FOCUS or day[:4] in {"2018", "2019"})]
    assert any(c in PHASE1_FOCUS and day < PHASE1[0] for c, s, day in traps)  # 2015-12-31
    assert any(c in PHASE1_FOCUS and "2021-01-01" <= day <= "2021-01-14" for c, s, day in traps)
    # Phase 1 has achieved changes in its focus countries only, so that Table 1 holds for
    # every country too (marts.results_framework); phase 2 has one outside its focus list
    # (Mongolia), which only the focus-country marts leave out.
    assert not any(c not in PHASE1_FOCUS and in_phase1(day) for c, s, day in achieved(docs))
    assert [(c, s) for c, s, day in achieved(docs) if day >= "2021-01-01" and c is not None
            and c not in generate_rmt.PHASE2_FOCUS] == [("MNG", 3)]
    assert any(day == PHASE1[1] for _, _, day in achieved(docs))  # last day counts
    pending = [c for d in items(FULL) if d["country_iso3"] in PHASE1_FOCUS
               for c in d["institutional_changes"] if c["status"] == "in_progress"]
    assert len(pending) >= 8


def impact(docs: dict[str, dict]) -> tuple[Counter, dict[str, set]]:
    """Per category: sum over outcomes of their latest snapshot inside phase 1."""
    persons, countries = Counter(), defaultdict(set)
    for d in docs.values():
        for o in d["outcomes"]:
            inside = [s for s in o["impact_history"] if in_phase1(s["as_of"])]
            if inside:
                category = CATEGORY[o["type"]]
                persons[category] += max(inside, key=lambda s: s["as_of"])["persons"]
                countries[category].add(d["country_iso3"])
    return persons, countries


@STATES
def test_phase1_people_impacted_is_table_2(after_incremental):
    persons, countries = impact(state(after_incremental))
    millions = {k: round(v / 1e6, 1) for k, v in persons.items()}
    assert millions["legal_coverage"] == 11.6
    assert millions["effective_coverage"] == 10.9
    assert millions["comprehensive_adequate"] == 2.6
    reporting = (countries["legal_coverage"] | countries["effective_coverage"]
                 | countries["comprehensive_adequate"])
    assert len(reporting) == 10 and reporting <= PHASE1_FOCUS
    assert "better_access" in persons


def test_impact_needs_the_latest_snapshot_inside_the_window():
    """Summing snapshots, or taking snapshots after 2020, would give other figures."""
    docs = state(True)
    summed, latest_ever = Counter(), Counter()
    for d in docs.values():
        for o in d["outcomes"]:
            c = CATEGORY[o["type"]]
            summed[c] += sum(s["persons"] for s in o["impact_history"] if in_phase1(s["as_of"]))
            if o["impact_history"]:
                latest_ever[c] += o["impact_history"][-1]["persons"]
    persons, _ = impact(docs)
    for c in ("legal_coverage", "effective_coverage", "comprehensive_adequate"):
        assert round(summed[c] / 1e6, 1) != round(persons[c] / 1e6, 1)
        assert round(latest_ever[c] / 1e6, 1) != round(persons[c] / 1e6, 1)
    snapshots = [s for d in docs.values() for o in d["outcomes"] for s in o["impact_history"]]
    assert any(s["women"] is not None for s in snapshots)
    assert any(s["women"] is None for s in snapshots)


# ----------------------------------------------------------------------------- versions


def test_later_version_of_the_cambodia_record():
    before = {d["id"]: d for d in items(FULL)}["RMT-000123"]
    after = {d["id"]: d for d in items(INCREMENTAL)}["RMT-000123"]
    assert after["updated_at"] > before["updated_at"] and not after["deleted"]
    old = {c["id"]: c for c in before["institutional_changes"]}
    new = {c["id"]: c for c in after["institutional_changes"]}
    assert old.keys() == new.keys()
    flipped = [k for k in old if old[k]["status"] == "in_progress"
               and new[k]["status"] == "achieved"]
    assert flipped and all(new[k]["achieved_on"] > PHASE1[1] for k in flipped)
    history = {o["id"]: o["impact_history"] for o in before["outcomes"]}
    for o in after["outcomes"]:
        assert o["impact_history"][:len(history[o["id"]])] == history[o["id"]]
    assert len(after["outcomes"][0]["impact_history"]) > len(history["OC-000789"])


def test_tombstone():
    full = {d["id"]: d for d in items(FULL)}
    stones = [d for d in items(INCREMENTAL) if d["deleted"]]
    assert stones
    for d in stones:
        assert d["id"] in full and not full[d["id"]]["deleted"]
        assert d["updated_at"] > full[d["id"]]["updated_at"]
        rest = {k: v for k, v in d.items() if k not in {"deleted", "updated_at"}}
        assert rest == {k: v for k, v in full[d["id"]].items()
                        if k not in {"deleted", "updated_at"}}
    assert not {d["id"] for d in stones} & state(True).keys()


def test_incremental_export_has_phase2_work():
    docs = items(INCREMENTAL)
    full_ids = {d["id"] for d in items(FULL)}
    later = [d for d in docs if d["id"] in full_ids and not d["deleted"]]
    assert len(later) >= 2
    phase2 = defaultdict(set)
    for country, step, day in achieved({d["id"]: d for d in docs}):
        if day >= "2021-01-01":
            phase2[step].add(country)
    assert all(len(phase2[s]) >= 5 for s in (1, 2, 3))
    assert len({d["country_iso3"] for d in docs} & set(generate_rmt.PHASE2_FOCUS)) >= 25


# ----------------------------------------------------------------------------- seed facts


def test_seed_facts():
    docs = state(False)
    khm = docs["RMT-000123"]
    assert khm["country_iso3"] == "KHM"
    change = {c["id"]: c for c in khm["institutional_changes"]}["IC-000456"]
    assert (change["step"], change["achieved_on"]) == (3, "2016-11-01")
    assert {"EU-SPS", "AFD"} <= set(change["partners"])
    oc = {o["id"]: o for o in khm["outcomes"]}["OC-000789"]
    assert (oc["type"], oc["branch"], oc["expected_persons"], oc["expected_date"]) == (
        "better_access", "HEALTH", 1_100_000, "2017-12-31")
    days = [s["as_of"] for s in oc["impact_history"]]
    assert {"as_of": "2017-08-31", "persons": 910_000, "women": None, "men": None} in \
        oc["impact_history"] and days[0] < "2017-08-31"

    changes = {(d["country_iso3"], c["achieved_on"]): c for d in docs.values()
               for c in d["institutional_changes"] if c["achieved_on"]}
    assert changes["KHM", "2017-03-24"]["step"] == 1  # National Social Protection Framework
    assert "12/2016" in changes["TLS", "2016-11-14"]["title"]
    assert changes["TLS", "2017-05-24"]["step"] == 2  # regulations, May 2017
    assert "SALVEX" in changes["SLV", "2017-06-22"]["title"]
    assert changes["CPV", "2016-11-22"]["step"] == 3  # single register action plan
    assert changes["KHM", "2019-11-05"]["step"] == 2  # Law on Social Security (seed 002)

    funding = {(d["country_iso3"], f["partner"], f["year"]): f["amount_usd"]
               for d in docs.values() for f in d["funding"]}
    assert funding["PSE", "Kuwait", 2017] == 700_000
    assert funding["PSE", "Qatar", 2017] == 1_000_000
    partners = {p for (_, p, _) in funding}
    assert {"EU-SPS", "AFD", "Irish Aid", "Japan", "Korea", "ACTION/Portugal", "OECD"} <= partners

    snapshots = {(d["country_iso3"], o["type"], s["as_of"]): s["persons"]
                 for d in docs.values() for o in d["outcomes"] for s in o["impact_history"]}
    assert snapshots["IDN", "effective_coverage", "2017-10-31"] == 9_000_000
    outputs = [(d["level"], p) for d in docs.values() for p in d["outputs"]]
    assert ("regional", {"type": "persons_trained", "date": "2017-10-27", "count": 25,
                         "title": "TRANSFORM regional training of trainers"}) in outputs


def test_every_kind_of_record_is_there():
    docs = list(state(True).values()) + [d for d in items(INCREMENTAL) if d["deleted"]]
    assert {p["type"] for d in docs for p in d["outputs"]} == OUTPUT_TYPES
    assert {o["type"] for d in docs for o in d["outcomes"]} == set(CATEGORY)
    levels = Counter(d["level"] for d in docs)
    assert levels["regional"] >= 2 and levels["global"] >= 2
    # What the results framework counts (../shared/specs/results-framework.md): several
    # thematic areas per intervention, every area used; partners and sex splits; regional
    # and global changes, impact and outputs; a country ratifying twice in one phase.
    assert {t for d in docs for t in d["thematic_areas"]} == THEMATIC_AREAS
    assert sum(len(d["thematic_areas"]) >= 2 for d in docs) >= len(docs) // 2
    changes = [(d, c) for d in docs for c in d["institutional_changes"] if c["achieved_on"]]
    assert any(c["partners"] for _, c in changes) and any(not c["partners"] for _, c in changes)
    assert any(d["level"] == "regional" and c["partners"] for d, c in changes)
    regional = [s for d in docs if d["level"] != "country" for o in d["outcomes"]
                for s in o["impact_history"]]
    assert any(s["women"] is not None for s in regional)
    for phase in (PHASE1, ("2021-01-01", "2025-12-31")):
        ratified = Counter(d["country_iso3"] for d in docs for p in d["outputs"]
                           if p["type"] == "ratification" and phase[0] <= p["date"] <= phase[1])
        assert ratified[None] >= 1 and max(n for c, n in ratified.items() if c) >= 2
        kinds = {(p["type"], d["level"] == "country") for d in docs for p in d["outputs"]
                 if phase[0] <= p["date"] <= phase[1]}
        assert {t for t, _ in kinds} == OUTPUT_TYPES and (("persons_trained", False) in kinds)
    assert len({d["country_iso3"] for d in docs} & PHASE1_FOCUS) == 21


# ----------------------------------------------------------------------------- benchmark set


def test_synthetic_pages_for_benchmarks():
    started = time.perf_counter()
    bodies = synthetic_pages(6000)
    elapsed = time.perf_counter() - started
    assert all(isinstance(b, bytes) for b in bodies)
    parsed = [json.loads(b) for b in bodies]
    assert check_envelopes(parsed, page_size=500) == 6000 and len(parsed) == 12
    docs = [d for body in parsed for d in body["items"]]
    assert len({d["id"] for d in docs}) == 6000
    snapshots = sum(len(o["impact_history"]) for d in docs for o in d["outcomes"])
    assert 270_000 <= snapshots <= 330_000
    for d in docs:
        check_intervention(d)
    assert elapsed < 20, f"synthetic_pages(6000) took {elapsed:.1f} s"
    assert synthetic_pages(40, seed=3, page_size=7) == synthetic_pages(40, seed=3, page_size=7)


# ----------------------------------------------------------------------------- records file


def test_every_record_of_the_records_file_names_its_source():
    for record in generate_rmt.load_records()["records"]:
        for part in [record, *record.get("later_versions", ())]:
            source = part.get("source")
            assert isinstance(source, str) and source.strip(), (record["title"], part)


def _one_record(**later: object) -> list[dict]:
    record = {"title": "A record", "country_iso3": "KHM", "start_date": "2016-01-01",
              "updated_at": "2020-01-01T00:00:00Z", "source": "Invented for the test.",
              "institutional_changes": [{"step": 1, "title": "Policy adopted"}],
              "outcomes": [{"type": "adequacy", "branch": "SA", "expected_persons": 10,
                            "expected_date": "2020-12-31", "impact_history": []}]}
    record["later_versions"] = [{"updated_at": "2022-01-01T00:00:00Z", **later}]
    return [record]


@pytest.mark.parametrize("edit", [
    {"achieve": {"Law adopted": "2021-06-30"}},
    {"add_snapshots": [{"type": "adequacy", "branch": "OLD",
                        "impact_history": [["2021-06-30", 5]]}]},
], ids=["achieve", "add_snapshots"])
def test_an_edit_that_matches_nothing_names_the_record(edit):
    generate_rmt.file_records(_one_record(), generate_rmt.Ids())  # without the edit: fine
    with pytest.raises(ValueError, match=r"record 1 \('A record'\): RMT-000001, later .*found 0"):
        generate_rmt.file_records(_one_record(**edit), generate_rmt.Ids())
